#!/usr/bin/env bash
# One GPU benchmark, in one go (under ten minutes on one GPU): for each swd-native build given,
# generation (batch 1 and 16: swd4, full4, the teacher's euler:32 + CFG) and training steps
# (teacher, one swd4 and one full4 distillation step with 5 critic updates, batch 32), both on
# --device wgpu; then the PyTorch reference on the same GPU (f32 without TF32, and bf16 autocast,
# warmed up) when python3 has torch and CUDA; and the kernel launches of each workload
# (`swd-native profile`, builds that have it). Each build runs once per convolution algorithm of
# --conv that it has (`--conv im2col` runs are labelled LABEL+im2col). Writes JSON per run and a
# markdown table to --out.
#
#   scripts/gpu-bench.sh                                   # target/release/swd-native (or .gpu/)
#   scripts/gpu-bench.sh --bin before=/tmp/old --bin after=target/release/swd-native
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  echo "options: --bin LABEL=PATH (repeatable)  --data DIR  --out DIR (docs/report/gpu)  --batch N (training, 32)"
  echo "         --gen-batch N (16)  --repeats N (10)  --device wgpu|cpu (wgpu; cpu only to try the script)  --no-torch"
  echo "         --teacher DIR (models/default)  --student DIR (models/swd4)  --distill-config F (configs/distill-gpu.toml)"
  echo "         --teacher-config F (configs/teacher-demo.toml): smaller ones to dry-run the script without a GPU"
  echo "         --conv LIST (direct,im2col): swd-native's --conv values to time each build with"
}
bins=() data="" out="docs/report/gpu" batch=32 gen_batch=16 repeats=10 device=wgpu torch=1 convs=direct,im2col
teacher=models/default student=models/swd4 distill_config=configs/distill-gpu.toml teacher_config=configs/teacher-demo.toml
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bins+=("$2"); shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --gen-batch) gen_batch="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --device) device="$2"; shift 2 ;;
    --no-torch) torch=0; shift ;;
    --teacher) teacher="$2"; shift 2 ;;
    --student) student="$2"; shift 2 ;;
    --distill-config) distill_config="$2"; shift 2 ;;
    --teacher-config) teacher_config="$2"; shift 2 ;;
    --conv) convs="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu-bench: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
# Defaults: the binary and data that scripts/gpu-pack.sh ships, else a local build and dataset.
if [ ${#bins[@]} -eq 0 ]; then
  if [ -x .gpu/bin/swd-native ]; then bins=("burn=.gpu/bin/swd-native"); else bins=("burn=${CARGO_TARGET_DIR:-target}/release/swd-native"); fi
fi
if [ -z "$data" ]; then
  if [ -d .gpu/data/emoji64 ]; then data=.gpu/data/emoji64; else data=data/emoji64; fi
fi
[ -f "$data/images.safetensors" ] || { echo "gpu-bench: no dataset at $data (swd-native data build --out $data, or scripts/gpu-pack.sh)" >&2; exit 2; }
# The NVIDIA Vulkan driver where the loader does not find it by itself (containers).
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nvidia_icd" ]; then export VK_DRIVER_FILES="$nvidia_icd"; fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"

for spec in "${bins[@]}"; do
  base="${spec%%=*}" bin="${spec#*=}"
  [ "$base" != "$spec" ] || { echo "gpu-bench: --bin wants LABEL=PATH, got '$spec'" >&2; exit 2; }
  [ -x "$bin" ] || { echo "gpu-bench: $bin is not an executable swd-native" >&2; exit 2; }
  for conv in ${convs//,/ }; do
    # A build from before `--conv` has burn's direct convolutions only.
    if "$bin" generate --help 2>/dev/null | grep -q -- '--conv'; then
      cflag=(--conv "$conv")
    elif [ "$conv" = direct ]; then
      cflag=()
    else
      echo "== burn ($base): no --conv in this build, $conv skipped"; continue
    fi
    label="$base" && [ "$conv" = direct ] || label="$base+$conv"
    # A build with autotune (the `gpu` feature) first tunes every shape once, so the timings below
    # read tuned kernels; its cache file comes back with the results.
    if [ "$device" = wgpu ] && "$bin" tune --help >/dev/null 2>&1 \
      && "$bin" tune --device wgpu "${cflag[@]}" --teacher "$teacher" --data "$data" --distill-config "$distill_config" \
           --teacher-config "$teacher_config" --batch "$batch" --gen-batch "$gen_batch" 2>&1 | tee "$out/burn-$label-tune.txt"; then
      db=$(sed -n 's/^tuning .* into \(.*\.db\)$/\1/p' "$out/burn-$label-tune.txt")
      [ -f "$db" ] && cp "$db" "$out/burn-$base-autotune.db"
    fi
    echo "== burn ($label): generation"
    "$bin" bench --device "$device" "${cflag[@]}" --model "$student" --teacher "$teacher" --schedules swd4,full4 \
      --repeats "$repeats" --batch "$gen_batch" --json "$out/burn-$label-generate.json"
    echo "== burn ($label): training steps at batch $batch"
    "$bin" bench --device "$device" "${cflag[@]}" --model "$teacher" --skip-teacher --schedules full4 --repeats 1 \
      --batch "$batch" --train --data "$data" --distill-config "$distill_config" \
      --teacher-config "$teacher_config" --cycles 1 --json "$out/burn-$label-train.json"
    if [ "$device" = wgpu ] && "$bin" profile --help >/dev/null 2>&1; then
      echo "== burn ($label): kernel launches"
      "$bin" profile --device wgpu "${cflag[@]}" --teacher "$teacher" --data "$data" --distill-config "$distill_config" \
        --teacher-config "$teacher_config" --batch "$batch" --json "$out/burn-$label-kernels.json"
    fi
  done
done

if [ "$torch" = 1 ] && python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  for precision in f32 bf16; do
    echo "== PyTorch $precision"
    flag=() && [ "$precision" = bf16 ] && flag=(--bf16)
    (cd tools/reference && python3 bench.py --model ../../models/swd4 --device cuda --batch "$gen_batch" --repeats "$repeats" "${flag[@]}" \
      --train --train-batch "$batch" --json "$out/torch-$precision.json")
  done
else
  echo "== PyTorch: skipped (no torch with CUDA here)"
fi
python3 tools/gpu-report.py "$out"
