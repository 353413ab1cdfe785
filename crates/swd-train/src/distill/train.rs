//! The distillation loop: per generator step, `fake_updates_per_step` critic updates on fresh
//! student samples, then one student update with DMD + GAN + patch losses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};
use swd_core::nn::{LoraConfig, TextEmbedding};
use swd_core::noise::{BatchNoise, NoiseRng};
use swd_core::weights::{self, StoreDtype};
use swd_core::{Sampler, ScaleSchedule, SwdModel, TextToImage};

use super::DistillConfig;
use super::critic::Critic;
use super::inputs::{normal, scale_index, scale_input};
use super::losses::PatchPooling;
use super::step::{StepInput, critic_loss, generator_loss};
use crate::checkpoint::State;
use crate::data::Dataset;
use crate::optim::FlatAdamWConfig;
use crate::parallel::Shard;
use crate::run::{Run, RunOptions, RunSummary};
use crate::teacher::train::{sample_grid, sample_prompts};
use crate::{fsutil, param_ids};

const STUDENT: &str = "student.safetensors";
const CRITIC: &str = "critic.safetensors";
const OPT_STUDENT: &str = "optimizer_student.safetensors";
const OPT_CRITIC: &str = "optimizer_critic.safetensors";
/// Parameter ids of the critic start here, apart from the student's.
const CRITIC_IDS: u64 = 1 << 32;

pub struct DistillOptions {
    pub config: DistillConfig,
    pub teacher: PathBuf,
    pub data: PathBuf,
    pub run: RunOptions,
    /// Plain device; the student and critic train on its autodiff version.
    pub device: Device,
}

/// One batch: real images and captions, encoded for every network that reads them.
struct Batch {
    images: Tensor<4>,
    prompts: Vec<String>,
}

/// The shard's rows of a global batch drawn from the training images.
fn batch(ds: &Dataset, train: &[usize], shard: &Shard, rng: &mut NoiseRng, device: &Device) -> Batch {
    let all: Vec<usize> = (0..shard.global).map(|_| train[rng.below(train.len())]).collect();
    let idx = shard.rows(&all);
    Batch { images: ds.images(&idx, device), prompts: idx.iter().map(|&i| ds.records[i].caption.clone()).collect() }
}

/// The student's input at scale index `k` from its own samples of steps 0..k (backward
/// simulation): `[B, C, s_k, s_k]`, noise drawn from a seed of the run's stream (image `i` of the
/// global batch from seed + `i`, so a shard's images are the global batch's).
fn simulated_input(
    student: &SwdModel,
    text: &TextEmbedding,
    schedule: &ScaleSchedule,
    k: usize,
    shard: &Shard,
    rng: &mut NoiseRng,
    device: &Device,
) -> Tensor<4> {
    let noise = BatchNoise::new(rng.next_u64().wrapping_add(shard.start as u64), shard.len);
    let mut sampler = Sampler::new(student, schedule.clone(), text, noise, device);
    for _ in 0..k {
        sampler.next_step();
    }
    sampler.into_next_input().expect("k ≥ 1 steps ran")
}

