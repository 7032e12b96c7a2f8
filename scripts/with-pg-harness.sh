#!/usr/bin/env bash
# with-pg-harness.sh <command...>: runs the command with DATABASE_URL / DATABASE_REPLICA_URLS of the
# PostgreSQL primary+replica harness, starting the harness first when none runs and stopping it again
# afterwards (a running one is reused and left running).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
started=0
if ! bash "$here/pg-harness.sh" status >/dev/null 2>&1; then
  bash "$here/pg-harness.sh" start
  started=1
fi
cleanup() { if [ "$started" = 1 ]; then bash "$here/pg-harness.sh" stop || true; fi; }
trap cleanup EXIT
eval "$(bash "$here/pg-harness.sh" env)"
"$@"
