//! One image per schedule (demo size, CPU): the scale-wise schedules against the
//! full-resolution baseline and a short guided Euler run.

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use swd_core::ScaleSchedule;
use swd_core::burn::tensor::Device;

fn samplers(c: &mut Criterion) {
    let device = Device::flex();
    let t2i = common::demo_model(&device);
    let mut group = c.benchmark_group("sampler");
    group.sample_size(10);
    for name in ["swd4", "swd6", "full4", "euler:8@64"] {
        let schedule = ScaleSchedule::parse(name, 64).unwrap();
        let cfg = t2i.default_guidance(&schedule);
        group.bench_function(name, |b| {
            b.iter(|| {
                let image = t2i.generate(&[common::PROMPT], &schedule, cfg, 0, &device).unwrap();
                device.sync().unwrap();
                image
            })
        });
    }
    group.finish();
}

criterion_group!(benches, samplers);
criterion_main!(benches);
