//! Multi-head attention over token sequences; self-attention when the context is the input.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};

use super::lora::{Lora, LoraConfig, adapted};

/// `dim`: query width; `context_dim`: key/value source width.
#[derive(Debug, Clone)]
pub struct AttentionConfig {
    pub dim: usize,
    pub context_dim: usize,
    pub heads: usize,
}

#[derive(Module, Debug)]
pub struct Attention {
    pub to_q: Linear,
    pub to_k: Linear,
    pub to_v: Linear,
    pub to_out: Linear,
    pub heads: usize,
    /// Adapters on q, k, v, out (distillation with LoRA); none in a plain model.
    pub lora: Option<AttentionLora>,
}

#[derive(Module, Debug)]
pub struct AttentionLora {
    pub q: Lora,
    pub k: Lora,
    pub v: Lora,
    pub out: Lora,
}

impl AttentionConfig {
    pub fn init(&self, device: &Device) -> Attention {
        Attention {
            to_q: LinearConfig::new(self.dim, self.dim).with_bias(false).init(device),
            to_k: LinearConfig::new(self.context_dim, self.dim).with_bias(false).init(device),
            to_v: LinearConfig::new(self.context_dim, self.dim).with_bias(false).init(device),
            to_out: LinearConfig::new(self.dim, self.dim).init(device),
            heads: self.heads,
            lora: None,
        }
    }
}

impl Attention {
    /// `x`: `[B, N, D]`, `context`: `[B, M, Dc]`, `bias`: additive score bias broadcastable to
    /// `[B, heads, N, M]` (−1e4 on padded context tokens) → `[B, N, D]`.
    pub fn forward(&self, x: Tensor<3>, context: Tensor<3>, bias: Option<Tensor<4>>) -> Tensor<3> {
        let [b, n, d] = x.dims();
        let m = context.dims()[1];
        let h = self.heads;
        let split = |t: Tensor<3>, len: usize| t.reshape([b, len, h, d / h]).swap_dims(1, 2);
        let lora = self.lora.as_ref();
        let q = split(adapted(&self.to_q, lora.map(|l| &l.q), x), n);
        let k = split(adapted(&self.to_k, lora.map(|l| &l.k), context.clone()), m);
        let v = split(adapted(&self.to_v, lora.map(|l| &l.v), context), m);
        let scores = q.matmul(k.swap_dims(2, 3)) * (1.0 / ((d / h) as f64).sqrt());
        let scores = match bias {
            Some(bias) => scores + bias,
            None => scores,
        };
        let out = softmax(scores, 3).matmul(v); // [B, h, N, d/h]
        adapted(&self.to_out, lora.map(|l| &l.out), out.swap_dims(1, 2).reshape([b, n, d]))
    }

    /// Adds zero-initialised adapters to every projection.
    pub fn with_lora(self, config: LoraConfig, device: &Device) -> Self {
        let lora = AttentionLora {
            q: config.init(&self.to_q, device),
            k: config.init(&self.to_k, device),
            v: config.init(&self.to_v, device),
            out: config.init(&self.to_out, device),
        };
        Self { lora: Some(lora), ..self }
    }

    /// Folds the adapters into the projections and drops them.
    pub fn merge_lora(self) -> Self {
        match self.lora {
            None => self,
            Some(l) => Self {
                to_q: l.q.merge(self.to_q),
                to_k: l.k.merge(self.to_k),
                to_v: l.v.merge(self.to_v),
                to_out: l.out.merge(self.to_out),
                heads: self.heads,
                lora: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    #[test]
    fn masked_context_tokens_are_ignored() {
        let device = Device::flex();
        let attn = AttentionConfig { dim: 8, context_dim: 6, heads: 2 }.init(&device);
        let x = Tensor::<3>::random([1, 5, 8], Distribution::Normal(0.0, 1.0), &device);
        let ctx = Tensor::<3>::random([1, 4, 6], Distribution::Normal(0.0, 1.0), &device);
        let bias = Tensor::<1>::from_floats([0.0, 0.0, -1e4, -1e4], &device).reshape([1, 1, 1, 4]);
        let full = attn.forward(x.clone(), ctx.clone(), Some(bias));
        let cut = attn.forward(x, ctx.slice([0..1, 0..2]), None);
        assert_eq!(full.dims(), [1, 5, 8]);
        assert!((full - cut).abs().max().into_scalar::<f32>() < 1e-5);
    }
}
