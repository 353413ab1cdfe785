//! `swd-native bench`: one table of generation speed per schedule, measured in one run on one
//! device after warm-up: batch-1 latency (median) and batch-N throughput, with the ratios
//! against the full-resolution 4-step baseline and the teacher.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Result};
use burn::tensor::Device;
use serde_json::json;
use swd_core::{ScaleSchedule, TextToImage};
use swd_train::fsutil;

use crate::cli::DeviceArg;
use super::bench_train;
use crate::{device, model_dir};

/// The teacher's reference schedule: 32 Euler steps with guidance.
const TEACHER_SCHEDULE: &str = "euler:32";
const PROMPT: &str = "3d emoji: red apple";

pub struct Args {
    pub model: Option<PathBuf>,
    pub teacher: Option<PathBuf>,
    pub skip_teacher: bool,
    pub schedules: String,
    pub device: DeviceArg,
    pub repeats: usize,
    pub batch: usize,
    pub json: Option<PathBuf>,
    /// Also time training steps (`bench --train`): needs a dataset.
    pub train: Option<TrainBench>,
}

pub struct TrainBench {
    pub data: PathBuf,
    pub distill_config: PathBuf,
    pub teacher_config: PathBuf,
    pub cycles: usize,
}

/// Seconds for one generation of `batch` images (text encoding included), synchronised.
fn generate_once(t2i: &TextToImage, schedule: &ScaleSchedule, cfg: f32, batch: usize, device: &Device) -> Result<f64> {
    let start = Instant::now();
    drop(t2i.generate(&vec![PROMPT; batch], schedule, cfg, 0, device)?);
    device.sync().map_err(|e| anyhow::anyhow!("device error: {e:?}"))?;
    Ok(start.elapsed().as_secs_f64())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Row {
    name: String,
    steps: usize,
    nfe: usize,
    pixel_cost: f64,
    ms_per_image: f64,
    images_per_s: f64,
}

pub fn run(args: Args) -> Result<()> {
    if args.repeats == 0 || args.batch == 0 {
        bail!("--repeats and --batch must be ≥ 1");
    }
    let dir = model_dir::resolve(args.model)?;
    let dev = device::device(args.device);
    let model = fsutil::load_model(&dir, &dev)?;
    let teacher = match &args.teacher {
        Some(t) => fsutil::load_model(t, &dev)?,
        None => model.clone(),
    };
    let mut jobs: Vec<(String, &TextToImage, ScaleSchedule, f32)> = Vec::new();
    if !args.skip_teacher {
        jobs.push((TEACHER_SCHEDULE.to_string(), &teacher, ScaleSchedule::parse(TEACHER_SCHEDULE)?, teacher.config.default_cfg));
    }
    for name in args.schedules.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let schedule = ScaleSchedule::parse(name)?;
        let cfg = model.default_guidance(&schedule);
        jobs.push((name.to_string(), &model, schedule, cfg));
    }
    if jobs.is_empty() {
        bail!("nothing to time: --skip-teacher and no --schedules");
    }
    let batch_repeats = args.repeats.div_ceil(3).max(3);
    println!("bench {} on {} (teacher {}), batch 1 × {} and batch {} × {batch_repeats}", dir.display(), device::describe(args.device, &dev),
        if args.skip_teacher { "none".to_string() } else { args.teacher.as_deref().unwrap_or(&dir).display().to_string() }, args.repeats, args.batch);
    let mut rows = Vec::new();
    for (name, t2i, schedule, cfg) in jobs {
        generate_once(t2i, &schedule, cfg, 1, &dev)?;
        generate_once(t2i, &schedule, cfg, args.batch, &dev)?;
        let one = median((0..args.repeats).map(|_| generate_once(t2i, &schedule, cfg, 1, &dev)).collect::<Result<_>>()?);
        let many = median((0..batch_repeats).map(|_| generate_once(t2i, &schedule, cfg, args.batch, &dev)).collect::<Result<_>>()?);
        let row = Row {
            steps: schedule.steps(),
            nfe: schedule.evaluations(cfg),
            pixel_cost: schedule.pixel_cost(),
            ms_per_image: one * 1e3,
            images_per_s: args.batch as f64 / many,
            name,
        };
        println!("  {:<10} {:>9.1} ms/image {:>8.2} images/s", row.name, row.ms_per_image, row.images_per_s);
        rows.push(row);
    }
    let full4 = rows.iter().find(|r| r.name == "full4").map(|r| r.ms_per_image);
    let teacher_ms = rows.iter().find(|r| r.name == TEACHER_SCHEDULE).map(|r| r.ms_per_image);
    let ratio = |base: Option<f64>, r: &Row| base.map(|b| b / r.ms_per_image);
    println!("\n| schedule | steps | NFE | pixel cost | ms/image (batch 1) | images/s (batch {}) | vs full4 | vs teacher |", args.batch);
    println!("|---|---|---|---|---|---|---|---|");
    for r in &rows {
        let fmt = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v:.2}×"));
        println!("| {} | {} | {} | {:.2} | {:.1} | {:.2} | {} | {} |", r.name, r.steps, r.nfe, r.pixel_cost, r.ms_per_image, r.images_per_s,
            fmt(ratio(full4, r)), fmt(ratio(teacher_ms, r)));
    }
    let train_rows = match &args.train {
        Some(t) => {
            println!("\ntraining steps (real loops, scratch folder, first step untimed):");
            let targs = bench_train::TrainBenchArgs {
                model: args.teacher.clone().unwrap_or_else(|| dir.clone()),
                data: t.data.clone(),
                distill_config: t.distill_config.clone(),
                teacher_config: t.teacher_config.clone(),
                batch: args.batch,
                cycles: t.cycles,
            };
            let rows = bench_train::run(&targs, &dev)?;
            let swd4 = rows.iter().find(|r| r.name == "distill swd4").map(|r| r.s_per_step);
            println!("\n| training step | batch | steps timed | s/step | vs distill swd4 |\n|---|---|---|---|---|");
            for r in &rows {
                let rel = swd4.map_or("—".into(), |b| format!("{:.2}×", r.s_per_step / b));
                println!("| {} | {} | {} | {:.3} | {rel} |", r.name, r.batch, r.steps_timed, r.s_per_step);
            }
            rows
        }
        None => Vec::new(),
    };
    if let Some(path) = args.json {
        let value = json!({
            "device": device::describe(args.device, &dev),
            "model": dir.display().to_string(),
            "teacher": (!args.skip_teacher).then(|| args.teacher.as_deref().unwrap_or(&dir).display().to_string()),
            "batch": args.batch,
            "peak_memory_bytes": null,
            "rows": rows.iter().map(|r| json!({
                "schedule": r.name, "steps": r.steps, "nfe": r.nfe, "pixel_cost": r.pixel_cost,
                "ms_per_image": r.ms_per_image, "images_per_s": r.images_per_s,
                "speedup_vs_full4": ratio(full4, r), "speedup_vs_teacher": ratio(teacher_ms, r),
            })).collect::<Vec<_>>(),
            "train": train_rows,
        });
        fsutil::write_atomic(&path, serde_json::to_string_pretty(&value)?.as_bytes())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
