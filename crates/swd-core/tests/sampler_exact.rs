//! Samplers driven by exact denoisers reproduce a known distribution.
//!
//! Data: spatially constant images whose colour is c ~ N(μ, s²) per channel, independently.
//! Resizing keeps them constant, so the same law holds at every scale. With n pixels the
//! spatial mean of x_σ is m = (1−σ)c + σ·ε̄, ε̄ ~ N(0, 1/n), which is all the image says about c:
//! - the teacher's exact velocity uses the posterior mean E[c | m] (integrating it with Euler
//!   follows the probability-flow ODE);
//! - an exact few-step student is the ODE's flow map σ → 0, for Gaussians the monotone affine
//!   map c = μ + (m − (1−σ)μ)·s/√((1−σ)²s² + σ²/n).

mod common;

use swd_core::ScaleSchedule;
use swd_core::burn::tensor::{Device, Tensor, TensorData};
use swd_core::noise::BatchNoise;
use swd_core::sampler::{Denoiser, Sampler};

const MU: [f32; 3] = [0.3, -0.2, 0.1];
const S: f32 = 0.5;
const SAMPLES: usize = 400;

#[derive(Clone, Copy)]
enum Exact {
    PosteriorMean,
    FlowMap,
}

impl Denoiser for Exact {
    type Cond = ();

    fn velocity(&self, x: Tensor<4>, sigma: f32, _: &()) -> Tensor<4> {
        let [b, c, h, w] = x.dims();
        let n = (h * w) as f32;
        let device = x.device();
        let mu = Tensor::<1>::from_data(TensorData::new(MU.to_vec(), [3]), &device).reshape([1, c, 1, 1]);
        let m = x.clone().mean_dim(3).mean_dim(2); // [B, C, 1, 1]
        let signal = (1.0 - sigma) * (1.0 - sigma) * S * S;
        let noise = sigma * sigma / n;
        let gain = match self {
            Exact::PosteriorMean => (1.0 - sigma) * S * S / (signal + noise),
            Exact::FlowMap => S / (signal + noise).sqrt(),
        };
        let colour = mu.clone() + (m - mu * (1.0 - sigma)) * gain;
        let x0 = colour.expand([b, c, h, w]);
        (x - x0) / sigma
    }

    fn channels(&self) -> usize {
        3
    }
}

/// Per-channel mean and std over the batch of the images' colours, and the largest
/// within-image deviation from constant.
fn stats(images: Tensor<4>) -> ([f32; 3], [f32; 3], f32) {
    let [b, c, h, w] = images.dims();
    let v = common::to_vec(images);
    let mut mean = [0f32; 3];
    let mut std = [0f32; 3];
    let mut spread = 0f32;
    for ch in 0..c {
        let colours: Vec<f32> = (0..b)
            .map(|i| {
                let px = &v[(i * c + ch) * h * w..(i * c + ch + 1) * h * w];
                let m = px.iter().sum::<f32>() / px.len() as f32;
                spread = px.iter().fold(spread, |a, &p| a.max((p - m).abs()));
                m
            })
            .collect();
        mean[ch] = colours.iter().sum::<f32>() / b as f32;
        std[ch] = (colours.iter().map(|x| (x - mean[ch]).powi(2)).sum::<f32>() / (b - 1) as f32).sqrt();
    }
    (mean, std, spread)
}

fn sample(denoiser: Exact, schedule: &str, device: &Device) -> Tensor<4> {
    let schedule = ScaleSchedule::parse(schedule, 64).unwrap();
    Sampler::new(&denoiser, schedule, &(), BatchNoise::new(1, SAMPLES), device).run(|_| {})
}

fn assert_reproduces(denoiser: Exact, schedule: &str, device: &Device) {
    let (mean, std, spread) = stats(sample(denoiser, schedule, device));
    for ch in 0..3 {
        // 3.5 standard errors of the mean / of the std estimate.
        assert!((mean[ch] - MU[ch]).abs() < 3.5 * S / (SAMPLES as f32).sqrt(), "{schedule}: mean {mean:?}");
        assert!((std[ch] / S - 1.0).abs() < 3.5 / (2.0 * SAMPLES as f32).sqrt(), "{schedule}: std {std:?}");
    }
    assert!(spread < 0.05, "{schedule}: output is not constant (spread {spread})");
}

fn all_samplers_reproduce_the_data(device: &Device) {
    assert_reproduces(Exact::FlowMap, "swd4", device);
    assert_reproduces(Exact::FlowMap, "swd6", device);
    assert_reproduces(Exact::FlowMap, "full4", device);
    assert_reproduces(Exact::PosteriorMean, "euler:64@16", device);
}

#[test]
fn exact_denoisers_reproduce_the_data_on_cpu() {
    all_samplers_reproduce_the_data(&common::cpu());
}

#[test]
fn exact_denoisers_reproduce_the_data_on_wgpu() {
    all_samplers_reproduce_the_data(&common::wgpu());
}

/// Re-noising a posterior *mean* instead of a sample loses variance at every step: the
/// few-step sampler needs a student that maps noise to samples, which is what distillation
/// trains. (Also shows the statistics above can fail.)
#[test]
fn few_step_sampling_of_the_posterior_mean_collapses_variance() {
    let (_, std, _) = stats(sample(Exact::PosteriorMean, "swd4", &common::cpu()));
    assert!(std.iter().all(|&s| s < 0.5 * S), "std {std:?}");
}

#[test]
fn same_seed_same_image_and_previews_in_order() {
    let device = common::cpu();
    let schedule = ScaleSchedule::preset("swd4").unwrap();
    let run = |seed| {
        let mut scales = Vec::new();
        let out = Sampler::new(&Exact::FlowMap, schedule.clone(), &(), BatchNoise::new(seed, 2), &device)
            .run(|step| scales.push((step.index, step.scale, step.x0.dims())));
        (out, scales)
    };
    let (a, scales) = run(5);
    let (b, _) = run(5);
    let (c, _) = run(6);
    assert_eq!(common::max_abs_diff(a.clone(), b), 0.0);
    assert!(common::max_abs_diff(a, c) > 1e-3);
    let expected: Vec<_> = [32, 40, 48, 64].iter().enumerate().map(|(i, &s)| (i, s, [2, 3, s, s])).collect();
    assert_eq!(scales, expected);
}
