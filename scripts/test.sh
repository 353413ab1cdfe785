#!/usr/bin/env bash
# Every test: the house format (rustfmt.toml), the Rust workspace (unit, integration, CLI), then
# the browser side is built and tested in headless Chromium (tests/e2e: WebGPU and CPU fallback,
# parity with native, npm pack, bundlers, and the README's main command in a fresh clone).
# Screenshots and browser timings land in target-e2e/ (or $E2E_ARTIFACTS).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo fmt --all --check
# `mpi`: data-parallel training, tested under mpirun (tests/data_parallel.rs).
cargo test --release --locked --workspace --features swd-native/mpi
bash scripts/build-web.sh
node --test --test-concurrency=1 tests/e2e/
echo "test: all Rust and browser tests passed; artefacts in ${E2E_ARTIFACTS:-target-e2e}"
