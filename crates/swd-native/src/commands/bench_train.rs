//! `swd-native bench --train`: seconds per training step, measured by running the real loops
//! for a few steps in a scratch folder — one SwD distillation step vs one full-resolution DMD2
//! step (same batch, same config, whole schedule cycles), and one full-resolution teacher step.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{Context, Result};
use burn::tensor::Device;
use serde::Serialize;
use swd_train::distill::{distill, DistillConfig, DistillOptions};
use swd_train::teacher::{train, TeacherConfig, TrainOptions};

pub struct TrainBenchArgs {
    pub model: PathBuf,
    pub data: PathBuf,
    pub distill_config: PathBuf,
    pub teacher_config: PathBuf,
    pub batch: usize,
    /// Timed schedule cycles per distillation run (after one warm-up step).
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
    let log = std::fs::read_to_string(run.join("log.jsonl")).with_context(|| format!("no log in {}", run.display()))?;
    let times: Vec<f64> = log
        .lines()
        .skip(1)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()?.get("step_s")?.as_f64())
        .collect();
    anyhow::ensure!(!times.is_empty(), "the run in {} logged no timed steps", run.display());
    Ok((times.len(), times.iter().sum::<f64>() / times.len() as f64))
}

pub fn run(args: &TrainBenchArgs, device: &Device) -> Result<Vec<TrainRow>> {
    let scratch = std::env::temp_dir().join(format!("swd-bench-train-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let stop = Arc::new(AtomicBool::new(false));
    let mut rows = Vec::new();
    let base = DistillConfig::load(&args.distill_config)?;
    for schedule in ["swd4", "full4"] {
        let steps = 1 + args.cycles.max(1) * swd_core::ScaleSchedule::parse(schedule)?.steps();
        let config = DistillConfig {
            schedule: schedule.into(),
            steps,
            batch_size: args.batch,
            log_every: 1,
            sample_every: steps,
            checkpoint_every: steps,
            sample_prompts: 1,
            ..base.clone()
        };
        let out = scratch.join(format!("distill-{schedule}"));
        println!("  timing {steps} distillation steps ({schedule}, batch {})…", args.batch);
        distill(DistillOptions { config, teacher: args.model.clone(), data: args.data.clone(), out: out.clone(), resume: false, device: device.clone(), stop: stop.clone(), progress: false })?;
        let (n, s) = mean_step_seconds(&out)?;
        rows.push(TrainRow { name: format!("distill {schedule}"), batch: args.batch, steps_timed: n, s_per_step: s });
    }
    let teacher = TeacherConfig::load(&args.teacher_config)?;
    let resolution = swd_train::fsutil::read_model(&args.model).and_then(|f| Ok(swd_core::ModelConfig::from_json(&f.config)?))?.resolution;
    let steps = 1 + 4 * args.cycles.max(1);
    let config = TeacherConfig { steps, batch_size: args.batch, log_every: 1, sample_every: steps, checkpoint_every: steps, sample_prompts: 1, scales: vec![resolution], warmup_steps: 1, ..teacher };
    let out = scratch.join("teacher");
    println!("  timing {steps} teacher steps (batch {}, {resolution}²)…", args.batch);
    train(TrainOptions { config, data: args.data.clone(), out: out.clone(), resume: false, init: Some(args.model.clone()), device: device.clone(), stop, progress: false })?;
    let (n, s) = mean_step_seconds(&out)?;
    rows.push(TrainRow { name: "teacher".into(), batch: args.batch, steps_timed: n, s_per_step: s });
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(rows)
}
