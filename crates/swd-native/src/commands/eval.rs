//! `swd-native eval`: FID, precision/recall, prompt accuracy and diversity of a model under one
//! schedule, measured with the evaluation network.

use std::path::PathBuf;

use anyhow::Result;
use swd_core::ScaleSchedule;
use swd_train::eval::{evaluate, EvalOptions};
use swd_train::fsutil;

use crate::cli::DeviceArg;
use crate::{device, model_dir};

pub struct Args {
    pub model: Option<PathBuf>,
    pub schedule: Option<String>,
    pub cfg: Option<f32>,
    pub data: PathBuf,
    pub evalnet: PathBuf,
    pub n: usize,
    pub seed: u64,
    pub batch: usize,
    pub k: usize,
    pub bootstrap: usize,
    pub json: Option<PathBuf>,
    pub samples: Option<PathBuf>,
    pub device: DeviceArg,
}

pub fn run(args: Args) -> Result<()> {
    let model = model_dir::resolve(args.model)?;
    let schedule = args.schedule.as_deref().map(ScaleSchedule::parse).transpose()?;
    if let Some(cfg) = args.cfg.filter(|c| !c.is_finite() || *c < 0.0) {
        anyhow::bail!("--cfg must be a finite number ≥ 0, got {cfg}");
    }
    // Samples default to the JSON's name with .png, where `report` looks for them.
    let samples = args.samples.or_else(|| args.json.as_ref().map(|j| j.with_extension("png")));
    let dev = device::device(args.device);
    println!("eval {} on {}: {} images vs real, seed {}", model.display(), device::describe(args.device, &dev), args.n, args.seed);
    let report = evaluate(&EvalOptions {
        model,
        schedule,
        cfg: args.cfg,
        data: args.data,
        evalnet: args.evalnet,
        n: args.n,
        k: args.k,
        seed: args.seed,
        batch: args.batch,
        diversity_prompts: 16,
        diversity_seeds: 4,
        samples: samples.clone(),
        bootstrap: args.bootstrap,
        device: dev,
        progress: true,
    })?;
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    println!("| schedule | NFE | n | FID | precision | recall | prompt top-1 | prompt top-5 | real top-1 | diversity |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {} | {:.2} | {:.3} | {:.3} | {} | {} | {} | {:.3} |",
        report.schedule, report.nfe, report.n, report.fid, report.precision, report.recall,
        pct(report.prompt.top1), pct(report.prompt.top5), pct(report.real_prompt.top1), report.diversity
    );
    if let Some(i) = &report.intervals {
        println!(
            "| 95% interval ({} resamples) | | | {} | {} | {} | {} | {} | | {} |",
            i.resamples, i.fid.show(2, 1.0, ""), i.precision.show(3, 1.0, ""), i.recall.show(3, 1.0, ""),
            i.top1.show(1, 100.0, "%"), i.top5.show(1, 100.0, "%"), i.diversity.show(3, 1.0, "")
        );
    }
    println!("{:.1} s{}", report.seconds, if report.real_stats_cached { " (real statistics from the cache)" } else { "" });
    if let Some(path) = &samples {
        println!("samples: {}", path.display());
    }
    if let Some(path) = args.json {
        fsutil::write_atomic(&path, serde_json::to_string_pretty(&report)?.as_bytes())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
