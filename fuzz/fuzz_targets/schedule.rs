//! libFuzzer on `swd_fuzz::schedule` (src/checks.rs says what it checks).
#![no_main]
#[global_allocator]
static ALLOC: swd_core::limits::PeakAlloc = swd_core::limits::PeakAlloc;
libfuzzer_sys::fuzz_target!(|data: &[u8]| swd_fuzz::schedule(data));
