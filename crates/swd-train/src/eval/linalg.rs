//! The little dense linear algebra FID needs, in f64: covariance and the eigenvalues of
//! symmetric matrices (cyclic Jacobi, exact enough for the few-hundred-dimensional features).

/// Row-major square matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Mat {
    pub n: usize,
    pub a: Vec<f64>,
}

impl Mat {
    pub fn zeros(n: usize) -> Self {
        Self { n, a: vec![0.0; n * n] }
    }

    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.a[i * self.n + j]
    }

    pub fn mul(&self, other: &Mat) -> Mat {
        let n = self.n;
        let mut out = Mat::zeros(n);
        for i in 0..n {
            for k in 0..n {
                let v = self.a[i * n + k];
                if v != 0.0 {
                    for j in 0..n {
                        out.a[i * n + j] += v * other.a[k * n + j];
                    }
                }
            }
        }
        out
    }

    pub fn trace(&self) -> f64 {
        (0..self.n).map(|i| self.at(i, i)).sum()
    }
}

/// Rotates rows `p` and `q` of the row-major `[n × n]` matrix `a` by (c, s):
/// row p ← c·row p − s·row q, row q ← s·row p + c·row q.
fn rotate_rows(a: &mut [f64], n: usize, p: usize, q: usize, c: f64, s: f64) {
    let (head, tail) = a.split_at_mut(q * n);
    for (x, y) in head[p * n..(p + 1) * n].iter_mut().zip(&mut tail[..n]) {
        let (xp, yq) = (*x, *y);
        *x = c * xp - s * yq;
        *y = s * xp + c * yq;
    }
}

/// Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: (eigenvalues,
/// eigenvectors as columns of V). A stays symmetric, so each rotation updates rows p and q
/// (contiguous) and mirrors them into columns p and q; V is kept transposed for the same reason.
pub fn symmetric_eigen(m: &Mat) -> (Vec<f64>, Mat) {
    let n = m.n;
    let mut a = m.a.clone();
    let mut vt = Mat::zeros(n);
    for i in 0..n {
        vt.a[i * n + i] = 1.0;
    }
    let scale: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
    for _sweep in 0..100 {
        let off: f64 = (0..n).flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| a[i * n + j].powi(2)).sum();
        if off.sqrt() <= 1e-13 * scale {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() <= 1e-300 {
                    continue;
                }
                let (app, aqq) = (a[p * n + p], a[q * n + q]);
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                rotate_rows(&mut a, n, p, q, c, s);
                a[p * n + p] = app - t * apq;
                a[q * n + q] = aqq + t * apq;
                a[p * n + q] = 0.0;
                a[q * n + p] = 0.0;
                for k in (0..n).filter(|&k| k != p && k != q) {
                    a[k * n + p] = a[p * n + k];
                    a[k * n + q] = a[q * n + k];
                }
                rotate_rows(&mut vt.a, n, p, q, c, s);
            }
        }
    }
    let mut v = Mat::zeros(n);
    for i in 0..n {
        for j in 0..n {
            v.a[i * n + j] = vt.a[j * n + i];
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

/// The symmetric positive semi-definite square root (negative round-off eigenvalues → 0).
pub fn psd_sqrt(m: &Mat) -> Mat {
    let (values, v) = symmetric_eigen(m);
    let n = m.n;
    let mut out = Mat::zeros(n);
    for i in 0..n {
        for j in 0..n {
            out.a[i * n + j] = (0..n).map(|k| v.a[i * n + k] * values[k].max(0.0).sqrt() * v.a[j * n + k]).sum();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mat(n: usize, a: &[f64]) -> Mat {
        Mat { n, a: a.to_vec() }
    }

    #[test]
    fn eigenvalues_of_a_known_matrix() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let (mut values, v) = symmetric_eigen(&mat(2, &[2.0, 1.0, 1.0, 2.0]));
        values.sort_by(f64::total_cmp);
        assert!((values[0] - 1.0).abs() < 1e-12 && (values[1] - 3.0).abs() < 1e-12);
        // Columns of V are orthonormal.
        let dot = v.at(0, 0) * v.at(0, 1) + v.at(1, 0) * v.at(1, 1);
        assert!(dot.abs() < 1e-12);
    }

    #[test]
    fn decomposes_a_random_symmetric_matrix() {
        let n = 40;
        let r = swd_core::noise::NoiseRng::new(9).normals(n * n);
        let a = mat(n, &(0..n * n).map(|k| (r[k] + r[(k % n) * n + k / n]) as f64).collect::<Vec<_>>());
        let (values, v) = symmetric_eigen(&a);
        for i in 0..n {
            for j in 0..n {
                let back: f64 = (0..n).map(|k| v.at(i, k) * values[k] * v.at(j, k)).sum();
                assert!((back - a.at(i, j)).abs() < 1e-9, "({i}, {j}): {back} vs {}", a.at(i, j));
                let dot: f64 = (0..n).map(|k| v.at(k, i) * v.at(k, j)).sum();
                assert!((dot - f64::from(u8::from(i == j))).abs() < 1e-9, "V not orthonormal at ({i}, {j})");
            }
        }
    }

    #[test]
    fn sqrt_squares_back() {
        let m = mat(3, &[4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0]);
        let r = psd_sqrt(&m);
        let back = r.mul(&r);
        for (x, y) in back.a.iter().zip(&m.a) {
            assert!((x - y).abs() < 1e-10, "{x} vs {y}");
        }
    }
}
