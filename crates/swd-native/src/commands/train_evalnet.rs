//! `swd-native train-evalnet`.

use std::path::PathBuf;

use anyhow::Result;
use swd_train::evalnet::{train, EvalNetTrainConfig, EvalNetTrainOptions};

use crate::cli::DeviceArg;
use crate::{device, interrupt};

pub struct Args {
    pub data: PathBuf,
    pub out: PathBuf,
    pub steps: usize,
    pub batch: usize,
    pub lr: f64,
    pub seed: u64,
    pub resume: bool,
    pub device: DeviceArg,
}

pub fn run(args: Args) -> Result<()> {
    // Warm-up: a tenth of a short run, at most the default.
    let warmup_steps = (args.steps / 10).min(EvalNetTrainConfig::default().warmup_steps);
    let config = EvalNetTrainConfig { steps: args.steps, batch_size: args.batch, lr: args.lr, seed: args.seed, warmup_steps, ..Default::default() };
    let stop = interrupt::stop_flag()?;
    let dev = device::device(args.device);
    println!("training the evaluation network on {} → {}", device::describe(args.device, &dev), args.out.display());
    let report = train(EvalNetTrainOptions { config, data: args.data, out: args.out.clone(), resume: args.resume, device: dev, stop, progress: true })?;
    let pct = |v: &serde_json::Value| v.as_f64().map_or("n/a".to_string(), |x| format!("{:.1}%", 100.0 * x));
    let h = &report["heldout"];
    println!(
        "held-out ({} images): top-1 {}, top-5 {}, category {}; training sample top-1 {}",
        h["n"], pct(&h["top1"]), pct(&h["top5"]), pct(&h["category_top1"]), pct(&report["train_sample"]["top1"])
    );
    println!("evaluation network: {} (ship it with `cp -r`; weights are f16)", args.out.join("evalnet").display());
    Ok(())
}
