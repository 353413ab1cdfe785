//! `swd-native train-teacher`.

use std::path::PathBuf;

use anyhow::Result;
use swd_train::teacher::{train, TeacherConfig, TrainOptions};

use crate::cli::DeviceArg;
use crate::{device, interrupt};

pub struct Args {
    pub config: PathBuf,
    pub data: PathBuf,
    pub out: PathBuf,
    pub resume: bool,
    pub init: Option<PathBuf>,
    pub device: DeviceArg,
    pub steps: Option<usize>,
}

pub fn run(args: Args) -> Result<()> {
    let Args { config, data, out, resume, init, device: device_arg, steps } = args;
    let mut config = TeacherConfig::load(&config)?;
    if let Some(steps) = steps {
        config.steps = steps;
    }
    let stop = interrupt::stop_flag()?;
    let device = device::device(device_arg);
    println!("training {} teacher on {} → {}", config.preset, device::describe(device_arg, &device), out.display());
    let summary = train(TrainOptions {
        config,
        data: data.clone(),
        out: out.clone(),
        resume,
        init,
        device,
        stop,
        progress: true,
    })?;
    println!(
        "{} steps at {:.2} steps/s, final loss {}; model folder {}",
        summary.steps_done,
        summary.steps_per_s,
        summary.final_loss.map(|l| format!("{l:.4}")).unwrap_or_else(|| "n/a".into()),
        out.join("model").display()
    );
    Ok(())
}
