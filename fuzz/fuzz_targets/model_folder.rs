//! libFuzzer on `swd_fuzz::model_folder` (src/checks.rs says what it checks).
#![no_main]
#[global_allocator]
static ALLOC: swd_core::limits::PeakAlloc = swd_core::limits::PeakAlloc;
libfuzzer_sys::fuzz_target!(|data: &[u8]| swd_fuzz::model_folder(data));
