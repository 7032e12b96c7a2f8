#!/usr/bin/env bash
# The main job: orders-api with no configuration. No DATABASE_URL → embedded PostgreSQL (PGlite) with
# seeded demo orders; no ELASTICSEARCH_URL → console logs only. Prints the URL; stop with Ctrl-C.
# Any DATABASE_URL / DATABASE_REPLICA_URLS / ELASTICSEARCH_URL / PORT in the environment is used as is.
# The same as the root `npm start` (turbo build of orders-api and its dependencies, then
# `npm run start -w @org/orders-api`), without turbo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
tsc --build services/orders-api
# org-task applies the "service" heap limit of .node-options.
exec org-task service node services/orders-api/dist/main.js "$@"
