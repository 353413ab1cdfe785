//! `swd-native train-evalnet`.

use anyhow::Result;
use swd_train::evalnet::{EvalNetTrainConfig, EvalNetTrainOptions, train};

use crate::cli::RunArgs;
use crate::device::DeviceArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    device: DeviceArgs,
}

pub fn run(args: Args) -> Result<()> {
    let config = EvalNetTrainConfig::load(&args.run.config, &args.run.overrides())?;
    let device = args.device.open();
    println!("training the evaluation network on {} → {}", args.device.describe(&device), args.run.out.display());
    let summary =
        train(EvalNetTrainOptions { config, data: args.run.data.clone(), run: args.run.options(&crate::ranks::Job::alone())?, device })?;
    if let Some(report) = &summary.report {
        let pct = |v: &serde_json::Value| v.as_f64().map_or("n/a".to_string(), |x| format!("{:.1}%", 100.0 * x));
        let h = &report["heldout"];
        println!(
            "held-out ({} images): top-1 {}, top-5 {}, category {}; training sample top-1 {}",
            h["n"],
            pct(&h["top1"]),
            pct(&h["top5"]),
            pct(&h["category_top1"]),
            pct(&report["train_sample"]["top1"])
        );
    }
    super::report_run(&summary.run, &args.run.out)?;
    if summary.report.is_some() {
        println!("evaluation network: {} (ship it with `cp -r`; weights are f16)", args.run.out.join("evalnet").display());
    }
    Ok(())
}
