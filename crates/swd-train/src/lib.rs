//! SwD training, native only: the emoji dataset pipeline, teacher training, checkpoints and
//! run folders. Model and schedule code lives in `swd-core`.

pub mod checkpoint;
pub mod data;
pub mod distill;
pub mod ema;
pub mod eval;
pub mod evalnet;
pub mod fsutil;
pub mod image_io;
pub mod import;
pub mod lr;
pub mod optim;
pub mod pack;
pub mod parallel;
pub mod param_ids;
pub mod run;
pub mod teacher;
pub mod toml_config;
