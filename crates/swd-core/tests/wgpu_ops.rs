//! Our own operations on wgpu (fused, lavapipe here) against flex: the group norm on the layouts
//! the model feeds it (contiguous tensors and convolution outputs, which wgpu keeps
//! channels-last), the im2col convolution and its gradients, and the samplers' upsampling, at the
//! sizes they use.

mod common;

use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use swd_core::ops::conv::{ConvAlgorithm, forward_with};
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

/// The im2col convolution on wgpu against burn's on flex: forward, and (training builds) the
/// gradients of the input, weight and bias, for the UNet's kernel sizes.
#[test]
fn im2col_convolution_agrees() {
    let cpu = common::cpu();
    #[cfg(feature = "autodiff")]
    let (cpu, gpu) = (cpu.autodiff(), common::wgpu().autodiff());
    #[cfg(not(feature = "autodiff"))]
    let gpu = common::wgpu();
    for (k, [n, c, o, h]) in [([3, 3], [2, 16, 32, 20]), ([1, 1], [2, 32, 16, 12]), ([3, 3], [1, 3, 16, 8])] {
        let conv = Conv2dConfig::new([c, o], k).with_padding(PaddingConfig2d::Same).init(&cpu);
        let x = Tensor::<4>::random([n, c, h, h], Distribution::Normal(0.0, 1.0), &cpu);
        #[cfg(feature = "autodiff")]
        let probe = Tensor::<4>::random([n, o, h, h], Distribution::Normal(0.0, 1.0), &cpu);
        let run = |algorithm, device: &Device| {
            let conv = conv.clone().fork(device);
            let x = x.clone().to_device(device).require_grad();
            let y = forward_with(algorithm, &conv, x.clone());
            let mut out = vec![y.clone().to_device(&cpu)];
            #[cfg(feature = "autodiff")]
            {
                let g = (y * probe.clone().to_device(device)).sum().backward();
                out.push(x.grad(&g).unwrap().to_device(&cpu));
                out.push(conv.weight.grad(&g).unwrap().to_device(&cpu));
                let b = conv.bias.as_ref().unwrap().grad(&g).unwrap();
                out.push(b.reshape([1, o, 1, 1]).to_device(&cpu));
            }
            out
        };
        let (ours, burns) = (run(ConvAlgorithm::Im2col, &gpu), run(ConvAlgorithm::Direct, &cpu));
        for (what, (a, b)) in ["forward", "dx", "dw", "db"].iter().zip(ours.into_iter().zip(burns)) {
            let scale = b.clone().abs().max().into_scalar::<f32>().max(1.0);
            let diff = common::max_abs_diff(a, b) / scale;
            assert!(diff < 1e-5, "kernel {k:?}, [{n}, {c}, {h}, {h}] -> {o}: {what} differs by {diff} of its largest entry");
        }
    }
}
