//! The losses of one distillation step, for the critic and for the student.

use anyhow::Result;
use burn::module::Module;
use burn::tensor::{Device, Tensor};
use swd_core::noise::NoiseRng;
use swd_core::{Denoiser, SwdModel, TextToImage, flow};

use super::DistillConfig;
use super::critic::Critic;
use super::inputs::{normal, sigmas};
use super::losses::{dmd_loss, dmd_target, gan_discriminator_loss, gan_generator_loss, patch_loss};
use crate::parallel::Shard;

/// One batch at scale index `k`: prompts, the real images at s_k and the generator's input.
pub struct StepInput {
    pub prompts: Vec<String>,
    /// `[B, C, s_k, s_k]` real images (area-downsampled).
    pub real: Tensor<4>,
    /// `[B, C, s_k, s_k]` generator input at σ_k (plain device).
    pub x_in: Tensor<4>,
    pub sigma: f32,
    /// Which rows of the global batch these are: the losses' noise is drawn for the global batch.
    pub shard: Shard,
}

/// The critic's losses: (total, diffusion, discriminator if on). The fake score learns the
/// student's samples with the x0-parameterised diffusion loss over `fake_sigma`; the head tells
/// noised real from noised student samples. Only `critic` is tracked (autodiff device).
pub fn critic_loss(
    critic: &Critic,
    student: &SwdModel,
    t2i: &TextToImage,
    input: &StepInput,
    cfg: &DistillConfig,
    rng: &mut NoiseRng,
    device: &Device,
) -> Result<(Tensor<1>, Tensor<1>, Option<Tensor<1>>)> {
    let plain = input.x_in.device();
    let text_s = t2i.encode_with(student, &input.prompts, &plain)?;
    let x0_hat = input.x_in.clone() - student.velocity(input.x_in.clone(), input.sigma, &text_s) * input.sigma;
    let [b, c, h, w] = x0_hat.dims();
    let shard = &input.shard;
    let text_c = t2i.encode_with(&critic.fake, &input.prompts, device)?;
    let sig_f = sigmas(rng, shard, cfg.fake_sigma, device);
    let x0_hat = x0_hat.autodiff();
    let xt = flow::add_noise(x0_hat.clone(), normal(rng, shard, [c, h, w], device), sig_f.clone());
    if cfg.w_fake_disc == 0.0 || cfg.w_gan == 0.0 {
        let (x0_pred, _) = critic.forward(xt, sig_f, &text_c);
        let diffusion = (x0_pred - x0_hat).powi_scalar(2).mean();
        return Ok((diffusion.clone(), diffusion, None));
    }
    // Noised student samples and noised real images through the fake network as one batch:
    // the first half feeds the diffusion loss, both halves the discriminator head.
    let sig_r = sigmas(rng, shard, cfg.fake_sigma, device);
    let real = flow::add_noise(input.real.clone().autodiff(), normal(rng, shard, [c, h, w], device), sig_r.clone());
    let (x0_pred, out) = critic.forward(Tensor::cat(vec![xt, real], 0), Tensor::cat(vec![sig_f, sig_r], 0), &text_c.repeat(2));
    let diffusion = (x0_pred.narrow(0, 0, b) - x0_hat).powi_scalar(2).mean();
    let logits = critic.head.forward(out.features);
    let disc = gan_discriminator_loss(logits.clone().narrow(0, 0, b), logits.narrow(0, b, b));
    Ok((diffusion.clone() + disc.clone() * cfg.w_fake_disc, diffusion, Some(disc)))
}

/// The teacher's velocity with classifier-free guidance `scale`, v_u + scale·(v_c − v_u): the
/// conditional and unconditional halves run as one batch. `x`: `[B, C, H, W]`, `sigma`: `[B]`.
fn guided_velocity(teacher: &TextToImage, x: Tensor<4>, sigma: Tensor<1>, prompts: &[String], scale: f32) -> Result<Tensor<4>> {
    let b = prompts.len();
    let device = x.device();
    let conditions: Vec<&str> = prompts.iter().map(String::as_str).chain(std::iter::repeat_n("", b)).collect();
    let text = teacher.encode(&conditions, &device)?;
    let v = teacher.model.forward(Tensor::cat(vec![x.clone(), x], 0), Tensor::cat(vec![sigma.clone(), sigma], 0), &text).velocity;
    let v_u = v.clone().narrow(0, b, b);
    Ok(v_u.clone() + (v.narrow(0, 0, b) - v_u) * scale)
}

