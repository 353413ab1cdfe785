//! `swd-native bench --train`: seconds per training step, measured by running the real loops
//! for a few steps in a scratch folder — one SwD distillation step vs one full-resolution DMD2
//! step (same batch, same config, whole schedule cycles), and one full-resolution teacher step.
//! What compiles kernels is left out of the timing: a distillation run's first schedule cycle
//! (each scale's first step compiles that scale's kernels: 12, 4.6, 1.9 and 4.8 s against 1.0–2.8 s
//! a step afterwards on an H200), and a teacher run's first step.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use burn::tensor::Device;
use serde::Serialize;
use swd_core::ScaleSchedule;
use swd_train::distill::{DistillConfig, DistillOptions, distill};
use swd_train::run::{LOG_FILE, RunOptions};
use swd_train::teacher::{TeacherConfig, TrainOptions, train};
use swd_train::toml_config::Override;

/// The schedules whose distillation steps are compared: SwD against the full-resolution baseline.
pub const DISTILL_SCHEDULES: [&str; 2] = ["swd4", "full4"];

#[derive(clap::Args, Debug)]
pub struct TrainBenchArgs {
    /// Also time training steps: one SwD (swd4) distillation step vs one full-resolution DMD2
    /// (full4) step at --batch, and one full-resolution teacher step (runs the real loops for a
    /// few steps in a scratch folder).
    #[arg(long, requires = "data")]
    pub train: bool,
    /// Dataset folder for --train.
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(long, default_value = "configs/distill-demo.toml")]
    pub distill_config: PathBuf,
    #[arg(long, default_value = "configs/teacher-demo.toml")]
    pub teacher_config: PathBuf,
    /// Timed schedule cycles of each distillation run (4 steps a cycle), after one untimed.
    #[arg(long, default_value_t = 1)]
    pub cycles: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrainRow {
    pub name: String,
    pub batch: usize,
    pub steps_timed: usize,
    pub s_per_step: f64,
    /// The untimed first step: kernel compilation and tuning-cache reads (or tuning) included.
    pub first_step_s: f64,
    /// The untimed warm-up (the distillation's first cycle, the teacher's first step), in all.
    pub warmup_s: f64,
}

/// A run log's step times: the first step, the sum of the first `warmup` steps, and the count and
/// mean of the rest.
fn step_seconds(run: &Path, warmup: usize) -> Result<(f64, f64, usize, f64)> {
    let log = std::fs::read_to_string(run.join(LOG_FILE)).with_context(|| format!("no log in {}", run.display()))?;
    let times: Vec<f64> = log.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()?.get("step_s")?.as_f64()).collect();
    anyhow::ensure!(times.len() > warmup && warmup > 0, "the run in {} logged no timed steps", run.display());
    let (first, rest) = times.split_at(warmup);
    Ok((first[0], first.iter().sum(), rest.len(), rest.iter().sum::<f64>() / rest.len() as f64))
}

/// What makes a config a timing run: `steps` steps (at `batch`, or the config's), every one
/// logged, one checkpoint and one sample grid at the end.
fn timing(steps: usize, batch: Option<usize>, extra: &[String]) -> Vec<Override> {
    let keys = [("steps", steps), ("log_every", 1), ("sample_every", steps), ("checkpoint_every", steps), ("sample_prompts", 1)];
    let batch = batch.map(|b| format!("batch_size={b}"));
    keys.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .chain(batch)
        .chain(extra.iter().cloned())
        .map(|kv| kv.parse().expect("a KEY=VALUE override"))
        .collect()
}

/// The real training loops, run for a few steps in a scratch folder: what `bench --train` times
/// and `profile` counts.
pub struct Loops<'a> {
    distill_config: PathBuf,
    teacher_config: PathBuf,
    data: &'a Path,
    /// The teacher: distilled from, and the teacher loop's starting weights (its tokenizer must
    /// be the dataset's).
    model: &'a Path,
    /// `None`: each config's own batch size.
    batch: Option<usize>,
    device: &'a Device,
    /// Removed when the loops are dropped.
    scratch: PathBuf,
}

