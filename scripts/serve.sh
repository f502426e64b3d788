#!/usr/bin/env bash
# Serve the embedded demo: the scheduler in its own process next to the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
if "$PY" -m flask --help 2>/dev/null | grep -q "^  scheduler"; then
  "$PY" -m flask scheduler run &
  SCHED=$!
  trap 'kill $SCHED 2>/dev/null || true' EXIT INT TERM
fi
echo "校园食品安全守护行动数据系统: http://127.0.0.1:5000/"
"$PY" -m gunicorn --bind 127.0.0.1:5000 --workers 2 --threads 4 --access-logfile - wsgi:app
