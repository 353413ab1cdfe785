//! `configs/evalnet.toml`: how the evaluation network trains.

use std::path::Path;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::run::{Cadence, Cadenced};
use crate::toml_config::{self, Override, RunConfig};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalNetTrainConfig {
    pub steps: usize,
    pub batch_size: usize,
    /// Peak learning rate (AdamW, linear warm-up then cosine to `min_lr`).
    pub lr: f64,
    pub min_lr: f64,
    pub warmup_steps: usize,
    pub weight_decay: f32,
    /// Weight of the category loss next to the class loss.
    pub category_weight: f32,
    pub label_smoothing: f32,
    pub seed: u64,
    pub log_every: usize,
    pub checkpoint_every: usize,
    /// Augmented copies of each held-out image in the reported accuracy.
    pub eval_copies: usize,
}

impl EvalNetTrainConfig {
    pub fn load(path: &Path, overrides: &[Override]) -> Result<Self> {
        toml_config::load(path, overrides)
    }
}

impl RunConfig for EvalNetTrainConfig {
    fn validate(&self) -> Result<()> {
        self.cadence().validate()?;
        swd_core::limits::batch(self.batch_size).map_err(|e| anyhow::anyhow!("batch_size: {e}"))?;
        if self.warmup_steps > self.steps {
            bail!("warmup_steps must be ≤ steps");
        }
        if !(self.lr > 0.0 && self.lr <= 1.0) || !(0.0..=self.lr).contains(&self.min_lr) {
            bail!("lr must be in (0, 1] and min_lr in [0, lr]");
        }
        Ok(())
    }
}

impl Cadenced for EvalNetTrainConfig {
    fn cadence(&self) -> Cadence {
        Cadence { steps: self.steps, log_every: self.log_every, sample_every: None, checkpoint_every: self.checkpoint_every }
    }
}