impl<'a> Loops<'a> {
    /// `what` names the scratch folder (`swd-<what>-<pid>` in the temp folder).
    pub fn new(what: &str, configs: (&Path, &Path), model: &'a Path, data: &'a Path, batch: Option<usize>, device: &'a Device) -> Self {
        let (distill_config, teacher_config) = (configs.0.to_path_buf(), configs.1.to_path_buf());
        let scratch = std::env::temp_dir().join(format!("swd-{what}-{}", std::process::id()));
        Self { distill_config, teacher_config, data, model, batch, device, scratch }
    }

    fn options(&self, name: &str) -> RunOptions {
        let out = self.scratch.join(name);
        let _ = std::fs::remove_dir_all(&out);
        RunOptions::new(out, false, Arc::new(AtomicBool::new(false)))
    }

    /// `steps` distillation steps into `schedule`; the run folder.
    pub fn distill(&self, schedule: &str, steps: usize) -> Result<PathBuf> {
        let extra = [format!("schedule={schedule}"), "scale_order=cyclic".into()];
        let config = DistillConfig::load(&self.distill_config, &timing(steps, self.batch, &extra))?;
        let run = self.options(&format!("distill-{schedule}-{steps}"));
        let out = run.out.clone();
        distill(DistillOptions {
            config,
            teacher: self.model.to_path_buf(),
            data: self.data.to_path_buf(),
            run,
            device: self.device.clone(),
        })?;
        Ok(out)
    }

    /// `steps` teacher steps at `scale` (default: the model's resolution) from the model's
    /// weights; the run folder.
    pub fn teacher(&self, steps: usize, scale: Option<usize>) -> Result<PathBuf> {
        let scale = match scale {
            Some(s) => s,
            None => self.resolution()?,
        };
        let overrides = timing(steps, self.batch, &[format!("scales=[{scale}]"), "warmup_steps=1".into()]);
        let config = TeacherConfig::load(&self.teacher_config, &overrides)?;
        let run = self.options(&format!("teacher-{scale}-{steps}"));
        let out = run.out.clone();
        let init = Some(self.model.to_path_buf());
        train(TrainOptions { config, data: self.data.to_path_buf(), run, init, device: self.device.clone() })?;
        Ok(out)
    }

    pub fn resolution(&self) -> Result<usize> {
        Ok(swd_core::ModelConfig::from_json(&swd_train::fsutil::read_model(self.model)?.config)?.resolution)
    }
}

impl Drop for Loops<'_> {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// Times the loops with teacher `model` on `data` at `batch`.
pub fn run(args: &TrainBenchArgs, data: &Path, model: &Path, batch: usize, device: &Device) -> Result<Vec<TrainRow>> {
    let configs = (args.distill_config.as_path(), args.teacher_config.as_path());
    let loops = Loops::new("bench-train", configs, model, data, Some(batch), device);
    let mut rows = Vec::new();
    let mut row = |name: String, run: PathBuf, warmup: usize| -> Result<()> {
        let (first_step_s, warmup_s, steps_timed, s_per_step) = step_seconds(&run, warmup)?;
        rows.push(TrainRow { name, batch, steps_timed, s_per_step, first_step_s, warmup_s });
        Ok(())
    };
    for schedule in DISTILL_SCHEDULES {
        let cycle = ScaleSchedule::preset(schedule).expect("a preset").steps();
        let steps = (1 + args.cycles.max(1)) * cycle;
        println!("  {steps} distillation steps ({schedule}, batch {batch}), the first {cycle} untimed…");
        row(format!("distill {schedule}"), loops.distill(schedule, steps)?, cycle)?;
    }
    let steps = 1 + 4 * args.cycles.max(1);
    println!("  {steps} teacher steps (batch {batch}, {}²), the first untimed…", loops.resolution()?);
    row("teacher".into(), loops.teacher(steps, None)?, 1)?;
    Ok(rows)
}
