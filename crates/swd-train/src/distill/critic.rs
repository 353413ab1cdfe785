//! The critic: the fake-score network (a copy of the teacher that learns the student's
//! distribution) and the discriminator head on its named features, trained together.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use swd_core::nn::{TextEmbedding, UNetOutput};
use swd_core::{ModelConfig, SwdModel, flow};

use super::disc_head::{DiscHead, DiscHeadConfig};

#[derive(Module, Debug)]
pub struct Critic {
    pub fake: SwdModel,
    pub head: DiscHead,
}

impl Critic {
    /// The fake score starts as the teacher; the head reads the teacher's `mid` features.
    pub fn from_teacher(teacher: SwdModel, config: &ModelConfig, device: &Device) -> Self {
        let channels = config.unet.base_channels * config.unet.channel_mults.last().copied().unwrap_or(1);
        Self { fake: teacher, head: DiscHeadConfig { channels }.init(device) }
    }

    /// x0 predicted by the fake score: `x`: `[B, C, H, W]`, `sigma`: `[B]`.
    pub fn forward(&self, x: Tensor<4>, sigma: Tensor<1>, text: &TextEmbedding) -> (Tensor<4>, UNetOutput) {
        let out = self.fake.forward(x.clone(), sigma.clone(), text);
        (flow::x0_from_velocity(x, out.velocity.clone(), sigma), out)
    }
}
