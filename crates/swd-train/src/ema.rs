//! Exponential moving average of a model's weights, on the optimizer's flat parameter buffer
//! (three kernels a step, whatever the number of parameter tensors).

use burn::tensor::Tensor;

/// The decay used after `step` updates: min(decay, (1+step)/(10+step)), so early averages are
/// not dominated by the random initialisation (after 450 steps at 0.999, 64% of the EMA would
/// still be the initial weights).
pub fn warmup_decay(decay: f32, step: usize) -> f32 {
    decay.min((1.0 + step as f32) / (10.0 + step as f32))
}

/// ema ← decay·ema + (1−decay)·params.
pub fn blend(ema: Tensor<1>, params: Tensor<1>, decay: f32) -> Tensor<1> {
    ema * decay + params * (1.0 - decay)
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, TensorData};

    use super::*;

    #[test]
    fn warmup_decay_starts_low_and_reaches_the_target() {
        assert!((warmup_decay(0.999, 0) - 0.1).abs() < 1e-6);
        assert!(warmup_decay(0.999, 100) < 0.92);
        assert_eq!(warmup_decay(0.999, 1_000_000), 0.999);
    }

    #[test]
    fn ema_moves_towards_the_params() {
        let device = Device::flex();
        let t = |v: [f32; 3]| Tensor::<1>::from_data(TensorData::new(v.to_vec(), [3]), &device);
        let mixed = blend(t([1.0, 2.0, 3.0]), t([5.0, 6.0, 7.0]), 0.75);
        assert_eq!(mixed.into_data().try_to_vec::<f32>().unwrap(), [2.0, 3.0, 4.0]);
    }
}
