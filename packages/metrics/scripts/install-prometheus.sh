#!/usr/bin/env bash
# Installs promtool and the Prometheus server (Debian's `prometheus` package) for the metrics tests.
# Idempotent: does nothing when both are on PATH. The package may try to start a system service; the
# tests never use it (they start their own server on 127.0.0.1 with a temp config and data dir), so it
# is stopped and disabled if it runs.
set -euo pipefail
if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  echo "install-prometheus: $(prometheus --version 2>&1 | head -1)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  $SUDO systemctl disable --now prometheus || true
fi
command -v promtool >/dev/null && command -v prometheus >/dev/null
echo "install-prometheus: $(prometheus --version 2>&1 | head -1)"
