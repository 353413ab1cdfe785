#!/usr/bin/env bash
# Packs what a GPU machine with a size limit on what it receives (a lent machine: 64 MiB for the
# whole working tree) needs to train and benchmark with swd-native, into .gpu/ (git-ignored):
#   .gpu/swd-native.xz        the release binary with the `gpu` feature (SPIR-V, autotune with its
#                             cache on disk), stripped (~12 MB)
#   .gpu/emoji64.tar.xz       a dataset subset: PER_STYLE images per style (default 600 → 1,200)
#   .gpu/debs/                the Vulkan loader, for machines that have the NVIDIA driver but none
# The tracked tree (models/default is the teacher) travels as it is. On the GPU machine run
# `bash scripts/gpu-unpack.sh`, then scripts/gpu-bench.sh or swd-native distill --device wgpu.
set -euo pipefail
cd "$(dirname "$0")/.."
PER_STYLE="${PER_STYLE:-600}"
TARGET="${CARGO_TARGET_DIR:-target}"
LIMIT_MIB=64

# The workspace build with the GPU's features: burn with `vulkan`, `autotune` and `persistence`
# (a second build of burn beside the test build's, kept in the same target folder).
cargo build --release --locked --workspace --all-targets --features swd-native/gpu
mkdir -p .gpu/debs
strip -o .gpu/swd-native "$TARGET/release/swd-native"
cp .gpu/swd-native .gpu/swd-native-unpacked
xz -9 -T0 -f .gpu/swd-native

rm -rf .gpu/data
.gpu/swd-native-unpacked data build --out .gpu/data/emoji64 --limit "$PER_STYLE" --no-128
# The subset's own tokenizer would know only its captions' words; the teacher's knows them all, and
# training from the teacher (--init, distill) wants the dataset to share it.
cp models/default/tokenizer.json .gpu/data/emoji64/tokenizer.json
tar -C .gpu/data -cf - emoji64 | xz -9 -T0 > .gpu/emoji64.tar.xz
rm -rf .gpu/data .gpu/swd-native-unpacked

(cd .gpu/debs && rm -f ./*.deb && apt-get download libvulkan1 >/dev/null)

tracked=$(git ls-files -z | du -cb --files0-from=- | tail -1 | cut -f1)
packed=$(du -cb .gpu | tail -1 | cut -f1)
total=$((tracked + packed))
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "tracked files $(mib "$tracked") + .gpu $(mib "$packed") = $(mib "$total") of ${LIMIT_MIB} MiB"
ls -l .gpu .gpu/debs
if [ "$total" -gt $((LIMIT_MIB * 1048576)) ]; then
  echo "gpu-pack: over the ${LIMIT_MIB} MiB limit: lower PER_STYLE" >&2
  exit 1
fi
