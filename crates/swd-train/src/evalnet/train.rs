//! Training the evaluation network: cross-entropy on emoji classes plus a category head, on the
//! training split with augmentations; scored on the real held-out images.

use std::path::PathBuf;

use anyhow::{Result, bail};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde_json::json;
use swd_core::noise::NoiseRng;
use swd_core::weights::{self, StoreDtype};

use super::score::{Accuracy, Outputs};
use super::{Augment, EvalNet, EvalNetConfig, EvalNetFolder, EvalNetTrainConfig, Labels};
use crate::checkpoint::State;
use crate::data::Dataset;
use crate::optim::FlatAdamWConfig;
use crate::run::{Run, RunOptions, RunSummary};
use crate::{lr, param_ids};

pub struct EvalNetTrainOptions {
    pub config: EvalNetTrainConfig,
    pub data: PathBuf,
    /// Run folder: config.toml, log.jsonl, checkpoint/, evalnet/ (the shipped network).
    pub run: RunOptions,
    pub device: Device,
}

/// How training ended: the run, and the report of the network it wrote (`None` when stopped
/// before the last step: the checkpoint continues with --resume).
pub struct EvalNetTrainSummary {
    pub run: RunSummary,
    pub report: Option<serde_json::Value>,
}

const WEIGHTS: &str = "model.safetensors";
const OPTIMIZER: &str = "optimizer.safetensors";

/// Held-out (real images never trained on, each in `copies` mild augmentations) and training
/// accuracy of `net`.
pub fn heldout_accuracy(
    net: &EvalNet,
    ds: &Dataset,
    labels: &Labels,
    indices: &[usize],
    copies: usize,
    device: &Device,
) -> Result<Accuracy> {
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

pub fn train(opts: EvalNetTrainOptions) -> Result<EvalNetTrainSummary> {
    let cfg = &opts.config;
    let ds = Dataset::open(&opts.data)?;
    let train_idx = ds.split("train");
    let heldout_idx = ds.split("heldout");
    if train_idx.is_empty() {
        bail!("dataset {} has no training images", opts.data.display());
    }
    let labels = Labels::from_records(train_idx.iter().map(|&i| &ds.records[i]));
    let net_config = EvalNetConfig { resolution: ds.size, ..EvalNetConfig::new(labels.classes.len(), labels.categories.len()) };
    net_config.validate().map_err(anyhow::Error::msg)?;

    let plain = opts.device.clone();
    let device = plain.clone().autodiff();
    plain.seed(cfg.seed);
    let mut optimizer = FlatAdamWConfig::new(cfg.weight_decay, 1.0).init();
    let (mut run, saved) = Run::open(&opts.run, cfg)?;
    let (mut net, mut state) = match saved {
        Some(ck) => {
            // Stable parameter ids: the saved optimizer layout names them.
            let net = param_ids::assign(weights::load(net_config.init(&device), &ck.read(WEIGHTS)?)?, 0);
            optimizer = optimizer.load_bytes(&ck.read(OPTIMIZER)?, &plain)?;
            (net, ck.state)
        }
        None => (param_ids::assign(net_config.init(&device), 0), State { step: 0, rng: NoiseRng::new(cfg.seed ^ 0xe7a1) }),
    };
    let mut lr = lr::warmup(cfg.lr, cfg.warmup_steps, Some(lr::Cosine { min_lr: cfg.min_lr, steps: cfg.steps }), state.step)?;
    let class_loss = CrossEntropyLossConfig::new().with_smoothing(Some(cfg.label_smoothing)).init(&device);
    let category_loss = CrossEntropyLossConfig::new().init(&device);
    let size = ds.size;
    while let Some(log_now) = run.next_step(state.step) {
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
        let loss =
            class_loss.forward(logits.class, class_t) + category_loss.forward(logits.category, category_t).mul_scalar(cfg.category_weight);
        let rate = lr.step();
        let loss_value = log_now.then(|| loss.clone().into_scalar::<f32>());
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optimizer.step(rate.base(), net, grads)?;
        state.step += 1;
        if let Some(l) = loss_value {
            run.log(state.step, &[("loss", l as f64), ("lr", rate.base())])?;
        }
        if run.step_done(state.step)?.checkpoint {
            let files =
                vec![(WEIGHTS, weights::to_safetensors(&net, StoreDtype::F32, Default::default())?), (OPTIMIZER, optimizer.to_bytes()?)];
            run.checkpoint(files, &state)?;
        }
    }
    let summary = run.finish(state.step);
    if summary.stopped_early {
        return Ok(EvalNetTrainSummary { run: summary, report: None });
    }

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
    EvalNetFolder::save(&opts.run.out.join("evalnet"), &net_config, &labels, &net, StoreDtype::F16, &report)?;
    Ok(EvalNetTrainSummary { run: summary, report: Some(report) })
}
