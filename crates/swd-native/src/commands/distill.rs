//! `swd-native distill`.

use std::path::PathBuf;

use anyhow::Result;
use swd_core::ScheduleSpec;
use swd_train::distill::{DistillConfig, DistillOptions, distill};

use crate::cli::RunArgs;
use crate::device::DeviceArgs;
use crate::ranks::Job;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Teacher model folder (e.g. models/default).
    #[arg(long)]
    teacher: PathBuf,
    /// The student's schedule, a few-step one (default: the config's; the same as
    /// `--set schedule=…`).
    #[arg(long)]
    schedule: Option<ScheduleSpec>,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    device: DeviceArgs,
}

pub fn run(args: Args, job: &Job) -> Result<()> {
    let mut overrides = args.run.overrides();
    if let Some(schedule) = &args.schedule {
        overrides.push(format!("schedule={schedule}").parse().map_err(anyhow::Error::msg)?);
    }
    let config = DistillConfig::load(&args.run.config, &overrides)?;
    let device = args.device.open_rank(job)?;
    println!(
        "distilling {} into {} on {} → {}",
        args.teacher.display(),
        config.schedule,
        args.device.describe_rank(&device, job),
        args.run.out.display()
    );
    let summary =
        distill(DistillOptions { config, teacher: args.teacher, data: args.run.data.clone(), run: args.run.options(job)?, device })?;
    if !job.world.is_writer() {
        return Ok(());
    }
    super::report_run(&summary, &args.run.out)
}
