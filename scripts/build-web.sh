#!/usr/bin/env bash
# Builds the browser side: the swd-web crate for wasm32, wasm-bindgen's JS glue into web/pkg/
# (the npm package), optionally wasm-opt, then the demo site in www/dist/ (page, package, model).
#   SWD_WASM_OPT=1   also optimise with binaryen's wasm-opt -O3 from npm (slower build, smaller
#                    and faster module; Debian's binaryen breaks the module, so it is not used)
#   SWD_DEMO_MODEL   model folder copied into the demo (default models/swd4)
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
TOOLS="${SWD_TOOLS:-/var/tmp/swd-tools}"
WB_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p')
export PATH="$TOOLS/bin:$PATH"
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$WB_VERSION" ]; then
  echo "build-web: installing wasm-bindgen-cli $WB_VERSION into $TOOLS (once, a few minutes)"
  # Not --locked: its lockfile pins a crate version the registry mirror may lack.
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --root "$TOOLS" --quiet
fi
cargo build --release --locked --target wasm32-unknown-unknown -p swd-web
rm -rf web/pkg
wasm-bindgen --target web --no-typescript --out-dir web/pkg "$TARGET_DIR/wasm32-unknown-unknown/release/swd_web.wasm"
if [ "${SWD_WASM_OPT:-0}" = "1" ]; then
  [ -x node_modules/.bin/wasm-opt ] || npm ci --no-audit --no-fund --silent
  echo "build-web: wasm-opt -O3 (a few minutes)"
  node_modules/.bin/wasm-opt -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    web/pkg/swd_web_bg.wasm -o web/pkg/swd_web_bg.opt.wasm
  mv web/pkg/swd_web_bg.opt.wasm web/pkg/swd_web_bg.wasm
fi
MODEL="${SWD_DEMO_MODEL:-models/swd4}"
rm -rf www/dist
mkdir -p www/dist/swd-web www/dist/models/swd4
cp www/index.html www/app.js www/style.css www/dist/
cp -r web/index.js web/fetch.js web/worker.js web/worker-client.js web/pkg www/dist/swd-web/
cp "$MODEL"/config.json "$MODEL"/tokenizer.json "$MODEL"/model.safetensors www/dist/models/swd4/
raw=$(stat -c %s web/pkg/swd_web_bg.wasm)
gz=$(gzip -9 -c web/pkg/swd_web_bg.wasm | wc -c)
echo "build-web: web/pkg/swd_web_bg.wasm $((raw / 1024)) KiB ($((gz / 1024)) KiB gzipped); demo in www/dist (model $MODEL)"
