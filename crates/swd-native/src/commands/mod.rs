//! One file per subcommand.

mod bench;
mod bench_train;
mod data;
mod distill;
mod eval;
mod export;
mod generate;
mod import;
mod info;
mod init;
mod train_evalnet;
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
        Command::TrainEvalnet { data, out, steps, batch, lr, seed, resume, device } => {
            train_evalnet::run(train_evalnet::Args { data, out, steps, batch, lr, seed, resume, device })
        }
        Command::Eval { model, schedule, cfg, data, evalnet, n, seed, batch, k, bootstrap, json, samples, device } => {
            eval::run(eval::Args { model, schedule, cfg, data, evalnet, n, seed, batch, k, bootstrap, json, samples, device })
        }
        Command::Export { model, out, dtype, format } => export::run(&model, &out, &dtype, &format),
        Command::Import { from, config, tokenizer, out, allow_partial, dtype } => import::run(&from, &config, &tokenizer, &out, allow_partial, &dtype),
        Command::Bench { model, teacher, skip_teacher, schedules, device, repeats, batch, json, train, data, distill_config, teacher_config, cycles } => {
            let train = match (train, data) {
                (true, Some(data)) => Some(bench::TrainBench { data, distill_config, teacher_config, cycles }),
                (true, None) => anyhow::bail!("--train needs --data DIR (real images for the training loops)"),
                (false, _) => None,
            };
            bench::run(bench::Args { model, teacher, skip_teacher, schedules, device, repeats, batch, json, train })
        }
        Command::Report { runs, out } => crate::report::run(&runs, &out),
        Command::Info { model } => info::run(model),
    }
}
