//! The generator's and critic's losses: DMD, patch (MMD on features) and GAN.

use burn::tensor::Tensor;
use burn::tensor::activation::softplus;
use serde::{Deserialize, Serialize};

/// Kernel of the patch loss's MMD between real and generated feature tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchKernel {
    /// Linear kernel: MMD reduces to the difference of mean tokens (pseudo-Huber on it).
    Linear,
    /// Gaussian kernel over all token pairs.
    Rbf,
}

/// Which tokens form one distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchPooling {
    /// Each image's tokens against its paired real image's (the paper's choice).
    Image,
    /// All tokens of the batch together.
    Batch,
}

/// The DMD regression target `x̂0 − g`, g = (x0_fake − x0_real) / mean|x̂0 − x0_real| per image
/// (NaN → 0). All inputs `[B, C, H, W]`, treated as constants.
pub fn dmd_target(x0_hat: Tensor<4>, x0_real: Tensor<4>, x0_fake: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x0_hat.dims();
    let norm = (x0_hat.clone() - x0_real.clone()).abs().reshape([b, c * h * w]).mean_dim(1).reshape([b, 1, 1, 1]);
    let g = (x0_fake - x0_real) / norm;
    let g = g.clone().mask_fill(g.is_nan(), 0.0);
    x0_hat - g
}

/// DMD: 0.5·MSE(x̂0, stopgrad(target)); its gradient w.r.t. x̂0 is g / (B·C·H·W).
pub fn dmd_loss(x0_hat: Tensor<4>, target: Tensor<4>) -> Tensor<1> {
    (x0_hat - target.detach()).powi_scalar(2).mean() * 0.5
}

/// `[B, C, H, W]` → tokens `[G, N, C]` (G = B images, or 1 group for batch pooling).
fn tokens(f: Tensor<4>, pooling: PatchPooling) -> Tensor<3> {
    let [b, c, h, w] = f.dims();
    let t = f.reshape([b, c, h * w]).swap_dims(1, 2);
    match pooling {
        PatchPooling::Image => t,
        PatchPooling::Batch => t.reshape([1, b * h * w, c]),
    }
}

/// Mean Gaussian kernel value between token sets `[G, N, C]` and `[G, M, C]` → `[G]`.
fn mean_rbf(a: Tensor<3>, b: Tensor<3>, bandwidth: f32) -> Tensor<1> {
    let g = a.dims()[0];
    let a2 = a.clone().powi_scalar(2).sum_dim(2); // [G, N, 1]
    let b2 = b.clone().powi_scalar(2).sum_dim(2).swap_dims(1, 2); // [G, 1, M]
    let d2 = (a2 + b2 - a.matmul(b.swap_dims(1, 2)) * 2.0).clamp_min(0.0);
    (d2 / (-2.0 * bandwidth * bandwidth)).exp().mean_dim(2).mean_dim(1).reshape([g])
}

/// Patch loss between real and generated features `[B, C, H, W]` (same ε and σ), ≥ 0, 0 for
/// identical features, invariant to the order of tokens.
pub fn patch_loss(real: Tensor<4>, fake: Tensor<4>, kernel: PatchKernel, pooling: PatchPooling, huber_c: f32, bandwidth: f32) -> Tensor<1> {
    let (r, f) = (tokens(real, pooling), tokens(fake, pooling));
    match kernel {
        PatchKernel::Linear => {
            let diff = r.mean_dim(1) - f.mean_dim(1); // [G, 1, C]
            ((diff.powi_scalar(2) + huber_c * huber_c).sqrt() - huber_c).mean()
        }
        PatchKernel::Rbf => {
            let mmd =
                mean_rbf(r.clone(), r.clone(), bandwidth) + mean_rbf(f.clone(), f.clone(), bandwidth) - mean_rbf(r, f, bandwidth) * 2.0;
            mmd.mean()
        }
    }
}

/// Non-saturating generator GAN loss softplus(−D(fake)).
pub fn gan_generator_loss(fake_logits: Tensor<1>) -> Tensor<1> {
    softplus(fake_logits.neg(), 1.0).mean()
}

