//! Fréchet distance between two feature sets, each summarised by a Gaussian (mean and
//! covariance): the "FID" of Heusel et al. 2017 when the features come from a classifier.
//!
//! d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^{1/2})
//!
//! The trace of the cross term is computed as tr((Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}), which has the
//! same eigenvalues as (Σ₁ Σ₂)^{1/2} but is symmetric positive semi-definite, so both square
//! roots come from nalgebra's symmetric eigendecomposition. Eigenvalues that round-off pushes
//! slightly below zero are clamped to zero.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

use crate::error::{EvalError, Result};
use crate::features::{min_rows, same_width, Features};

/// Mean `[d]` and unbiased covariance `[d, d]` (divided by `n − 1`) of a feature set.
#[derive(Debug, Clone)]
pub struct GaussianStats {
    /// Sample mean, length `d`.
    pub mean: DVector<f64>,
    /// Sample covariance, `d × d`, normalised by `n − 1`.
    pub cov: DMatrix<f64>,
}

impl GaussianStats {
    /// Fits mean and covariance to the rows of `x` `[n, d]`; needs `n ≥ 2`.
    pub fn fit(x: &Features) -> Result<Self> {
        min_rows("frechet features", x, 2)?;
        let mut m = DMatrix::from_row_slice(x.n, x.d, &x.data); // [n, d]
        let mean: DVector<f64> = m.row_mean().transpose(); // [d]
        for mut row in m.row_iter_mut() {
            row -= mean.transpose();
        }
        let cov = m.tr_mul(&m) / (x.n as f64 - 1.0); // [d, d]
        Ok(Self { mean, cov })
    }
}

/// Fréchet distance between the Gaussians fitted to `a` `[n₁, d]` and `b` `[n₂, d]`.
///
/// Zero for identical sets; a pure mean shift by `v` adds exactly ‖v‖².
pub fn frechet_distance(a: &Features, b: &Features) -> Result<f64> {
    same_width("frechet features", a, b)?;
    frechet_from_stats(&GaussianStats::fit(a)?, &GaussianStats::fit(b)?)
}

/// Fréchet distance between two already fitted Gaussians; fails if their widths differ.
pub fn frechet_from_stats(a: &GaussianStats, b: &GaussianStats) -> Result<f64> {
    if a.mean.len() != b.mean.len() {
        let (left, right) = (a.mean.len(), b.mean.len());
        return Err(EvalError::DimMismatch {
            what: "frechet stats",
            left,
            right,
        });
    }
    let mean_term = (&a.mean - &b.mean).norm_squared();
    let sqrt_a = sqrt_psd(&a.cov);
    let cross = &sqrt_a * &b.cov * &sqrt_a; // symmetric PSD, [d, d]
    let cross_trace = trace_sqrt_psd(&cross);
    let d2 = mean_term + a.cov.trace() + b.cov.trace() - 2.0 * cross_trace;
    // round-off can leave a tiny negative number for identical inputs
    Ok(d2.max(0.0))
}

/// Square root of a symmetric PSD matrix: V diag(√max(λ, 0)) Vᵀ.
fn sqrt_psd(m: &DMatrix<f64>) -> DMatrix<f64> {
    let eig = SymmetricEigen::new(symmetrise(m));
    let roots = eig.eigenvalues.map(|l| l.max(0.0).sqrt());
    &eig.eigenvectors * DMatrix::from_diagonal(&roots) * eig.eigenvectors.transpose()
}

/// tr(M^{1/2}) for a symmetric PSD matrix: Σ √max(λ, 0).
fn trace_sqrt_psd(m: &DMatrix<f64>) -> f64 {
    let eig = SymmetricEigen::new(symmetrise(m));
    eig.eigenvalues.iter().map(|l| l.max(0.0).sqrt()).sum()
}

/// (M + Mᵀ) / 2, removing round-off asymmetry before an eigendecomposition.
fn symmetrise(m: &DMatrix<f64>) -> DMatrix<f64> {
    (m + m.transpose()) * 0.5
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::StandardNormal;

    fn gaussian(n: usize, d: usize, seed: u64, scale: &[f64]) -> Features {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let data = (0..n * d)
            .map(|i| scale[i % d] * rng.sample::<f64, _>(StandardNormal))
            .collect();
        Features::new(data, n, d).unwrap()
    }

    fn shifted(x: &Features, v: &[f64]) -> Features {
        let data = x
            .data
            .iter()
            .enumerate()
            .map(|(i, a)| a + v[i % x.d])
            .collect();
        Features::new(data, x.n, x.d).unwrap()
    }

    #[test]
    fn set_against_itself_is_zero() {
        let x = gaussian(500, 16, 1, &[1.0; 16]);
        let total_var: f64 = GaussianStats::fit(&x).unwrap().cov.trace();
        let d2 = frechet_distance(&x, &x).unwrap();
        assert!(d2 <= 1e-6 * total_var, "d2 = {d2}");
    }

    #[test]
    fn mean_shift_adds_squared_norm() {
        let x = gaussian(400, 8, 2, &[1.0, 2.0, 0.5, 1.0, 3.0, 1.0, 1.0, 0.1]);
        let v = [1.0, -2.0, 0.5, 0.0, 0.0, 3.0, 0.0, -1.0];
        let expected: f64 = v.iter().map(|a| a * a).sum();
        let d2 = frechet_distance(&x, &shifted(&x, &v)).unwrap();
        assert!(
            (d2 - expected).abs() < 1e-6 * expected,
            "{d2} vs {expected}"
        );
    }

    #[test]
    fn diagonal_case_matches_closed_form() {
        // for diagonal covariances: Σᵢ (μ₁ᵢ − μ₂ᵢ)² + (σ₁ᵢ − σ₂ᵢ)²
        let stats = |mean: &[f64], std: &[f64]| GaussianStats {
            mean: DVector::from_column_slice(mean),
            cov: DMatrix::from_diagonal(&DVector::from_iterator(3, std.iter().map(|s| s * s))),
        };
        let a = stats(&[0.0, 1.0, 2.0], &[1.0, 2.0, 0.5]);
        let b = stats(&[1.0, 1.0, 0.0], &[3.0, 2.0, 1.5]);
        let expected = 1.0 + 0.0 + 4.0 + 4.0 + 0.0 + 1.0;
        assert!((frechet_from_stats(&a, &b).unwrap() - expected).abs() < 1e-9);
    }

    #[test]
    fn one_dimensional_samples_match_closed_form() {
        let x = Features::new(vec![-1.0, 1.0, -1.0, 1.0], 4, 1).unwrap();
        let y = Features::new(vec![1.0, 5.0, 1.0, 5.0], 4, 1).unwrap();
        // means 0 and 3, unbiased stds √(4/3) and 2√(4/3)
        let expected = 9.0 + (2.0f64 * (4.0f64 / 3.0).sqrt() - (4.0f64 / 3.0).sqrt()).powi(2);
        assert!((frechet_distance(&x, &y).unwrap() - expected).abs() < 1e-9);
    }

    #[test]
    fn rejects_mismatched_widths_and_single_rows() {
        let a = gaussian(10, 3, 3, &[1.0; 3]);
        let b = gaussian(10, 4, 4, &[1.0; 4]);
        assert!(frechet_distance(&a, &b).is_err());
        let one = Features::new(vec![0.0; 3], 1, 3).unwrap();
        assert!(frechet_distance(&one, &a).is_err());
    }
}
