//! `swd-native bench --train`: seconds per training step, measured by running the real loops
//! for a few steps in a scratch folder — one SwD distillation step vs one full-resolution DMD2
//! step (same batch, same config, whole schedule cycles), and one full-resolution teacher step.

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
const DISTILL_SCHEDULES: [&str; 2] = ["swd4", "full4"];

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
    /// Timed schedule cycles of each distillation run (4 steps a cycle).
    #[arg(long, default_value_t = 1)]
    pub cycles: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrainRow {
    pub name: String,
    pub batch: usize,
    pub steps_timed: usize,
    pub s_per_step: f64,
}

/// Mean `step_s` of a run's log, skipping the first (warm-up) step.
fn mean_step_seconds(run: &Path) -> Result<(usize, f64)> {
    let log = std::fs::read_to_string(run.join(LOG_FILE)).with_context(|| format!("no log in {}", run.display()))?;
    let times: Vec<f64> =
        log.lines().skip(1).filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()?.get("step_s")?.as_f64()).collect();
    anyhow::ensure!(!times.is_empty(), "the run in {} logged no timed steps", run.display());
    Ok((times.len(), times.iter().sum::<f64>() / times.len() as f64))
}

/// What makes a config a timing run: `steps` steps at `batch`, every one logged, one checkpoint
/// and one sample grid at the end.
fn timing(steps: usize, batch: usize, extra: &[String]) -> Vec<Override> {
    let keys = [
        ("steps", steps),
        ("batch_size", batch),
        ("log_every", 1),
        ("sample_every", steps),
        ("checkpoint_every", steps),
        ("sample_prompts", 1),
    ];
    keys.iter().map(|(k, v)| format!("{k}={v}")).chain(extra.iter().cloned()).map(|kv| kv.parse().expect("a KEY=VALUE override")).collect()
}

/// Times the loops with teacher `model` on `data` at `batch`.
pub fn run(args: &TrainBenchArgs, data: &Path, model: &Path, batch: usize, device: &Device) -> Result<Vec<TrainRow>> {
    let scratch = std::env::temp_dir().join(format!("swd-bench-train-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let run = |name: &str| RunOptions { out: scratch.join(name), resume: false, stop: Arc::new(AtomicBool::new(false)), progress: false };
    let mut rows = Vec::new();
    for schedule in DISTILL_SCHEDULES {
        let steps = 1 + args.cycles.max(1) * ScaleSchedule::preset(schedule).expect("a preset").steps();
        let config = DistillConfig::load(&args.distill_config, &timing(steps, batch, &[format!("schedule={schedule}")]))?;
        let options = run(&format!("distill-{schedule}"));
        println!("  timing {steps} distillation steps ({schedule}, batch {batch})…");
        distill(DistillOptions {
            config,
            teacher: model.to_path_buf(),
            data: data.to_path_buf(),
            run: options.clone(),
            device: device.clone(),
        })?;
        let (n, s) = mean_step_seconds(&options.out)?;
        rows.push(TrainRow { name: format!("distill {schedule}"), batch, steps_timed: n, s_per_step: s });
    }
    let resolution = swd_train::fsutil::read_model(model).and_then(|f| Ok(swd_core::ModelConfig::from_json(&f.config)?))?.resolution;
    let steps = 1 + 4 * args.cycles.max(1);
    let config =
        TeacherConfig::load(&args.teacher_config, &timing(steps, batch, &[format!("scales=[{resolution}]"), "warmup_steps=1".into()]))?;
    let options = run("teacher");
    println!("  timing {steps} teacher steps (batch {batch}, {resolution}²)…");
    train(TrainOptions {
        config,
        data: data.to_path_buf(),
        run: options.clone(),
        init: Some(model.to_path_buf()),
        device: device.clone(),
    })?;
    let (n, s) = mean_step_seconds(&options.out)?;
    rows.push(TrainRow { name: "teacher".into(), batch, steps_timed: n, s_per_step: s });
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(rows)
}
