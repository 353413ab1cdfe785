//! `configs/teacher-<preset>.toml`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use swd_core::{Preset, ScheduleSpec, limits};

use crate::run::{Cadence, Cadenced};
use crate::toml_config::{self, Override, RunConfig};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeacherConfig {
    /// Model preset (tiny, small, demo) for a new run.
    pub preset: Preset,
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
    /// Sampling of the progress grids (`euler:N` runs at the dataset's size).
    pub sample_schedule: String,
    pub sample_cfg: f32,
    /// Number of fixed prompts in the grids (taken from the training captions).
    pub sample_prompts: usize,
    pub seed: u64,
}

impl TeacherConfig {
    pub fn load(path: &Path, overrides: &[Override]) -> Result<Self> {
        toml_config::load(path, overrides)
    }

    pub fn sample_schedule(&self) -> Result<ScheduleSpec> {
        self.sample_schedule.parse().context("sample_schedule")
    }
}

impl RunConfig for TeacherConfig {
    fn validate(&self) -> Result<()> {
        self.cadence().validate()?;
        for (name, n) in [("batch_size", self.batch_size), ("sample_prompts", self.sample_prompts)] {
            limits::batch(n).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        }
        if !(self.lr > 0.0 && self.lr <= 1.0) {
            bail!("lr must be in (0, 1]");
        }
        if !(0.0..1.0).contains(&self.ema_decay) || !(0.0..1.0).contains(&self.caption_dropout) {
            bail!("ema_decay and caption_dropout must be in [0, 1)");
        }
        if self.scales.is_empty() {
            bail!("scales must not be empty");
        }
        if let Some(reason) = self.scales.iter().find_map(|&s| limits::side(s).err()) {
            bail!("scales: {reason}");
        }
        self.sample_schedule()?;
        Ok(())
    }
}

impl Cadenced for TeacherConfig {
    fn cadence(&self) -> Cadence {
        Cadence::sampled(self.steps, self.log_every, self.sample_every, self.checkpoint_every)
    }
}
