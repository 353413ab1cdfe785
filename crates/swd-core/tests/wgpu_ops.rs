//! Our own operations on wgpu (fused, lavapipe here) against flex: the group norm on the layouts
//! the model feeds it (contiguous tensors and convolution outputs, which wgpu keeps
//! channels-last) and the samplers' upsampling, at the sizes they use.

mod common;

use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use swd_core::ops::group_norm;
use swd_core::resize::{UpsampleMode, upsample};

fn run(x: Tensor<4>, conv: Option<&Conv2d>, device: &Device) -> Tensor<4> {
    let c = x.dims()[1];
    let x = x.to_device(device);
    let x = match conv {
        Some(conv) => conv.clone().fork(device).forward(x),
        None => x,
    };
    let ramp = |offset: f32| {
        let values: Vec<f32> = (0..c).map(|i| i as f32 / c as f32 + offset).collect();
        Tensor::<1>::from_data(TensorData::new(values, [c]), device)
    };
    let (gamma, beta) = (ramp(0.5), ramp(-0.5));
    group_norm(x, gamma, beta, 8, 1e-5)
}

#[test]
fn group_norm_agrees() {
    let (cpu, gpu) = (common::cpu(), common::wgpu());
    for [n, c, h, w] in [
        [2, 32, 40, 40],
        [1, 32, 16, 16],
        [2, 64, 8, 8],
        [3, 16, 4, 4],
        [2, 32, 1, 1],
        [2, 32, 24, 24],
        [2, 64, 12, 12],
        [2, 64, 6, 6],
        [2, 64, 3, 3],
        [2, 64, 5, 7],
    ] {
        let x = Tensor::<4>::random([n, c, h, w], Distribution::Normal(0.3, 2.0), &cpu);
        let conv = Conv2dConfig::new([c, c], [3, 3]).with_padding(PaddingConfig2d::Same).init(&cpu);
        for conv in [None, Some(&conv)] {
            let a = run(x.clone(), conv, &cpu);
            let b = run(x.clone(), conv, &gpu);
            let diff = common::max_abs_diff(a, b.to_device(&cpu));
            assert!(diff < 1e-4, "[{n}, {c}, {h}, {w}], after a conv: {}: {diff}", conv.is_some());
        }
    }
}

#[test]
fn upsampling_agrees() {
    let (cpu, gpu) = (common::cpu(), common::wgpu());
    for mode in [UpsampleMode::Bicubic, UpsampleMode::Bilinear, UpsampleMode::Nearest] {
        for (from, to) in [(32, 40), (40, 48), (48, 64), (4, 8)] {
            let x = Tensor::<4>::random([2, 3, from, from], Distribution::Normal(0.0, 1.0), &cpu);
            let a = upsample(x.clone(), to, mode);
            let b = upsample(x.to_device(&gpu), to, mode).to_device(&cpu);
            let diff = common::max_abs_diff(a, b);
            assert!(diff < 1e-5, "{mode:?} {from}->{to}: {diff}");
        }
    }
}
