//! The command line: one `clap::Args` struct per command (in `commands/`), and here the groups
//! several commands flatten in, so each option is declared once.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use swd_core::model::CONFIG_FILE;
use swd_core::{ScheduleSpec, limits, schedule};
use swd_train::run::RunOptions;
use swd_train::toml_config::Override;

use crate::commands::{
    bench, data, distill, eval, export, generate, import, info, init, profile, report, train_evalnet, train_teacher, tune,
};
use crate::interrupt;
use crate::ranks::Job;

#[derive(Parser, Debug)]
#[command(
    name = "swd-native",
    version,
    about = "Scale-wise distillation of diffusion models: create, train, distil, sample and measure models"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a randomly initialised model folder (config.json, tokenizer.json, model.safetensors).
    Init(init::Args),
    /// Generate images from a prompt (or a file of prompts) and write them as one PNG grid.
    Generate(generate::Args),
    /// Print a model folder's config, parameter count and size.
    Info(info::Args),
    /// Build the emoji dataset (images, captions, split, tokenizer).
    Data {
        #[command(subcommand)]
        command: data::Command,
    },
    /// Train a rectified-flow teacher on a built dataset.
    TrainTeacher(train_teacher::Args),
    /// Distil a teacher into a few-step student: SwD (swd4, swd6) or the full-resolution DMD2
    /// baseline (full4), same loop and losses.
    Distill(distill::Args),
    /// Train the evaluation network (the emoji classifier whose features FID and
    /// precision/recall use) on a dataset's training split; reports held-out accuracy.
    TrainEvalnet(train_evalnet::Args),
    /// Measure a model under one schedule: FID and precision/recall on the evaluation network's
    /// features against the real images of the same prompts, prompt accuracy and per-prompt
    /// diversity, each with a 95% bootstrap interval.
    Eval(eval::Args),
    /// Time generation per schedule after warm-up (batch-1 latency, batch-N throughput) next to
    /// the teacher's euler:32 with guidance; optionally training steps too.
    Bench(bench::Args),
    /// Count the GPU kernels one teacher step, one swd4 and one full4 distillation step and one
    /// generated image launch (wgpu), with the busiest kernels by count and device time.
    Profile(profile::Args),
    /// Warm this GPU's autotune cache for every shape a run uses (builds with the `gpu`
    /// feature), so later runs start without tuning.
    Tune(tune::Args),
    /// Join `eval --json` and `bench --json` reports into one markdown table, a quality-vs-latency
    /// plot and a side-by-side grid of the runs' samples.
    Report(report::Args),
    /// Copy a model folder with its weights as f16, int8 or f32, or write them in PyTorch's
    /// layout for tools/reference.
    Export(export::Args),
    /// Build a model folder from PyTorch weights (.pt/.pth state dict or .safetensors) with the
    /// reference's parameter names; never executes pickled code.
    Import(import::Args),
}

impl Command {
    /// Runs the command as one rank of `job`: training commands split their batch over the
    /// ranks, the others refuse to run on several.
    pub fn run(self, job: &Job) -> Result<()> {
        let data_parallel = matches!(self, Self::TrainTeacher(_) | Self::Distill(_));
        if job.world.size() > 1 && !data_parallel {
            anyhow::bail!("only train-teacher and distill run on several ranks; run this command without mpirun/srun");
        }
        match self {
            Self::Init(a) => init::run(a),
            Self::Generate(a) => generate::run(a),
            Self::Info(a) => info::run(a),
            Self::Data { command } => data::run(command),
            Self::TrainTeacher(a) => train_teacher::run(a, job),
            Self::Distill(a) => distill::run(a, job),
            Self::TrainEvalnet(a) => train_evalnet::run(a),
            Self::Eval(a) => eval::run(a),
            Self::Bench(a) => bench::run(a),
            Self::Profile(a) => profile::run(a),
            Self::Tune(a) => tune::run(a),
            Self::Report(a) => report::run(a),
            Self::Export(a) => export::run(a),
            Self::Import(a) => import::run(a),
        }
    }
}

/// `--model`: the folder a command reads, the shipped teacher by default.
#[derive(clap::Args, Debug, Clone)]
pub struct ModelArgs {
    /// Model folder (default: models/default, the shipped teacher).
    #[arg(long)]
    pub model: Option<PathBuf>,
}

