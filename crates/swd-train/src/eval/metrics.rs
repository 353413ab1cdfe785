//! Distribution metrics on feature vectors: Fréchet distance (FID), improved precision/recall
//! (Kynkäänniemi et al. 2019, k-NN balls) and mean pairwise distance (diversity).

use super::linalg::{Mat, psd_sqrt};

/// `n` feature vectors of dimension `dim`, row-major.
#[derive(Debug, Clone, Copy)]
pub struct Features<'a> {
    pub dim: usize,
    pub values: &'a [f32],
}

impl<'a> Features<'a> {
    pub fn new(dim: usize, values: &'a [f32]) -> Self {
        assert!(dim > 0 && values.len() % dim == 0, "feature buffer is not a whole number of rows");
        Self { dim, values }
    }

    pub fn len(&self) -> usize {
        self.values.len() / self.dim
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn row(&self, i: usize) -> &'a [f32] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }
}

/// Mean and (unbiased) covariance of a feature set.
#[derive(Debug, Clone)]
pub struct Gaussian {
    pub mean: Vec<f64>,
    pub cov: Mat,
}

impl Gaussian {
    pub fn fit(f: Features) -> Self {
        let (n, d) = (f.len(), f.dim);
        let mut mean = vec![0.0; d];
        for i in 0..n {
            for (m, &x) in mean.iter_mut().zip(f.row(i)) {
                *m += x as f64 / n as f64;
            }
        }
        let mut cov = Mat::zeros(d);
        for i in 0..n {
            let c: Vec<f64> = f.row(i).iter().zip(&mean).map(|(&x, m)| x as f64 - m).collect();
            for a in 0..d {
                for b in a..d {
                    cov.a[a * d + b] += c[a] * c[b];
                }
            }
        }
        let denom = (n.max(2) - 1) as f64;
        for a in 0..d {
            for b in a..d {
                let v = cov.a[a * d + b] / denom;
                cov.a[a * d + b] = v;
                cov.a[b * d + a] = v;
            }
        }
        Self { mean, cov }
    }
}

/// Fréchet distance between two Gaussians:
/// ‖μ₁−μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½, clamped at 0 against round-off.
pub fn frechet_distance(a: &Gaussian, b: &Gaussian) -> f64 {
    let mean_term: f64 = a.mean.iter().zip(&b.mean).map(|(x, y)| (x - y).powi(2)).sum();
    let root_a = psd_sqrt(&a.cov);
    let cross = psd_sqrt(&root_a.mul(&b.cov).mul(&root_a)).trace();
    (mean_term + a.cov.trace() + b.cov.trace() - 2.0 * cross).max(0.0)
}

fn distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).powi(2)).sum::<f64>().sqrt()
}

/// Pairwise distances `[a.len() × b.len()]`, row-major.
fn distances(a: Features, b: Features) -> Vec<f64> {
    (0..a.len()).flat_map(|i| (0..b.len()).map(move |j| distance(a.row(i), b.row(j)))).collect()
}

/// The distances between and within a real and a generated set that precision/recall read.
pub struct PairDistances {
    n_real: usize,
    n_fake: usize,
    real_real: Vec<f64>,
    fake_fake: Vec<f64>,
    real_fake: Vec<f64>,
}

impl PairDistances {
    pub fn new(real: Features, fake: Features) -> Self {
        Self {
            n_real: real.len(),
            n_fake: fake.len(),
            real_real: distances(real, real),
            fake_fake: distances(fake, fake),
            real_fake: distances(real, fake),
        }
    }

    /// Improved precision and recall of a multiset of records: `real[i]` and `fake[i]` are indices
    /// into the sets (repeats allowed, as in a bootstrap resample; a point's own copies are not
    /// its neighbours).
    pub fn precision_recall(&self, real: &[usize], fake: &[usize], k: usize) -> (f64, f64) {
        let (nr, nf) = (self.n_real, self.n_fake);
        let real_radii = knn_radii(&self.real_real, nr, real, k);
        let fake_radii = knn_radii(&self.fake_fake, nf, fake, k);
        let precision = coverage(fake.len(), |q, r| self.real_fake[real[r] * nf + fake[q]] <= real_radii[r], real.len());
        let recall = coverage(real.len(), |q, r| self.real_fake[real[q] * nf + fake[r]] <= fake_radii[r], fake.len());
        (precision, recall)
    }
}

/// Distance from each point of `members` to its k-th nearest other point among `members`
/// (`d`: the `[n × n]` distances of the whole set).
fn knn_radii(d: &[f64], n: usize, members: &[usize], k: usize) -> Vec<f64> {
    members
        .iter()
        .map(|&i| {
            let mut others: Vec<f64> = members.iter().filter(|&&j| j != i).map(|&j| d[i * n + j]).collect();
            others.sort_by(f64::total_cmp);
            others.get(k.saturating_sub(1)).copied().unwrap_or(f64::INFINITY)
        })
        .collect()
}

/// Fraction of the `queries` queries inside the union of the `references` k-NN balls.
fn coverage(queries: usize, inside: impl Fn(usize, usize) -> bool, references: usize) -> f64 {
    let hits = (0..queries).filter(|&q| (0..references).any(|r| inside(q, r))).count();
    hits as f64 / queries.max(1) as f64
}

