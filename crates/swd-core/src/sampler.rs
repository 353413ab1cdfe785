//! Samplers over any [`Denoiser`]: the scale-wise few-step sampler of SwD (which, with every
//! scale equal, is the full-resolution few-step sampler of DMD2) and the teacher's Euler ODE
//! sampler with classifier-free guidance. A [`Sampler`] advances one network step at a time so
//! a UI (or the browser, between async read-backs) can show each scale as it is produced.

use burn::tensor::{Device, Tensor};

use crate::noise::BatchNoise;
use crate::resize::{UpsampleMode, upsample};
use crate::schedule::{SamplerKind, ScaleSchedule};

/// A velocity predictor v(x_σ, σ, cond) ≈ ε − x0.
pub trait Denoiser {
    type Cond;
    /// `x`: `[B, C, H, W]` at noise level `sigma` (shared by the batch) → velocity, same shape.
    fn velocity(&self, x: Tensor<4>, sigma: f32, cond: &Self::Cond) -> Tensor<4>;
    /// Image channels the denoiser works on.
    fn channels(&self) -> usize;
}

/// The result of one sampling step.
#[derive(Debug, Clone)]
pub struct Step {
    /// 0-based step index.
    pub index: usize,
    /// Side of this step's image.
    pub scale: usize,
    pub sigma: f32,
    /// `[B, C, scale, scale]` prediction of the clean image; the last step's is the output.
    pub x0: Tensor<4>,
}

/// Step-by-step sampling of one schedule.
pub struct Sampler<'a, D: Denoiser> {
    denoiser: &'a D,
    schedule: ScaleSchedule,
    cond: &'a D::Cond,
    guidance: Option<(&'a D::Cond, f32)>,
    upsample: UpsampleMode,
    noise: BatchNoise,
    device: Device,
    x: Option<Tensor<4>>,
    index: usize,
}

impl<'a, D: Denoiser> Sampler<'a, D> {
    /// `noise` fixes the batch size and seeds; `cond` must be batch-aligned with it.
    pub fn new(denoiser: &'a D, schedule: ScaleSchedule, cond: &'a D::Cond, noise: BatchNoise, device: &Device) -> Self {
        Self { denoiser, schedule, cond, guidance: None, upsample: UpsampleMode::Bicubic, noise, device: device.clone(), x: None, index: 0 }
    }

    /// Classifier-free guidance: v = v_u + scale·(v_c − v_u); a scale of 1 costs nothing extra.
    pub fn with_guidance(mut self, uncond: &'a D::Cond, scale: f32) -> Self {
        self.guidance = (scale != 1.0).then_some((uncond, scale));
        self
    }

    /// How x0 is carried to the next, larger scale (bicubic by default).
    pub fn with_upsample(mut self, mode: UpsampleMode) -> Self {
        self.upsample = mode;
        self
    }

    fn guided_velocity(&self, x: Tensor<4>, sigma: f32) -> Tensor<4> {
        let v = self.denoiser.velocity(x.clone(), sigma, self.cond);
        match self.guidance {
            Some((uncond, scale)) => {
                let vu = self.denoiser.velocity(x, sigma, uncond);
                vu.clone() + (v - vu) * scale
            }
            None => v,
        }
    }

    /// The input of the next step once at least one step has run (`[B, C, s, s]` at the next
    /// scale): what the generator sees there when it is fed its own samples.
    pub fn into_next_input(self) -> Option<Tensor<4>> {
        self.x
    }

    /// Runs the next network evaluation; `None` once the schedule is done.
    pub fn next_step(&mut self) -> Option<Step> {
        let i = self.index;
        let (scales, sigmas) = (&self.schedule.scales, &self.schedule.sigmas);
        if i >= scales.len() {
            return None;
        }
        let (scale, sigma, next_sigma) = (scales[i], sigmas[i], sigmas[i + 1]);
        let channels = self.denoiser.channels();
        let x = match self.x.take() {
            Some(x) => x,
            None => self.noise.image(channels, scale, &self.device),
        };
        let v = self.guided_velocity(x.clone(), sigma);
        let x0 = x.clone() - v.clone() * sigma;
        let last = i + 1 == scales.len();
        if !last {
            self.x = Some(match self.schedule.kind {
                // Integrate the probability-flow ODE from σ_i to σ_{i+1}.
                SamplerKind::Euler => x + v * (next_sigma - sigma),
                // Carry the predicted clean image to the next scale and re-noise it there;
                // upsampling x0 rather than the noisy x keeps the input in distribution.
                SamplerKind::FewStep => {
                    let up = upsample(x0.clone(), scales[i + 1], self.upsample);
                    let eps = self.noise.image(channels, scales[i + 1], &self.device);
                    up * (1.0 - next_sigma) + eps * next_sigma
                }
            });
        }
        self.index += 1;
        Some(Step { index: i, scale, sigma, x0 })
    }

    /// Runs every step, calling `on_step` after each; returns the final image `[B, C, s_N, s_N]`.
    pub fn run(mut self, mut on_step: impl FnMut(&Step)) -> Tensor<4> {
        let mut out = None;
        while let Some(step) = self.next_step() {
            on_step(&step);
            out = Some(step.x0);
        }
        out.expect("validated schedules have at least one step")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// v = 0: every step predicts x0 = x.
    struct Still;

    impl Denoiser for Still {
        type Cond = ();
        fn velocity(&self, x: Tensor<4>, _: f32, _: &()) -> Tensor<4> {
            x.zeros_like()
        }
        fn channels(&self) -> usize {
            3
        }
    }

    #[test]
    fn next_input_is_at_the_next_scale_after_each_step() {
        let device = Device::flex();
        let fresh = || Sampler::new(&Still, ScaleSchedule::preset("swd4").unwrap(), &(), BatchNoise::new(0, 2), &device);
        assert!(fresh().into_next_input().is_none(), "nothing drawn before the first step");
        for (k, size) in [(1, 40), (2, 48), (3, 64)] {
            let mut sampler = fresh();
            for _ in 0..k {
                sampler.next_step();
            }
            assert_eq!(sampler.into_next_input().expect("input").dims(), [2, 3, size, size]);
        }
    }
}
