//! The transformer feed-forward: Linear → GELU → Linear.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor};

use super::lora::{Lora, LoraConfig, adapted};

#[derive(Debug, Clone)]
pub struct MlpConfig {
    pub dim: usize,
    pub hidden: usize,
}

#[derive(Module, Debug)]
pub struct Mlp {
    pub fc1: Linear,
    pub fc2: Linear,
    /// Adapters on fc1 and fc2 (distillation with LoRA); none in a plain model.
    pub lora: Option<MlpLora>,
}

#[derive(Module, Debug)]
pub struct MlpLora {
    pub fc1: Lora,
    pub fc2: Lora,
}

impl MlpConfig {
    pub fn init(&self, device: &Device) -> Mlp {
        Mlp {
            fc1: LinearConfig::new(self.dim, self.hidden).init(device),
            fc2: LinearConfig::new(self.hidden, self.dim).init(device),
            lora: None,
        }
    }
}

impl Mlp {
    /// `[B, N, D] → [B, N, D]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let lora = self.lora.as_ref();
        adapted(&self.fc2, lora.map(|l| &l.fc2), gelu(adapted(&self.fc1, lora.map(|l| &l.fc1), x)))
    }

    pub fn with_lora(self, config: LoraConfig, device: &Device) -> Self {
        let lora = MlpLora { fc1: config.init(&self.fc1, device), fc2: config.init(&self.fc2, device) };
        Self { lora: Some(lora), ..self }
    }

    pub fn merge_lora(self) -> Self {
        match self.lora {
            None => self,
            Some(l) => Self { fc1: l.fc1.merge(self.fc1), fc2: l.fc2.merge(self.fc2), lora: None },
        }
    }
}
