//! Small, label-preserving image augmentations for training and for the held-out accuracy:
//! a shift of a few pixels (edges repeated), brightness/contrast jitter and a little noise.
//! No flips: several emoji (arrows, hands) change meaning when mirrored.

use swd_core::noise::NoiseRng;

#[derive(Debug, Clone, Copy)]
pub struct Augment {
    pub max_shift: usize,
    pub contrast: f32,
    pub brightness: f32,
    pub noise: f32,
}

impl Augment {
    pub const TRAIN: Self = Self { max_shift: 4, contrast: 0.15, brightness: 0.1, noise: 0.05 };
    /// Milder, for scoring real held-out images.
    pub const EVAL: Self = Self { max_shift: 2, contrast: 0.05, brightness: 0.05, noise: 0.0 };

    /// `image`: `[3, size, size]` in [−1, 1] → an augmented copy.
    pub fn apply(&self, image: &[f32], size: usize, rng: &mut NoiseRng) -> Vec<f32> {
        let span = 2 * self.max_shift + 1;
        let dx = rng.below(span) as isize - self.max_shift as isize;
        let dy = rng.below(span) as isize - self.max_shift as isize;
        let contrast = 1.0 + self.contrast * (2.0 * rng.uniform() as f32 - 1.0);
        let brightness = self.brightness * (2.0 * rng.uniform() as f32 - 1.0);
        let sigma = self.noise * rng.uniform() as f32;
        let noise = rng.normals(image.len());
        let clamp = |v: isize| v.clamp(0, size as isize - 1) as usize;
        let mut out = vec![0f32; image.len()];
        for c in 0..3 {
            for y in 0..size {
                for x in 0..size {
                    let src = image[(c * size + clamp(y as isize - dy)) * size + clamp(x as isize - dx)];
                    let i = (c * size + y) * size + x;
                    out[i] = (src * contrast + brightness + sigma * noise[i]).clamp(-1.0, 1.0);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_when_all_off() {
        let off = Augment { max_shift: 0, contrast: 0.0, brightness: 0.0, noise: 0.0 };
        let image: Vec<f32> = (0..3 * 16).map(|i| (i as f32 / 24.0) - 1.0).collect();
        assert_eq!(off.apply(&image, 4, &mut NoiseRng::new(1)), image);
    }

    #[test]
    fn shift_moves_pixels_and_stays_in_range() {
        let shift = Augment { max_shift: 3, contrast: 0.0, brightness: 0.0, noise: 0.0 };
        let mut image = vec![-1f32; 3 * 64];
        image[8 * 4 + 4] = 1.0; // one bright pixel in channel 0 at (4, 4)
        let mut rng = NoiseRng::new(7);
        let mut moved = false;
        for _ in 0..10 {
            let out = shift.apply(&image, 8, &mut rng);
            assert!(out.iter().all(|v| (-1.0..=1.0).contains(v)));
            assert_eq!(out[..64].iter().filter(|&&v| v == 1.0).count(), 1);
            moved |= out[8 * 4 + 4] != 1.0;
        }
        assert!(moved);
        assert!(Augment::TRAIN.apply(&image, 8, &mut rng).iter().all(|v| (-1.0..=1.0).contains(v)));
    }
}
