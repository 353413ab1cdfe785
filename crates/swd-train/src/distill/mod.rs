//! Scale-wise distillation (SwD) and its full-resolution DMD2 baseline: one loop, the
//! schedule decides which. A frozen teacher gives the real score, a fake-score network with a
//! discriminator head (the critic) tracks the student's distribution, and the student is
//! trained with DMD, GAN and patch (MMD) losses on inputs built from real images.

pub mod config;
pub mod critic;
pub mod disc_head;
pub mod inputs;
pub mod losses;
pub mod step;
pub mod train;

pub use config::DistillConfig;
pub use train::{DistillOptions, distill};
