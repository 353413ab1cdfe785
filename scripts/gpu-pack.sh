#!/usr/bin/env bash
# Packs what a GPU machine with a size limit on what it receives (a lent machine: 64 MiB for the
# whole working tree) needs to train and benchmark with swd-native, into .gpu/ (git-ignored):
#   .gpu/swd-native.xz        the release binary with the `gpu` feature (SPIR-V, autotune with its
#                             cache on disk), stripped (~20 MB with xz's x86 filter)
#   .gpu/emoji64.tar.xz       a dataset subset, PER_STYLE images per style (default 600 → 1,200),
#                             when it fits beside the rest; else gpu-unpack.sh builds the 28
#                             images of tests/fixtures/emoji-cache there (enough to time steps:
#                             batches are drawn with replacement; not for training)
#   .gpu/debs/                the Vulkan loader and the GL dispatch libraries the NVIDIA Vulkan
#                             driver loads (libGLX_nvidia needs libglvnd's), for machines that
#                             have the driver but not those
# The tracked tree (models/default is the teacher) travels as it is. On the GPU machine run
# `bash scripts/gpu-unpack.sh`, then scripts/gpu-bench.sh or swd-native distill --device wgpu.
set -euo pipefail
cd "$(dirname "$0")/.."
PER_STYLE="${PER_STYLE:-600}"
TARGET="${CARGO_TARGET_DIR:-target}"
LIMIT=$((64 * 1048576))

# The CLI with the GPU's features: burn with `vulkan`, `autotune` and `persistence` (a second
# build of burn beside the test build's, kept in the same target folder).
cargo build --release --locked -p swd-native --features swd-native/gpu
rm -rf .gpu && mkdir -p .gpu/debs
strip -o .gpu/swd-native "$TARGET/release/swd-native"
# The x86 branch filter and a dictionary as large as the binary: ~2% smaller than `xz -9`.
xz -c -T1 --x86 --lzma2=preset=9e,dict=128MiB .gpu/swd-native > .gpu/swd-native.xz
(cd .gpu/debs && apt-get download libvulkan1 libglvnd0 libglx0 libgl1 libegl1 libopengl0 libgles2 >/dev/null)

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
size() { du -cb "$@" | tail -1 | cut -f1; }
tracked=$(git ls-files -z | du -cb --files0-from=- | tail -1 | cut -f1)
fixed=$((tracked + $(size .gpu/swd-native.xz .gpu/debs)))
if [ "$PER_STYLE" -gt 0 ]; then
  .gpu/swd-native data build --out .gpu/data/emoji64 --limit "$PER_STYLE" --no-128
  # The subset's own tokenizer would know only its captions' words; the teacher's knows them
  # all, and training from the teacher (--init, distill) wants the dataset to share it.
  cp models/default/tokenizer.json .gpu/data/emoji64/tokenizer.json
  tar -C .gpu/data -cf - emoji64 | xz -9 -T0 > .gpu/emoji64.tar.xz
  rm -rf .gpu/data
  if [ $((fixed + $(size .gpu/emoji64.tar.xz))) -gt "$LIMIT" ]; then
    echo "gpu-pack: the $((2 * PER_STYLE))-image subset does not fit; gpu-unpack.sh will build the fixture dataset there"
    rm .gpu/emoji64.tar.xz
  fi
fi
rm .gpu/swd-native
total=$((tracked + $(size .gpu)))
echo "tracked files $(mib "$tracked") + .gpu $(mib $((total - tracked))) = $(mib "$total") of $(mib "$LIMIT")"
ls -l .gpu .gpu/debs
if [ "$total" -gt "$LIMIT" ]; then
  echo "gpu-pack: over the limit even without a dataset" >&2
  exit 1
fi
