//! `swd-native import`: a PyTorch state dict into a model folder.

use std::path::Path;

use anyhow::{Context, Result};
use burn::tensor::Device;
use swd_core::weights::StoreDtype;
use swd_core::{ModelConfig, TextTokenizer};
use swd_train::{fsutil, import};

pub fn run(from: &Path, config: &Path, tokenizer: &Path, out: &Path, allow_partial: bool, dtype: &str) -> Result<()> {
    let dtype: StoreDtype = dtype.parse()?;
    let config = ModelConfig::from_json(&std::fs::read(config).with_context(|| format!("cannot read --config {}", config.display()))?)?;
    let tokenizer = TextTokenizer::from_bytes(&std::fs::read(tokenizer).with_context(|| format!("cannot read --tokenizer {}", tokenizer.display()))?)?;
    let (t2i, report) = import::import(from, config, tokenizer, allow_partial, &Device::flex())?;
    println!("applied {} tensors from {}", report.applied, from.display());
    if let Some(problems) = report.problems() {
        println!("kept at random init (--allow-partial): {problems}");
    }
    if !report.unexpected.is_empty() {
        println!("ignored {} tensors the model lacks: {}", report.unexpected.len(), report.unexpected.join(", "));
    }
    fsutil::write_model(out, &t2i.to_files(dtype)?)?;
    println!("wrote model folder {}", out.display());
    Ok(())
}
