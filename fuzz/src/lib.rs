//! libFuzzer targets for every reader of user files (`fuzz_targets/`, one per reader). What each
//! checks lives in `checks.rs`, which swd-train's `hostile_files` test includes too, so that the
//! regression inputs of `tests/fixtures/fuzz/` replay on stable in CI.

mod checks;

pub use checks::*;
