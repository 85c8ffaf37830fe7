//! Mode coverage: which classes a generator produces, judged by the argmax of a classifier.
//!
//! A collapsed generator puts most samples into a few classes. We report the share of
//! generated samples per class, how many classes reach a minimum share, and
//! KL(generated histogram ‖ real histogram).

use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};
use crate::features::Features;
use crate::score::kl_divergence;

/// Default minimum share for a class to count as covered, as a fraction of the uniform share
/// 1/k: a class is covered when it holds at least half of what a balanced generator gives it
/// (5% of samples for 10 classes).
pub const DEFAULT_COVERED_FRACTION: f64 = 0.5;

/// Added to every histogram bin before the KL so that empty classes give a finite value.
pub const HISTOGRAM_EPS: f64 = 1e-6;

/// Class coverage of a sample set against a reference set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeCoverage {
    /// Number of classes whose share is at least `min_share`.
    pub covered: usize,
    /// Number of classes `k`.
    pub n_classes: usize,
    /// The share a class needs to count as covered.
    pub min_share: f64,
    /// Share of samples predicted as each class, length `k`, sums to 1.
    pub shares: Vec<f64>,
    /// Share of reference samples per class, length `k`.
    pub reference_shares: Vec<f64>,
    /// KL(shares ‖ reference_shares) in nats, after adding [`HISTOGRAM_EPS`] to every bin.
    pub kl: f64,
}

/// Index of the largest value in each row of `probs` `[n, k]` (first one on ties); works on
/// logits as well as probabilities.
pub fn predicted_classes(probs: &Features) -> Vec<usize> {
    probs
        .rows()
        .map(|row| {
            let mut best = 0;
            for (c, &p) in row.iter().enumerate() {
                if p > row[best] {
                    best = c;
                }
            }
            best
        })
        .collect()
}

/// Share of each class among `classes`, length `k`; all zeros if `classes` is empty.
pub fn class_shares(classes: &[usize], k: usize) -> Vec<f64> {
    let mut counts = vec![0usize; k];
    for &c in classes {
        counts[c] += 1;
    }
    let n = classes.len().max(1) as f64;
    counts.iter().map(|&c| c as f64 / n).collect()
}

/// Mode coverage of `generated` `[n_g, k]` against `reference` `[n_r, k]` probabilities.
///
/// `min_share` is the share a class needs to count as covered; `None` means
/// [`DEFAULT_COVERED_FRACTION`] / k.
pub fn mode_coverage(
    generated: &Features,
    reference: &Features,
    min_share: Option<f64>,
) -> Result<ModeCoverage> {
    let k = generated.d;
    if reference.d != k {
        return Err(EvalError::DimMismatch {
            what: "classes",
            left: k,
            right: reference.d,
        });
    }
    let shares = class_shares(&predicted_classes(generated), k);
    let reference_shares = class_shares(&predicted_classes(reference), k);
    let min_share = min_share.unwrap_or(DEFAULT_COVERED_FRACTION / k as f64);
    Ok(ModeCoverage {
        covered: shares.iter().filter(|&&s| s >= min_share).count(),
        n_classes: k,
        min_share,
        kl: smoothed_kl(&shares, &reference_shares),
        shares,
        reference_shares,
    })
}

/// KL(p ‖ q) after adding [`HISTOGRAM_EPS`] to every bin and renormalising both.
fn smoothed_kl(p: &[f64], q: &[f64]) -> f64 {
    let smooth = |h: &[f64]| {
        let total: f64 = h.iter().sum::<f64>() + HISTOGRAM_EPS * h.len() as f64;
        h.iter()
            .map(|v| (v + HISTOGRAM_EPS) / total)
            .collect::<Vec<_>>()
    };
    kl_divergence(&smooth(p), &smooth(q))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Probabilities `[n, k]` that put 0.9 on the given class and spread the rest.
    fn confident(classes: &[usize], k: usize) -> Features {
        let rest = 0.1 / (k - 1) as f64;
        let mut data = vec![rest; classes.len() * k];
        for (i, &c) in classes.iter().enumerate() {
            data[i * k + c] = 0.9;
        }
        Features::new(data, classes.len(), k).unwrap()
    }

    fn balanced(n: usize, k: usize) -> Features {
        confident(&(0..n).map(|i| i % k).collect::<Vec<_>>(), k)
    }

    #[test]
    fn single_class_generator_is_collapsed() {
        let m = mode_coverage(&confident(&[7; 500], 10), &balanced(1000, 10), None).unwrap();
        assert_eq!(m.covered, 1);
        assert_eq!(m.shares[7], 1.0);
        assert!(m.kl > 2.0, "KL = {}", m.kl); // ln 10 ≈ 2.30
    }

    #[test]
    fn balanced_generator_covers_all_classes() {
        let m = mode_coverage(&balanced(500, 10), &balanced(1000, 10), None).unwrap();
        assert_eq!(m.covered, 10);
        assert!(m.kl < 1e-9, "KL = {}", m.kl);
        assert!((m.min_share - 0.05).abs() < 1e-12);
    }

    #[test]
    fn threshold_counts_rare_classes_out() {
        // class 0: 96 samples, class 1: 4 samples -> 4% share, under the 25% default for k = 2
        let classes: Vec<usize> = (0..100).map(|i| usize::from(i < 4)).collect();
        let m = mode_coverage(&confident(&classes, 2), &balanced(10, 2), None).unwrap();
        assert_eq!(m.covered, 1);
        let m = mode_coverage(&confident(&classes, 2), &balanced(10, 2), Some(0.01)).unwrap();
        assert_eq!(m.covered, 2);
    }

    #[test]
    fn argmax_takes_first_on_ties() {
        let p = Features::new(vec![0.5, 0.5, 0.2, 0.8], 2, 2).unwrap();
        assert_eq!(predicted_classes(&p), vec![0, 1]);
    }
}
