#!/usr/bin/env bash
# Fuzzes one reader of user files: scripts/fuzz.sh TARGET [SECONDS] (default 300), or
# scripts/fuzz.sh --list. Needs the nightly toolchain and cargo-fuzz (cargo install cargo-fuzz);
# the normal build and tests stay on stable. The corpus grows in fuzz/corpus/TARGET (seeded from
# fuzz/seeds, which `seeds` writes from the shipped files and fixtures); a crash, hang, or
# allocation over the cap (swd_core::limits::read_alloc_cap) lands in fuzz/artifacts/TARGET —
# turn it into a regression test under tests/fixtures/fuzz/ (see the README).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
bin="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release"
targets=$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v -x -e swd-fuzz -e seeds)
if [[ "${1:-}" == "--list" || $# -eq 0 ]]; then
    echo "targets:" $targets
    [[ $# -eq 0 ]] && { echo "usage: scripts/fuzz.sh TARGET [SECONDS]" >&2; exit 2; }
    exit 0
fi
target=$1
seconds=${2:-300}
grep -qx "$target" <<<"$targets" || { echo "unknown target '$target'; targets: $targets" >&2; exit 2; }
# No sanitizer: our readers are safe Rust, so ASan finds nothing the panics do not, at half
# the speed; the coverage instrumentation is what matters.
cargo +nightly fuzz build -s none --fuzz-dir . >&2
"$bin/seeds"
mkdir -p "corpus/$target" "artifacts/$target"
max_len=$(find "seeds/$target" -type f -printf '%s\n' | sort -n | tail -1)
exec "$bin/$target" "corpus/$target" "seeds/$target" \
    -max_total_time="$seconds" -max_len=$((max_len * 2)) -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="artifacts/$target/"
