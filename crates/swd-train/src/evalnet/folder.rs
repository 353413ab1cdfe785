//! An evaluation-network folder: `config.json`, `labels.json`, `weights.safetensors` (f16 when
//! shipped) and `report.json` (how it was trained and how well it classifies held-out images).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use burn::tensor::Device;
use swd_core::weights::{self, StoreDtype};

use super::{EvalNet, EvalNetConfig, Labels};
use crate::fsutil::write_atomic;

pub const CONFIG_FILE: &str = "config.json";
pub const LABELS_FILE: &str = "labels.json";
pub const WEIGHTS_FILE: &str = "weights.safetensors";
pub const REPORT_FILE: &str = "report.json";

pub struct EvalNetFolder {
    pub config: EvalNetConfig,
    pub labels: Labels,
    pub net: EvalNet,
    /// FNV-1a of the weights file: keys caches of features computed with this network.
    pub fingerprint: u64,
}

pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

impl EvalNetFolder {
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        if !dir.is_dir() {
            bail!("evaluation network folder {} does not exist (train one with `swd-native train-evalnet`)", dir.display());
        }
        let read = |name: &str| std::fs::read(dir.join(name)).with_context(|| format!("cannot read {}", dir.join(name).display()));
        let config: EvalNetConfig =
            serde_json::from_slice(&read(CONFIG_FILE)?).with_context(|| format!("invalid {}", dir.join(CONFIG_FILE).display()))?;
        config.validate().map_err(anyhow::Error::msg)?;
        let labels: Labels =
            serde_json::from_slice(&read(LABELS_FILE)?).with_context(|| format!("invalid {}", dir.join(LABELS_FILE).display()))?;
        if labels.classes.len() != config.classes || labels.categories.len() != config.categories {
            bail!(
                "{}: labels.json has {} classes / {} categories, config.json {} / {}",
                dir.display(),
                labels.classes.len(),
                labels.categories.len(),
                config.classes,
                config.categories
            );
        }
        let bytes = read(WEIGHTS_FILE)?;
        let net = weights::load(config.init(device), &bytes).with_context(|| format!("{}", dir.join(WEIGHTS_FILE).display()))?;
        Ok(Self { config, labels, net, fingerprint: fnv1a(&bytes) })
    }

    /// Writes the folder (each file atomically).
    pub fn save(
        dir: &Path,
        config: &EvalNetConfig,
        labels: &Labels,
        net: &EvalNet,
        dtype: StoreDtype,
        report: &serde_json::Value,
    ) -> Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        write_atomic(&dir.join(CONFIG_FILE), &serde_json::to_vec_pretty(config)?)?;
        write_atomic(&dir.join(LABELS_FILE), &serde_json::to_vec(labels)?)?;
        write_atomic(&dir.join(WEIGHTS_FILE), &weights::to_safetensors(net, dtype, HashMap::new())?)?;
        write_atomic(&dir.join(REPORT_FILE), &serde_json::to_vec_pretty(report)?)
    }
}
