//! `swd-native tune`: warms the autotune cache of this GPU for every shape a run will use — the
//! teacher step at each of its scales, one distillation step at each scale of the student's
//! schedule (student, critic and teacher passes), and generation at batch 1 and the bench's
//! batch — once, so later processes read the tuned kernels instead of benchmarking them again.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, bail};
use swd_core::ScheduleSpec;
use swd_train::distill::DistillConfig;
use swd_train::fsutil;
use swd_train::teacher::TeacherConfig;

use super::bench_train::Loops;
use crate::device::{DeviceArgs, DeviceKind};
use crate::tuning;

const PROMPT: &str = "3d emoji: red apple";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Teacher model folder: distilled from, the teacher steps' weights (its tokenizer must be
    /// the dataset's) and the generating model.
    #[arg(long, default_value = "models/default")]
    teacher: PathBuf,
    /// Dataset folder from `data build`.
    #[arg(long)]
    data: PathBuf,
    #[arg(long, default_value = "configs/distill-gpu.toml")]
    distill_config: PathBuf,
    #[arg(long, default_value = "configs/teacher-demo.toml")]
    teacher_config: PathBuf,
    /// The student's schedule (default: the distillation config's).
    #[arg(long)]
    schedule: Option<ScheduleSpec>,
    /// Batch size of the training steps (default: each config's).
    #[arg(long)]
    batch: Option<usize>,
    /// The teacher's training scales to tune, comma-separated (default: the teacher config's;
    /// `bench --train` times the teacher at the model's resolution only).
    #[arg(long, value_delimiter = ',')]
    teacher_scales: Vec<usize>,
    /// The generation batch tuned besides 1 (the bench's throughput batch).
    #[arg(long, default_value_t = 16)]
    gen_batch: usize,
    #[command(flatten)]
    device: DeviceArgs,
}

pub fn run(args: Args) -> Result<()> {
    if !tuning::AUTOTUNE {
        bail!("this swd-native was built without autotune: build it with `cargo build --release --features swd-native/gpu`");
    }
    if args.device.device == DeviceKind::Cpu {
        bail!("autotune tunes GPU kernels: use --device wgpu");
    }
    let device = args.device.open();
    let env = tuning::configure();
    println!("tuning {} into {}", args.device.describe(&device), env.folder.join(format!("{}.db", env.name)).display());
    let configs = (args.distill_config.as_path(), args.teacher_config.as_path());
    let loops = Loops::new("tune", configs, &args.teacher, &args.data, args.batch, &device);
    let distill = DistillConfig::load(&args.distill_config, &[])?;
    let schedule = match &args.schedule {
        Some(s) => s.to_string(),
        None => distill.schedule.clone(),
    };
    let steps = swd_core::ScaleSchedule::parse(&schedule, loops.resolution()?)?.steps();
    let mut rows: Vec<(String, f64)> = Vec::new();
    let mut timed = |name: String, work: &dyn Fn() -> Result<()>| -> Result<()> {
        let start = Instant::now();
        work()?;
        device.sync().map_err(|e| anyhow::anyhow!("device error: {e:?}"))?;
        let s = start.elapsed().as_secs_f64();
        println!("  {name:<40} {s:8.1} s");
        rows.push((name, s));
        Ok(())
    };
    let scales = match args.teacher_scales.as_slice() {
        [] => TeacherConfig::load(&args.teacher_config, &[])?.scales,
        chosen => chosen.to_vec(),
    };
    for scale in scales {
        timed(format!("teacher step at {scale}²"), &|| loops.teacher(1, Some(scale)).map(drop))?;
    }
    timed(format!("distillation, {steps} steps of {schedule}"), &|| loops.distill(&schedule, steps).map(drop))?;
    let t2i = fsutil::load_model(&args.teacher, &device)?;
    let student = t2i.schedule(Some(&schedule.parse()?))?;
    let teacher = t2i.schedule(None)?;
    for batch in [1, args.gen_batch] {
        let prompts = vec![PROMPT; batch];
        timed(format!("generate {}, batch {batch}", student.name()), &|| Ok(drop(t2i.generate(&prompts, &student, 1.0, 0, &device)?)))?;
        let cfg = t2i.default_guidance(&teacher);
        timed(format!("generate {} + CFG, batch {batch}", teacher.name()), &|| {
            Ok(drop(t2i.generate(&prompts, &teacher, cfg, 0, &device)?))
        })?;
    }
    let total: f64 = rows.iter().map(|r| r.1).sum();
    println!("tuned in {total:.1} s; a second run reads the cache and takes a fraction of that");
    Ok(())
}
