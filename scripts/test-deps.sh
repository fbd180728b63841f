#!/usr/bin/env bash
# Installs what the test suite needs from the distribution's packages when it is missing:
# the PostgreSQL server (the suite starts its own throw-away instance).
# Runs as root on CI and the developer machines; elsewhere it uses sudo when there is one.
set -euo pipefail

need=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "test-deps: need root to install: ${need[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "test-deps: installing ${need[*]} from the distribution's packages" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The distribution's package starts a cluster of its own; the suite does not use it.
if command -v pg_lsclusters >/dev/null; then
  pg_lsclusters --no-header 2>/dev/null | while read -r ver name _; do
    $sudo pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true
  done
fi
