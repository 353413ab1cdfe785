//! `swd-native eval`: FID, precision/recall, prompt accuracy and diversity of a model under one
//! schedule, measured with the evaluation network.

use std::path::PathBuf;

use anyhow::Result;
use swd_train::eval::{EvalOptions, evaluate};
use swd_train::fsutil;

use crate::cli::{ModelArgs, SampleArgs};
use crate::device::DeviceArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    sample: SampleArgs,
    /// Dataset folder from `data build` (real images; their statistics are cached there).
    #[arg(long)]
    data: PathBuf,
    /// Evaluation network folder.
    #[arg(long, default_value = "models/evalnet")]
    evalnet: PathBuf,
    /// Images generated and compared (held-out prompts first, then training prompts).
    #[arg(long, default_value_t = 2000)]
    n: usize,
    /// Image i uses noise seed seed + i.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Neighbours of precision/recall's k-NN balls (smaller k: tighter manifolds, less
    /// saturation).
    #[arg(long, default_value_t = 3)]
    k: usize,
    /// Bootstrap resamples of the 95% intervals (over prompts; 0: no intervals).
    #[arg(long, default_value_t = 200)]
    bootstrap: usize,
    /// Write the report as JSON (read by `report`).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the first 16 evaluation images as a PNG grid (same prompts and seeds every run;
    /// default: beside --json, named like it).
    #[arg(long)]
    samples: Option<PathBuf>,
    #[command(flatten)]
    device: DeviceArgs,
}

pub fn run(args: Args) -> Result<()> {
    let model = args.model.dir()?;
    // Samples default to the JSON's name with .png, where `report` looks for them.
    let samples = args.samples.or_else(|| args.json.as_ref().map(|j| j.with_extension("png")));
    let dev = args.device.open();
    println!("eval {} on {}: {} images vs real, seed {}", model.display(), args.device.describe(&dev), args.n, args.seed);
    let report = evaluate(&EvalOptions {
        model,
        schedule: args.sample.schedule,
        cfg: args.sample.cfg,
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
        report.schedule,
        report.nfe,
        report.n,
        report.fid,
        report.precision,
        report.recall,
        pct(report.prompt.top1),
        pct(report.prompt.top5),
        pct(report.real_prompt.top1),
        report.diversity
    );
    if let Some(i) = &report.intervals {
        println!(
            "| 95% interval ({} resamples) | | | {} | {} | {} | {} | {} | | {} |",
            i.resamples,
            i.fid.show(2, 1.0, ""),
            i.precision.show(3, 1.0, ""),
            i.recall.show(3, 1.0, ""),
            i.top1.show(1, 100.0, "%"),
            i.top5.show(1, 100.0, "%"),
            i.diversity.show(3, 1.0, "")
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
