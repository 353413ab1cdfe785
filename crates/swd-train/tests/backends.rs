//! The training steps on wgpu — burn's fused kernels, on Mesa lavapipe where there is no GPU —
//! against the CPU backend (flex): the teacher's flow-matching loss and the student's
//! distillation loss, and the gradients they send to the parameters, agree within float
//! tolerance. (burn's fusion is known to have been wrong on Vulkan before: this is its gate.)
//! The same with im2col convolutions on wgpu, and two flat AdamW steps (whose gradient pack is a
//! kernel of our own on wgpu).

mod common;

use std::sync::OnceLock;

use swd_core::burn::module::Param;
use swd_core::burn::optim::GradientsParams;
use swd_core::burn::tensor::{Device, Gradients, Tensor, TensorData};
use swd_core::noise::NoiseRng;
use swd_core::ops::conv::{ConvAlgorithm, with_algorithm};
use swd_core::weights::{self, StoreDtype};
use swd_core::{ModelConfig, ModelFiles, SwdModel, TextToImage, TextTokenizer, flow};
use swd_train::distill::DistillConfig;
use swd_train::distill::critic::Critic;
use swd_train::distill::step::{StepInput, generator_loss};
use swd_train::optim::FlatAdamWConfig;
use swd_train::parallel::Shard;

const PROMPTS: [&str; 2] = ["3d emoji: red apple", "flat emoji: cat"];

/// One tiny random model's files, made once: both backends load the same weights.
fn files() -> &'static ModelFiles {
    static FILES: OnceLock<ModelFiles> = OnceLock::new();
    FILES.get_or_init(|| {
        let tokenizer = TextTokenizer::build(&PROMPTS).unwrap();
        let t2i = TextToImage::init(ModelConfig::tiny(tokenizer.vocab_size()), tokenizer, &common::cpu()).unwrap();
        t2i.to_files(StoreDtype::F32).unwrap()
    })
}

fn host(n: usize, seed: u64) -> Vec<f32> {
    NoiseRng::new(seed).normals(n)
}

