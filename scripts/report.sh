#!/usr/bin/env bash
# The project's Table 1: evaluates the shipped teacher and students, times them on the CPU and
# on wgpu (lavapipe without a GPU), and assembles docs/report/report.md with its plot and grid.
#   N=200 images per evaluation (2000 is the eval default; the teacher's euler:32 + CFG costs
#   ~9 s an image on one core, so its evaluation alone takes ~40 min; burn's flex uses one core)
#   DATA=data/emoji64 (build it with `swd-native data build --out data/emoji64`)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-200}"
DATA="${DATA:-data/emoji64}"
OUT="${OUT:-docs/report}"
BIN=target/release/swd-native
cargo build --release --locked -p swd-native
mkdir -p "$OUT/runs"
eval_run() { # name model schedule
  $BIN eval --model "$2" --schedule "$3" --data "$DATA" --n "$N" --json "$OUT/runs/$1.json"
}
eval_run 1-teacher-euler32 models/default euler:32
eval_run 2-full4-student models/full4 full4
eval_run 3-swd4-student models/swd4 swd4
eval_run 4-swd4-student-swd6 models/swd4 swd6
$BIN bench --model models/swd4 --teacher models/default --device cpu --repeats 5 --batch 4 --json "$OUT/runs/bench-cpu.json" --train --data "$DATA"
$BIN bench --model models/swd4 --skip-teacher --device wgpu --repeats 3 --batch 2 --json "$OUT/runs/bench-wgpu.json"
$BIN report --runs "$OUT/runs" --out "$OUT/report.md"
