//! The teacher's training loop.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::grad_clipping::GradientClippingConfig;
use burn::tensor::{Device, Tensor, TensorData};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use swd_core::noise::NoiseRng;
use swd_core::weights::{self, StoreDtype};
use swd_core::{flow, resize, ModelConfig, ScaleSchedule, SwdModel, TextTokenizer, TextToImage};

use super::checkpoint::{self, State};
use super::TeacherConfig;
use crate::data::Dataset;
use crate::{ema, fsutil, image_io, param_ids};

pub struct TrainOptions {
    pub config: TeacherConfig,
    pub data: PathBuf,
    pub out: PathBuf,
    pub resume: bool,
    /// Start a new run from this model folder's weights instead of a random initialisation.
    pub init: Option<PathBuf>,
    /// Plain device; training runs on its autodiff version.
    pub device: Device,
    /// Set to stop after the current step with a checkpoint (Ctrl-C / SIGTERM).
    pub stop: Arc<AtomicBool>,
    pub progress: bool,
}

#[derive(Debug, Clone)]
pub struct TrainSummary {
    pub steps_done: usize,
    pub final_loss: Option<f32>,
    pub steps_per_s: f64,
    pub stopped_early: bool,
}

/// A batch's caption indices and dropout → prompts.
fn prompts(ds: &Dataset, indices: &[usize], rng: &mut NoiseRng, dropout: f64) -> Vec<String> {
    indices
        .iter()
        .map(|&i| if rng.uniform() < dropout { String::new() } else { ds.records[i].caption.clone() })
        .collect()
}

pub(crate) fn log_line(path: &Path, value: serde_json::Value) -> Result<()> {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).with_context(|| format!("cannot open {}", path.display()))?;
    writeln!(f, "{value}")?;
    Ok(())
}

/// On `--resume` from the checkpoint of `step`: drops the log lines of later steps (a run killed
/// after its last checkpoint logged steps that it now runs again), so every step has one line.
pub(crate) fn trim_log(path: &Path, step: usize) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(()) };
    let after = |line: &str| serde_json::from_str::<serde_json::Value>(line).ok().and_then(|v| v["step"].as_u64()).is_some_and(|s| s > step as u64);
    let kept: String = text.lines().filter(|l| !after(l)).map(|l| format!("{l}\n")).collect();
    if kept.len() != text.len() {
        fsutil::write_atomic(path, kept.as_bytes())?;
    }
    Ok(())
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

pub(crate) fn sample_grid(t2i: &TextToImage, prompts: &[String], schedule: &ScaleSchedule, cfg: f32, device: &Device, path: &Path) -> Result<()> {
    image_io::save_png(t2i.generate(prompts, schedule, cfg, 0, device)?, path)
}

