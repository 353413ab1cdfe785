//! `eval`: generate images for the evaluation prompts with fixed seeds and compare them with
//! the real images of the same prompts through the evaluation network.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::tensor::Device;
use indicatif::ProgressBar;
use safetensors::tensor::{Dtype, TensorView};
use serde::Serialize;
use swd_core::noise::NoiseRng;
use swd_core::{ScaleSchedule, ScheduleSpec, TextToImage, resize};

use super::bootstrap::{Intervals, Measured, intervals};
use super::metrics::{Features, Gaussian, diversity_per_group, frechet_distance, precision_recall};
use crate::data::Dataset;
use crate::evalnet::EvalNetFolder;
use crate::evalnet::score::{Accuracy, Outputs};
use crate::run::progress_bar;
use crate::{fsutil, image_io};

pub struct EvalOptions {
    pub model: PathBuf,
    /// Default: the model's own.
    pub schedule: Option<ScheduleSpec>,
    /// Guidance scale (default: the schedule's, see `TextToImage::default_guidance`).
    pub cfg: Option<f32>,
    pub data: PathBuf,
    pub evalnet: PathBuf,
    /// Generated (and real) images compared.
    pub n: usize,
    /// Neighbours of precision/recall's k-NN balls.
    pub k: usize,
    pub seed: u64,
    pub batch: usize,
    /// Prompts × seeds of the diversity measurement.
    pub diversity_prompts: usize,
    pub diversity_seeds: usize,
    /// Where to draw the first 16 evaluation prompts as a grid (the same in every run).
    pub samples: Option<PathBuf>,
    /// Bootstrap resamples for the 95% intervals (0: none).
    pub bootstrap: usize,
    pub device: Device,
    pub progress: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub model: String,
    pub schedule: String,
    pub steps: usize,
    pub nfe: usize,
    pub cfg: f32,
    pub n: usize,
    pub seed: u64,
    pub fid: f64,
    pub precision: f64,
    pub recall: f64,
    pub k: usize,
    /// The evaluation network's accuracy on the prompted emoji.
    pub prompt: Accuracy,
    /// The same on the real images of the prompts: the ceiling of `prompt`.
    pub real_prompt: Accuracy,
    /// Mean pairwise feature distance between images of one prompt (different seeds).
    pub diversity: f64,
    pub diversity_prompts: usize,
    pub diversity_seeds: usize,
    pub evalnet: String,
    pub real_stats_cached: bool,
    /// 95% bootstrap intervals of the metrics above (absent when not asked for).
    pub intervals: Option<Intervals>,
    pub seconds: f64,
}

/// The evaluation records: every held-out record, then training records in a fixed shuffled
/// order, `n` in all (fewer when the dataset is smaller).
pub fn eval_records(ds: &Dataset, n: usize, seed: u64) -> Vec<usize> {
    let mut train = ds.split("train");
    let mut rng = NoiseRng::new(seed ^ 0xe7a1_5e1);
    for i in (1..train.len()).rev() {
        train.swap(i, rng.below(i + 1));
    }
    ds.split("heldout").into_iter().chain(train).take(n).collect()
}

/// Real-image features and accuracy, computed once per (network, dataset, n, seed).
struct RealStats {
    features: Vec<f32>,
    accuracy: Accuracy,
}

fn cache_path(data: &Path, net: &EvalNetFolder, n: usize, seed: u64) -> PathBuf {
    data.join("eval-cache").join(format!("real-{:016x}-n{n}-s{seed}.safetensors", net.fingerprint))
}

