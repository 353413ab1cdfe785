//! `swd-native bench`: one table of generation speed per schedule, measured in one run on one
//! device after warm-up: batch-1 latency (median) and batch-N throughput, with the ratios
//! against the full-resolution 4-step baseline and the teacher.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use burn::tensor::Device;
use serde_json::json;
use swd_core::{ScaleSchedule, ScheduleSpec, TextToImage};
use swd_train::fsutil;

use super::bench_train;
use crate::cli::ModelArgs;
use crate::device::DeviceArgs;

/// The teacher's reference schedule: 32 Euler steps with guidance, at its resolution.
const TEACHER_STEPS: usize = 32;
const PROMPT: &str = "3d emoji: red apple";

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    model: ModelArgs,
    /// Teacher folder for the euler:32 + CFG row (default: --model itself).
    #[arg(long)]
    teacher: Option<PathBuf>,
    /// Leave out the teacher row (it costs 16× a student image; e.g. on slow devices).
    #[arg(long, conflicts_with = "teacher")]
    skip_teacher: bool,
    /// Schedules to time with --model, comma-separated (default: every preset).
    #[arg(long, value_delimiter = ',')]
    schedules: Vec<ScheduleSpec>,
    #[command(flatten)]
    device: DeviceArgs,
    /// Batch-1 timings per schedule (the median is reported).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    repeats: u32,
    /// Batch size of the throughput column (and of --train's steps).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
    batch: u32,
    /// Also write the table as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    #[command(flatten)]
    train: bench_train::TrainBenchArgs,
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
    let (repeats, batch) = (args.repeats as usize, args.batch as usize);
    let dir = args.model.dir()?;
    let dev = args.device.open();
    let model = fsutil::load_model(&dir, &dev)?;
    let teacher = match &args.teacher {
        Some(t) => fsutil::load_model(t, &dev)?,
        None => model.clone(),
    };
    let mut jobs: Vec<(&TextToImage, ScaleSchedule, f32)> = Vec::new();
    if !args.skip_teacher {
        jobs.push((&teacher, teacher.schedule(Some(&ScheduleSpec::Euler { steps: TEACHER_STEPS }))?, teacher.config.default_cfg));
    }
    let presets = || swd_core::PRESETS.iter().map(|p| p.name.parse().expect("presets parse"));
    let specs: Vec<ScheduleSpec> = if args.schedules.is_empty() { presets().collect() } else { args.schedules.clone() };
    for spec in &specs {
        let schedule = model.schedule(Some(spec))?;
        let cfg = model.default_guidance(&schedule);
        jobs.push((&model, schedule, cfg));
    }
    let batch_repeats = repeats.div_ceil(3).max(3);
    println!(
        "bench {} on {} (teacher {}), batch 1 × {} and batch {} × {batch_repeats}",
        dir.display(),
        args.device.describe(&dev),
        if args.skip_teacher { "none".to_string() } else { args.teacher.as_deref().unwrap_or(&dir).display().to_string() },
        args.repeats,
        args.batch
    );
    let mut rows = Vec::new();
    for (t2i, schedule, cfg) in jobs {
        generate_once(t2i, &schedule, cfg, 1, &dev)?;
        generate_once(t2i, &schedule, cfg, batch, &dev)?;
        let one = median((0..repeats).map(|_| generate_once(t2i, &schedule, cfg, 1, &dev)).collect::<Result<_>>()?);
        let many = median((0..batch_repeats).map(|_| generate_once(t2i, &schedule, cfg, batch, &dev)).collect::<Result<_>>()?);
        let row = Row {
            name: schedule.name(),
            steps: schedule.steps(),
            nfe: schedule.evaluations(cfg),
            pixel_cost: schedule.pixel_cost(),
            ms_per_image: one * 1e3,
            images_per_s: batch as f64 / many,
        };
        println!("  {:<10} {:>9.1} ms/image {:>8.2} images/s", row.name, row.ms_per_image, row.images_per_s);
        rows.push(row);
    }
    let full4 = rows.iter().find(|r| r.name == "full4").map(|r| r.ms_per_image);
    let teacher_ms = (!args.skip_teacher).then(|| rows[0].ms_per_image);
    let ratio = |base: Option<f64>, r: &Row| base.map(|b| b / r.ms_per_image);
    println!("\n| schedule | steps | NFE | pixel cost | ms/image (batch 1) | images/s (batch {}) | vs full4 | vs teacher |", args.batch);
    println!("|---|---|---|---|---|---|---|---|");
    for r in &rows {
        let fmt = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v:.2}×"));
        println!(
            "| {} | {} | {} | {:.2} | {:.1} | {:.2} | {} | {} |",
            r.name,
            r.steps,
            r.nfe,
            r.pixel_cost,
            r.ms_per_image,
            r.images_per_s,
            fmt(ratio(full4, r)),
            fmt(ratio(teacher_ms, r))
        );
    }
    let train_rows = match &args.train.data {
        Some(data) if args.train.train => {
            println!("\ntraining steps (real loops, scratch folder, warm-up untimed):");
            let rows = bench_train::run(&args.train, data, &args.teacher.clone().unwrap_or_else(|| dir.clone()), batch, &dev)?;
            let swd4 = rows.iter().find(|r| r.name == "distill swd4").map(|r| r.s_per_step);
            println!("\n| training step | batch | steps timed | s/step | vs distill swd4 | first step, s | warm-up, s |");
            println!("|---|---|---|---|---|---|---|");
            for r in &rows {
                let rel = swd4.map_or("—".into(), |b| format!("{:.2}×", r.s_per_step / b));
                let (first, warmup) = (r.first_step_s, r.warmup_s);
                println!("| {} | {} | {} | {:.3} | {rel} | {first:.2} | {warmup:.2} |", r.name, r.batch, r.steps_timed, r.s_per_step);
            }
            rows
        }
        _ => Vec::new(),
    };
    if let Some(path) = args.json {
        let value = json!({
            "device": args.device.describe(&dev),
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
