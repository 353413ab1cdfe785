//! `configs/distill-<preset>.toml`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use swd_core::{SamplerKind, ScaleSchedule, ScheduleSpec, limits};

use super::losses::{PatchKernel, PatchPooling};
use crate::run::{Cadence, Cadenced};
use crate::toml_config::{self, Override, RunConfig};

/// Order in which the generator visits the schedule's scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScaleOrder {
    /// Step i trains scale index i mod N (the authors' choice).
    Cyclic,
    Random,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistillConfig {
    /// The student's schedule (a preset or swd:…); `--schedule` overrides it.
    pub schedule: String,
    pub steps: usize,
    pub batch_size: usize,
    /// Generator (student) learning rate.
    pub lr: f64,
    /// Critic (fake score + discriminator head) learning rate.
    pub lr_fake: f64,
    pub beta1: f32,
    pub beta2: f32,
    pub weight_decay: f32,
    /// Gradient-norm clipping, both optimisers.
    pub grad_clip: f32,
    /// LoRA rank of the student's attention/MLP adapters; 0 = full fine-tuning.
    #[serde(default)]
    pub lora_rank: usize,
    /// LoRA scale numerator (update scale = alpha / rank).
    #[serde(default)]
    pub lora_alpha: f32,
    /// Critic updates per generator update (two-time-scale rule).
    pub fake_updates_per_step: usize,
    pub scale_order: ScaleOrder,
    /// Inputs from the student's own samples of the previous steps instead of down-up real images.
    pub backward_simulation: bool,
    pub w_dmd: f32,
    pub w_gan: f32,
    pub w_patch: f32,
    /// Weight of the discriminator loss in the critic's loss.
    pub w_fake_disc: f32,
    /// Teacher guidance in the DMD target (empty prompt as negative).
    pub teacher_cfg: f32,
    /// σ ranges `[lo, hi]` of the DMD noise, the patch-loss noise and the critic's diffusion loss.
    pub dmd_sigma: [f32; 2],
    pub patch_sigma: [f32; 2],
    pub fake_sigma: [f32; 2],
    pub patch_kernel: PatchKernel,
    pub patch_pooling: PatchPooling,
    /// Pseudo-Huber constant of the linear-kernel patch loss.
    pub patch_huber_c: f32,
    /// Bandwidth of the RBF patch kernel.
    pub patch_rbf_bandwidth: f32,
    pub log_every: usize,
    pub sample_every: usize,
    pub checkpoint_every: usize,
    pub sample_prompts: usize,
    pub seed: u64,
}

impl DistillConfig {
    pub fn load(path: &Path, overrides: &[Override]) -> Result<Self> {
        toml_config::load(path, overrides)
    }

    /// The student's schedule: a few-step one, complete (no `euler:N`).
    pub fn parsed_schedule(&self) -> Result<ScaleSchedule> {
        let spec: ScheduleSpec = self.schedule.parse().context("schedule")?;
        match spec {
            ScheduleSpec::Fixed(schedule) if schedule.kind == SamplerKind::FewStep => Ok(schedule),
            _ => bail!(
                "schedule '{}' is an Euler schedule; distil into a few-step one ({} or swd:…)",
                self.schedule,
                swd_core::schedule::preset_names()
            ),
        }
    }
}

impl RunConfig for DistillConfig {
    fn validate(&self) -> Result<()> {
        self.cadence().validate()?;
        self.parsed_schedule()?;
        for (name, n) in [("batch_size", self.batch_size), ("sample_prompts", self.sample_prompts)] {
            limits::batch(n).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        }
        if self.lora_rank > limits::MAX_CHANNELS {
            bail!("lora_rank must be at most {}", limits::MAX_CHANNELS);
        }
        for (name, lr) in [("lr", self.lr), ("lr_fake", self.lr_fake)] {
            if !(lr > 0.0 && lr.is_finite()) {
                bail!("{name} must be a positive number");
            }
        }
        for (name, [lo, hi]) in [("dmd_sigma", self.dmd_sigma), ("patch_sigma", self.patch_sigma), ("fake_sigma", self.fake_sigma)] {
            if !(0.0 < lo && lo <= hi && hi < 1.0) {
                bail!("{name} must be [lo, hi] with 0 < lo ≤ hi < 1, got [{lo}, {hi}]");
            }
        }
        let weights = [self.w_dmd, self.w_gan, self.w_patch, self.w_fake_disc, self.teacher_cfg];
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            bail!("loss weights and teacher_cfg must be finite and ≥ 0");
        }
        if self.w_dmd + self.w_gan + self.w_patch == 0.0 {
            bail!("every generator loss weight is 0: nothing to train");
        }
        if self.lora_rank > 0 && !(self.lora_alpha > 0.0 && self.lora_alpha.is_finite()) {
            bail!("lora_alpha must be a positive number when lora_rank > 0");
        }
        Ok(())
    }
}

impl Cadenced for DistillConfig {
    fn cadence(&self) -> Cadence {
        Cadence::sampled(self.steps, self.log_every, self.sample_every, self.checkpoint_every)
    }
}