/// The student's loss w_dmd·DMD + w_gan·GAN + w_patch·patch and its named terms. Only
/// `student` is tracked: the teacher is plain, the critic is read frozen.
pub fn generator_loss(
    student: &SwdModel,
    critic: &Critic,
    teacher: &TextToImage,
    input: &StepInput,
    cfg: &DistillConfig,
    rng: &mut NoiseRng,
    device: &Device,
) -> Result<(Tensor<1>, Vec<(&'static str, Tensor<1>)>)> {
    let plain = input.x_in.device();
    let [b, c, h, w] = input.x_in.dims();
    let text_s = teacher.encode_with(student, &input.prompts, device)?;
    let sig_k = Tensor::<1>::full([b], input.sigma, device);
    let x_in = input.x_in.clone().autodiff();
    let x0_hat = flow::x0_from_velocity(x_in.clone(), student.forward(x_in, sig_k.clone(), &text_s).velocity, sig_k);
    let mut total = Tensor::<1>::zeros([1], device);
    let mut terms = Vec::new();
    if cfg.w_dmd > 0.0 {
        let critic_valid = critic.valid();
        let sig_d = sigmas(rng, &input.shard, cfg.dmd_sigma, &plain);
        let x0_plain = x0_hat.clone().inner();
        let xd = flow::add_noise(x0_plain.clone(), normal(rng, &input.shard, [c, h, w], &plain), sig_d.clone());
        let v = guided_velocity(teacher, xd.clone(), sig_d.clone(), &input.prompts, cfg.teacher_cfg)?;
        let x0_real = flow::x0_from_velocity(xd.clone(), v, sig_d.clone());
        let text_f = teacher.encode_with(&critic_valid.fake, &input.prompts, &plain)?;
        let (x0_fake, _) = critic_valid.forward(xd, sig_d, &text_f);
        let dmd = dmd_loss(x0_hat.clone(), dmd_target(x0_plain, x0_real, x0_fake).autodiff());
        total = total + dmd.clone() * cfg.w_dmd;
        terms.push(("dmd", dmd));
    }
    if cfg.w_patch > 0.0 || cfg.w_gan > 0.0 {
        // Features of the frozen critic: gradients reach x̂0, never the critic.
        let frozen = critic.clone().no_grad();
        let text_f = teacher.encode_with(&frozen.fake, &input.prompts, device)?;
        let sig_p = sigmas(rng, &input.shard, cfg.patch_sigma, device);
        let eps = normal(rng, &input.shard, [c, h, w], device);
        let fake_in = flow::add_noise(x0_hat, eps.clone(), sig_p.clone());
        let fake_features = if cfg.w_patch > 0.0 {
            // x̂0 and its real image, noised alike, through the frozen fake network as one batch.
            let real_in = flow::add_noise(input.real.clone().autodiff(), eps, sig_p.clone());
            let both = Tensor::cat(vec![fake_in, real_in], 0);
            let features = frozen.fake.forward(both, Tensor::cat(vec![sig_p.clone(), sig_p], 0), &text_f.repeat(2)).features;
            let (fake_features, real_features) = (features.clone().narrow(0, 0, b), features.narrow(0, b, b).detach());
            let patch = patch_loss(
                real_features,
                fake_features.clone(),
                cfg.patch_kernel,
                cfg.patch_pooling,
                cfg.patch_huber_c,
                cfg.patch_rbf_bandwidth,
            );
            total = total + patch.clone() * cfg.w_patch;
            terms.push(("patch", patch));
            fake_features
        } else {
            frozen.fake.forward(fake_in, sig_p, &text_f).features
        };
        if cfg.w_gan > 0.0 {
            let gan = gan_generator_loss(frozen.head.forward(fake_features));
            total = total + gan.clone() * cfg.w_gan;
            terms.push(("gan", gan));
        }
    }
    Ok((total, terms))
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Distribution, TensorData};
    use swd_core::{ModelConfig, TextTokenizer};

    use super::*;

    const PROMPTS: [&str; 2] = ["3d emoji: red apple", "flat emoji: cat"];

    fn teacher(device: &Device) -> TextToImage {
        let tokenizer = TextTokenizer::build(&PROMPTS).unwrap();
        TextToImage::init(ModelConfig::tiny(tokenizer.vocab_size()), tokenizer, device).unwrap()
    }

    fn max_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    #[test]
    fn one_batch_of_two_inputs_equals_two_forwards() {
        // What the critic's and the patch loss's batching rely on: the network treats every
        // sample on its own (group norms, attention), so two halves of a batch are two forwards.
        let device = Device::flex();
        let t2i = teacher(&device);
        let text = t2i.encode(&PROMPTS, &device).unwrap();
        let (a, b) =
            (Tensor::<4>::random([2, 3, 16, 16], Distribution::Normal(0.0, 1.0), &device), Tensor::<4>::ones([2, 3, 16, 16], &device));
        let sigma = Tensor::<1>::from_data(TensorData::new(vec![0.3f32, 0.7], [2]), &device);
        let one = |x: Tensor<4>| t2i.model.forward(x, sigma.clone(), &text).features;
        let both = t2i.model.forward(
            Tensor::cat(vec![a.clone(), b.clone()], 0),
            Tensor::cat(vec![sigma.clone(), sigma.clone()], 0),
            &text.repeat(2),
        );
        assert!(max_diff(both.features.clone().narrow(0, 0, 2), one(a)) < 1e-4);
        assert!(max_diff(both.features.narrow(0, 2, 2), one(b)) < 1e-4);
    }

    #[test]
    fn guidance_in_one_batch_equals_two_forwards() {
        let device = Device::flex();
        let t2i = teacher(&device);
        let x = Tensor::<4>::random([2, 3, 16, 16], Distribution::Normal(0.0, 1.0), &device);
        let sigma = Tensor::<1>::from_data(TensorData::new(vec![0.3f32, 0.7], [2]), &device);
        let prompts: Vec<String> = PROMPTS.iter().map(|p| p.to_string()).collect();
        let batched = guided_velocity(&t2i, x.clone(), sigma.clone(), &prompts, 4.5).unwrap();
        let v = |p: &[&str]| t2i.model.forward(x.clone(), sigma.clone(), &t2i.encode(p, &device).unwrap()).velocity;
        let (v_c, v_u) = (v(&PROMPTS), v(&["", ""]));
        assert!(max_diff(v_c.clone(), v_u.clone()) > 1e-3, "the prompt must matter for the check to mean anything");
        assert!(max_diff(batched, v_u.clone() + (v_c - v_u) * 4.5) < 1e-4);
    }
}
