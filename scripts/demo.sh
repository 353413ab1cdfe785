#!/usr/bin/env bash
# The demo on the shipped student: builds the browser side (optimised) and serves www/dist on
# http://127.0.0.1:${PORT:-8080}/ — open it in a browser with WebGPU (any browser works on CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
SWD_WASM_OPT="${SWD_WASM_OPT:-1}" bash scripts/build-web.sh
exec node www/serve.mjs www/dist "${PORT:-8080}"
