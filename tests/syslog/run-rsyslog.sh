#!/usr/bin/env bash
# Runs a private rsyslogd in the foreground for tests/tests/syslog.rs,
# installing rsyslog first when it is missing (only as root, with apt-get).
# It listens on loopback only and on a socket in DIR, writes what it parsed
# of each message as one JSON object per line, and never touches the
# system's rsyslog (its configuration, its sockets, its pid file):
#
#   run-rsyslog.sh DIR TCP_PORT UDP_PORT UDP3164_PORT
#
#   DIR/log          Unix datagram socket      -> DIR/unix.json
#   TCP_PORT         TCP, octet counting        -> DIR/tcp.json
#   UDP_PORT         UDP                        -> DIR/udp.json
#   UDP3164_PORT     UDP, RFC 3164 messages     -> DIR/old.json
#
# Each line: the header as rsyslog parsed it (pri, severity, facility,
# hostname, app, procid, msgid, ts in RFC 3339, msg) and, from
# mmpstrucdata, the STRUCTURED-DATA as "rfc5424-sd": {SD-ID: {name: value}}.
# Exits 3, with the reason on stderr, when rsyslogd is missing and cannot
# be installed: the caller skips then.
set -euo pipefail
dir=$1 tcp=$2 udp=$3 udp3164=$4

find_rsyslogd() {
  command -v rsyslogd 2>/dev/null || { [ -x /usr/sbin/rsyslogd ] && echo /usr/sbin/rsyslogd; }
}
if ! rsyslogd=$(find_rsyslogd); then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "rsyslogd is not installed, and installing it needs root and apt-get" >&2
    exit 3
  fi
  if ! apt-get install -y -qq rsyslog >&2 && ! { apt-get update -qq >&2 && apt-get install -y -qq rsyslog >&2; }; then
    echo "apt-get could not install rsyslog" >&2
    exit 3
  fi
  rsyslogd=$(find_rsyslogd)
fi

mkdir -p "$dir"
cat > "$dir/rsyslog.conf" <<CONF
global(workDirectory="$dir")
module(load="imtcp")
module(load="imudp")
# No system socket: only the one below, in DIR.
module(load="imuxsock" SysSock.Use="off")
module(load="mmpstrucdata")

template(name="json" type="list") { property(name="\$!all-json") constant(value="\n") }
template(name="rfc3339" type="string" string="%timereported:::date-rfc3339%")

ruleset(name="parse") {
  # SD-IDs and names as sent (the default lowercases them).
  action(type="mmpstrucdata" sd_name.lowercase="off")
  set \$!pri = \$pri;
  set \$!severity = \$syslogseverity;
  set \$!facility = \$syslogfacility;
  set \$!hostname = \$hostname;
  set \$!app = \$app-name;
  set \$!procid = \$procid;
  set \$!msgid = \$msgid;
  set \$!ts = exec_template("rfc3339");
  set \$!msg = \$msg;
}
ruleset(name="tcp") { call parse action(type="omfile" file="$dir/tcp.json" template="json") }
ruleset(name="udp") { call parse action(type="omfile" file="$dir/udp.json" template="json") }
ruleset(name="old") { call parse action(type="omfile" file="$dir/old.json" template="json") }
ruleset(name="unix") { call parse action(type="omfile" file="$dir/unix.json" template="json") }

input(type="imtcp" address="127.0.0.1" port="$tcp" ruleset="tcp")
# A receive buffer for bursts: a datagram that finds it full is lost.
input(type="imudp" address="127.0.0.1" port="$udp" ruleset="udp" rcvbufSize="8m")
input(type="imudp" address="127.0.0.1" port="$udp3164" ruleset="old" rcvbufSize="8m")
# The messages' own header, not the local socket's conventions; no rate
# limit (the default allows 200 messages in 5 s per process).
input(type="imuxsock" socket="$dir/log" ruleset="unix" useSpecialParser="off"
      parseHostname="on" ignoreTimestamp="off" usePIDFromSystem="off"
      rateLimit.interval="0")
CONF
exec "$rsyslogd" -n -f "$dir/rsyslog.conf" -i "$dir/rsyslogd.pid"
