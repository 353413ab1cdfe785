#!/usr/bin/env bash
# One GPU benchmark, in one go (under ten minutes on one GPU): the PyTorch reference on the GPU
# (f32 without TF32, and bf16 autocast, warmed up) when python3 has torch and CUDA; then, for each
# swd-native build given, training steps (teacher, one swd4 and one full4 distillation step with
# 5 critic updates, batch 32) and generation (batch 1 and 16: swd4, full4, the teacher's euler:32
# + CFG) on --device wgpu, after `tune` warms the build's autotune cache (its .db comes back),
# then the kernel launches of each workload (`swd-native profile`, builds that have it). Each
# build runs once per convolution algorithm of --conv that it has (`--conv im2col` runs are
# labelled LABEL+im2col). Writes JSON per run and a markdown table to --out. With --budget, every
# stage runs under what is left of it and a stage that fails or runs out is reported and skipped:
# the table then says "—" for what it did not measure.
#
#   scripts/gpu-bench.sh                                   # target/release/swd-native (or .gpu/)
#   scripts/gpu-bench.sh --bin before=/tmp/old --bin after=target/release/swd-native
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
  echo "options: --bin LABEL=PATH (repeatable)  --data DIR  --out DIR (docs/report/gpu)  --batch N (training, 32)"
  echo "         --gen-batch N (16)  --repeats N (10)  --device wgpu|cpu (wgpu; cpu only to try the script)  --no-torch"
  echo "         --teacher DIR (models/default)  --student DIR (models/swd4)  --distill-config F (configs/distill-gpu.toml)"
  echo "         --teacher-config F (configs/teacher-demo.toml): smaller ones to dry-run the script without a GPU"
  echo "         --conv LIST (direct,im2col): swd-native's --conv values to time each build with"
  echo "         --budget SECONDS (none): the whole run's time; --no-profile: leave out the kernel launches"
  echo "         --profile-time: profile also times every kernel (serialised: attribution, not throughput)"
}
bins=() data="" out="docs/report/gpu" batch=32 gen_batch=16 repeats=10 device=wgpu torch=1 convs=direct,im2col
budget=0 profile=1 profile_time=()
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
    --budget) budget="$2"; shift 2 ;;
    --no-profile) profile=0; shift ;;
    --profile-time) profile_time=(--time); shift ;;
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
resolution=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["resolution"])' "$teacher/config.json")

# stage NAME LOG COMMAND…: runs COMMAND, its output shown and kept in LOG; under --budget it
# gets what is left of the budget and is skipped when under a minute is left. A failure is
# reported and the run goes on (set -e does not reach into the function's `||`).
start=$(date +%s) failed=()
stage() {
  local name="$1" log="$2" left=0 rc=0
  shift 2
  if [ "$budget" -gt 0 ]; then
    left=$((budget - ($(date +%s) - start)))
    if [ "$left" -lt 60 ]; then echo "== $name: skipped, ${left} s of the budget left"; failed+=("$name (skipped)"); return 0; fi
  fi
  echo "== $name"
  local t0=$(date +%s)
  if [ "$left" -gt 0 ]; then timeout -k 10 "$left" "$@" 2>&1 | tee "$log" || rc=$?; else "$@" 2>&1 | tee "$log" || rc=$?; fi
  echo "== $name: $(($(date +%s) - t0)) s$([ "$rc" = 0 ] || echo ", failed with status $rc$([ "$rc" = 124 ] && echo ' (out of budget)')")"
  [ "$rc" = 0 ] || failed+=("$name (status $rc)")
}

if [ "$torch" = 1 ] && python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  for precision in f32 bf16; do
    flag=() && [ "$precision" = bf16 ] && flag=(--bf16)
    stage "PyTorch $precision" "$out/torch-$precision.txt" python3 tools/reference/bench.py --model "$student" --device cuda \
      --batch "$gen_batch" --repeats "$repeats" "${flag[@]}" --train --train-batch "$batch" --json "$out/torch-$precision.json"
  done
else
  echo "== PyTorch: skipped (no torch with CUDA here)"
fi

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
    # A build with autotune (the `gpu` feature) first tunes every shape the timings below use
    # (the teacher at its resolution only), so they read tuned kernels; its cache file comes back.
    if [ "$device" = wgpu ] && "$bin" tune --help 2>/dev/null | grep -q -- '--teacher-scales'; then
      stage "burn ($label): tune" "$out/burn-$label-tune.txt" "$bin" tune --device wgpu "${cflag[@]}" --teacher "$teacher" \
        --data "$data" --distill-config "$distill_config" --teacher-config "$teacher_config" --teacher-scales "$resolution" \
        --batch "$batch" --gen-batch "$gen_batch"
      db=$(sed -n 's/^tuning .* into \(.*\.db\)$/\1/p' "$out/burn-$label-tune.txt" 2>/dev/null || true)
      # The database and its write-ahead log, which may hold the latest results.
      for f in "$db" "$db-wal"; do
        if [ -n "$db" ] && [ -f "$f" ]; then cp "$f" "$out/burn-$base-autotune.${f##*.}"; fi
      done
    fi
    stage "burn ($label): training steps at batch $batch" "$out/burn-$label-train.txt" "$bin" bench --device "$device" \
      "${cflag[@]}" --model "$teacher" --skip-teacher --schedules full4 --repeats 1 --batch "$batch" --train --data "$data" \
      --distill-config "$distill_config" --teacher-config "$teacher_config" --cycles 1 --json "$out/burn-$label-train.json"
    stage "burn ($label): generation" "$out/burn-$label-generate.txt" "$bin" bench --device "$device" "${cflag[@]}" \
      --model "$student" --teacher "$teacher" --schedules swd4,full4 --repeats "$repeats" --batch "$gen_batch" \
      --json "$out/burn-$label-generate.json"
    if [ "$profile" = 1 ] && [ "$device" = wgpu ] && "$bin" profile --help >/dev/null 2>&1; then
      stage "burn ($label): kernel launches" "$out/burn-$label-kernels.txt" "$bin" profile --device wgpu "${cflag[@]}" \
        "${profile_time[@]}" --teacher "$teacher" --data "$data" --distill-config "$distill_config" \
        --teacher-config "$teacher_config" --batch "$batch" --json "$out/burn-$label-kernels.json"
    fi
  done
done

python3 tools/gpu-report.py "$out" || echo "gpu-bench: no table (no generation timed)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "gpu-bench: not measured: ${failed[*]}"
fi
echo "gpu-bench: done in $(($(date +%s) - start)) s"
