//! Sanity of the metrics with the shipped evaluation network on 64 real emoji
//! (`tests/fixtures/real64`): real images are recognised, FID between them and a second real
//! set (the same emoji, slightly shifted) is small next to FID against noise, and FID is
//! symmetric, ≥ 0 and 0 for identical sets.

mod common;

use std::path::Path;

use swd_core::noise::NoiseRng;
use swd_train::eval::metrics::{Features, Gaussian, frechet_distance};
use swd_train::evalnet::score::{Accuracy, Outputs};
use swd_train::evalnet::{Augment, EvalNetFolder};

const SIDE: usize = 64;

/// The atlas's 64 images as `[3, 64, 64]` values in [−1, 1], row by row.
fn real_images(root: &Path) -> Vec<f32> {
    let atlas = image::open(root.join("tests/fixtures/real64/images.png")).unwrap().to_rgb8();
    let mut out = Vec::new();
    for k in 0..64 {
        let (ox, oy) = ((k % 8) * SIDE, (k / 8) * SIDE);
        for c in 0..3 {
            for y in 0..SIDE {
                for x in 0..SIDE {
                    out.push(atlas.get_pixel((ox + x) as u32, (oy + y) as u32)[c] as f32 / 127.5 - 1.0);
                }
            }
        }
    }
    out
}

#[test]
fn shipped_evalnet_on_real_images() {
    let root = common::repo("");
    let device = common::cpu();
    let net = EvalNetFolder::load(&root.join("models/evalnet"), &device).unwrap();
    let records: Vec<serde_json::Value> = std::fs::read_to_string(root.join("tests/fixtures/real64/records.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let index = |list: &[String], key: &serde_json::Value| list.binary_search(&key.as_str().unwrap().to_string()).unwrap();
    let targets: Vec<(usize, usize)> =
        records.iter().map(|r| (index(&net.labels.classes, &r["base"]), index(&net.labels.categories, &r["category"]))).collect();

    let images = real_images(&root);
    let real = Outputs::compute(&net.net, &images, SIDE, 16, &device).unwrap();
    let accuracy = Accuracy::of(&real, &targets);
    assert!(accuracy.top1 >= 0.8 && accuracy.top5 >= 0.95, "real images: {accuracy:?}");

    // The other real set: the same emoji, each shifted and jittered a little.
    let mut rng = NoiseRng::new(5);
    let per = 3 * SIDE * SIDE;
    let shifted: Vec<f32> = images.chunks(per).flat_map(|img| Augment::EVAL.apply(img, SIDE, &mut rng)).collect();
    let other = Outputs::compute(&net.net, &shifted, SIDE, 16, &device).unwrap();
    let (a, b) = (real.features.clone(), other.features.clone());
    let noise_images: Vec<f32> = NoiseRng::new(3).normals(images.len()).into_iter().map(|v| v.clamp(-1.0, 1.0)).collect();
    let noise = Outputs::compute(&net.net, &noise_images, SIDE, 16, &device).unwrap();
    let fit = |v: &[f32]| Gaussian::fit(Features::new(real.dim, v));
    let (ga, gb) = (fit(&a), fit(&b));
    let real_real = frechet_distance(&ga, &gb);
    let real_noise = frechet_distance(&ga, &fit(&noise.features));
    assert!(real_noise > 5.0 * real_real, "FID real/real {real_real} vs real/noise {real_noise}");
    assert!((frechet_distance(&gb, &ga) - real_real).abs() < 1e-6 * real_real.max(1.0));
    assert!(frechet_distance(&ga, &ga) < 1e-6 && real_real >= 0.0);
    println!("real top-1 {:.3}, top-5 {:.3}; FID real/real {real_real:.3}, real/noise {real_noise:.3}", accuracy.top1, accuracy.top5);
}
