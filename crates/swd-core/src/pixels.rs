//! Model output to 8-bit pixels, the same way on every target, so a PNG written natively and an
//! image drawn in the browser agree exactly when the floats do.

/// A value in [−1, 1] → 0..=255 (clamped, rounded half away from zero).
pub fn to_u8(v: f32) -> u8 {
    ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8
}

/// One `[3, H, W]` channel-major image → row-major RGBA bytes (alpha 255), as a canvas wants.
pub fn rgba(chw: &[f32], height: usize, width: usize) -> Vec<u8> {
    let n = height * width;
    assert_eq!(chw.len(), 3 * n, "expected a [3, {height}, {width}] image");
    (0..n).flat_map(|p| [to_u8(chw[p]), to_u8(chw[n + p]), to_u8(chw[2 * n + p]), 255]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantisation() {
        assert_eq!((to_u8(-1.0), to_u8(0.0), to_u8(1.0)), (0, 128, 255));
        assert_eq!((to_u8(-7.0), to_u8(7.0), to_u8(f32::NAN)), (0, 255, 0));
    }

    #[test]
    fn interleaves_channels() {
        // 1×2 image: pixel 0 = (−1, 0, 1), pixel 1 = (1, 1, −1).
        let chw = [-1.0, 1.0, 0.0, 1.0, 1.0, -1.0];
        assert_eq!(rgba(&chw, 1, 2), vec![0, 128, 255, 255, 255, 255, 0, 255]);
    }
}
