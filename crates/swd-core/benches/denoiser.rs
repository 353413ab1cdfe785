//! The denoiser's forward pass at every scale the schedules use (demo size, batch 1, CPU).

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use swd_core::burn::tensor::{Device, Distribution, Tensor};

fn forward(c: &mut Criterion) {
    let device = Device::flex();
    let t2i = common::demo_model(&device);
    let text = t2i.encode(&[common::PROMPT], &device).unwrap();
    let mut group = c.benchmark_group("denoiser_forward");
    group.sample_size(10);
    for size in [16, 32, 48, 64] {
        let x = Tensor::<4>::random([1, 3, size, size], Distribution::Normal(0.0, 1.0), &device);
        let sigma = Tensor::<1>::from_floats([0.7], &device);
        group.bench_function(format!("{size}px"), |b| {
            b.iter(|| {
                let v = t2i.model.forward(x.clone(), sigma.clone(), &text).velocity;
                device.sync().unwrap();
                v
            })
        });
    }
    group.finish();
}

criterion_group!(benches, forward);
criterion_main!(benches);