fn real_stats(
    ds: &Dataset,
    data: &Path,
    net: &EvalNetFolder,
    records: &[usize],
    targets: &[(usize, usize)],
    seed: u64,
    device: &Device,
) -> Result<(RealStats, bool)> {
    let path = cache_path(data, net, records.len(), seed);
    if let Ok(bytes) = std::fs::read(&path) {
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).with_context(|| format!("corrupt cache {}", path.display()))?;
        let st = safetensors::SafeTensors::deserialize(&bytes).with_context(|| format!("corrupt cache {}", path.display()))?;
        let view = st.tensor("features").with_context(|| format!("corrupt cache {}", path.display()))?;
        let accuracy = meta.metadata().as_ref().and_then(|m| m.get("accuracy")).and_then(|a| serde_json::from_str::<Accuracy>(a).ok());
        if let (Some(a), Dtype::F32) = (accuracy, view.dtype()) {
            let features = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            return Ok((RealStats { features, accuracy: a }, true));
        }
    }
    let images: Vec<f32> = records.iter().flat_map(|&i| ds.chw(i)).collect();
    let outputs = Outputs::compute(&net.net, &images, ds.size, 64, device)?;
    let accuracy = Accuracy::of(&outputs, targets);
    let bytes: Vec<u8> = outputs.features.iter().flat_map(|v| v.to_le_bytes()).collect();
    let view = TensorView::new(Dtype::F32, vec![outputs.n, outputs.dim], &bytes)?;
    let meta = HashMap::from([("accuracy".to_string(), serde_json::to_string(&accuracy)?)]);
    let file = safetensors::serialize([("features", view)], Some(meta))?;
    std::fs::create_dir_all(path.parent().expect("cache file has a folder"))?;
    fsutil::write_atomic(&path, &file)?;
    Ok((RealStats { features: outputs.features, accuracy }, false))
}

/// Generates one image per prompt (`prompts[i]` from seed `seeds[i]`) at the network's
/// resolution, as channel-major values.
fn generate(
    t2i: &TextToImage,
    prompts: &[&str],
    seeds: &[u64],
    schedule: &ScaleSchedule,
    cfg: f32,
    batch: usize,
    resolution: usize,
    device: &Device,
    bar: &ProgressBar,
) -> Result<Vec<f32>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < prompts.len() {
        // A batch shares consecutive seeds; break it where the caller's seeds jump.
        let mut b = 1;
        while i + b < prompts.len() && b < batch && seeds[i + b] == seeds[i] + b as u64 {
            b += 1;
        }
        let images = t2i.generate(&prompts[i..i + b], schedule, cfg, seeds[i], device)?;
        let images = if images.dims()[2] == resolution { images } else { resize::area_resize(images, resolution) };
        out.extend(images.into_data().convert::<f32>().try_into_vec::<f32>().map_err(|e| anyhow::anyhow!("{e:?}"))?);
        i += b;
        bar.inc(b as u64);
    }
    Ok(out)
}

