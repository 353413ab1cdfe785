//! Exponential moving average of a model's weights (kept on the plain, non-autodiff device).

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::Tensor;

struct Flatten {
    values: Vec<Tensor<1>>,
}

impl ModuleVisitor for Flatten {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val().inner();
        let n = t.shape().num_elements();
        self.values.push(t.reshape([n]));
    }
}

struct Blend {
    source: std::vec::IntoIter<Tensor<1>>,
    decay: f32,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let src = self.source.next().expect("EMA and model have the same parameters");
        let decay = self.decay;
        param.map(|ema| {
            let shape = ema.shape();
            ema * decay + src.reshape(shape) * (1.0 - decay)
        })
    }
}

/// The decay used after `step` updates: min(decay, (1+step)/(10+step)), so early averages are
/// not dominated by the random initialisation (after 450 steps at 0.999, 64% of the EMA would
/// still be the initial weights).
pub fn warmup_decay(decay: f32, step: usize) -> f32 {
    decay.min((1.0 + step as f32) / (10.0 + step as f32))
}

/// ema ← decay·ema + (1−decay)·model, parameter by parameter (same module structure).
pub fn update<M: Module>(ema: M, model: &M, decay: f32) -> M {
    let mut flat = Flatten { values: Vec::new() };
    model.visit(&mut flat);
    ema.map(&mut Blend { source: flat.values.into_iter(), decay })
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::tensor::Device;

    #[test]
    fn warmup_decay_starts_low_and_reaches_the_target() {
        assert!((warmup_decay(0.999, 0) - 0.1).abs() < 1e-6);
        assert!(warmup_decay(0.999, 100) < 0.92);
        assert_eq!(warmup_decay(0.999, 1_000_000), 0.999);
    }

    #[test]
    fn ema_moves_towards_the_model() {
        let device = Device::flex();
        let a: Linear = LinearConfig::new(3, 2).init(&device);
        let b: Linear = LinearConfig::new(3, 2).init(&device);
        let wa = a.weight.val();
        let wb = b.weight.val();
        let mixed = update(a, &b, 0.75);
        let expected = wa * 0.75 + wb * 0.25;
        let diff = (mixed.weight.val() - expected).abs().max().into_scalar::<f32>();
        assert!(diff < 1e-6);
    }
}
