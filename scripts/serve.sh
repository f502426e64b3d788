#!/usr/bin/env bash
# Serve the embedded demo: the scheduler in its own process next to the web server.
# HOST, PORT (default 127.0.0.1:5000) and HTTPS=1 come from the environment (see the Makefile).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-5000}"
TLS=()
if [ "${HTTPS:-0}" = "1" ]; then
  scripts/tls.sh "$HOST"
  TLS=(--certfile instance/tls/server.crt --keyfile instance/tls/server.key)
fi
"$PY" -m flask scheduler run &
SCHED=$!
trap 'kill $SCHED 2>/dev/null || true' EXIT INT TERM
echo "校园食品安全守护行动数据系统: ${PUBLIC_URL:-http://$HOST:$PORT/}"
"$PY" -m gunicorn --bind "$HOST:$PORT" "${TLS[@]}" --workers 2 --threads 4 --access-logfile - wsgi:app
