//! One file per subcommand.

mod generate;
mod info;
mod init;

use anyhow::Result;

use crate::cli::{Cli, Command};

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Init { preset, out, captions, seed, f16, force } => init::run(preset, &out, captions.as_deref(), seed, f16, force),
        Command::Generate { model, prompt, schedule, cfg, seed, count, upsample, device, out } => {
            generate::run(generate::Args { model, prompt, schedule, cfg, seed, count, upsample, device, out })
        }
        Command::Info { model } => info::run(model),
    }
}
