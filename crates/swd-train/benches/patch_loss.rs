//! The patch (MMD) loss on denoiser features, per kernel and pooling, at the sizes the demo
//! model's middle block produces.

use criterion::{Criterion, criterion_group, criterion_main};
use swd_core::burn::tensor::{Device, Distribution, Tensor};
use swd_train::distill::losses::{PatchKernel, PatchPooling, patch_loss};

fn patch(c: &mut Criterion) {
    let device = Device::flex();
    let mut group = c.benchmark_group("patch_loss");
    for (b, ch, side) in [(4, 256, 8), (16, 256, 8), (4, 256, 16)] {
        let real = Tensor::<4>::random([b, ch, side, side], Distribution::Normal(0.0, 1.0), &device);
        let fake = Tensor::<4>::random([b, ch, side, side], Distribution::Normal(0.5, 1.0), &device);
        for (kernel, pooling) in [
            (PatchKernel::Linear, PatchPooling::Image),
            (PatchKernel::Rbf, PatchPooling::Image),
            (PatchKernel::Linear, PatchPooling::Batch),
        ] {
            group.bench_function(format!("{kernel:?}-{pooling:?}-{b}x{ch}x{side}x{side}"), |bench| {
                bench.iter(|| patch_loss(real.clone(), fake.clone(), kernel, pooling, 1e-3, 100.0).into_scalar::<f32>())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, patch);
criterion_main!(benches);
