#!/usr/bin/env bash
# Installs what the test suite needs from the distribution's packages when it is missing:
# the PostgreSQL server (the suite starts its own throw-away instance), Chromium for the browser tests
# (Playwright drives /usr/bin/chromium; it never downloads a browser of its own), and a CJK font so that
# Chinese pages render as text rather than boxes in the screenshots.
# Runs as root on CI and the developer machines; elsewhere it uses sudo when there is one.
set -euo pipefail

has_cjk_font() {
  command -v fc-list >/dev/null && [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]
}

need=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
has_cjk_font || need+=(fonts-noto-cjk)

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
# Quiet when it works; everything apt said when it does not.
apt_quietly() {
  local out
  if ! out=$($sudo "$@" 2>&1); then
    printf '%s\n' "$out" >&2
    echo "test-deps: failed: $*" >&2
    exit 1
  fi
}
apt_quietly apt-get update -qq
apt_quietly apt-get install -y -qq --no-install-recommends "${need[@]}"
# The distribution's package starts a cluster of its own; the suite does not use it.
if command -v pg_lsclusters >/dev/null; then
  pg_lsclusters --no-header 2>/dev/null | while read -r ver name _; do
    $sudo pg_ctlcluster "$ver" "$name" stop >/dev/null 2>&1 || true
  done
fi
