#!/usr/bin/env bash
# The full local picture: both services against the repo's PostgreSQL harness (primary + streaming
# replica) and the ES test server (@org/es-test-server) (ELASTICSEARCH_URL), so that logs go to
# the console and to "Elasticsearch". orders-api on :3000, events-ingest on :3001 (PORT_ORDERS /
# PORT_INGEST override). Ctrl-C (or SIGTERM) stops the services in order, then the ES test server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
bash scripts/pg-harness.sh start >/dev/null
eval "$(bash scripts/pg-harness.sh env)"
# Builds the services and everything they use (kit, @org/shared-*): tsc project references.
tsc --build services/orders-api services/events-ingest packages/es-test-server

pids=()
es_pid=
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n "$es_pid" ]]; then kill -TERM "$es_pid" 2>/dev/null || true; wait "$es_pid" 2>/dev/null || true; fi
  rm -f "$es_out"
}
es_out="$(mktemp)"
trap stop INT TERM EXIT

node scripts/es-test-server.ts >"$es_out" &
es_pid=$!
for _ in $(seq 1 100); do
  grep -q '^ELASTICSEARCH_URL=' "$es_out" && break
  kill -0 "$es_pid" 2>/dev/null || { echo "ES test server failed to start" >&2; exit 1; }
  sleep 0.1
done
ELASTICSEARCH_URL="$(sed -n 's/^ELASTICSEARCH_URL=//p' "$es_out" | head -1)"
[[ -n "$ELASTICSEARCH_URL" ]] || { echo "ES test server did not print its URL" >&2; exit 1; }
export ELASTICSEARCH_URL

# org-task applies the "service" heap limit of .node-options.
PORT=${PORT_ORDERS:-3000} org-task service node services/orders-api/dist/main.js & pids+=($!)
PORT=${PORT_INGEST:-3001} org-task service node services/events-ingest/dist/main.js & pids+=($!)
echo "orders-api: http://127.0.0.1:${PORT_ORDERS:-3000}  events-ingest: http://127.0.0.1:${PORT_INGEST:-3001}"
echo "database: harness ${DATABASE_URL} (+ replica)  logs: console + ES test server ${ELASTICSEARCH_URL}"
wait "${pids[@]}"
