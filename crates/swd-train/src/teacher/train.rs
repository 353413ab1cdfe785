//! The teacher's training loop.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use swd_core::noise::NoiseRng;
use swd_core::weights::{self, StoreDtype};
use swd_core::{ModelConfig, ScaleSchedule, SwdModel, TextToImage, TextTokenizer, flow, resize};

use super::TeacherConfig;
use crate::checkpoint::State;
use crate::data::Dataset;
use crate::optim::FlatAdamWConfig;
use crate::run::{Run, RunOptions, RunSummary};
use crate::{ema, fsutil, image_io, lr, param_ids};

/// The checkpoint's files (beside `state.json`).
const MODEL: &str = "model.safetensors";
const EMA: &str = "ema.safetensors";
const OPTIMIZER: &str = "optimizer.safetensors";

pub struct TrainOptions {
    pub config: TeacherConfig,
    pub data: PathBuf,
    pub run: RunOptions,
    /// Start a new run from this model folder's weights instead of a random initialisation.
    pub init: Option<PathBuf>,
    /// Plain device; training runs on its autodiff version.
    pub device: Device,
}

/// A batch's caption indices and dropout → prompts.
fn prompts(ds: &Dataset, indices: &[usize], rng: &mut NoiseRng, dropout: f64) -> Vec<String> {
    indices.iter().map(|&i| if rng.uniform() < dropout { String::new() } else { ds.records[i].caption.clone() }).collect()
}

/// The fixed prompts of the progress grids: `n` training captions of distinct emoji, spread
/// evenly over the dataset.
pub(crate) fn sample_prompts(ds: &Dataset, n: usize) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let distinct: Vec<&str> = ds
        .records
        .iter()
        .filter(|r| r.split == "train" && seen.insert((r.base.as_str(), r.style.as_str())))
        .map(|r| r.caption.as_str())
        .collect();
    let stride = (distinct.len() / n.max(1)).max(1);
    distinct.into_iter().step_by(stride).take(n).map(str::to_string).collect()
}

pub(crate) fn sample_grid(
    t2i: &TextToImage,
    prompts: &[String],
    schedule: &ScaleSchedule,
    cfg: f32,
    device: &Device,
    path: &Path,
) -> Result<()> {
    image_io::save_png(t2i.generate(prompts, schedule, cfg, 0, device)?, path)
}

