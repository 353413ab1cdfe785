#!/usr/bin/env bash
# Installs what building and testing swd needs on a fresh Debian machine: Mesa's lavapipe
# Vulkan driver (burn's wgpu backend without a GPU), the wasm32 Rust target, Debian's chromium
# and Node (browser tests and the demo server), and the pinned npm tools (playwright-core,
# binaryen). Safe to re-run: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
missing=()
ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 || missing+=(mesa-vulkan-drivers)
ldconfig -p | grep -q libvulkan.so.1 || missing+=(libvulkan1)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown
if ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null; then
  npm ci --no-audit --no-fund --silent
fi
echo "setup: lavapipe, wasm32 target, chromium $(/usr/bin/chromium --version 2>/dev/null | cut -d' ' -f2), node $(node --version) and npm tools are installed"
