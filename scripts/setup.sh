#!/usr/bin/env bash
# Installs what building and testing swd needs on a fresh Debian machine: Mesa's lavapipe
# Vulkan driver (burn's wgpu backend without a GPU) and the wasm32 Rust target.
set -euo pipefail
if ! ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 || ! ldconfig -p | grep -q libvulkan.so.1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >/dev/null
fi
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown
echo "setup: lavapipe Vulkan driver and wasm32 target are installed"
