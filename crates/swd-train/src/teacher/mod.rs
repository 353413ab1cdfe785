//! Teacher training: rectified flow on every scale the students visit, with caption dropout
//! for classifier-free guidance, AdamW, EMA, checkpoints, logs and sample grids.

pub mod config;
pub mod train;

pub use config::TeacherConfig;
pub use train::{TrainOptions, train};
