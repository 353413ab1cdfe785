#!/usr/bin/env bash
# Installs what building and testing swd needs on a fresh Debian machine: Mesa's lavapipe
# Vulkan driver (burn's wgpu backend without a GPU), OpenMPI and libclang (the `mpi` feature:
# data-parallel training under mpirun), the wasm32 Rust target, Debian's chromium
# and Node (browser tests and the demo server), the pinned npm tools (playwright-core, binaryen,
# and the bundlers of tests/e2e/bundlers), and the pinned Rust tools of the web build — Trunk and
# the wasm-bindgen CLI at the crate's version — compiled from crates.io into $SWD_TOOLS (default
# /var/tmp/swd-tools; nothing is downloaded from GitHub). Safe to re-run: it only installs what
# is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
missing=()
ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 || missing+=(mesa-vulkan-drivers)
ldconfig -p | grep -q libvulkan.so.1 || missing+=(libvulkan1)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v mpicc >/dev/null || missing+=(libopenmpi-dev)
command -v mpirun >/dev/null || missing+=(openmpi-bin)
ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1 || missing+=(libclang-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown
for dir in . tests/e2e/bundlers; do
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json" 2>/dev/null; then
    (cd "$dir" && npm ci --no-audit --no-fund --silent)
  fi
done

TOOLS="${SWD_TOOLS:-/var/tmp/swd-tools}"
TRUNK_VERSION=0.21.14
WB_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p')
if [ "$("$TOOLS/bin/trunk" --version 2>/dev/null | cut -d' ' -f2)" != "$TRUNK_VERSION" ]; then
  echo "setup: installing trunk $TRUNK_VERSION into $TOOLS (once, a few minutes)"
  # Trunk's own release profile is fat LTO with one codegen unit (minutes of single-threaded
  # linking); a tool that only orchestrates builds does not need it.
  env -u CARGO_TARGET_DIR CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install trunk --version "$TRUNK_VERSION" --locked --root "$TOOLS" --quiet
fi
if [ "$("$TOOLS/bin/wasm-bindgen" --version 2>/dev/null | cut -d' ' -f2)" != "$WB_VERSION" ]; then
  echo "setup: installing wasm-bindgen-cli $WB_VERSION into $TOOLS (once, ~4 minutes)"
  # Not --locked: its lockfile pins a crate version the registry mirror may lack.
  env -u CARGO_TARGET_DIR cargo install wasm-bindgen-cli --version "$WB_VERSION" --root "$TOOLS" --quiet
fi
echo "setup: lavapipe, OpenMPI $(mpirun --version 2>/dev/null | head -1 | awk '{print $NF}'), wasm32 target, chromium $(/usr/bin/chromium --version 2>/dev/null | cut -d' ' -f2), node $(node --version), npm tools, trunk $TRUNK_VERSION and wasm-bindgen $WB_VERSION (in $TOOLS/bin) are installed"