impl ModelArgs {
    /// `--model`, or the shipped default found from the working directory or the source tree.
    pub fn dir(&self) -> Result<PathBuf> {
        if let Some(dir) = &self.model {
            return Ok(dir.clone());
        }
        let candidates = [PathBuf::from("models/default"), Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/default")];
        candidates
            .into_iter()
            .find(|p| p.join(CONFIG_FILE).is_file())
            .context("no --model given and no default model folder (models/default) was found")
    }
}

/// `--schedule` and `--cfg`: how a model samples.
#[derive(clap::Args, Debug, Clone)]
pub struct SampleArgs {
    #[arg(long, help = schedule_help("the model's own"))]
    pub schedule: Option<ScheduleSpec>,
    /// Classifier-free guidance scale (default: the model's for euler schedules, 1 = off for
    /// few-step schedules, whose students absorbed the guidance).
    #[arg(long, value_parser = guidance)]
    pub cfg: Option<f32>,
}

/// A training run: its data, config, the overrides, and the run folder.
#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Dataset folder from `data build`.
    #[arg(long)]
    pub data: PathBuf,
    /// TOML config: configs/teacher-*.toml, distill-*.toml or evalnet.toml.
    #[arg(long)]
    pub config: PathBuf,
    /// Override one config key, e.g. `--set batch_size=8` (repeatable; the run folder's
    /// config.toml saves the result).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<Override>,
    /// Shorthand for `--set steps=N` (e.g. to extend a run with --resume).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Run folder: config.toml, log.jsonl, samples/, checkpoint/, model/.
    #[arg(long)]
    pub out: PathBuf,
    /// Continue the run in --out from its last checkpoint.
    #[arg(long)]
    pub resume: bool,
}

impl RunArgs {
    /// `--set` then `--steps`, in that order.
    pub fn overrides(&self) -> Vec<Override> {
        let steps = self.steps.map(Override::steps);
        self.set.iter().cloned().chain(steps).collect()
    }

    /// The run folder, with Ctrl-C / SIGTERM wired to stop after the current step, for `job`'s
    /// ranks.
    pub fn options(&self, job: &Job) -> Result<RunOptions> {
        Ok(RunOptions {
            progress: true,
            world: job.world.clone(),
            ..RunOptions::new(self.out.clone(), self.resume, interrupt::stop_flag()?)
        })
    }
}

/// The `--schedule` help: the forms accepted and the default.
pub fn schedule_help(default: &str) -> String {
    format!("Sampling schedule: {} (default: {default})", schedule::syntax())
}

/// `--cfg`: a finite guidance scale ≥ 0.
fn guidance(s: &str) -> Result<f32, String> {
    let value: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    limits::guidance(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bad_values_fail_in_the_parser_naming_the_option() {
        let err = |args: &[&str]| Cli::try_parse_from(args).unwrap_err().to_string();
        let e = err(&["swd-native", "generate", "--prompt", "x", "--out", "x.png", "--schedule", "swd5"]);
        assert!(e.contains("--schedule") && e.contains("invalid schedule 'swd5'") && e.contains("swd4, swd6, full4"), "{e}");
        let e = err(&["swd-native", "generate", "--prompt", "x", "--out", "x.png", "--cfg=-1"]);
        assert!(e.contains("--cfg") && e.contains("finite number ≥ 0"), "{e}");
        let e = err(&["swd-native", "export", "--model", "m", "--out", "o", "--dtype", "f8"]);
        assert!(e.contains("--dtype") && e.contains("f32, f16, int8"), "{e}");
        let e = err(&["swd-native", "distill", "--teacher", "t", "--data", "d", "--config", "c", "--out", "o", "--set", "lr"]);
        assert!(e.contains("--set") && e.contains("KEY=VALUE"), "{e}");
        let e = err(&["swd-native", "generate", "--prompt", "x", "--out", "x.png", "--conv", "gemm"]);
        assert!(e.contains("--conv") && e.contains("'gemm'") && e.contains("direct, im2col"), "{e}");
        let e = err(&["swd-native", "data", "build", "--out", "o", "--styles", "3d,oil"]);
        assert!(e.contains("--styles") && e.contains("3d, flat"), "{e}");
    }

    #[test]
    fn steps_is_the_last_override() {
        let cli = Cli::try_parse_from([
            "swd-native",
            "train-teacher",
            "--config",
            "c.toml",
            "--data",
            "d",
            "--out",
            "o",
            "--set",
            "steps=3",
            "--set",
            "lr=0.1",
            "--steps",
            "9",
        ])
        .unwrap();
        let Command::TrainTeacher(args) = cli.command else { panic!("parsed another command") };
        let keys: Vec<String> = args.run.overrides().iter().map(|o| format!("{}={}", o.key, o.value)).collect();
        assert_eq!(keys, ["steps=3", "lr=0.1", "steps=9"]);
    }
}