fn tensor4(values: Vec<f32>, shape: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// The gradients of three parameters (output conv, a group norm, the token embedding), flat.
fn grads(model: &SwdModel, g: &Gradients) -> Vec<Vec<f32>> {
    let flat = |p: Option<Tensor<1>>| common::to_vec(p.expect("a gradient"));
    let four = |p: &Param<Tensor<4>>| flat(p.val().grad(g).map(|t| t.flatten::<1>(0, 3)));
    let one = |p: &Param<Tensor<1>>| flat(p.val().grad(g));
    let two = |p: &Param<Tensor<2>>| flat(p.val().grad(g).map(|t| t.flatten::<1>(0, 1)));
    let gamma = &model.unet.norm_out.gamma;
    vec![four(&model.unet.conv_out.weight), one(gamma), two(&model.text_encoder.token_embedding.weight)]
}

/// Largest difference relative to the largest magnitude (1 when everything differs).
fn rel(a: &[f32], b: &[f32]) -> f32 {
    let scale = a.iter().chain(b).fold(1e-12f32, |m, v| m.max(v.abs()));
    a.iter().zip(b).fold(0.0f32, |m, (x, y)| m.max((x - y).abs())) / scale
}

fn assert_close(what: &str, cpu: (f32, Vec<Vec<f32>>), gpu: (f32, Vec<Vec<f32>>)) {
    let loss = (cpu.0 - gpu.0).abs() / cpu.0.abs().max(1e-12);
    println!("{what}: loss {} (flex) vs {} (wgpu), relative {loss:.2e}", cpu.0, gpu.0);
    assert!(loss < 1e-4, "{what}: loss differs by {loss:.2e}");
    for (i, (c, g)) in cpu.1.iter().zip(&gpu.1).enumerate() {
        let d = rel(c, g);
        println!("{what}: gradient {i} relative max difference {d:.2e}");
        assert!(d < 1e-3, "{what}: gradient {i} differs by {d:.2e} of its largest entry");
    }
}

/// The teacher's flow-matching loss on fixed data (`seed` picks it), on an autodiff device.
fn teacher_loss(t2i: &TextToImage, seed: u64, device: &Device) -> Tensor<1> {
    let (b, s) = (2, 32);
    let x0 = tensor4(host(b * 3 * s * s, seed).into_iter().map(f32::tanh).collect(), [b, 3, s, s], device);
    let eps = tensor4(host(b * 3 * s * s, seed + 1), [b, 3, s, s], device);
    let sigma = Tensor::<1>::from_data(TensorData::new(vec![0.3f32, 0.8], [b]), device);
    let text = t2i.encode(&PROMPTS, device).unwrap();
    let v = t2i.model.forward(flow::add_noise(x0.clone(), eps.clone(), sigma.clone()), sigma, &text).velocity;
    (v - flow::velocity_target(x0, eps)).powi_scalar(2).mean()
}

fn teacher_step(device: &Device) -> (f32, Vec<Vec<f32>>) {
    let device = device.clone().autodiff();
    let t2i = TextToImage::from_files(files(), &device).unwrap();
    let loss = teacher_loss(&t2i, 1, &device);
    let value = loss.clone().into_scalar::<f32>();
    (value, grads(&t2i.model, &loss.backward()))
}

/// What two flat AdamW steps change in the parameters (the second packs the gradients of
/// parameters that are views of the optimizer's buffer). With ε = 1 an update is about `lr · g`,
/// so a gradient packed at a wrong offset shows at full size, not as a sign.
fn optimizer_updates(device: &Device) -> Vec<f32> {
    let device = device.clone().autodiff();
    let mut t2i = TextToImage::from_files(files(), &device).unwrap();
    let start = t2i.model.clone();
    let mut opt = FlatAdamWConfig { beta1: 0.9, beta2: 0.999, eps: 1.0, weight_decay: 0.0, grad_clip: None }.init();
    let mut updates = Vec::new();
    for seed in [1, 3] {
        let grads = GradientsParams::from_grads(teacher_loss(&t2i, seed, &device).backward(), &t2i.model);
        let before = opt.params().cloned();
        t2i.model = opt.step(1.0, t2i.model, grads).unwrap();
        let before = before.unwrap_or_else(|| opt.flatten(&start));
        updates.extend(common::to_vec(opt.params().expect("stepped").clone() - before));
    }
    updates
}

fn distill_step(device: &Device) -> (f32, Vec<Vec<f32>>) {
    let files = files();
    let plain = device.clone();
    let device = plain.clone().autodiff();
    let teacher = TextToImage::from_files(files, &plain).unwrap();
    let student = TextToImage::from_files(files, &device).unwrap().model;
    // The critic's head is random at init: the same one on both backends, through its weights.
    static HEAD: OnceLock<Vec<u8>> = OnceLock::new();
    let critic = || Critic::from_teacher(TextToImage::from_files(files, &device).unwrap().model, &teacher.config, &device);
    let bytes = HEAD.get_or_init(|| weights::to_safetensors(&critic(), StoreDtype::F32, Default::default()).unwrap());
    let critic = weights::load(critic(), bytes).unwrap();
    let cfg = DistillConfig::load(&common::repo("configs/distill-tiny.toml"), &[]).unwrap();
    let (b, s) = (2, 32);
    let input = StepInput {
        prompts: PROMPTS.iter().map(|p| p.to_string()).collect(),
        real: tensor4(host(b * 3 * s * s, 3).into_iter().map(f32::tanh).collect(), [b, 3, s, s], &plain),
        x_in: tensor4(host(b * 3 * s * s, 4), [b, 3, s, s], &plain),
        sigma: 0.8,
        shard: Shard::whole(b),
    };
    let (total, _) = generator_loss(&student, &critic, &teacher, &input, &cfg, &mut NoiseRng::new(5), &device).unwrap();
    let value = total.clone().into_scalar::<f32>();
    (value, grads(&student, &total.backward()))
}

#[test]
fn teacher_loss_and_gradients_match_the_cpu() {
    assert_close("teacher", teacher_step(&common::cpu()), teacher_step(&Device::wgpu(Default::default())));
}

#[test]
fn distillation_loss_and_gradients_match_the_cpu() {
    assert_close("distill", distill_step(&common::cpu()), distill_step(&Device::wgpu(Default::default())));
}

#[test]
fn im2col_convolutions_on_wgpu_match_burns_on_the_cpu() {
    let wgpu = Device::wgpu(Default::default());
    let im2col = |f: fn(&Device) -> (f32, Vec<Vec<f32>>)| with_algorithm(ConvAlgorithm::Im2col, || f(&wgpu));
    assert_close("teacher, im2col", teacher_step(&common::cpu()), im2col(teacher_step));
    assert_close("distill, im2col", distill_step(&common::cpu()), im2col(distill_step));
}

#[test]
fn optimizer_steps_match_the_cpu() {
    let (cpu, gpu) = (optimizer_updates(&common::cpu()), optimizer_updates(&Device::wgpu(Default::default())));
    assert_eq!(cpu.len(), gpu.len());
    let d = rel(&cpu, &gpu);
    println!("two flat AdamW steps: updates' relative max difference {d:.2e}");
    assert!(d < 1e-3, "the updates differ by {d:.2e} of the largest");
}
