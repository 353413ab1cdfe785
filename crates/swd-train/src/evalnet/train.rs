//! Training the evaluation network: cross-entropy on emoji classes plus a category head, on the
//! training split with augmentations; scored on the real held-out images.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use burn::grad_clipping::GradientClippingConfig;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use serde_json::json;
use swd_core::noise::NoiseRng;
use swd_core::weights::{self, StoreDtype};

use super::score::{Accuracy, Outputs};
use super::{Augment, EvalNet, EvalNetConfig, EvalNetFolder, Labels};
use crate::checkpoint::{self, Saved, State};
use crate::data::Dataset;
use crate::fsutil;
use crate::teacher::train::{log_line, trim_log};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalNetTrainConfig {
    pub steps: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub min_lr: f64,
    pub warmup_steps: usize,
    pub weight_decay: f32,
    /// Weight of the category loss next to the class loss.
    pub category_weight: f32,
    pub label_smoothing: f32,
    pub seed: u64,
    pub log_every: usize,
    pub checkpoint_every: usize,
    /// Augmented copies of each held-out image in the reported accuracy.
    pub eval_copies: usize,
}

impl Default for EvalNetTrainConfig {
    fn default() -> Self {
        Self {
            steps: 2000,
            batch_size: 64,
            lr: 2e-3,
            min_lr: 5e-5,
            warmup_steps: 100,
            weight_decay: 0.05,
            category_weight: 0.5,
            label_smoothing: 0.1,
            seed: 0,
            log_every: 25,
            checkpoint_every: 250,
            eval_copies: 4,
        }
    }
}

impl EvalNetTrainConfig {
    fn lr_at(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            return self.lr * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let t = (step - self.warmup_steps) as f64 / (self.steps - self.warmup_steps).max(1) as f64;
        self.min_lr + 0.5 * (self.lr - self.min_lr) * (1.0 + (std::f64::consts::PI * t.min(1.0)).cos())
    }
}

pub struct EvalNetTrainOptions {
    pub config: EvalNetTrainConfig,
    pub data: PathBuf,
    /// Run folder: train_config.json, log.jsonl, checkpoint/, evalnet/ (the shipped network).
    pub out: PathBuf,
    pub resume: bool,
    pub device: Device,
    pub stop: Arc<AtomicBool>,
    pub progress: bool,
}

const CONFIG_FILE: &str = "train_config.json";
const WEIGHTS: &str = "weights.safetensors";
const OPTIMIZER: &str = "optimizer.bin";

/// Held-out (real images never trained on, each in `copies` mild augmentations) and training
/// accuracy of `net`.
pub fn heldout_accuracy(net: &EvalNet, ds: &Dataset, labels: &Labels, indices: &[usize], copies: usize, device: &Device) -> Result<Accuracy> {
    let mut rng = NoiseRng::new(0xe7a1);
    let mut images = Vec::new();
    let mut targets = Vec::new();
    for &i in indices {
        let Some(target) = labels.targets(&ds.records[i]) else { continue };
        let clean = ds.chw(i);
        for copy in 0..copies.max(1) {
            images.extend(if copy == 0 { clean.clone() } else { Augment::EVAL.apply(&clean, ds.size, &mut rng) });
            targets.push(target);
        }
    }
    let outputs = Outputs::compute(net, &images, ds.size, 64, device)?;
    Ok(Accuracy::of(&outputs, &targets))
}

