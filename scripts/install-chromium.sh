#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it; it cannot download its own here).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is missing at /usr/bin/chromium and this is not root." >&2
  echo "Install it with: sudo apt-get update && sudo apt-get install -y chromium" >&2
  exit 1
fi
echo "installing Debian's chromium for the browser tests (apt-get) ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version >&2
