//! SwD core: everything the native CLI and the browser share.
//!
//! No file system, no threads: models, tokenizers and weights come in and go out as bytes, so
//! the wasm crate uses this crate unchanged.

pub mod config;
pub mod error;
pub mod flow;
pub mod limits;
pub mod model;
pub mod nn;
pub mod noise;
pub mod ops;
pub mod pixels;
pub mod quant;
pub mod resize;
pub mod sampler;
pub mod schedule;
pub mod tokenizer;
pub mod weights;

pub use burn;
pub use config::{ModelConfig, Preset, TextEncoderConfig, UNetConfig};
pub use error::{Error, Result};
pub use model::{ModelFiles, SwdModel, TextToImage};
pub use sampler::{Denoiser, Sampler, Step};
pub use schedule::{PRESETS, SamplerKind, ScaleSchedule, SchedulePreset, ScheduleSpec};
pub use tokenizer::TextTokenizer;
