//! `swd-native info`: what a model folder holds.

use anyhow::Result;
use burn::module::Module;
use burn::tensor::Device;
use swd_core::{TextToImage, weights};
use swd_train::fsutil;

use crate::cli::ModelArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    model: ModelArgs,
}

pub fn run(args: Args) -> Result<()> {
    let dir = args.model.dir()?;
    let files = fsutil::read_model(&dir)?;
    let t2i = TextToImage::from_files(&files, &Device::flex())?;
    let dtypes: std::collections::BTreeSet<String> =
        weights::parse(&files.weights)?.tensors().iter().map(|(_, v)| format!("{:?}", v.dtype())).collect();
    let schedule = t2i.schedule(None)?;
    println!("model folder: {}", dir.display());
    println!("preset:       {}", t2i.config.preset);
    println!(
        "parameters:   {} (text encoder {}, unet {})",
        t2i.num_params(),
        t2i.model.text_encoder.num_params(),
        t2i.model.unet.num_params()
    );
    println!("weights:      {} bytes ({})", files.weights.len(), dtypes.into_iter().collect::<Vec<_>>().join(", "));
    println!("vocabulary:   {} tokens, {} per prompt", t2i.tokenizer.vocab_size(), t2i.config.text.max_tokens);
    println!(
        "schedule:     {} ({} steps, {:.2} full-resolution steps of pixels)",
        t2i.config.default_schedule,
        schedule.steps(),
        schedule.pixel_cost()
    );
    println!("config:\n{}", t2i.config.to_json());
    Ok(())
}
