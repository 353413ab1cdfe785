//! `swd-native generate`: sample a schedule and write a PNG, printing each step's time.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Result};
use swd_core::noise::BatchNoise;
use swd_core::resize::UpsampleMode;
use swd_core::{Sampler, ScaleSchedule};

use crate::cli::DeviceArg;
use swd_train::{fsutil, image_io};

use crate::{device, model_dir};

/// Prompts longer than this are refused rather than silently cut.
const MAX_PROMPT_CHARS: usize = 1000;
const MAX_COUNT: usize = 256;

pub struct Args {
    pub model: Option<PathBuf>,
    pub prompt: Option<String>,
    pub prompts: Option<PathBuf>,
    pub schedule: Option<String>,
    pub cfg: Option<f32>,
    pub seed: u64,
    pub count: usize,
    pub upsample: String,
    pub device: DeviceArg,
    pub warmup: bool,
    pub out: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    if args.count == 0 || args.count > MAX_COUNT {
        bail!("--count must be between 1 and {MAX_COUNT}, got {}", args.count);
    }
    let prompts = prompt_list(&args)?;
    let upsample: UpsampleMode = args.upsample.parse()?;
    let dir = model_dir::resolve(args.model)?;
    let device = device::device(args.device);
    let t2i = fsutil::load_model(&dir, &device)?;
    let schedule = ScaleSchedule::parse(args.schedule.as_deref().unwrap_or(&t2i.config.default_schedule))?;
    let cfg = args.cfg.unwrap_or_else(|| t2i.default_guidance(&schedule));
    if !cfg.is_finite() || cfg < 0.0 {
        bail!("--cfg must be a finite number ≥ 0, got {cfg}");
    }

    let start = Instant::now();
    let n = prompts.len();
    let cond = t2i.encode(&prompts, &device)?;
    let uncond = t2i.encode(&vec![""; n], &device)?;
    sync(&device)?;
    let text_ms = start.elapsed().as_secs_f64() * 1e3;
    let sampler = || {
        Sampler::new(&t2i.model, schedule.clone(), &cond, BatchNoise::new(args.seed, n), &device)
            .with_guidance(&uncond, cfg)
            .with_upsample(upsample)
    };
    if args.warmup {
        sampler().run(|_| {});
        sync(&device)?;
    }
    println!(
        "{} on {}: {} image(s), schedule {} ({} steps), cfg {cfg}, seed {}{}",
        dir.display(),
        device::describe(args.device, &device),
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
    if let Some(long) = base.iter().find(|p| p.chars().count() > MAX_PROMPT_CHARS) {
        bail!("prompt '{}…' is longer than {MAX_PROMPT_CHARS} characters", long.chars().take(40).collect::<String>());
    }
    let all: Vec<String> = base.iter().flat_map(|p| std::iter::repeat_n(p.clone(), args.count)).collect();
    if all.len() > MAX_COUNT {
        bail!("{} images requested; at most {MAX_COUNT} per grid", all.len());
    }
    Ok(all)
}

fn sync(device: &burn::tensor::Device) -> Result<()> {
    device.sync().map_err(|e| anyhow::anyhow!("device error: {e:?}"))
}