pub fn evaluate(opts: &EvalOptions) -> Result<EvalReport> {
    let started = Instant::now();
    if opts.k == 0 || opts.n < 2 * opts.k || opts.batch == 0 {
        bail!("eval needs k ≥ 1, n ≥ 2k images and batch ≥ 1 (got k {}, n {}, batch {})", opts.k, opts.n, opts.batch);
    }
    let device = &opts.device;
    let t2i = fsutil::load_model(&opts.model, device)?;
    let net = EvalNetFolder::load(&opts.evalnet, device)?;
    let ds = Dataset::open(&opts.data)?;
    if ds.size != net.config.resolution {
        bail!("dataset images are {}², the evaluation network expects {}²", ds.size, net.config.resolution);
    }
    let schedule = t2i.schedule(opts.schedule.as_ref())?;
    let cfg = opts.cfg.unwrap_or_else(|| t2i.default_guidance(&schedule));
    // Only records whose emoji and category the network knows can be scored.
    let (records, targets): (Vec<usize>, Vec<(usize, usize)>) =
        eval_records(&ds, opts.n, opts.seed).into_iter().filter_map(|i| net.labels.targets(&ds.records[i]).map(|t| (i, t))).unzip();
    if records.len() < 2 * opts.k {
        bail!("only {} evaluation images have a class and category the evaluation network knows", records.len());
    }
    let (real, cached) = real_stats(&ds, &opts.data, &net, &records, &targets, opts.seed, device)?;

    let prompts: Vec<&str> = records.iter().map(|&i| ds.records[i].caption.as_str()).collect();
    let n = prompts.len();
    let div_prompts = opts.diversity_prompts.min(n);
    let total = n + div_prompts * opts.diversity_seeds;
    let bar = progress_bar(total, opts.progress, " images");
    let seeds: Vec<u64> = (0..n as u64).map(|i| opts.seed + i).collect();
    let res = net.config.resolution;
    let fake = generate(&t2i, &prompts, &seeds, &schedule, cfg, opts.batch, res, device, &bar)?;
    // Diversity: the first prompts again, each from several fresh seeds (a whole batch per prompt).
    let div_seed = opts.seed + 1_000_000;
    let mut div_images = Vec::new();
    for p in 0..div_prompts {
        let same = vec![prompts[p]; opts.diversity_seeds];
        let s: Vec<u64> = (0..opts.diversity_seeds as u64).map(|k| div_seed + (p * opts.diversity_seeds) as u64 + k).collect();
        div_images.extend(generate(&t2i, &same, &s, &schedule, cfg, opts.batch, res, device, &bar)?);
    }
    bar.finish_and_clear();

    let fake_out = Outputs::compute(&net.net, &fake, res, 64, device)?;
    let div_out = Outputs::compute(&net.net, &div_images, res, 64, device)?;
    let dim = fake_out.dim;
    let (real_f, fake_f) = (Features::new(dim, &real.features), Features::new(dim, &fake_out.features));
    let fid = frechet_distance(&Gaussian::fit(real_f), &Gaussian::fit(fake_f));
    let (precision, recall) = precision_recall(real_f, fake_f, opts.k);
    let groups: Vec<Vec<usize>> = (0..div_prompts).map(|p| (p * opts.diversity_seeds..(p + 1) * opts.diversity_seeds).collect()).collect();
    let div_per_prompt = if div_out.n == 0 { Vec::new() } else { diversity_per_group(Features::new(dim, &div_out.features), &groups) };
    let diversity = if div_per_prompt.is_empty() { f64::NAN } else { div_per_prompt.iter().sum::<f64>() / div_per_prompt.len() as f64 };
    let ranks: Vec<usize> = targets.iter().enumerate().map(|(i, &(c, _))| fake_out.class_rank(i, c)).collect();
    let (top1_hits, top5_hits): (Vec<bool>, Vec<bool>) = ranks.iter().map(|&r| (r == 0, r < 5)).unzip();
    let intervals = (opts.bootstrap > 0).then(|| {
        let measured = Measured {
            real: real_f,
            fake: fake_f,
            top1_hits: &top1_hits,
            top5_hits: &top5_hits,
            k: opts.k,
            diversity_per_prompt: &div_per_prompt,
        };
        intervals(&measured, opts.bootstrap, opts.seed)
    });

    if let Some(path) = &opts.samples {
        let k = n.min(16);
        let grid = burn::tensor::Tensor::<4>::from_data(
            burn::tensor::TensorData::new(fake[..k * 3 * res * res].to_vec(), [k, 3, res, res]),
            device,
        );
        image_io::save_png(grid, path)?;
    }
    Ok(EvalReport {
        model: opts.model.display().to_string(),
        schedule: schedule.name(),
        steps: schedule.steps(),
        nfe: schedule.evaluations(cfg),
        cfg,
        n,
        seed: opts.seed,
        fid,
        precision,
        recall,
        k: opts.k,
        prompt: Accuracy::of(&fake_out, &targets),
        real_prompt: real.accuracy,
        diversity,
        diversity_prompts: div_prompts,
        diversity_seeds: opts.diversity_seeds,
        evalnet: opts.evalnet.display().to_string(),
        real_stats_cached: cached,
        intervals,
        seconds: started.elapsed().as_secs_f64(),
    })
}