pub fn train(opts: TrainOptions) -> Result<RunSummary> {
    let cfg = &opts.config;
    let ds = Dataset::open(&opts.data)?;
    let train_idx = ds.split("train");
    if train_idx.is_empty() {
        bail!("dataset {} has no training images", opts.data.display());
    }
    let tokenizer_path = opts.data.join(swd_core::model::TOKENIZER_FILE);
    let tokenizer =
        TextTokenizer::from_bytes(&std::fs::read(&tokenizer_path).with_context(|| format!("cannot read {}", tokenizer_path.display()))?)?;
    let mut model_config = ModelConfig::preset(cfg.preset, tokenizer.vocab_size());
    model_config.resolution = ds.size;
    model_config.default_schedule = "euler:32".into();
    model_config.default_cfg = cfg.sample_cfg;
    let sample_schedule = cfg.sample_schedule()?.at(ds.size)?;
    if opts.run.resume && opts.init.is_some() {
        bail!("--init starts a new run; it cannot be combined with --resume");
    }
    let plain = opts.device.clone();
    let device = plain.clone().autodiff();
    let model_dir = opts.run.out.join("model");
    // Data parallel: every rank draws the global batch's randomness and trains on its rows.
    let world = opts.run.world.clone();
    let shard = world.shard(cfg.batch_size)?;

    // Model, EMA, optimizer, RNG: fresh or from the checkpoint.
    plain.seed(cfg.seed);
    let mut optimizer = FlatAdamWConfig::new(cfg.weight_decay, cfg.grad_clip).init().with_world(&world);
    let (mut run, saved) = Run::open(&opts.run, cfg)?;
    let (mut model, mut ema_model, mut state) = match saved {
        Some(ck) => {
            // The run's own architecture (it may have started from an --init model).
            let run_config = model_dir.join(swd_core::model::CONFIG_FILE);
            model_config =
                ModelConfig::from_json(&std::fs::read(&run_config).with_context(|| format!("cannot read {}", run_config.display()))?)?;
            let model = param_ids::assign(weights::load(SwdModel::new(&model_config, &device), &ck.read(MODEL)?)?, 0);
            // The model's parameter ids: the EMA runs on the optimizer's layout, which names them.
            let ema_model = param_ids::assign(weights::load(SwdModel::new(&model_config, &plain), &ck.read(EMA)?)?, 0);
            optimizer = optimizer.load_bytes(&ck.read(OPTIMIZER)?, &plain)?;
            (model, ema_model, ck.state)
        }
        None => {
            let fresh = match &opts.init {
                Some(dir) => {
                    let start = fsutil::load_model(dir, &device)?;
                    if start.tokenizer.to_json() != tokenizer.to_json() {
                        bail!("--init model {} was trained with another tokenizer than the dataset's", dir.display());
                    }
                    model_config = ModelConfig {
                        default_schedule: model_config.default_schedule,
                        default_cfg: model_config.default_cfg,
                        ..start.config
                    };
                    start.model
                }
                None => SwdModel::new(&model_config, &device),
            };
            let model = param_ids::assign(fresh, 0);
            let ema_model = model.valid();
            (model, ema_model, State { step: 0, rng: NoiseRng::new(cfg.seed ^ 0x5eed) })
        }
    };
    world.check_replicas(&model, &format!("the model at step {}", state.step))?;
    let mut lr = lr::warmup(cfg.lr, cfg.warmup_steps, None, state.step)?;
    let mut ema_flat = None;
    let prompts_fixed = sample_prompts(&ds, cfg.sample_prompts);
    run.sample_prompts(&prompts_fixed)?;
    let t2i = |ema_model: &SwdModel| TextToImage { config: model_config.clone(), tokenizer: tokenizer.clone(), model: ema_model.clone() };

    while let Some(log_now) = run.next_step(state.step) {
        let rng = &mut state.rng;
        let scale = cfg.scales[rng.below(cfg.scales.len())];
        let indices: Vec<usize> = (0..cfg.batch_size).map(|_| train_idx[rng.below(train_idx.len())]).collect();
        let texts = shard.rows(&prompts(&ds, &indices, rng, cfg.caption_dropout));
        let x0 = resize::area_resize(ds.images(&shard.rows(&indices), &device), scale);
        let (global, b) = (indices.len(), shard.len);
        let eps = shard.rows(&rng.normals(global * 3 * scale * scale));
        let eps = Tensor::<4>::from_data(TensorData::new(eps, [b, 3, scale, scale]), &device);
        let sigmas = shard.rows(&flow::logit_normal_sigmas(rng, global, cfg.sigma_mean, cfg.sigma_std));
        let sigma = Tensor::<1>::from_data(TensorData::new(sigmas, [b]), &device);
        let xt = flow::add_noise(x0.clone(), eps.clone(), sigma.clone());

        let batch = tokenizer.encode_batch(&texts, model_config.text.max_tokens)?;
        let (ids, mask) = batch.to_tensors(&device);
        let text = model.text_encoder.forward(ids, mask);
        let v = model.forward(xt, sigma, &text).velocity;
        let loss = (v - flow::velocity_target(x0, eps)).powi_scalar(2).mean();
        let rate = lr.step();
        let loss_value = log_now.then(|| loss.clone().into_scalar::<f32>());
        let loss_value = match loss_value {
            Some(l) => Some(world.mean_values(vec![l])?[0]),
            None => None,
        };
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(rate.base(), model, grads)?;
        // The EMA runs on the optimizer's flat buffer; the module is only rebuilt when saved.
        let params = optimizer.params().expect("a step was taken").clone();
        let ema_old = ema_flat.take().unwrap_or_else(|| optimizer.flatten(&ema_model));
        ema_flat = Some(ema::blend(ema_old, params, ema::warmup_decay(cfg.ema_decay, state.step)));
        state.step += 1;

        if let Some(l) = loss_value {
            run.log(state.step, &[("loss", l as f64), ("lr", rate.base()), ("scale", scale as f64)])?;
        }
        let due = run.step_done(state.step)?;
        if let (true, Some(flat)) = (due.checkpoint || due.samples, &ema_flat) {
            ema_model = optimizer.scatter(ema_model, flat);
        }
        if due.checkpoint {
            world.check_replicas(&model, &format!("the model at step {}", state.step))?;
        }
        if !run.is_writer() {
            continue;
        }
        if due.checkpoint {
            let files = vec![
                (MODEL, weights::to_safetensors(&model.valid(), StoreDtype::F32, HashMap::new())?),
                (EMA, weights::to_safetensors(&ema_model, StoreDtype::F32, HashMap::new())?),
                (OPTIMIZER, optimizer.to_bytes()?),
            ];
            run.checkpoint(files, &state)?;
            fsutil::write_model(&model_dir, &t2i(&ema_model).to_files(StoreDtype::F32)?)?;
        }
        if due.samples {
            sample_grid(&t2i(&ema_model), &prompts_fixed, &sample_schedule, cfg.sample_cfg, &plain, &run.sample_path(state.step))?;
        }
    }
    Ok(run.finish(state.step))
}
