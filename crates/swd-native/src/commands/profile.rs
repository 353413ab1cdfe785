//! `swd-native profile`: the GPU kernels one training step and one generated image launch —
//! counts, compiled variants (what a cold GPU compiles), the busiest kernels by count and, with
//! `--time`, by device time. Counted in this process on any wgpu adapter (lavapipe too).

use std::path::PathBuf;

use anyhow::{Result, bail};
use serde::Serialize;
use serde_json::json;
use swd_core::ScheduleSpec;
use swd_train::fsutil;

use super::bench_train::{DISTILL_SCHEDULES, Loops};
use crate::device::{DeviceArgs, DeviceKind};
use crate::kernels::{KernelCount, observe};

const PROMPT: &str = "3d emoji: red apple";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Teacher model folder: distilled from, the teacher step's starting weights, and the
    /// generated image's model (its tokenizer must be the dataset's).
    #[arg(long)]
    teacher: PathBuf,
    /// Dataset folder from `data build`.
    #[arg(long)]
    data: PathBuf,
    #[arg(long, default_value = "configs/distill-tiny.toml")]
    distill_config: PathBuf,
    #[arg(long, default_value = "configs/teacher-tiny.toml")]
    teacher_config: PathBuf,
    /// Batch size of the training steps (default: each config's).
    #[arg(long)]
    batch: Option<usize>,
    /// Also time every kernel (they then run one at a time: attribution, not throughput).
    #[arg(long)]
    time: bool,
    /// Kernel names listed per row.
    #[arg(long, default_value_t = 12)]
    top: usize,
    #[command(flatten)]
    device: DeviceArgs,
    /// Also write the counts as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct Row {
    name: String,
    #[serde(flatten)]
    count: KernelCount,
}

pub fn run(args: Args) -> Result<()> {
    if args.device.device == DeviceKind::Cpu {
        bail!("kernel launches are counted on --device wgpu (burn's CPU backend launches no GPU kernels)");
    }
    let device = args.device.open();
    let configs = (args.distill_config.as_path(), args.teacher_config.as_path());
    let loops = Loops::new("profile", configs, &args.teacher, &args.data, args.batch, &device);
    println!("profile on {} (teacher {}, data {})", args.device.describe(&device), args.teacher.display(), args.data.display());
    // A step's launches: a 3-step run minus a 1-step run, halved (setup, the sample grids and the
    // final checkpoint cancel out).
    let per_step = |what: &str, run: &dyn Fn(usize) -> Result<PathBuf>| -> Result<Row> {
        println!("  {what}: 1 and 3 steps…");
        let (_, one) = observe(&device, args.time, || run(1))?;
        let (_, three) = observe(&device, args.time, || run(3))?;
        Ok(Row { name: what.into(), count: KernelCount::per_step(&three, &one, 2) })
    };
    let mut rows = vec![per_step("teacher step", &|n| loops.teacher(n, None))?];
    for schedule in DISTILL_SCHEDULES {
        rows.push(per_step(&format!("distill {schedule} step"), &|n| loops.distill(schedule, n))?);
    }
    let t2i = fsutil::load_model(&args.teacher, &device)?;
    let schedule = t2i.schedule(Some(&"swd4".parse::<ScheduleSpec>()?))?;
    let image = || Ok(drop(t2i.generate(&[PROMPT], &schedule, 1.0, 0, &device)?));
    image()?;
    let (_, count) = observe(&device, args.time, image)?;
    rows.push(Row { name: "generate swd4 (1 image)".into(), count });

    println!("\n| work | launches | compiled variants | kernel names |\n|---|---|---|---|");
    for r in &rows {
        println!("| {} | {} | {} | {} |", r.name, r.count.launches, r.count.distinct, r.count.by_name.len());
    }
    for r in &rows {
        println!("\n{} — most launched:", r.name);
        for (name, n) in r.count.top(args.top) {
            println!("  {n:>7}  {name}");
        }
        if args.time {
            println!("{} — most device time:", r.name);
            for (name, ms) in r.count.top_ms(args.top) {
                println!("  {ms:>9.2} ms  {name}");
            }
        }
    }
    if let Some(path) = &args.json {
        let value = json!({
            "device": args.device.describe(&device),
            "teacher": args.teacher.display().to_string(),
            "distill_config": args.distill_config.display().to_string(),
            "teacher_config": args.teacher_config.display().to_string(),
            "batch": args.batch,
            "method": "per training step: (launches of a 3-step run - launches of a 1-step run) / 2",
            "rows": rows,
        });
        fsutil::write_atomic(path, serde_json::to_string_pretty(&value)?.as_bytes())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
