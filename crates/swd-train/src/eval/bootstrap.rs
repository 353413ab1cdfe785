//! 95% intervals by the percentile bootstrap over evaluation records: a resample draws n records
//! with replacement — a record's real and generated image together, as they share the prompt —
//! and recomputes each statistic; the interval spans the 2.5th to the 97.5th percentile.
//! Diversity is resampled over its prompts.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use swd_core::noise::NoiseRng;

use super::metrics::{frechet_distance, Features, Gaussian, PairDistances};

/// A 95% interval `[lo, hi]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    /// The 2.5th and 97.5th percentiles of `values` (nearest rank); NaN when there are none.
    pub fn of(mut values: Vec<f64>) -> Self {
        values.retain(|v| !v.is_nan());
        if values.is_empty() {
            return Self { lo: f64::NAN, hi: f64::NAN };
        }
        values.sort_by(f64::total_cmp);
        let at = |q: f64| values[((q * (values.len() - 1) as f64).round() as usize).min(values.len() - 1)];
        Self { lo: at(0.025), hi: at(0.975) }
    }

    pub fn contains(&self, v: f64) -> bool {
        self.lo <= v && v <= self.hi
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Intervals {
    pub resamples: usize,
    pub fid: Interval,
    pub precision: Interval,
    pub recall: Interval,
    pub top1: Interval,
    pub top5: Interval,
    pub diversity: Interval,
}

/// What one evaluation measured, per record (row `i` of `real` and `fake` is record `i`).
pub struct Measured<'a> {
    pub real: Features<'a>,
    pub fake: Features<'a>,
    pub top1_hits: &'a [bool],
    pub top5_hits: &'a [bool],
    /// Precision/recall's k.
    pub k: usize,
    pub diversity_per_prompt: &'a [f64],
}

pub fn intervals(m: &Measured, resamples: usize, seed: u64) -> Intervals {
    let (n, dim) = (m.real.len(), m.real.dim);
    let pairs = PairDistances::new(m.real, m.fake);
    // Draws first, in order, so the intervals do not depend on the thread count.
    let mut rng = NoiseRng::new(seed ^ 0xb0075);
    let g = m.diversity_per_prompt.len();
    let draws: Vec<(Vec<usize>, Vec<usize>)> =
        (0..resamples).map(|_| ((0..n).map(|_| rng.below(n)).collect(), (0..g).map(|_| rng.below(g)).collect())).collect();
    let fraction = |hits: &[bool], idx: &[usize]| idx.iter().filter(|&&i| hits[i]).count() as f64 / idx.len().max(1) as f64;
    // Each resample's FID takes two 256² eigen-decompositions: spread them over the cores.
    let stats: Vec<[f64; 6]> = draws
        .par_iter()
        .map(|(idx, prompts)| {
            let gather = |f: Features| idx.iter().flat_map(|&i| f.row(i).iter().copied()).collect::<Vec<f32>>();
            let (real, fake) = (gather(m.real), gather(m.fake));
            let fid = frechet_distance(&Gaussian::fit(Features::new(dim, &real)), &Gaussian::fit(Features::new(dim, &fake)));
            let (precision, recall) = pairs.precision_recall(idx, idx, m.k);
            let diversity = if g == 0 { f64::NAN } else { prompts.iter().map(|&p| m.diversity_per_prompt[p]).sum::<f64>() / g as f64 };
            [fid, precision, recall, fraction(m.top1_hits, idx), fraction(m.top5_hits, idx), diversity]
        })
        .collect();
    let column = |c: usize| Interval::of(stats.iter().map(|s| s[c]).collect());
    Intervals {
        resamples,
        fid: column(0),
        precision: column(1),
        recall: column(2),
        top1: column(3),
        top5: column(4),
        diversity: column(5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize, dim: usize, mean: f32, seed: u64) -> Vec<f32> {
        NoiseRng::new(seed).normals(n * dim).into_iter().map(|z| mean + z).collect()
    }

    #[test]
    fn percentiles_of_a_known_list() {
        let i = Interval::of((0..=1000).map(f64::from).collect());
        assert_eq!((i.lo, i.hi), (25.0, 975.0));
        assert!(Interval::of(vec![f64::NAN]).lo.is_nan());
    }

    #[test]
    fn intervals_cover_the_estimate_have_the_binomial_width_and_tell_generators_apart() {
        let (n, dim) = (400, 4);
        let real = sample(n, dim, 0.0, 1);
        let hits: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
        let measured = |fake: &[f32]| {
            let m = Measured {
                real: Features::new(dim, &real),
                fake: Features::new(dim, fake),
                top1_hits: &hits,
                top5_hits: &hits,
                k: 3,
                diversity_per_prompt: &[1.0, 2.0, 3.0, 4.0],
            };
            intervals(&m, 200, 7)
        };
        let good = sample(n, dim, 0.0, 2);
        let bad = sample(n, dim, 0.6, 3);
        let (a, b) = (measured(&good), measured(&bad));
        // Accuracy 0.5 over 400 records: a 95% interval about ±1.96·√(0.25/400) = ±0.049.
        assert!(a.top1.contains(0.5) && (a.top1.hi - a.top1.lo - 0.098).abs() < 0.03, "{:?}", a.top1);
        assert!(a.diversity.lo >= 1.0 && a.diversity.hi <= 4.0 && a.diversity.contains(2.5));
        let fid = |f: &[f32]| frechet_distance(&Gaussian::fit(Features::new(dim, &real)), &Gaussian::fit(Features::new(dim, f)));
        assert!(b.fid.contains(fid(&bad)), "{:?} vs {}", b.fid, fid(&bad));
        // Shifted by 0.6σ in each of 4 dimensions: FID ≈ 1.44, far outside the same-distribution interval.
        assert!(a.fid.hi < b.fid.lo, "good {:?} vs shifted {:?}", a.fid, b.fid);
        assert!(a.precision.hi <= 1.0 && b.precision.hi < a.precision.hi);
    }
}
