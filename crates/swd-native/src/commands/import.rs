//! `swd-native import`: a PyTorch state dict into a model folder.

use std::path::PathBuf;

use anyhow::{Context, Result};
use burn::tensor::Device;
use swd_core::weights::StoreDtype;
use swd_core::{ModelConfig, TextTokenizer};
use swd_train::{fsutil, import};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// PyTorch weights.
    #[arg(long)]
    from: PathBuf,
    /// The model's config.json.
    #[arg(long)]
    config: PathBuf,
    #[arg(long)]
    tokenizer: PathBuf,
    /// Output model folder.
    #[arg(long)]
    out: PathBuf,
    /// Keep tensors the file lacks (or whose shape differs) at random init instead of failing.
    #[arg(long)]
    allow_partial: bool,
    /// Precision of the model folder's weights.
    #[arg(long, value_enum, default_value_t = StoreDtype::F32)]
    dtype: StoreDtype,
}

pub fn run(args: Args) -> Result<()> {
    let read = |path: &PathBuf, what: &str| std::fs::read(path).with_context(|| format!("cannot read --{what} {}", path.display()));
    let config = ModelConfig::from_json(&read(&args.config, "config")?)?;
    let tokenizer = TextTokenizer::from_bytes(&read(&args.tokenizer, "tokenizer")?)?;
    let (t2i, report) = import::import(&args.from, config, tokenizer, args.allow_partial, &Device::flex())?;
    println!("applied {} tensors from {}", report.applied, args.from.display());
    if let Some(problems) = report.problems() {
        println!("kept at random init (--allow-partial): {problems}");
    }
    if !report.unexpected.is_empty() {
        println!("ignored {} tensors the model lacks: {}", report.unexpected.len(), report.unexpected.join(", "));
    }
    fsutil::write_model(&args.out, &t2i.to_files(args.dtype)?)?;
    println!("wrote model folder {}", args.out.display());
    Ok(())
}
