#!/usr/bin/env bash
# Install a Debian package when the program the project needs from it is missing.
# Usage: install-debian-package.sh PROGRAM PACKAGE PURPOSE
#   e.g. install-debian-package.sh /usr/bin/bwrap bubblewrap "the sandbox around students' kernels"
set -euo pipefail
program=$1 package=$2 purpose=$3
if [ -x "$program" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "$program is missing (needed for $purpose) and this is not root." >&2
  echo "Install it with: sudo apt-get update && sudo apt-get install -y $package" >&2
  exit 1
fi
echo "installing Debian's $package for $purpose (apt-get) ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "$package" >/dev/null
[ -x "$program" ] || { echo "$package is installed but $program is still missing" >&2; exit 1; }
