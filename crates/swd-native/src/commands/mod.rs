//! One file per subcommand.

mod data;
mod distill;
mod export;
mod generate;
mod info;
mod init;
mod train_teacher;

use anyhow::Result;

use crate::cli::{Cli, Command};

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Init { preset, out, captions, seed, f16, force } => init::run(preset, &out, captions.as_deref(), seed, f16, force),
        Command::Generate { model, prompt, prompts, schedule, cfg, seed, count, upsample, device, warmup, out } => {
            generate::run(generate::Args { model, prompt, prompts, schedule, cfg, seed, count, upsample, device, warmup, out })
        }
        Command::Data { command } => data::run(command),
        Command::TrainTeacher { config, data, out, resume, init, device, steps } => {
            train_teacher::run(train_teacher::Args { config, data, out, resume, init, device, steps })
        }
        Command::Distill { teacher, data, config, schedule, out, resume, device, steps } => {
            distill::run(distill::Args { teacher, data, config, schedule, out, resume, device, steps })
        }
        Command::Export { model, out, dtype } => export::run(&model, &out, &dtype),
        Command::Info { model } => info::run(model),
    }
}
