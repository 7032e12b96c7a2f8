#!/usr/bin/env bash
# The full local picture: both services against the repo's PostgreSQL harness (primary + streaming
# replica) and, when @org/shared-logger/testing's ES test server is available, ELASTICSEARCH_URL.
# orders-api on :3000, events-ingest on :3001 (PORT_ORDERS / PORT_INGEST override). Ctrl-C stops both in order.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
bash scripts/pg-harness.sh start >/dev/null
eval "$(bash scripts/pg-harness.sh env)"
npx tsc --build services/orders-api services/events-ingest >/dev/null
pids=()
stop() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait; }
trap stop INT TERM
PORT=${PORT_ORDERS:-3000} org-task service node services/orders-api/dist/main.js & pids+=($!)
PORT=${PORT_INGEST:-3001} org-task service node services/events-ingest/dist/main.js & pids+=($!)
echo "orders-api: http://127.0.0.1:${PORT_ORDERS:-3000}  events-ingest: http://127.0.0.1:${PORT_INGEST:-3001}  (database: harness ${DATABASE_URL})"
wait
