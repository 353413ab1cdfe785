#!/usr/bin/env bash
# On the GPU machine, after scripts/gpu-pack.sh's .gpu/ arrived with the tree: the binary to
# .gpu/bin/swd-native, the dataset to .gpu/data/emoji64, and the Vulkan loader from .gpu/debs when
# the system has none (needs root). scripts/gpu-bench.sh finds all three there by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .gpu/swd-native.xz ] || { echo "gpu-unpack: no .gpu/swd-native.xz (run scripts/gpu-pack.sh where you build)" >&2; exit 2; }
mkdir -p .gpu/bin .gpu/data
xz -dc .gpu/swd-native.xz > .gpu/bin/swd-native
chmod +x .gpu/bin/swd-native
rm -rf .gpu/data/emoji64
xz -dc .gpu/emoji64.tar.xz | tar -C .gpu/data -xf -
if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
  for deb in .gpu/debs/*.deb; do dpkg -x "$deb" /; done
  ldconfig
fi
echo "ready: .gpu/bin/swd-native, .gpu/data/emoji64 ($(wc -l < .gpu/data/emoji64/captions.jsonl) images)"
