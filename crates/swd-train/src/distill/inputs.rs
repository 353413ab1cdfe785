//! Generator inputs and the noise of the losses, drawn from the run's host RNG. Every draw is
//! for the global batch, of which a rank keeps its shard: the stream does not depend on the
//! number of ranks.

use burn::tensor::{Device, Tensor, TensorData};
use swd_core::noise::NoiseRng;
use swd_core::resize::{UpsampleMode, area_resize, upsample};
use swd_core::{ScaleSchedule, flow};

use super::config::ScaleOrder;
use crate::parallel::Shard;

/// `[shard.len, C, H, W]` standard normal noise: the shard's rows of the global batch's.
pub fn normal(rng: &mut NoiseRng, shard: &Shard, [c, h, w]: [usize; 3], device: &Device) -> Tensor<4> {
    let values = shard.rows(&rng.normals(shard.global * c * h * w));
    Tensor::from_data(TensorData::new(values, [shard.len, c, h, w]), device)
}

/// `[shard.len]` noise levels uniform in `[lo, hi]`: the shard's of the global batch's.
pub fn sigmas(rng: &mut NoiseRng, shard: &Shard, [lo, hi]: [f32; 2], device: &Device) -> Tensor<1> {
    let values: Vec<f32> = (0..shard.global).map(|_| lo + (hi - lo) * rng.uniform() as f32).collect();
    Tensor::from_data(TensorData::new(shard.rows(&values), [shard.len]), device)
}

/// Scale index of generator step `step`.
pub fn scale_index(order: ScaleOrder, step: usize, n: usize, rng: &mut NoiseRng) -> usize {
    match order {
        ScaleOrder::Cyclic => step % n,
        ScaleOrder::Random => rng.below(n),
    }
}

/// The input of scale index `k` built from real images `x` `[B, C, S, S]`, as the authors do:
/// `x_real` = area-downsample to s_k; the degraded image = area-downsample to s_{k−1} (s_k for
/// k = 0) and bicubic-upsample back to s_k; `x_in` = (1−σ_k)·degraded + σ_k·`eps`.
/// Returns `(x_real, x_in)`, both `[B, C, s_k, s_k]`.
pub fn scale_input(x: Tensor<4>, schedule: &ScaleSchedule, k: usize, eps: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
    let s = schedule.scales[k];
    let prev = schedule.scales[k.saturating_sub(1)];
    let real = area_resize(x.clone(), s);
    let degraded = if prev == s { real.clone() } else { upsample(area_resize(x, prev), s, UpsampleMode::Bicubic) };
    let [b, ..] = real.dims();
    let sigma = Tensor::<1>::full([b], schedule.sigmas[k], &real.device());
    let x_in = flow::add_noise(degraded, eps, sigma);
    (real, x_in)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    #[test]
    fn inputs_have_each_scales_shape_and_are_noised_down_up_images() {
        let device = Device::flex();
        let schedule = ScaleSchedule::preset("swd4").unwrap();
        let x = Tensor::<4>::random([2, 3, 64, 64], Distribution::Normal(0.0, 1.0), &device);
        for k in 0..schedule.steps() {
            let s = schedule.scales[k];
            let zeros = Tensor::<4>::zeros([2, 3, s, s], &device);
            let (real, x_in) = scale_input(x.clone(), &schedule, k, zeros);
            assert_eq!(real.dims(), [2, 3, s, s]);
            assert_eq!(x_in.dims(), [2, 3, s, s]);
            // With ε = 0, x_in / (1 − σ_k) is the degraded image: s_{k−1} and back up.
            let prev = schedule.scales[k.saturating_sub(1)];
            let sigma = schedule.sigmas[k];
            if sigma < 1.0 {
                let expected = upsample(area_resize(x.clone(), prev), s, UpsampleMode::Bicubic);
                let diff = (x_in / (1.0 - sigma) - expected).abs().max().into_scalar::<f32>();
                assert!(diff < 1e-4, "k={k}: {diff}");
            }
            let direct = area_resize(x.clone(), s);
            assert!((real - direct).abs().max().into_scalar::<f32>() < 1e-6);
        }
    }

    #[test]
    fn first_scale_input_is_pure_noise_and_full_resolution_input_is_the_real_image() {
        let device = Device::flex();
        let x = Tensor::<4>::random([1, 3, 64, 64], Distribution::Normal(0.0, 1.0), &device);
        let eps = Tensor::<4>::random([1, 3, 32, 32], Distribution::Normal(0.0, 1.0), &device);
        let (_, x_in) = scale_input(x.clone(), &ScaleSchedule::preset("swd4").unwrap(), 0, eps.clone());
        assert!((x_in - eps).abs().max().into_scalar::<f32>() < 1e-6, "σ_1 = 1");
        // full4 at k = 2: no resizing at all, just noise on the real image.
        let full = ScaleSchedule::preset("full4").unwrap();
        let zeros = Tensor::<4>::zeros([1, 3, 64, 64], &device);
        let (real, x_in) = scale_input(x.clone(), &full, 2, zeros);
        let diff = (x_in / (1.0 - full.sigmas[2]) - real).abs().max().into_scalar::<f32>();
        assert!(diff < 1e-5, "{diff}");
    }

    #[test]
    fn cyclic_order_visits_every_scale_in_turn() {
        let mut rng = NoiseRng::new(0);
        let order: Vec<usize> = (0..8).map(|step| scale_index(ScaleOrder::Cyclic, step, 4, &mut rng)).collect();
        assert_eq!(order, vec![0, 1, 2, 3, 0, 1, 2, 3]);
        let random: Vec<usize> = (0..200).map(|step| scale_index(ScaleOrder::Random, step, 4, &mut rng)).collect();
        assert!((0..4).all(|k| random.contains(&k)) && random.iter().all(|&k| k < 4));
    }
}
