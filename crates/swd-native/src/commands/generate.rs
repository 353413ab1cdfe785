//! `swd-native generate`: sample a schedule and write a PNG, printing each step's time.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, bail};
use swd_core::Sampler;
use swd_core::limits;
use swd_core::noise::BatchNoise;
use swd_core::resize::UpsampleMode;
use swd_train::{fsutil, image_io};

use crate::cli::{ModelArgs, SampleArgs};
use crate::device::DeviceArgs;

/// Most cells in one grid.
const MAX_IMAGES: usize = 256;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    model: ModelArgs,
    /// The prompt of every image (or --prompts).
    #[arg(long, required_unless_present = "prompts", conflicts_with = "prompts")]
    prompt: Option<String>,
    /// Text file with one prompt per line: one grid cell per prompt (times --count).
    #[arg(long)]
    prompts: Option<PathBuf>,
    #[command(flatten)]
    sample: SampleArgs,
    /// Noise seed of the first image.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Images per prompt; image i of the grid uses seed + i.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=MAX_IMAGES as i64))]
    count: u16,
    /// How x0 is upsampled between scales.
    #[arg(long, value_enum, default_value_t = UpsampleMode::Bicubic)]
    upsample: UpsampleMode,
    #[command(flatten)]
    device: DeviceArgs,
    /// Run the schedule once untimed first (shader compilation, allocations), so the printed
    /// step times are steady-state.
    #[arg(long)]
    warmup: bool,
    /// Output PNG file.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    let prompts = prompt_list(&args)?;
    let dir = args.model.dir()?;
    let device = args.device.open();
    let t2i = fsutil::load_model(&dir, &device)?;
    let schedule = t2i.schedule(args.sample.schedule.as_ref())?;
    let cfg = args.sample.cfg.unwrap_or_else(|| t2i.default_guidance(&schedule));

    let start = Instant::now();
    let n = prompts.len();
    let cond = t2i.encode(&prompts, &device)?;
    let uncond = t2i.encode(&vec![""; n], &device)?;
    sync(&device)?;
    let text_ms = start.elapsed().as_secs_f64() * 1e3;
    let sampler = || {
        Sampler::new(&t2i.model, schedule.clone(), &cond, BatchNoise::new(args.seed, n), &device)
            .with_guidance(&uncond, cfg)
            .with_upsample(args.upsample)
    };
    if args.warmup {
        sampler().run(|_| {});
        sync(&device)?;
    }
    println!(
        "{} on {}: {} image(s), schedule {} ({} steps), cfg {cfg}, seed {}{}",
        dir.display(),
        args.device.describe(&device),
        n,
        schedule,
        schedule.steps(),
        args.seed,
        if args.warmup { ", after one warm-up run" } else { "" }
    );
    println!("text encoder  {text_ms:8.1} ms");
    let mut last = Instant::now();
    let mut steps_ms = 0.0;
    let mut sync_error = None;
    let images = sampler().run(|step| {
        if let Err(e) = sync(&device) {
            sync_error.get_or_insert(e);
        }
        let ms = last.elapsed().as_secs_f64() * 1e3;
        steps_ms += ms;
        println!("step {:2}  scale {:3}  sigma {:.4}  {:8.1} ms", step.index + 1, step.scale, step.sigma, ms);
        last = Instant::now();
    });
    if let Some(e) = sync_error {
        return Err(e);
    }
    println!("sampling      {steps_ms:8.1} ms total");
    image_io::save_png(images, &args.out)?;
    println!("wrote {}", args.out.display());
    Ok(())
}

/// The grid's prompts: `--prompt`, or the non-empty lines of `--prompts`, each `--count` times.
fn prompt_list(args: &Args) -> Result<Vec<String>> {
    let base: Vec<String> = match (&args.prompt, &args.prompts) {
        (Some(p), _) => vec![p.clone()],
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read --prompts {}: {e}", path.display()))?;
            text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
        }
        (None, None) => bail!("give --prompt or --prompts"),
    };
    if base.is_empty() {
        bail!("--prompts file has no prompts");
    }
    if let Some(long) = base.iter().find(|p| limits::prompt(p).is_err()) {
        bail!("prompt '{}…': {}", long.chars().take(40).collect::<String>(), limits::prompt(long).unwrap_err());
    }
    let all: Vec<String> = base.iter().flat_map(|p| std::iter::repeat_n(p.clone(), args.count as usize)).collect();
    if all.len() > MAX_IMAGES {
        bail!("{} images requested; at most {MAX_IMAGES} per grid", all.len());
    }
    Ok(all)
}

fn sync(device: &burn::tensor::Device) -> Result<()> {
    device.sync().map_err(|e| anyhow::anyhow!("device error: {e:?}"))
}
