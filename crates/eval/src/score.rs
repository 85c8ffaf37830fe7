//! Classifier score: the Inception Score of Salimans et al. 2016, computed with gantry's own
//! classifier instead of Inception-v3.
//!
//! IS = exp(E_x[KL(p(y|x) ‖ p(y))]), with p(y) the mean of p(y|x) over the set. It is high when
//! each sample is classified confidently (sharp p(y|x)) and the classes are balanced (flat p(y));
//! the maximum is the number of classes `k`, the minimum 1.

use crate::error::{EvalError, Result};
use crate::features::{min_rows, Features};

/// Largest allowed |Σ p − 1| for a row of probabilities (softmax in `f32` is off by ~1e-7).
pub const PROB_SUM_TOLERANCE: f64 = 1e-3;

/// Classifier score of class probabilities `probs` `[n, k]` (one distribution per row).
///
/// Computed over the whole set in one split (the original uses 10 splits), so compare scores
/// only between sets of similar size. `0 · log 0` is taken as 0.
pub fn classifier_score(probs: &Features) -> Result<f64> {
    check_probabilities(probs)?;
    let marginal = class_marginal(probs);
    let mean_kl = probs
        .rows()
        .map(|p| kl_divergence(p, &marginal))
        .sum::<f64>()
        / probs.n as f64;
    Ok(mean_kl.exp())
}

/// Mean of the rows of `probs` `[n, k]`: the marginal class distribution p(y), length `k`.
pub fn class_marginal(probs: &Features) -> Vec<f64> {
    let mut marginal = vec![0.0; probs.d];
    for row in probs.rows() {
        for (m, p) in marginal.iter_mut().zip(row) {
            *m += p;
        }
    }
    marginal.iter_mut().for_each(|m| *m /= probs.n as f64);
    marginal
}

/// KL(p ‖ q) = Σ p log(p / q) in nats, with terms where p = 0 dropped.
pub fn kl_divergence(p: &[f64], q: &[f64]) -> f64 {
    p.iter()
        .zip(q)
        .filter(|(pi, _)| **pi > 0.0)
        .map(|(pi, qi)| pi * (pi / qi).ln())
        .sum()
}

/// Fails unless `probs` has rows and each row is non-negative and sums to 1
/// within [`PROB_SUM_TOLERANCE`].
pub fn check_probabilities(probs: &Features) -> Result<()> {
    min_rows("probabilities", probs, 1)?;
    for (row, p) in probs.rows().enumerate() {
        let sum: f64 = p.iter().sum();
        let min = p.iter().copied().fold(f64::INFINITY, f64::min);
        if min < 0.0 || (sum - 1.0).abs() > PROB_SUM_TOLERANCE {
            return Err(EvalError::NotProbabilities { row, sum, min });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_hot(classes: &[usize], k: usize) -> Features {
        let mut data = vec![0.0; classes.len() * k];
        for (i, &c) in classes.iter().enumerate() {
            data[i * k + c] = 1.0;
        }
        Features::new(data, classes.len(), k).unwrap()
    }

    #[test]
    fn confident_balanced_set_scores_k() {
        let classes: Vec<usize> = (0..100).map(|i| i % 10).collect();
        let s = classifier_score(&one_hot(&classes, 10)).unwrap();
        assert!((s - 10.0).abs() < 1e-9, "{s}");
    }

    #[test]
    fn constant_prediction_scores_one() {
        let row = [0.1, 0.2, 0.3, 0.4];
        let data: Vec<f64> = row.iter().copied().cycle().take(4 * 50).collect();
        let s = classifier_score(&Features::new(data, 50, 4).unwrap()).unwrap();
        assert!((s - 1.0).abs() < 1e-12, "{s}");
        assert!((classifier_score(&one_hot(&[3; 20], 10)).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn unbalanced_confident_set_scores_between() {
        // 3 classes with shares 1/2, 1/4, 1/4: IS = exp(H(p(y))) = 2^{1.5}
        let s = classifier_score(&one_hot(&[0, 0, 1, 2], 3)).unwrap();
        assert!((s - 2f64.powf(1.5)).abs() < 1e-9, "{s}");
    }

    #[test]
    fn rejects_rows_that_are_not_distributions() {
        let bad = Features::new(vec![0.5, 0.6], 1, 2).unwrap();
        assert!(classifier_score(&bad).is_err());
        let negative = Features::new(vec![1.5, -0.5], 1, 2).unwrap();
        assert!(classifier_score(&negative).is_err());
    }
}