/// Discriminator loss softplus(D(fake)) + softplus(−D(real)).
pub fn gan_discriminator_loss(fake_logits: Tensor<1>, real_logits: Tensor<1>) -> Tensor<1> {
    softplus(fake_logits, 1.0).mean() + softplus(real_logits.neg(), 1.0).mean()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, Distribution, TensorData};

    fn device() -> Device {
        Device::flex()
    }

    fn scalar(t: Tensor<1>) -> f32 {
        t.into_scalar::<f32>()
    }

    #[test]
    fn patch_loss_is_zero_for_identical_features_and_positive_otherwise() {
        let d = device();
        let a = Tensor::<4>::random([2, 8, 4, 4], Distribution::Normal(0.0, 1.0), &d);
        let b = Tensor::<4>::random([2, 8, 4, 4], Distribution::Normal(0.0, 1.0), &d);
        for kernel in [PatchKernel::Linear, PatchKernel::Rbf] {
            for pooling in [PatchPooling::Image, PatchPooling::Batch] {
                let same = scalar(patch_loss(a.clone(), a.clone(), kernel, pooling, 1e-3, 3.0));
                let other = scalar(patch_loss(a.clone(), b.clone(), kernel, pooling, 1e-3, 3.0));
                assert!(same.abs() < 1e-5, "{kernel:?} {pooling:?}: {same}");
                assert!(other > 1e-3, "{kernel:?} {pooling:?}: {other}");
            }
        }
    }

    #[test]
    fn patch_loss_ignores_token_order() {
        let d = device();
        let a = Tensor::<4>::random([2, 8, 4, 4], Distribution::Normal(0.0, 1.0), &d);
        let b = Tensor::<4>::random([2, 8, 4, 4], Distribution::Normal(0.0, 1.0), &d);
        for kernel in [PatchKernel::Linear, PatchKernel::Rbf] {
            let x = scalar(patch_loss(a.clone(), b.clone(), kernel, PatchPooling::Image, 1e-3, 3.0));
            let y = scalar(patch_loss(a.clone(), b.clone().flip([2, 3]).swap_dims(2, 3), kernel, PatchPooling::Image, 1e-3, 3.0));
            assert!((x - y).abs() < 1e-5, "{kernel:?}: {x} vs {y}");
        }
    }

    #[test]
    fn rbf_patch_loss_matches_a_hand_computed_value() {
        // One image, one channel, two tokens each: real {0, 1}, fake {0, 3}; bandwidth 1.
        // k(d) = exp(−d²/2): Krr = (2 + 2e^{-1/2})/4, Kff = (2 + 2e^{-9/2})/4,
        // Krf = (1 + e^{-9/2} + e^{-1/2} + e^{-2})/4; MMD² = Krr + Kff − 2·Krf.
        let d = device();
        let real = Tensor::<4>::from_data(TensorData::new(vec![0.0f32, 1.0], [1, 1, 1, 2]), &d);
        let fake = Tensor::<4>::from_data(TensorData::new(vec![0.0f32, 3.0], [1, 1, 1, 2]), &d);
        let e = |x: f64| x.exp();
        let krr = (2.0 + 2.0 * e(-0.5)) / 4.0;
        let kff = (2.0 + 2.0 * e(-4.5)) / 4.0;
        let krf = (1.0 + e(-4.5) + e(-0.5) + e(-2.0)) / 4.0;
        let expected = (krr + kff - 2.0 * krf) as f32;
        let got = scalar(patch_loss(real, fake, PatchKernel::Rbf, PatchPooling::Image, 1e-3, 1.0));
        assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
    }

    #[test]
    fn dmd_gradient_is_zero_when_fake_equals_real_and_points_to_the_teacher() {
        let d = device().autodiff();
        let x0_hat = Tensor::<4>::random([2, 3, 4, 4], Distribution::Normal(0.0, 1.0), &d).require_grad();
        let real = Tensor::<4>::random([2, 3, 4, 4], Distribution::Normal(0.0, 1.0), &d);
        let fake = Tensor::<4>::random([2, 3, 4, 4], Distribution::Normal(0.0, 1.0), &d);

        let same = dmd_loss(x0_hat.clone(), dmd_target(x0_hat.clone().detach(), real.clone(), real.clone()));
        let grads = same.backward();
        let g = x0_hat.grad(&grads).expect("gradient");
        assert!(g.abs().max().into_scalar::<f32>() < 1e-7);

        // One gradient-descent step moves x̂0 along x0_real − x0_fake.
        let loss = dmd_loss(x0_hat.clone(), dmd_target(x0_hat.clone().detach(), real.clone(), fake.clone()));
        let grads = loss.backward();
        let g = x0_hat.grad(&grads).expect("gradient");
        let toward = (real.inner() - fake.inner()) * g.neg();
        assert!(toward.clone().min().into_scalar::<f32>() >= 0.0);
        assert!(toward.sum().into_scalar::<f32>() > 0.0);
    }

    #[test]
    fn dmd_target_is_nan_safe() {
        let d = device();
        let x = Tensor::<4>::ones([1, 1, 2, 2], &d);
        // x̂0 equals the teacher's x0: the normaliser is 0 and g would be 0/0.
        let t = dmd_target(x.clone(), x.clone(), x.clone());
        assert!(!t.is_nan().any().into_scalar::<bool>());
    }

    #[test]
    fn gan_losses_prefer_the_right_logits() {
        let d = device();
        let hi = Tensor::<1>::from_floats([5.0, 5.0], &d);
        let lo = Tensor::<1>::from_floats([-5.0, -5.0], &d);
        assert!(scalar(gan_generator_loss(hi.clone())) < scalar(gan_generator_loss(lo.clone())));
        assert!(scalar(gan_discriminator_loss(lo.clone(), hi.clone())) < scalar(gan_discriminator_loss(hi, lo)));
    }
}
