//! The evaluation network: a small convolutional classifier of emoji images. Its pooled
//! penultimate features are what FID and precision/recall compare; its class head scores
//! prompt accuracy. Trained on our own data because the usual Inception/CLIP weights are out
//! of reach.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::conv_block::{ConvBlock, ConvBlockConfig};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalNetConfig {
    /// Input side in pixels (images of another size are area-resized to it).
    pub resolution: usize,
    /// Channels of each stage; every stage halves the resolution.
    pub widths: Vec<usize>,
    pub groups: usize,
    /// Number of emoji classes (one per base emoji, skin tones folded in).
    pub classes: usize,
    pub categories: usize,
}

impl EvalNetConfig {
    pub fn new(classes: usize, categories: usize) -> Self {
        Self { resolution: 64, widths: vec![32, 64, 128, 256], groups: 8, classes, categories }
    }

    /// Dimension of the feature vector.
    pub fn features(&self) -> usize {
        *self.widths.last().expect("at least one stage")
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.widths.is_empty() || self.widths.iter().any(|&w| w == 0 || w % self.groups != 0) {
            return Err(format!("evalnet widths {:?} must be non-empty multiples of groups {}", self.widths, self.groups));
        }
        if self.classes < 2 || self.categories < 1 {
            return Err(format!("evalnet needs ≥ 2 classes and ≥ 1 category, got {} and {}", self.classes, self.categories));
        }
        if self.resolution % (1 << self.widths.len()) != 0 {
            return Err(format!("evalnet resolution {} must be divisible by 2^{}", self.resolution, self.widths.len()));
        }
        Ok(())
    }

    pub fn init(&self, device: &Device) -> EvalNet {
        let mut cin = 3;
        let stages = self
            .widths
            .iter()
            .map(|&w| {
                let block = ConvBlockConfig { in_channels: cin, out_channels: w, groups: self.groups }.init(device);
                cin = w;
                block
            })
            .collect();
        EvalNet {
            stages,
            class_head: LinearConfig::new(self.features(), self.classes).init(device),
            category_head: LinearConfig::new(self.features(), self.categories).init(device),
        }
    }
}

#[derive(Module, Debug)]
pub struct EvalNet {
    pub stages: Vec<ConvBlock>,
    pub class_head: Linear,
    pub category_head: Linear,
}

/// Class and category logits of a batch.
pub struct Logits {
    /// `[B, classes]`
    pub class: Tensor<2>,
    /// `[B, categories]`
    pub category: Tensor<2>,
}

impl EvalNet {
    /// `[B, 3, R, R]` in [−1, 1] → globally average-pooled features `[B, F]`.
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        let h = self.stages.iter().fold(images, |h, stage| stage.forward(h));
        let [b, c, _, _] = h.dims();
        h.reshape([b as i32, c as i32, -1]).mean_dim(2).reshape([b, c])
    }

    /// Features `[B, F]` → logits.
    pub fn heads(&self, features: Tensor<2>) -> Logits {
        Logits { class: self.class_head.forward(features.clone()), category: self.category_head.forward(features) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let device = Device::flex();
        let config = EvalNetConfig { widths: vec![8, 16], groups: 4, resolution: 16, ..EvalNetConfig::new(5, 3) };
        config.validate().unwrap();
        let net = config.init(&device);
        let f = net.features(Tensor::zeros([2, 3, 16, 16], &device));
        assert_eq!(f.dims(), [2, 16]);
        let logits = net.heads(f);
        assert_eq!(logits.class.dims(), [2, 5]);
        assert_eq!(logits.category.dims(), [2, 3]);
    }

    #[test]
    fn rejects_bad_configs() {
        assert!(EvalNetConfig { widths: vec![], ..EvalNetConfig::new(5, 3) }.validate().is_err());
        assert!(EvalNetConfig { widths: vec![12], ..EvalNetConfig::new(5, 3) }.validate().is_err());
        assert!(EvalNetConfig::new(1, 3).validate().is_err());
    }
}
