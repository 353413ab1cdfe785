//! `swd-native train-teacher`.

use std::path::PathBuf;

use anyhow::Result;
use swd_train::teacher::{TeacherConfig, TrainOptions, train};

use crate::cli::RunArgs;
use crate::device::DeviceArgs;
use crate::ranks::Job;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    /// Start a new run from an existing model folder's weights (same tokenizer as --data).
    #[arg(long, conflicts_with = "resume")]
    init: Option<PathBuf>,
    #[command(flatten)]
    device: DeviceArgs,
}

pub fn run(args: Args, job: &Job) -> Result<()> {
    let config = TeacherConfig::load(&args.run.config, &args.run.overrides())?;
    let device = args.device.open_rank(job)?;
    println!("training {:?} teacher on {} → {}", config.preset, args.device.describe_rank(&device, job), args.run.out.display());
    let summary = train(TrainOptions { config, data: args.run.data.clone(), run: args.run.options(job)?, init: args.init, device })?;
    if !job.world.is_writer() {
        return Ok(());
    }
    super::report_run(&summary, &args.run.out)
}
