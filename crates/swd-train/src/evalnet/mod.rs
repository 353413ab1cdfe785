//! The evaluation network (our stand-in for Inception/CLIP): model, labels, augmentations,
//! training, scoring, and the folder it ships in.

mod augment;
mod conv_block;
mod folder;
mod labels;
mod net;
pub mod score;
pub mod train;

pub use augment::Augment;
pub use folder::{fnv1a, EvalNetFolder};
pub use labels::Labels;
pub use net::{EvalNet, EvalNetConfig, Logits};
pub use train::{train, EvalNetTrainConfig, EvalNetTrainOptions};
