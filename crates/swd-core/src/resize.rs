//! Image resizing used by the samplers (upsampling x0 between scales) and by training
//! (area downsampling of real images).

use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// How the scale-wise sampler upsamples its x0 prediction. Bicubic is the method's choice;
/// nearest showed aliasing in the authors' first release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum UpsampleMode {
    #[default]
    Bicubic,
    Bilinear,
    Nearest,
}

/// Resize `[B, C, H, W]` to `[B, C, size, size]` with half-pixel centres (PyTorch's
/// `align_corners=False`); a no-op when the size already matches.
pub fn upsample(x: Tensor<4>, size: usize, mode: UpsampleMode) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    if h == size && w == size {
        return x;
    }
    let mode = match mode {
        UpsampleMode::Bicubic => InterpolateMode::Bicubic,
        UpsampleMode::Bilinear => InterpolateMode::Bilinear,
        UpsampleMode::Nearest => InterpolateMode::Nearest,
    };
    let options = InterpolateOptions { mode, align_corners: false, output_size: Some([size, size]), scale_factor: None };
    interpolate(x, options)
}

/// Area-resampling weights `[out, input]`: each output pixel averages the input interval it
/// covers, with fractional overlaps weighted (exact for any ratio, rows sum to 1).
fn area_matrix(input: usize, out: usize) -> Vec<f32> {
    let mut weights = vec![0.0f32; out * input];
    let ratio = input as f64 / out as f64;
    for o in 0..out {
        let (start, end) = (o as f64 * ratio, (o + 1) as f64 * ratio);
        for i in start.floor() as usize..(end.ceil() as usize).min(input) {
            let overlap = (end.min(i as f64 + 1.0) - start.max(i as f64)).max(0.0);
            weights[o * input + i] = (overlap / ratio) as f32;
        }
    }
    weights
}

/// Area downsampling `[B, C, H, W] → [B, C, size, size]` as two matrix products, so it runs on
/// every backend; use for size ≤ H (upsampling with it is nearest-like).
pub fn area_resize(x: Tensor<4>, size: usize) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    if h == size && w == size {
        return x;
    }
    let device = x.device();
    let rows = Tensor::<2>::from_data(TensorData::new(area_matrix(h, size), [size, h]), &device);
    let cols = Tensor::<2>::from_data(TensorData::new(area_matrix(w, size), [size, w]), &device);
    // [B·C, H, W] → rows·x → [B·C, size, W] → ·colsᵀ → [B·C, size, size]
    let x = x.reshape([b * c, h, w]);
    let x = rows.unsqueeze::<3>().matmul(x);
    let x = x.matmul(cols.transpose().unsqueeze::<3>());
    x.reshape([b, c, size, size])
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, Distribution};

    #[test]
    fn area_resize_by_two_is_mean_pooling() {
        let device = Device::flex();
        let x = Tensor::<4>::random([2, 3, 8, 8], Distribution::Normal(0.0, 1.0), &device);
        let pooled = burn::tensor::module::avg_pool2d(x.clone(), burn::tensor::ops::AvgPoolOptions::new([2, 2]));
        let diff = (area_resize(x, 4) - pooled).abs().max().into_scalar::<f32>();
        assert!(diff < 1e-5, "{diff}");
    }

    #[test]
    fn resizing_keeps_constant_images_constant() {
        let device = Device::flex();
        let x = Tensor::<4>::ones([1, 3, 32, 32], &device) * 0.7;
        for size in [24, 16] {
            let y = area_resize(x.clone(), size);
            assert_eq!(y.dims(), [1, 3, size, size]);
            assert!((y - 0.7).abs().max().into_scalar::<f32>() < 1e-5);
        }
        for mode in [UpsampleMode::Bicubic, UpsampleMode::Bilinear, UpsampleMode::Nearest] {
            let y = upsample(x.clone(), 40, mode);
            assert_eq!(y.dims(), [1, 3, 40, 40]);
            assert!((y - 0.7).abs().max().into_scalar::<f32>() < 1e-5, "{mode:?}");
        }
    }

    #[test]
    fn area_weights_rows_sum_to_one() {
        for (i, o) in [(64, 48), (64, 40), (48, 32), (40, 16)] {
            let m = area_matrix(i, o);
            for row in m.chunks(i) {
                assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            }
        }
    }
}
