//! `swd-native init`: a randomly initialised model folder.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use burn::tensor::Device;
use swd_core::model::CONFIG_FILE;
use swd_core::weights::StoreDtype;
use swd_core::{ModelConfig, Preset, TextToImage, TextTokenizer};
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

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, value_enum, default_value_t = Preset::Tiny)]
    preset: Preset,
    /// Output model folder (created; must not exist unless --force).
    #[arg(long)]
    out: PathBuf,
    /// Text file with one caption per line to build the vocabulary from (default: a few
    /// built-in emoji captions).
    #[arg(long)]
    captions: Option<PathBuf>,
    /// Seed of the random initialisation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Precision of the stored weights.
    #[arg(long, value_enum, default_value_t = StoreDtype::F32)]
    dtype: StoreDtype,
    /// Replace an existing folder's files.
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> Result<()> {
    if args.out.join(CONFIG_FILE).exists() && !args.force {
        bail!("{} already holds a model; pass --force to replace it", args.out.display());
    }
    let captions: Vec<String> = match &args.captions {
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
    let config = ModelConfig::preset(args.preset, tokenizer.vocab_size());
    let device = Device::flex();
    device.seed(args.seed);
    let model = TextToImage::init(config, tokenizer, &device)?;
    fsutil::write_model(&args.out, &model.to_files(args.dtype)?)?;
    println!(
        "wrote {} model ({} parameters, vocabulary {}) to {}",
        model.config.preset,
        model.num_params(),
        model.tokenizer.vocab_size(),
        args.out.display()
    );
    Ok(())
}
