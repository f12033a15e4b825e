#!/usr/bin/env bash
# Formats events with Elastic's own ECS formatter (the Python `ecs-logging`
# package), installing it first into DIR if it is not there yet.
#
#   ecs_logging.sh DIR < python-json-logger lines > ECS lines
#
# Exits 3, with the reason on stderr, when the package cannot be installed
# (no python3, no pip, no registry): the caller skips its comparison then.
set -euo pipefail
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v python3 >/dev/null 2>&1; then
  echo "no python3 on PATH" >&2
  exit 3
fi
if ! PYTHONPATH="$dir" python3 -c 'import ecs_logging' 2>/dev/null; then
  mkdir -p "$dir"
  if ! python3 -m pip --version >/dev/null 2>&1 && ! python3 -m ensurepip --user >/dev/null 2>&1; then
    echo "python3 has no pip" >&2
    exit 3
  fi
  install() {
    python3 -m pip install --quiet --disable-pip-version-check --target "$dir" "$@" ecs-logging >&2
  }
  # A Python that its distribution manages may want the second spelling.
  if ! install && ! install --break-system-packages; then
    echo "pip could not install ecs-logging" >&2
    exit 3
  fi
fi
PYTHONPATH="$dir" exec python3 "$here/ecs_logging_format.py"