pub fn train(opts: TrainOptions) -> Result<TrainSummary> {
    let cfg = &opts.config;
    let ds = Dataset::open(&opts.data)?;
    let train_idx = ds.split("train");
    if train_idx.is_empty() {
        bail!("dataset {} has no training images", opts.data.display());
    }
    let tokenizer_path = opts.data.join(swd_core::model::TOKENIZER_FILE);
    let tokenizer = TextTokenizer::from_bytes(&std::fs::read(&tokenizer_path).with_context(|| format!("cannot read {}", tokenizer_path.display()))?)?;
    let mut model_config = ModelConfig::preset(&cfg.preset, tokenizer.vocab_size())?;
    model_config.resolution = ds.size;
    model_config.default_schedule = format!("euler:32@{}", ds.size);
    model_config.default_cfg = cfg.sample_cfg;
    let sample_schedule = ScaleSchedule::parse(&cfg.sample_schedule)?;

    std::fs::create_dir_all(&opts.out).with_context(|| format!("cannot create run folder {}", opts.out.display()))?;
    let config_path = opts.out.join("config.toml");
    let log_path = opts.out.join("log.jsonl");
    let plain = opts.device.clone();
    let device = plain.clone().autodiff();

    // Model, EMA, optimizer, RNG: fresh or from the checkpoint.
    plain.seed(cfg.seed);
    let mut optimizer = AdamWConfig::new()
        .with_weight_decay(cfg.weight_decay)
        .with_grad_clipping(Some(GradientClippingConfig::Norm(cfg.grad_clip)))
        .init();
    if opts.resume && opts.init.is_some() {
        bail!("--init starts a new run; it cannot be combined with --resume");
    }
    let (mut model, mut ema_model, mut state) = if opts.resume {
        let saved: TeacherConfig = toml::from_str(&std::fs::read_to_string(&config_path).with_context(|| format!("cannot resume: {} is missing", config_path.display()))?)?;
        // Only the step count may change (to extend a run).
        if (TeacherConfig { steps: cfg.steps, ..saved }) != *cfg {
            bail!("cannot resume: the config differs from the run's {} (only steps may change)", config_path.display());
        }
        let ck = checkpoint::load(&opts.out)?;
        // The run's own architecture (it may have started from an --init model).
        let run_config = opts.out.join("model").join(swd_core::model::CONFIG_FILE);
        model_config = ModelConfig::from_json(&std::fs::read(&run_config).with_context(|| format!("cannot read {}", run_config.display()))?)?;
        let fresh = SwdModel::new(&model_config, &device);
        let model = param_ids::assign(weights::load(fresh, &ck.model_weights)?, 0);
        let ema_model = weights::load(SwdModel::new(&model_config, &plain), &ck.ema_weights)?;
        optimizer = optimizer.load_record(ck.optimizer);
        trim_log(&log_path, ck.state.step)?;
        (model, ema_model, ck.state)
    } else {
        if opts.out.join("checkpoint").exists() {
            bail!("{} already holds a run; pass --resume to continue it or choose another --out", opts.out.display());
        }
        let fresh = match &opts.init {
            Some(dir) => {
                let start = fsutil::load_model(dir, &device)?;
                if start.tokenizer.to_json() != tokenizer.to_json() {
                    bail!("--init model {} was trained with another tokenizer than the dataset's", dir.display());
                }
                model_config = ModelConfig { default_schedule: model_config.default_schedule, default_cfg: model_config.default_cfg, ..start.config };
                start.model
            }
            None => SwdModel::new(&model_config, &device),
        };
        fsutil::write_atomic(&config_path, cfg.to_toml().as_bytes())?;
        let model = param_ids::assign(fresh, 0);
        let ema_model = model.valid();
        (model, ema_model, State { step: 0, rng: NoiseRng::new(cfg.seed ^ 0x5eed) })
    };
    let prompts_fixed = sample_prompts(&ds, cfg.sample_prompts);
    let samples_dir = opts.out.join("samples");
    std::fs::create_dir_all(&samples_dir).with_context(|| format!("cannot create {}", samples_dir.display()))?;
    fsutil::write_atomic(&samples_dir.join("prompts.txt"), (prompts_fixed.join("\n") + "\n").as_bytes())?;

    let bar = if opts.progress { ProgressBar::new(cfg.steps as u64) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} eta {eta} {msg}").expect("template").progress_chars("=> "));
    bar.set_position(state.step as u64);
    let started = Instant::now();
    let first_step = state.step;
    let mut last_loss = None;
    let mut stopped_early = false;
    let save_all = |model: &SwdModel, ema_model: &SwdModel, optimizer: burn::optim::OptimizerRecord, state: &State| -> Result<()> {
        checkpoint::save(&opts.out, &model.valid(), ema_model, optimizer, state)?;
        let t2i = TextToImage { config: model_config.clone(), tokenizer: tokenizer.clone(), model: ema_model.clone() };
        fsutil::write_model(&opts.out.join("model"), &t2i.to_files(StoreDtype::F32)?)
    };
    let samples = |ema_model: &SwdModel, step: usize| -> Result<()> {
        let t2i = TextToImage { config: model_config.clone(), tokenizer: tokenizer.clone(), model: ema_model.clone() };
        let path = samples_dir.join(format!("step_{step:06}.png"));
        sample_grid(&t2i, &prompts_fixed, &sample_schedule, cfg.sample_cfg, &plain, &path)
    };

    while state.step < cfg.steps {
        if opts.stop.load(Ordering::SeqCst) {
            stopped_early = true;
            break;
        }
        let step_started = Instant::now();
        let rng = &mut state.rng;
        let scale = cfg.scales[rng.below(cfg.scales.len())];
        let indices: Vec<usize> = (0..cfg.batch_size).map(|_| train_idx[rng.below(train_idx.len())]).collect();
        let texts = prompts(&ds, &indices, rng, cfg.caption_dropout);
        let x0 = resize::area_resize(ds.images(&indices, &device), scale);
        let b = indices.len();
        let eps = Tensor::<4>::from_data(TensorData::new(rng.normals(b * 3 * scale * scale), [b, 3, scale, scale]), &device);
        let sigmas = flow::logit_normal_sigmas(rng, b, cfg.sigma_mean, cfg.sigma_std);
        let sigma = Tensor::<1>::from_data(TensorData::new(sigmas, [b]), &device);
        let xt = flow::add_noise(x0.clone(), eps.clone(), sigma.clone());

        let batch = tokenizer.encode_batch(&texts, model_config.text.max_tokens)?;
        let (ids, mask) = batch.to_tensors(&device);
        let text = model.text_encoder.forward(ids, mask);
        let v = model.forward(xt, sigma, &text).velocity;
        let loss = (v - flow::velocity_target(x0, eps)).powi_scalar(2).mean();
        let lr = cfg.lr * ((state.step + 1) as f64 / cfg.warmup_steps.max(1) as f64).min(1.0);
        let log_now = (state.step + 1) % cfg.log_every == 0 || state.step + 1 == cfg.steps;
        let loss_value = log_now.then(|| loss.clone().into_scalar::<f32>());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(lr, model, grads);
        ema_model = ema::update(ema_model, &model, ema::warmup_decay(cfg.ema_decay, state.step));
        state.step += 1;
        bar.inc(1);

        if let Some(l) = loss_value {
            if !l.is_finite() {
                bail!("loss became {l} at step {}; lower lr or check the data", state.step);
            }
            last_loss = Some(l);
            bar.set_message(format!("loss {l:.4} lr {lr:.2e} scale {scale}"));
            let elapsed = started.elapsed().as_secs_f64();
            log_line(&log_path, json!({"step": state.step, "loss": l, "lr": lr, "scale": scale, "step_s": step_started.elapsed().as_secs_f64(),
                "steps_per_s": (state.step - first_step) as f64 / elapsed.max(1e-9)}))?;
        }
        if state.step % cfg.checkpoint_every == 0 || state.step == cfg.steps {
            save_all(&model, &ema_model, optimizer.to_record(), &state)?;
        }
        if state.step % cfg.sample_every == 0 || state.step == cfg.steps {
            samples(&ema_model, state.step)?;
        }
    }
    if stopped_early {
        save_all(&model, &ema_model, optimizer.to_record(), &state)?;
        samples(&ema_model, state.step)?;
        bar.println(format!("stopped at step {}; checkpoint saved, continue with --resume", state.step));
    }
    bar.finish_and_clear();
    let done = state.step - first_step;
    Ok(TrainSummary {
        steps_done: done,
        final_loss: last_loss,
        steps_per_s: done as f64 / started.elapsed().as_secs_f64().max(1e-9),
        stopped_early,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_log_keeps_one_line_per_step_up_to_the_checkpoint() {
        let dir = std::env::temp_dir().join(format!("swd-trim-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log.jsonl");
        // Steps 1–8 logged, a note without a step, then the killed run's steps 9–10.
        for step in 1..=8 {
            log_line(&path, json!({"step": step, "loss": 1.0})).unwrap();
        }
        log_line(&path, json!({"note": "resumed"})).unwrap();
        for step in 9..=10 {
            log_line(&path, json!({"step": step, "loss": 1.0})).unwrap();
        }
        trim_log(&path, 8).unwrap();
        let steps: Vec<Option<u64>> = std::fs::read_to_string(&path).unwrap().lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["step"].as_u64()).collect();
        assert_eq!(steps, [(1..=8).map(Some).collect::<Vec<_>>(), vec![None]].concat());
        trim_log(&dir.join("absent.jsonl"), 3).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
