//! `swd-native data build`.

use std::path::PathBuf;

use anyhow::Result;
use swd_train::data::build::{BuildOptions, Style, build};

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Fetch the sources (npm pack, cached) and write DIR/images.safetensors, captions.jsonl,
    /// manifest.json and tokenizer.json.
    Build(BuildArgs),
}

#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    #[arg(long)]
    out: PathBuf,
    /// Image side (must divide 256).
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Styles: 3d (Fluent Emoji 3D) and/or flat (Twemoji).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "3d,flat")]
    styles: Vec<Style>,
    /// Folder for the npm tarballs (or unpacked packages).
    #[arg(long, default_value = "data/cache")]
    cache: PathBuf,
    /// At most N images per style.
    #[arg(long)]
    limit: Option<usize>,
    /// Do not write the 128x128 copy.
    #[arg(long)]
    no_128: bool,
}

pub fn run(command: Command) -> Result<()> {
    let Command::Build(args) = command;
    let opts = BuildOptions {
        out: args.out.clone(),
        cache: args.cache,
        size: args.size,
        styles: args.styles,
        limit: args.limit,
        keep_128: !args.no_128,
    };
    let report = build(&opts)?;
    for (style, c) in &report.styles {
        println!(
            "{style:>4}: {} files, {} matched emoji.json, {} unmatched, {} failed to render, {} images",
            c.files, c.matched, c.unmatched, c.failed, c.images
        );
    }
    println!(
        "wrote {} images at {}² to {} ({} train, {} held out)",
        report.images,
        report.size,
        args.out.display(),
        report.train,
        report.heldout
    );
    Ok(())
}
