//! Seeded Gaussian noise generated on the host, so the same seed gives the same image on every
//! backend (flex, wgpu, the browser) instead of depending on a backend's own generator.

use burn::tensor::{Device, Tensor, TensorData};

/// xoshiro256** seeded through SplitMix64; small, fast and identical on every target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NoiseRng {
    s: [u64; 4],
}

impl NoiseRng {
    pub fn new(seed: u64) -> Self {
        let mut z = seed;
        let mut next = || {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x ^ (x >> 31)
        };
        Self { s: [next(), next(), next(), next()] }
    }

    /// Whether the state is all zeros, the one state xoshiro never leaves (it draws only
    /// zeros); seeding never produces it, a hand-edited checkpoint could.
    pub fn is_degenerate(&self) -> bool {
        self.s == [0; 4]
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in the open interval (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Uniform integer in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.uniform() * n as f64) as usize % n.max(1)
    }

    /// Standard normal draws (Box–Muller, both outputs used).
    pub fn normals(&mut self, n: usize) -> Vec<f32> {
        let mut out = Vec::with_capacity(n + 1);
        while out.len() < n {
            let (u1, u2) = (self.uniform(), self.uniform());
            let r = (-2.0 * u1.ln()).sqrt();
            let a = std::f64::consts::TAU * u2;
            out.push((r * a.cos()) as f32);
            out.push((r * a.sin()) as f32);
        }
        out.truncate(n);
        out
    }
}

/// One noise stream per image, so image `b` of a batch seeded `seed` equals the single image
/// seeded `seed + b`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BatchNoise {
    streams: Vec<NoiseRng>,
}

impl BatchNoise {
    pub fn new(seed: u64, batch: usize) -> Self {
        Self { streams: (0..batch as u64).map(|b| NoiseRng::new(seed.wrapping_add(b))).collect() }
    }

    /// Standard normal noise `[B, channels, size, size]`.
    pub fn image(&mut self, channels: usize, size: usize, device: &Device) -> Tensor<4> {
        let per = channels * size * size;
        let values: Vec<f32> = self.streams.iter_mut().flat_map(|rng| rng.normals(per)).collect();
        let shape = [self.streams.len(), channels, size, size];
        Tensor::from_data(TensorData::new(values, shape), device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normals_have_unit_moments_and_repeat_per_seed() {
        let a = NoiseRng::new(7).normals(100_000);
        assert_eq!(a, NoiseRng::new(7).normals(100_000));
        assert_ne!(a[..10], NoiseRng::new(8).normals(10)[..]);
        let mean = a.iter().map(|&v| v as f64).sum::<f64>() / a.len() as f64;
        let var = a.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / a.len() as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "var {var}");
    }

    #[test]
    fn batch_streams_match_single_seeds() {
        let device = Device::flex();
        let batch = BatchNoise::new(10, 3).image(3, 8, &device);
        let third = BatchNoise::new(12, 1).image(3, 8, &device);
        let diff = (batch.slice([2..3]) - third).abs().max().into_scalar::<f32>();
        assert_eq!(diff, 0.0);
    }
}
