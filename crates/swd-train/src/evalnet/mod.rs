//! The evaluation network (our stand-in for Inception/CLIP): model, labels, augmentations,
//! training, scoring, and the folder it ships in.

mod augment;
mod config;
mod conv_block;
mod folder;
mod labels;
mod net;
pub mod score;
pub mod train;

pub use augment::Augment;
pub use config::EvalNetTrainConfig;
pub use folder::{EvalNetFolder, fnv1a};
pub use labels::Labels;
pub use net::{EvalNet, EvalNetConfig, Logits};
pub use train::{EvalNetTrainOptions, EvalNetTrainSummary, train};
