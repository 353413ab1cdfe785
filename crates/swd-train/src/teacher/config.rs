//! `configs/teacher-<preset>.toml`.

use std::path::Path;

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use swd_core::ScaleSchedule;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeacherConfig {
    /// Model preset (tiny, small, demo) for a new run.
    pub preset: String,
    pub steps: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub warmup_steps: usize,
    pub weight_decay: f32,
    /// Gradient-norm clipping.
    pub grad_clip: f32,
    pub ema_decay: f32,
    /// Probability of training on the empty prompt (for CFG).
    pub caption_dropout: f64,
    /// Training sides; each batch picks one and area-downsamples the images to it.
    pub scales: Vec<usize>,
    /// Logit-normal σ density.
    pub sigma_mean: f32,
    pub sigma_std: f32,
    pub log_every: usize,
    pub sample_every: usize,
    pub checkpoint_every: usize,
    /// Sampling of the progress grids.
    pub sample_schedule: String,
    pub sample_cfg: f32,
    /// Number of fixed prompts in the grids (taken from the training captions).
    pub sample_prompts: usize,
    pub seed: u64,
}

impl TeacherConfig {
    pub fn load(path: &Path) -> Result<Self> {
        crate::toml_config::load(path, Self::validate)
    }

    pub fn to_toml(&self) -> String {
        crate::toml_config::to_toml(self)
    }

    pub fn validate(&self) -> Result<()> {
        swd_core::ModelConfig::preset(&self.preset, 16)?;
        if self.steps == 0 || self.batch_size == 0 {
            bail!("steps and batch_size must be > 0");
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            bail!("lr must be a positive number");
        }
        if !(0.0..1.0).contains(&self.ema_decay) || !(0.0..1.0).contains(&self.caption_dropout) {
            bail!("ema_decay and caption_dropout must be in [0, 1)");
        }
        if self.scales.is_empty() {
            bail!("scales must not be empty");
        }
        if let Some(s) = self.scales.iter().find(|&&s| s % 8 != 0 || !(16..=128).contains(&s)) {
            bail!("scale {s} must be a multiple of 8 in 16..=128");
        }
        if self.log_every == 0 || self.sample_every == 0 || self.checkpoint_every == 0 {
            bail!("log_every, sample_every and checkpoint_every must be > 0");
        }
        ScaleSchedule::parse(&self.sample_schedule)?;
        Ok(())
    }
}
