#!/usr/bin/env bash
# The main job: orders-api with no configuration. No DATABASE_URL → embedded PostgreSQL (PGlite) with
# seeded demo orders; no ELASTICSEARCH_URL → console logs only. Prints the URL; stop with Ctrl-C.
# Any DATABASE_URL / DATABASE_REPLICA_URLS / ELASTICSEARCH_URL / PORT in the environment is used as is.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
npx tsc --build services/orders-api >/dev/null
# org-task applies the "service" heap limit of .node-options.
exec org-task service node services/orders-api/dist/main.js "$@"
