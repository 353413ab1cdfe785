//! swd in the browser: the same model, tokenizer, schedules and sampler as `swd-native`
//! (all from `swd-core`), driven from JavaScript through wasm-bindgen.
//!
//! `Generator.load({config, tokenizer, weights, backend, onProgress})` opens burn's WebGPU
//! device (or its CPU backend) and warms up; `generator.generate(prompt, {seed, schedule, cfg,
//! onStep})` resolves to an RGBA image with per-step timings, calling `onStep` with each
//! scale's preview as it is produced. Only asynchronous read-backs are used.

mod backend;
mod generator;
mod js;
pub mod options;
mod panic;
mod prompts;

pub use generator::Generator;

/// The message of the Rust panic that killed this module instance, if one did (a panic traps
/// the call that hit it; the JS wrapper turns that into a rejected promise with this text).
#[wasm_bindgen::prelude::wasm_bindgen(js_name = lastPanic)]
pub fn last_panic() -> Option<String> {
    panic::crashed()
}

/// Runs when the module is instantiated.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    panic::install();
}