/// Improved precision (generated samples that fall on the real manifold) and recall (real
/// samples covered by the generated manifold), each manifold the union of k-NN balls.
pub fn precision_recall(real: Features, fake: Features, k: usize) -> (f64, f64) {
    let all = |n: usize| (0..n).collect::<Vec<_>>();
    PairDistances::new(real, fake).precision_recall(&all(real.len()), &all(fake.len()), k)
}

/// Mean pairwise feature distance within each group (e.g. the images of one prompt) that has at
/// least two members.
pub fn diversity_per_group(f: Features, groups: &[Vec<usize>]) -> Vec<f64> {
    groups
        .iter()
        .filter(|g| g.len() >= 2)
        .map(|g| {
            let pairs: Vec<f64> = g
                .iter()
                .enumerate()
                .flat_map(|(a, &i)| g[a + 1..].iter().map(move |&j| (i, j)))
                .map(|(i, j)| distance(f.row(i), f.row(j)))
                .collect();
            pairs.iter().sum::<f64>() / pairs.len() as f64
        })
        .collect()
}

/// Mean over groups of [`diversity_per_group`].
pub fn diversity(f: Features, groups: &[Vec<usize>]) -> f64 {
    let per_group = diversity_per_group(f, groups);
    per_group.iter().sum::<f64>() / per_group.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use swd_core::noise::NoiseRng;

    /// `n` draws of a `dim`-dimensional Gaussian with independent coordinates.
    fn sample(n: usize, dim: usize, mean: f32, std: f32, seed: u64) -> Vec<f32> {
        NoiseRng::new(seed).normals(n * dim).into_iter().map(|z| mean + std * z).collect()
    }

    #[test]
    fn identical_sets_have_zero_distance() {
        let a = sample(200, 8, 0.0, 1.0, 1);
        let g = Gaussian::fit(Features::new(8, &a));
        assert!(frechet_distance(&g, &g) < 1e-8);
    }

    #[test]
    fn symmetric_and_matches_the_closed_form() {
        let a = sample(4000, 4, 0.0, 1.0, 2);
        let b = sample(4000, 4, 0.5, 2.0, 3);
        let (ga, gb) = (Gaussian::fit(Features::new(4, &a)), Gaussian::fit(Features::new(4, &b)));
        let (ab, ba) = (frechet_distance(&ga, &gb), frechet_distance(&gb, &ga));
        assert!((ab - ba).abs() < 1e-8 * ab.max(1.0), "{ab} vs {ba}");
        // Isotropic: d·(Δμ² + (σ₁ − σ₂)²) = 4 · (0.25 + 1) = 5.
        assert!((ab - 5.0).abs() < 0.4, "FID {ab}, expected ≈ 5");
    }

    #[test]
    fn precision_recall_separate_overlap_from_collapse() {
        let real = sample(300, 4, 0.0, 1.0, 4);
        let same = sample(300, 4, 0.0, 1.0, 5);
        let (p, r) = precision_recall(Features::new(4, &real), Features::new(4, &same), 3);
        assert!(p > 0.8 && r > 0.8, "same distribution: precision {p}, recall {r}");
        // A generator that collapsed onto ten of the real samples: precise but without recall.
        let jitter = sample(300, 4, 0.0, 1e-3, 6);
        let collapsed: Vec<f32> = jitter.iter().enumerate().map(|(i, j)| real[((i / 4) % 10) * 4 + i % 4] + j).collect();
        let (p, r) = precision_recall(Features::new(4, &real), Features::new(4, &collapsed), 3);
        assert!(p > 0.9 && r < 0.2, "collapsed: precision {p}, recall {r}");
        // Far away: neither.
        let far = sample(300, 4, 10.0, 1.0, 7);
        let (p, r) = precision_recall(Features::new(4, &real), Features::new(4, &far), 3);
        assert!(p < 0.01 && r < 0.01);
    }

    #[test]
    fn a_resampled_points_own_copies_are_not_its_neighbours() {
        let (real, fake) = ([0.0f32, 2.0, 7.0], [0.5f32]);
        let d = PairDistances::new(Features::new(1, &real), Features::new(1, &fake));
        // Point 0 drawn twice: its nearest other point is point 1, 2 away — not its copy at 0.
        assert_eq!(knn_radii(&d.real_real, 3, &[0, 0, 1], 1), [2.0, 2.0, 2.0]);
        assert_eq!(knn_radii(&d.real_real, 3, &[0, 1, 2], 2), [7.0, 5.0, 7.0]);
        // Every record once: the plain metric.
        assert_eq!(d.precision_recall(&[0, 1, 2], &[0], 1), precision_recall(Features::new(1, &real), Features::new(1, &fake), 1));
    }

    #[test]
    fn diversity_is_the_mean_pairwise_distance() {
        let f = [0.0, 0.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.0];
        // Group 0: points (0,0) and (3,4) → 5; group 1: two identical points → 0.
        let d = diversity(Features::new(2, &f), &[vec![0, 1], vec![2, 3]]);
        assert!((d - 2.5).abs() < 1e-12);
    }
}