pub fn train(opts: EvalNetTrainOptions) -> Result<serde_json::Value> {
    let cfg = &opts.config;
    if cfg.steps == 0 || cfg.batch_size == 0 || cfg.warmup_steps > cfg.steps {
        bail!("evalnet training needs steps ≥ 1, batch_size ≥ 1 and warmup_steps ≤ steps");
    }
    let ds = Dataset::open(&opts.data)?;
    let train_idx = ds.split("train");
    let heldout_idx = ds.split("heldout");
    if train_idx.is_empty() {
        bail!("dataset {} has no training images", opts.data.display());
    }
    let labels = Labels::from_records(train_idx.iter().map(|&i| &ds.records[i]));
    let net_config = EvalNetConfig { resolution: ds.size, ..EvalNetConfig::new(labels.classes.len(), labels.categories.len()) };
    net_config.validate().map_err(anyhow::Error::msg)?;

    std::fs::create_dir_all(&opts.out).with_context(|| format!("cannot create run folder {}", opts.out.display()))?;
    let config_path = opts.out.join(CONFIG_FILE);
    let log_path = opts.out.join("log.jsonl");
    let plain = opts.device.clone();
    let device = plain.clone().autodiff();
    plain.seed(cfg.seed);
    let mut optimizer = AdamWConfig::new()
        .with_weight_decay(cfg.weight_decay)
        .with_grad_clipping(Some(GradientClippingConfig::Norm(1.0)))
        .init();
    let (mut net, mut state) = if opts.resume {
        let saved: EvalNetTrainConfig = serde_json::from_slice(&std::fs::read(&config_path).with_context(|| format!("cannot resume: {} is missing", config_path.display()))?)?;
        if (EvalNetTrainConfig { steps: cfg.steps, ..saved }) != *cfg {
            bail!("cannot resume: the settings differ from the run's {} (only steps may change)", config_path.display());
        }
        let ck = Saved::open(&opts.out)?;
        let net = weights::load(net_config.init(&device), &ck.read(WEIGHTS)?)?;
        optimizer = optimizer.load_record(ck.optimizer(OPTIMIZER)?);
        trim_log(&log_path, ck.state.step)?;
        (net, ck.state)
    } else {
        if opts.out.join("checkpoint").exists() {
            bail!("{} already holds a run; pass --resume to continue it or choose another --out", opts.out.display());
        }
        fsutil::write_atomic(&config_path, &serde_json::to_vec_pretty(cfg)?)?;
        (net_config.init(&device), State { step: 0, rng: NoiseRng::new(cfg.seed ^ 0xe7a1) })
    };
    let class_loss = CrossEntropyLossConfig::new().with_smoothing(Some(cfg.label_smoothing)).init(&device);
    let category_loss = CrossEntropyLossConfig::new().init(&device);

    let bar = if opts.progress { ProgressBar::new(cfg.steps as u64) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} eta {eta} {msg}").expect("template").progress_chars("=> "));
    bar.set_position(state.step as u64);
    let started = Instant::now();
    let first_step = state.step;
    let save = |net: &EvalNet, optimizer: burn::optim::OptimizerRecord, state: &State| -> Result<()> {
        let files = vec![(WEIGHTS, weights::to_safetensors(net, StoreDtype::F32, Default::default())?), (OPTIMIZER, checkpoint::optimizer_bytes(optimizer)?)];
        checkpoint::save(&opts.out, files, state)
    };
    let size = ds.size;
    while state.step < cfg.steps {
        if opts.stop.load(Ordering::SeqCst) {
            save(&net, optimizer.to_record(), &state)?;
            bar.finish_and_clear();
            bail!("stopped at step {}; checkpoint saved, continue with --resume", state.step);
        }
        let rng = &mut state.rng;
        let indices: Vec<usize> = (0..cfg.batch_size).map(|_| train_idx[rng.below(train_idx.len())]).collect();
        let mut pixels = Vec::with_capacity(indices.len() * 3 * size * size);
        for &i in &indices {
            pixels.extend(Augment::TRAIN.apply(&ds.chw(i), size, rng));
        }
        let b = indices.len();
        let targets = |f: &dyn Fn(usize) -> usize| {
            let t: Vec<i64> = indices.iter().map(|&i| f(i) as i64).collect();
            Tensor::<1, Int>::from_data(TensorData::new(t, [b]), &device)
        };
        let class_t = targets(&|i| labels.class_of(&ds.records[i]).expect("training classes come from the training split"));
        let category_t = targets(&|i| labels.category_of(&ds.records[i]).expect("training categories come from the training split"));
        let x = Tensor::<4>::from_data(TensorData::new(pixels, [b, 3, size, size]), &device);
        let logits = net.heads(net.features(x));
        let loss = class_loss.forward(logits.class, class_t) + category_loss.forward(logits.category, category_t).mul_scalar(cfg.category_weight);
        let lr = cfg.lr_at(state.step);
        let log_now = (state.step + 1) % cfg.log_every == 0 || state.step + 1 == cfg.steps;
        let loss_value = log_now.then(|| loss.clone().into_scalar::<f32>());
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optimizer.step(lr, net, grads);
        state.step += 1;
        bar.inc(1);
        if let Some(l) = loss_value {
            if !l.is_finite() {
                bail!("loss became {l} at step {}; lower the learning rate", state.step);
            }
            bar.set_message(format!("loss {l:.3} lr {lr:.1e}"));
            let rate = (state.step - first_step) as f64 / started.elapsed().as_secs_f64().max(1e-9);
            log_line(&log_path, json!({"step": state.step, "loss": l, "lr": lr, "steps_per_s": rate}))?;
        }
        if state.step % cfg.checkpoint_every == 0 || state.step == cfg.steps {
            save(&net, optimizer.to_record(), &state)?;
        }
    }
    bar.finish_and_clear();

    let net = net.valid();
    let heldout = heldout_accuracy(&net, &ds, &labels, &heldout_idx, cfg.eval_copies, &plain)?;
    let mut rng = NoiseRng::new(cfg.seed ^ 0x7a1);
    let train_sample: Vec<usize> = (0..heldout_idx.len().clamp(64, 512)).map(|_| train_idx[rng.below(train_idx.len())]).collect();
    let train_acc = heldout_accuracy(&net, &ds, &labels, &train_sample, 1, &plain)?;
    let report = json!({
        "steps": state.step,
        "data": opts.data.display().to_string(),
        "classes": net_config.classes,
        "categories": net_config.categories,
        "params": net.num_params(),
        "heldout": heldout,
        "heldout_note": format!("real held-out images (unseen skin-tone variants of trained emoji), each scored clean and in {} mild augmentations", cfg.eval_copies.max(1) - 1),
        "train_sample": train_acc,
        "train_config": cfg,
    });
    EvalNetFolder::save(&opts.out.join("evalnet"), &net_config, &labels, &net, StoreDtype::F16, &report)?;
    Ok(report)
}
