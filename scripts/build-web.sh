#!/usr/bin/env bash
# Builds the browser side with Trunk (Trunk.toml, www/index.html): the swd-web crate for wasm32
# with the `wasm-release` profile, wasm-bindgen's glue, and the demo site in www/dist/ (page, the
# npm package's JS, the module, models/swd4); then copies the module and its glue into web/pkg/,
# which makes web/ the npm package. Run scripts/setup.sh first (it installs Trunk and friends).
#   SWD_WEB_RELEASE=1 (default)  `trunk build --release`: also binaryen's wasm-opt (a few minutes)
#   SWD_WEB_RELEASE=0            `trunk build`: the same module without wasm-opt
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${SWD_TOOLS:-/var/tmp/swd-tools}"
# Trunk takes wasm-bindgen and wasm-opt from PATH (the versions Trunk.toml names).
export PATH="$TOOLS/bin:$PWD/node_modules/.bin:$PATH"
release=(); [ "${SWD_WEB_RELEASE:-1}" = "1" ] && release=(--release)
trunk build "${release[@]}"
rm -rf web/pkg
mkdir -p web/pkg
cp www/dist/swd-web/pkg/swd-web.js www/dist/swd-web/pkg/swd-web_bg.wasm web/pkg/
raw=$(stat -c %s web/pkg/swd-web_bg.wasm)
gz=$(gzip -9 -c web/pkg/swd-web_bg.wasm | wc -c)
echo "build-web: swd-web_bg.wasm $((raw / 1024)) KiB ($((gz / 1024)) KiB gzipped); demo in www/dist, npm package in web/"
