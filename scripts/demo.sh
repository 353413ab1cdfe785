#!/usr/bin/env bash
# The demo on the shipped student: Trunk builds the optimised site (www/dist) and serves it on
# http://127.0.0.1:${PORT:-8080}/ — open it in a browser with WebGPU (any browser works on CPU).
# For development, `trunk serve` (same command, no --release) rebuilds on every change.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${SWD_TOOLS:-/var/tmp/swd-tools}"
export PATH="$TOOLS/bin:$PWD/node_modules/.bin:$PATH"
exec trunk serve --release --port "${PORT:-8080}"
