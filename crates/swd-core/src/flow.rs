//! Rectified-flow (flow-matching) math: x_σ = (1−σ)·x0 + σ·ε, the network predicts v = ε − x0,
//! so x0 = x_σ − σ·v. The network's timestep is t = 1000·σ.

use burn::tensor::Tensor;

use crate::noise::NoiseRng;

/// Timestep scale: the network sees t = 1000·σ.
pub const TIMESTEP_SCALE: f32 = 1000.0;

/// Per-sample σ `[B]` as `[B, 1, 1, 1]` for broadcasting over images.
fn per_image(sigma: Tensor<1>) -> Tensor<4> {
    let [b] = sigma.dims();
    sigma.reshape([b, 1, 1, 1])
}

/// x_σ = (1−σ)·x0 + σ·ε. `x0`, `eps`: `[B, C, H, W]`, `sigma`: `[B]`.
pub fn add_noise(x0: Tensor<4>, eps: Tensor<4>, sigma: Tensor<1>) -> Tensor<4> {
    let s = per_image(sigma);
    x0 * (s.clone().neg() + 1.0) + eps * s
}

/// x0 = x_σ − σ·v.
pub fn x0_from_velocity(x: Tensor<4>, v: Tensor<4>, sigma: Tensor<1>) -> Tensor<4> {
    x - v * per_image(sigma)
}

/// v = (x_σ − x0)/σ; σ must be > 0.
pub fn velocity_from_x0(x: Tensor<4>, x0: Tensor<4>, sigma: Tensor<1>) -> Tensor<4> {
    (x - x0) / per_image(sigma)
}

/// The regression target of flow matching: v = ε − x0.
pub fn velocity_target(x0: Tensor<4>, eps: Tensor<4>) -> Tensor<4> {
    eps - x0
}

/// σ ~ logit-normal(mean, std) (SD3's training density), clamped away from 0 and 1.
pub fn logit_normal_sigmas(rng: &mut NoiseRng, n: usize, mean: f32, std: f32) -> Vec<f32> {
    rng.normals(n).into_iter().map(|z| (1.0 / (1.0 + (-(mean + std * z)).exp())).clamp(1e-4, 1.0 - 1e-4)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, Distribution};

    #[test]
    fn x0_and_velocity_round_trip() {
        let device = Device::flex();
        let x0 = Tensor::<4>::random([2, 3, 8, 8], Distribution::Normal(0.0, 1.0), &device);
        let eps = Tensor::<4>::random([2, 3, 8, 8], Distribution::Normal(0.0, 1.0), &device);
        let sigma = Tensor::<1>::from_floats([0.3, 0.9], &device);
        let x = add_noise(x0.clone(), eps.clone(), sigma.clone());
        let v = velocity_target(x0.clone(), eps);
        let back = x0_from_velocity(x.clone(), v.clone(), sigma.clone());
        assert!((back - x0.clone()).abs().max().into_scalar::<f32>() < 1e-5);
        let v2 = velocity_from_x0(x, x0, sigma);
        assert!((v2 - v).abs().max().into_scalar::<f32>() < 1e-4);
    }

    #[test]
    fn logit_normal_is_in_range_and_centred() {
        let s = logit_normal_sigmas(&mut NoiseRng::new(1), 20_000, 0.0, 1.0);
        assert!(s.iter().all(|&v| v > 0.0 && v < 1.0));
        let mean = s.iter().sum::<f32>() / s.len() as f32;
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
    }
}
