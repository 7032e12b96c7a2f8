#!/usr/bin/env bash
# `npm test`: everything the tests need, from a fresh clone after `npm ci`.
# Starts the PostgreSQL primary+replica harness unless one is running (and stops it again), installs
# Prometheus' promtool and server from Debian when missing, builds, lints, typechecks and runs every
# workspace's tests through turbo. Extra arguments go to `turbo run` (e.g. --filter=@org/shared-logger).
set -euo pipefail
cd "$(dirname "$0")/.."

node scripts/check-node.mjs

bash packages/metrics/scripts/install-prometheus.sh

npx biome check .
# One package at a time for tests: suites share the harness (some pause replay or stop the replica)
# and the box has two cores; each suite already runs its files in parallel workers.
bash scripts/with-pg-harness.sh bash -c 'npx turbo run build typecheck "$@" && npx turbo run test --concurrency=1 "$@"' -- "$@"
