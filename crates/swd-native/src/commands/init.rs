//! `swd-native init`: a randomly initialised model folder.

use std::path::Path;

use anyhow::{bail, Context, Result};
use burn::tensor::Device;
use swd_core::model::CONFIG_FILE;
use swd_core::weights::StoreDtype;
use swd_core::{ModelConfig, TextTokenizer, TextToImage};

use crate::cli::Preset;
use swd_train::fsutil;



/// Vocabulary used when no caption file is given.
const DEFAULT_CAPTIONS: &[&str] = &[
    "3d emoji: red apple",
    "flat emoji: red apple",
    "3d emoji: thumbs up, medium skin tone",
    "flat emoji: grinning face with big eyes",
    "3d emoji: cat face",
    "flat emoji: rocket",
];

pub fn run(preset: Preset, out: &Path, captions: Option<&Path>, seed: u64, f16: bool, force: bool) -> Result<()> {
    if out.join(CONFIG_FILE).exists() && !force {
        bail!("{} already holds a model; pass --force to replace it", out.display());
    }
    let captions: Vec<String> = match captions {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read captions file {}", path.display()))?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect(),
        None => DEFAULT_CAPTIONS.iter().map(|s| s.to_string()).collect(),
    };
    if captions.is_empty() {
        bail!("the captions file has no captions");
    }
    let tokenizer = TextTokenizer::build(&captions)?;
    let name = format!("{preset:?}").to_lowercase();
    let config = ModelConfig::preset(&name, tokenizer.vocab_size())?;
    let device = Device::flex();
    device.seed(seed);
    let model = TextToImage::init(config, tokenizer, &device)?;
    let dtype = if f16 { StoreDtype::F16 } else { StoreDtype::F32 };
    fsutil::write_model(out, &model.to_files(dtype)?)?;
    println!(
        "wrote {} model ({} parameters, vocabulary {}) to {}",
        name,
        model.num_params(),
        model.tokenizer.vocab_size(),
        out.display()
    );
    Ok(())
}
