//! One file per subcommand.

mod bench;
mod data;
mod distill;
mod export;
mod generate;
mod import;
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
        Command::Export { model, out, dtype, format } => export::run(&model, &out, &dtype, &format),
        Command::Import { from, config, tokenizer, out, allow_partial, dtype } => import::run(&from, &config, &tokenizer, &out, allow_partial, &dtype),
        Command::Bench { model, teacher, schedules, device, repeats, batch, json } => {
            bench::run(bench::Args { model, teacher, schedules, device, repeats, batch, json })
        }
        Command::Info { model } => info::run(model),
    }
}