pub fn distill(opts: DistillOptions) -> Result<RunSummary> {
    let cfg = &opts.config;
    let schedule = cfg.parsed_schedule()?;
    let ds = Dataset::open(&opts.data)?;
    let train_idx = ds.split("train");
    if train_idx.is_empty() {
        bail!("dataset {} has no training images", opts.data.display());
    }
    if schedule.output_size() > ds.size {
        bail!("schedule {} ends at {} but the dataset's images are {}²", schedule, schedule.output_size(), ds.size);
    }
    // Data parallel: every rank draws the global batch's randomness and trains on its rows.
    let world = opts.run.world.clone();
    let shard = world.shard(cfg.batch_size)?;
    if world.size() > 1 && cfg.w_patch > 0.0 && cfg.patch_pooling == PatchPooling::Batch {
        bail!("patch_pooling = \"batch\" pools the whole batch's tokens, which no rank holds; use \"image\" with several ranks");
    }
    let plain = opts.device.clone();
    let device = plain.clone().autodiff();
    let teacher_files = fsutil::read_model(&opts.teacher)?;
    let teacher = TextToImage::from_files(&teacher_files, &plain)?;

    plain.seed(cfg.seed);
    let adam = || {
        FlatAdamWConfig { beta1: cfg.beta1, beta2: cfg.beta2, ..FlatAdamWConfig::new(cfg.weight_decay, cfg.grad_clip) }
            .init()
            .with_world(&world)
    };
    let mut opt_student = adam();
    let mut opt_critic = adam();
    // Student and fake score start as trainable copies of the teacher; with LoRA the student's
    // base weights are frozen and only its zero-initialised adapters train.
    let fresh_critic = || TextToImage::from_files(&teacher_files, &device).map(|t| t.model);
    let fresh_student = || -> Result<SwdModel> {
        let model = fresh_critic()?;
        Ok(match cfg.lora_rank {
            0 => model,
            rank => model.no_grad().with_lora(LoraConfig { rank, alpha: cfg.lora_alpha }, &device),
        })
    };
    let (mut run, saved) = Run::open(&opts.run, cfg)?;
    let (mut student, mut critic, mut state) = match saved {
        Some(ck) => {
            let student = param_ids::assign(weights::load(fresh_student()?, &ck.read(STUDENT)?)?, 0);
            let critic = Critic::from_teacher(fresh_critic()?, &teacher.config, &device);
            let critic = param_ids::assign(weights::load(critic, &ck.read(CRITIC)?)?, CRITIC_IDS);
            opt_student = opt_student.load_bytes(&ck.read(OPT_STUDENT)?, &plain)?;
            opt_critic = opt_critic.load_bytes(&ck.read(OPT_CRITIC)?, &plain)?;
            (student, critic, ck.state)
        }
        None => {
            let student = param_ids::assign(fresh_student()?, 0);
            let critic = param_ids::assign(Critic::from_teacher(fresh_critic()?, &teacher.config, &device), CRITIC_IDS);
            (student, critic, State { step: 0, rng: NoiseRng::new(cfg.seed ^ 0xd157) })
        }
    };

    let mut student_config = teacher.config.clone();
    student_config.default_schedule = cfg.schedule.clone();
    let prompts_fixed = sample_prompts(&ds, cfg.sample_prompts);
    run.sample_prompts(&prompts_fixed)?;
    let student_t2i = |student: &SwdModel| TextToImage {
        config: student_config.clone(),
        tokenizer: teacher.tokenizer.clone(),
        model: student.valid().merge_lora(),
    };
    let samples = |student: &SwdModel, path: &Path| sample_grid(&student_t2i(student), &prompts_fixed, &schedule, 1.0, &plain, path);
    if state.step == 0 && run.is_writer() {
        samples(&student, &run.sample_path(0))?;
    }
    let check_replicas = |student: &SwdModel, critic: &Critic, step: usize| -> Result<()> {
        world.check_replicas(student, &format!("the student at step {step}"))?;
        world.check_replicas(critic, &format!("the critic at step {step}"))
    };
    check_replicas(&student, &critic, state.step)?;
    let channels = teacher.config.image_channels;

    while let Some(log_now) = run.next_step(state.step) {
        let rng = &mut state.rng;
        let k = scale_index(cfg.scale_order, state.step, schedule.steps(), rng);
        let s = schedule.scales[k];
        let sigma_k = schedule.sigmas[k];

        // The generator's input at scale k: down-up real images, or the student's own samples.
        let make_input = |rng: &mut NoiseRng, student_valid: &SwdModel| -> Result<StepInput> {
            let batch = batch(&ds, &train_idx, &shard, rng, &plain);
            let eps = normal(rng, &shard, [channels, s, s], &plain);
            let (real, x_in) = scale_input(batch.images, &schedule, k, eps);
            let x_in = if cfg.backward_simulation && k > 0 {
                let text = teacher.encode_with(student_valid, &batch.prompts, &plain)?;
                simulated_input(student_valid, &text, &schedule, k, &shard, rng, &plain)
            } else {
                x_in
            };
            Ok(StepInput { prompts: batch.prompts, real, x_in, sigma: sigma_k, shard })
        };

        let mut critic_losses = [0.0, 0.0];
        for _ in 0..cfg.fake_updates_per_step {
            let student_valid = student.valid();
            let input = make_input(rng, &student_valid)?;
            let (loss, diffusion, disc) = critic_loss(&critic, &student_valid, &teacher, &input, cfg, rng, &device)?;
            if log_now {
                critic_losses = [diffusion.into_scalar::<f32>(), disc.map_or(0.0, |d| d.into_scalar::<f32>())];
            }
            let grads = GradientsParams::from_grads(loss.backward(), &critic);
            critic = opt_critic.step(cfg.lr_fake, critic, grads)?;
        }

        let input = make_input(rng, &student.valid())?;
        let (total, values) = generator_loss(&student, &critic, &teacher, &input, cfg, rng, &device)?;
        // The logged terms, then the critic's two: each the mean over ranks.
        let (names, values): (Vec<&str>, Vec<f32>) = if log_now {
            values
                .into_iter()
                .map(|(n, v)| (n, v.into_scalar::<f32>()))
                .chain([("fake_diffusion", critic_losses[0]), ("fake_disc", critic_losses[1])])
                .unzip()
        } else {
            Default::default()
        };
        let values = if log_now { world.mean_values(values)? } else { values };
        let grads = GradientsParams::from_grads(total.backward(), &student);
        student = opt_student.step(cfg.lr, student, grads)?;
        state.step += 1;

        if log_now {
            let fields: Vec<(&str, f64)> =
                [("scale", s as f64)].into_iter().chain(names.into_iter().zip(values.into_iter().map(f64::from))).collect();
            run.log(state.step, &fields)?;
        }
        let due = run.step_done(state.step)?;
        if due.checkpoint {
            check_replicas(&student, &critic, state.step)?;
        }
        if !run.is_writer() {
            continue;
        }
        if due.checkpoint {
            let files = vec![
                (STUDENT, weights::to_safetensors(&student.valid(), StoreDtype::F32, HashMap::new())?),
                (CRITIC, weights::to_safetensors(&critic.valid(), StoreDtype::F32, HashMap::new())?),
                (OPT_STUDENT, opt_student.to_bytes()?),
                (OPT_CRITIC, opt_critic.to_bytes()?),
            ];
            run.checkpoint(files, &state)?;
            fsutil::write_model(&opts.run.out.join("model"), &student_t2i(&student).to_files(StoreDtype::F32)?)?;
        }
        if due.samples {
            samples(&student, &run.sample_path(state.step))?;
        }
    }
    Ok(run.finish(state.step))
}
