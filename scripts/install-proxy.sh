#!/usr/bin/env bash
# configurable-http-proxy, the proxy JupyterHub puts in front of the hub and every user's server,
# from npm into the course's .mllab/npm when it is missing (nothing global). Prints the path of
# its executable. Needs node and npm (Debian: apt-get install nodejs npm).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=5.3.0
PREFIX="$PWD/.mllab/npm"
PROXY="$PREFIX/node_modules/.bin/configurable-http-proxy"
installed() { [ -x "$PROXY" ] && [ "$("$PROXY" --version 2>/dev/null)" = "$VERSION" ]; }
if ! installed; then
    if ! command -v npm >/dev/null; then
        echo "JupyterHub needs configurable-http-proxy from npm, and npm is missing: as root, apt-get install nodejs npm" >&2
        exit 1
    fi
    mkdir -p "$PREFIX"
    npm install --prefix "$PREFIX" --no-audit --no-fund --loglevel=error "configurable-http-proxy@$VERSION" >&2
    installed || { echo "configurable-http-proxy $VERSION did not install into $PREFIX" >&2; exit 1; }
fi
echo "$PROXY"
