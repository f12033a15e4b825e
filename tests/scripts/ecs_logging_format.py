"""Reads pulselog's default JSON lines (python-json-logger's schema, whose
keys are the attributes of Python's LogRecord) on stdin and writes, for each,
the line Elastic's `ecs_logging.StdlibFormatter` makes of the same record."""

import calendar
import json
import logging
import sys
import time

import ecs_logging

# Python has no TRACE; pulselog's is 5, named as Python users name it.
logging.addLevelName(5, "TRACE")

STANDARD = {"asctime", "levelname", "name", "message", "filename", "lineno",
            "funcName", "process", "exc_info"}
# How Elastic's APM agent hands trace ids to the formatter.
TRACE = {"trace_id": "elasticapm_trace_id", "span_id": "elasticapm_span_id"}


def created_ns(asctime):
    """`2026-04-09T10:15:30.123456Z` as nanoseconds since the epoch."""
    whole, frac = asctime.rstrip("Z").split(".")
    secs = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    return secs * 10**9 + int(frac.ljust(9, "0"))


def exc_info(exc):
    cls = type(exc["type"], (Exception,), {})
    try:
        raise cls(exc["message"])
    except Exception:
        return sys.exc_info()


def record(line):
    ev = json.loads(line)
    rec = logging.LogRecord(
        ev["name"], logging.getLevelName(ev["levelname"]), ev["filename"],
        ev["lineno"], ev["message"], None,
        exc_info(ev["exc_info"]) if "exc_info" in ev else None,
        func=ev["funcName"])
    ns = created_ns(ev["asctime"])
    rec.created = ns / 1e9
    rec.msecs = (ns % 10**9) // 10**6
    # Rust's file!() is the file's name: no separate path to take it from.
    rec.filename = ev["filename"]
    rec.process = ev["process"]
    for key, value in ev.items():
        if key not in STANDARD:
            setattr(rec, TRACE.get(key, key), value)
    return rec


formatter = ecs_logging.StdlibFormatter()
formatter.converter = time.gmtime
for line in sys.stdin:
    if line.strip():
        print(formatter.format(record(line)), flush=True)
