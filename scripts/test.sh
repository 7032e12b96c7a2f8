#!/usr/bin/env bash
# `npm test`: everything the tests need, from a fresh clone after `npm ci`.
# Starts the PostgreSQL primary+replica harness unless one is running (and stops it again), installs
# Prometheus' promtool and server from Debian when missing, builds, lints, typechecks and runs every
# workspace's tests through turbo. Extra arguments go to `turbo run` (e.g. --filter=@org/shared-logger).
set -euo pipefail
cd "$(dirname "$0")/.."

node scripts/check-node.mjs

if [ -x packages/metrics/scripts/install-prometheus.sh ] || [ -f packages/metrics/scripts/install-prometheus.sh ]; then
  bash packages/metrics/scripts/install-prometheus.sh
fi

started=0
if ! bash scripts/pg-harness.sh status >/dev/null 2>&1; then
  bash scripts/pg-harness.sh start
  started=1
fi
cleanup() { if [ "$started" = 1 ]; then bash scripts/pg-harness.sh stop || true; fi; }
trap cleanup EXIT
eval "$(bash scripts/pg-harness.sh env)"

npx biome check .
npx turbo run build typecheck "$@"
# One package at a time: suites share the harness (some pause replay or stop the replica) and the
# box has two cores; each suite already runs its files in parallel workers.
npx turbo run test --concurrency=1 "$@"
