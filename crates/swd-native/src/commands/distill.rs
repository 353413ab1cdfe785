//! `swd-native distill`.

use std::path::PathBuf;

use anyhow::Result;
use swd_train::distill::{distill, DistillConfig, DistillOptions};

use crate::cli::DeviceArg;
use crate::{device, interrupt};

pub struct Args {
    pub teacher: PathBuf,
    pub data: PathBuf,
    pub config: PathBuf,
    pub schedule: Option<String>,
    pub out: PathBuf,
    pub resume: bool,
    pub device: DeviceArg,
    pub steps: Option<usize>,
}

pub fn run(args: Args) -> Result<()> {
    let mut config = DistillConfig::load(&args.config)?;
    if let Some(schedule) = args.schedule {
        config.schedule = schedule;
    }
    if let Some(steps) = args.steps {
        config.steps = steps;
    }
    config.validate()?;
    let stop = interrupt::stop_flag()?;
    let device = device::device(args.device);
    println!(
        "distilling {} into {} on {} → {}",
        args.teacher.display(),
        config.schedule,
        device::describe(args.device, &device),
        args.out.display()
    );
    let summary = distill(DistillOptions {
        config,
        teacher: args.teacher,
        data: args.data,
        out: args.out.clone(),
        resume: args.resume,
        device,
        stop,
        progress: true,
    })?;
    let mut last: Vec<_> = summary.last.iter().map(|(k, v)| format!("{k} {v:.4}")).collect();
    last.sort();
    println!(
        "{} steps at {:.3} steps/s; last losses: {}; model folder {}",
        summary.steps_done,
        summary.steps_per_s,
        if last.is_empty() { "n/a".into() } else { last.join(", ") },
        args.out.join("model").display()
    );
    Ok(())
}
