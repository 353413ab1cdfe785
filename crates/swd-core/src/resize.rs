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
/// `align_corners=False`); a no-op when the size already matches. Bicubic and bilinear run as
/// two matrix products with PyTorch's weights ([`interpolation_matrix`]): burn's interpolation
/// kernel on wgpu gives wrong values on some Mesa lavapipe machines (a 0→3 ramp upsampled 4→8
/// ends at 2.25, not 3), and matrix products agree on every backend.
pub fn upsample(x: Tensor<4>, size: usize, mode: UpsampleMode) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    if h == size && w == size {
        return x;
    }
    match mode {
        UpsampleMode::Nearest => {
            let options = InterpolateOptions {
                mode: InterpolateMode::Nearest,
                align_corners: false,
                output_size: Some([size, size]),
                scale_factor: None,
            };
            interpolate(x, options)
        }
        UpsampleMode::Bicubic | UpsampleMode::Bilinear => resample(x, size, |input, out| interpolation_matrix(input, out, mode)),
    }
}

/// PyTorch's cubic convolution kernel (A = −0.75) at distance `x`.
fn cubic(x: f64) -> f64 {
    const A: f64 = -0.75;
    let x = x.abs();
    if x <= 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A
    } else {
        0.0
    }
}

/// Interpolation weights `[out, input]` as PyTorch computes them with `align_corners=False`:
/// source position `(o + ½)·input/out − ½`, taps clamped to the border (bilinear also clamps a
/// negative position to 0). Rows sum to 1.
fn interpolation_matrix(input: usize, out: usize, mode: UpsampleMode) -> Vec<f32> {
    let mut weights = vec![0.0f32; out * input];
    let scale = input as f64 / out as f64;
    let last = input as i64 - 1;
    for o in 0..out {
        let row = &mut weights[o * input..(o + 1) * input];
        let src = (o as f64 + 0.5) * scale - 0.5;
        let mut add = |i: i64, weight: f64| row[i.clamp(0, last) as usize] += weight as f32;
        match mode {
            UpsampleMode::Bilinear => {
                let src = src.max(0.0);
                let (i0, t) = (src.floor(), src - src.floor());
                add(i0 as i64, 1.0 - t);
                add(i0 as i64 + 1, t);
            }
            UpsampleMode::Bicubic => {
                let (i0, t) = (src.floor(), src - src.floor());
                for k in -1..=2 {
                    add(i0 as i64 + k, cubic(k as f64 - t));
                }
            }
            UpsampleMode::Nearest => unreachable!("nearest runs as burn's interpolation"),
        }
    }
    weights
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
    let [_, _, h, w] = x.dims();
    if h == size && w == size {
        return x;
    }
    resample(x, size, area_matrix)
}

/// `[B, C, H, W] → [B, C, size, size]` with separable weights `matrix(input, size)`
/// (`[size, input]`, row-major) over rows and columns.
fn resample(x: Tensor<4>, size: usize, matrix: impl Fn(usize, usize) -> Vec<f32>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    let device = x.device();
    let rows = Tensor::<2>::from_data(TensorData::new(matrix(h, size), [size, h]), &device);
    let cols = Tensor::<2>::from_data(TensorData::new(matrix(w, size), [size, w]), &device);
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

    /// The matrix path equals burn's interpolation on the CPU (which follows PyTorch) at the
    /// samplers' steps, and a ramp upsampled bilinearly has PyTorch's values.
    #[test]
    fn matrix_upsampling_equals_burns_cpu_interpolation() {
        let device = Device::flex();
        let modes = [(UpsampleMode::Bicubic, InterpolateMode::Bicubic), (UpsampleMode::Bilinear, InterpolateMode::Bilinear)];
        for (mode, burn_mode) in modes {
            for (from, to) in [(32, 40), (40, 48), (48, 64), (16, 64), (5, 7)] {
                let x = Tensor::<4>::random([2, 3, from, from], Distribution::Normal(0.0, 1.0), &device);
                let options =
                    InterpolateOptions { mode: burn_mode.clone(), align_corners: false, output_size: Some([to, to]), scale_factor: None };
                let diff = (upsample(x.clone(), to, mode) - interpolate(x, options)).abs().max().into_scalar::<f32>();
                assert!(diff < 1e-5, "{mode:?} {from}->{to}: {diff}");
            }
        }
        let ramp = Tensor::<4>::from_data(TensorData::new((0..16).map(|i| (i % 4) as f32).collect(), [1, 1, 4, 4]), &device);
        let row = upsample(ramp, 8, UpsampleMode::Bilinear).slice([0..1, 0..1, 0..1, 0..8]);
        assert_eq!(row.into_data().try_into_vec::<f32>().unwrap(), [0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0]);
    }

    #[test]
    fn interpolation_weights_rows_sum_to_one() {
        for mode in [UpsampleMode::Bicubic, UpsampleMode::Bilinear] {
            for (i, o) in [(32, 40), (48, 64), (4, 8), (5, 7)] {
                for row in interpolation_matrix(i, o, mode).chunks(i) {
                    assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{mode:?} {i}->{o}");
                }
            }
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
