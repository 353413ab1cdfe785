#!/usr/bin/env bash
# On the GPU machine, after scripts/gpu-pack.sh's .gpu/ arrived with the tree: the binary to
# .gpu/bin/swd-native, the dataset to .gpu/data/emoji64 (the packed subset, or else the fixture
# images built here), and the Vulkan loader and GL dispatch libraries from .gpu/debs when the
# system lacks them (needs root; without libglvnd the NVIDIA driver's Vulkan ICD finds no adapter).
# scripts/gpu-bench.sh finds all three there by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .gpu/swd-native.xz ] || { echo "gpu-unpack: no .gpu/swd-native.xz (run scripts/gpu-pack.sh where you build)" >&2; exit 2; }
mkdir -p .gpu/bin .gpu/data
xz -dc .gpu/swd-native.xz > .gpu/bin/swd-native
chmod +x .gpu/bin/swd-native
rm -rf .gpu/data/emoji64
if [ -f .gpu/emoji64.tar.xz ]; then
  xz -dc .gpu/emoji64.tar.xz | tar -C .gpu/data -xf -
else
  .gpu/bin/swd-native data build --out .gpu/data/emoji64 --cache tests/fixtures/emoji-cache --size 64 --no-128 >/dev/null
  cp models/default/tokenizer.json .gpu/data/emoji64/tokenizer.json
fi
if ! ldconfig -p | grep -q 'libvulkan.so.1' || ! ldconfig -p | grep -q 'libGLdispatch.so.0'; then
  for deb in .gpu/debs/*.deb; do dpkg -x "$deb" /; done
  ldconfig
fi
echo "ready: .gpu/bin/swd-native, .gpu/data/emoji64 ($(wc -l < .gpu/data/emoji64/captions.jsonl) images)"
