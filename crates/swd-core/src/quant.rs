//! Per-channel symmetric int8 weights (the 8-bit shipping format): every output channel `c` of a
//! tensor with two or more axes is stored as `q = round(w / s_c)` in −127..=127 with
//! `s_c = max|w_c| / 127`, and dequantised to f32 on load. The output channel is axis 0 of a
//! conv kernel `[out, in, kh, kw]` and the last axis of burn's linear and embedding matrices
//! `[in, out]`.

/// The axis of `shape` that holds output channels.
pub fn channel_axis(shape: &[usize]) -> usize {
    if shape.len() == 2 { 1 } else { 0 }
}

/// The channel of each element of a row-major tensor of `shape`.
fn channels(shape: &[usize]) -> impl Iterator<Item = usize> {
    let axis = channel_axis(shape);
    let stride: usize = shape[axis + 1..].iter().product();
    let count = shape[axis];
    let len: usize = shape.iter().product();
    (0..len).map(move |i| (i / stride) % count)
}

/// `values` (row-major, `shape` with at least two axes) → (int8 values, one scale per channel).
pub fn quantize(values: &[f32], shape: &[usize]) -> (Vec<i8>, Vec<f32>) {
    let mut max = vec![0f32; shape[channel_axis(shape)]];
    for (v, c) in values.iter().zip(channels(shape)) {
        max[c] = max[c].max(v.abs());
    }
    let scales: Vec<f32> = max.iter().map(|m| if *m > 0.0 { m / 127.0 } else { 1.0 }).collect();
    let q = values.iter().zip(channels(shape)).map(|(v, c)| (v / scales[c]).round().clamp(-127.0, 127.0) as i8).collect();
    (q, scales)
}

/// The inverse of [`quantize`], up to half a step of each channel's scale.
pub fn dequantize(q: &[i8], scales: &[f32], shape: &[usize]) -> Vec<f32> {
    q.iter().zip(channels(shape)).map(|(v, c)| *v as f32 * scales[c]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_within_half_a_step_per_channel() {
        for shape in [vec![4, 3, 3, 3], vec![5, 7], vec![2, 6, 1, 1]] {
            let len: usize = shape.iter().product();
            // Channels of very different magnitude: per-channel scales keep small ones precise.
            let values: Vec<f32> = (0..len).map(|i| ((i * 37 % 101) as f32 - 50.0) * 10f32.powi((i % 3) as i32 - 2)).collect();
            let (q, scales) = quantize(&values, &shape);
            assert_eq!(scales.len(), shape[channel_axis(&shape)]);
            let back = dequantize(&q, &scales, &shape);
            for ((v, b), c) in values.iter().zip(&back).zip(channels(&shape)) {
                assert!((v - b).abs() <= scales[c] / 2.0 + 1e-7, "{shape:?}: {v} → {b} (scale {})", scales[c]);
            }
            assert!(q.iter().any(|v| v.unsigned_abs() == 127), "the largest value of a channel maps to ±127");
        }
    }

    #[test]
    fn channels_follow_the_output_axis() {
        // [in 2, out 3]: the channel is the column.
        assert_eq!(channels(&[2, 3]).collect::<Vec<_>>(), [0, 1, 2, 0, 1, 2]);
        // [out 2, in 1, 1, 2]: the channel is the leading index.
        assert_eq!(channels(&[2, 1, 1, 2]).collect::<Vec<_>>(), [0, 0, 1, 1]);
        let (q, scales) = quantize(&[0.0, 0.0, 2.0, -4.0], &[2, 1, 1, 2]);
        assert_eq!(scales, [1.0, 4.0 / 127.0], "an all-zero channel keeps scale 1");
        assert_eq!(q, [0, 0, 64, -127]);
    }
}
