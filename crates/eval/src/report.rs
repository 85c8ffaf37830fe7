//! The evaluation report: every metric for the generator next to the same metrics for held-out
//! real data (the floor a perfect generator would reach), written as `eval.json`.
//!
//! Reference set: the real test split. Generator row: generated samples vs the test split.
//! `real` row: the real training split vs the test split, which tells the reader how much of
//! the generator's FID is sampling noise and what precision, recall and score real data get.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{io_err, EvalError, Result};
use crate::features::{same_width, Features};
use crate::frechet::{frechet_from_stats, GaussianStats};
use crate::modes::{mode_coverage, ModeCoverage};
use crate::precision_recall::{precision_recall, DEFAULT_K};
use crate::score::classifier_score;

/// Features `[n, d]` and class probabilities `[n, k]` of one sample set, row `i` of both
/// describing the same image.
#[derive(Debug, Clone)]
pub struct EvalSet {
    /// Classifier embeddings `[n, d]`.
    pub features: Features,
    /// Classifier probabilities `[n, k]` (softmax outputs).
    pub probs: Features,
}

/// Settings of [`evaluate`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvalConfig {
    /// Neighbourhood size of the precision/recall manifolds.
    pub k: usize,
    /// Minimum class share to count a mode as covered; `None` is half the uniform share.
    pub min_share: Option<f64>,
}

impl Default for EvalConfig {
    fn default() -> Self {
        Self {
            k: DEFAULT_K,
            min_share: None,
        }
    }
}

/// All metrics of one sample set against the reference set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Fréchet distance of the features to the reference features (lower is better).
    pub fid: f64,
    /// Classifier score exp(E KL(p(y|x) ‖ p(y))), between 1 and k (higher is better).
    pub score: f64,
    /// Share of samples inside the reference k-NN manifold (higher is better).
    pub precision: f64,
    /// Share of reference samples inside this set's k-NN manifold (higher is better).
    pub recall: f64,
    /// Class coverage against the reference class histogram.
    pub modes: ModeCoverage,
}

/// Contents of `eval.json`: the generator's metrics at the top level, the real-data floor
/// under `real`, and the sizes that make the numbers comparable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Generated samples vs the real test split.
    #[serde(flatten)]
    pub generated: Metrics,
    /// Real training split vs the real test split.
    pub real: Metrics,
    /// Number of generated samples.
    pub n: usize,
    /// Number of real test samples (the reference).
    pub n_reference: usize,
    /// Number of real training samples used for the floor.
    pub n_real: usize,
    /// Feature width `d`.
    pub feature_dim: usize,
    /// Settings used.
    pub config: EvalConfig,
}

impl EvalReport {
    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// Writes the report as pretty-printed JSON to `path` (conventionally `eval.json`).
    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_json()? + "\n").map_err(io_err(path))
    }
}

/// Computes every metric for `generated` and for `real_train`, both against `reference`
/// (the real test split).
///
/// Feature widths and class counts must agree across the three sets; each set needs more
/// than `config.k` rows.
pub fn evaluate(
    reference: &EvalSet,
    generated: &EvalSet,
    real_train: &EvalSet,
    config: &EvalConfig,
) -> Result<EvalReport> {
    let reference_stats = GaussianStats::fit(&reference.features)?;
    Ok(EvalReport {
        generated: metrics(reference, &reference_stats, generated, config)?,
        real: metrics(reference, &reference_stats, real_train, config)?,
        n: generated.features.n,
        n_reference: reference.features.n,
        n_real: real_train.features.n,
        feature_dim: reference.features.d,
        config: *config,
    })
}

/// Metrics of one `candidate` set against `reference` (whose Gaussian fit is passed in).
///
/// Fails when widths or class counts disagree or features and probabilities differ in rows.
pub fn metrics(
    reference: &EvalSet,
    reference_stats: &GaussianStats,
    candidate: &EvalSet,
    config: &EvalConfig,
) -> Result<Metrics> {
    same_width("eval features", &reference.features, &candidate.features)?;
    let (features_n, probs_n) = (candidate.features.n, candidate.probs.n);
    if features_n != probs_n {
        let what = "rows of features and probs";
        return Err(EvalError::DimMismatch {
            what,
            left: features_n,
            right: probs_n,
        });
    }
    let candidate_stats = GaussianStats::fit(&candidate.features)?;
    let pr = precision_recall(&reference.features, &candidate.features, config.k)?;
    Ok(Metrics {
        fid: frechet_from_stats(&candidate_stats, reference_stats)?,
        score: classifier_score(&candidate.probs)?,
        precision: pr.precision,
        recall: pr.recall,
        modes: mode_coverage(&candidate.probs, &reference.probs, config.min_share)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::StandardNormal;

    /// `n` samples in `k` well separated clusters; `classes` picks each sample's cluster.
    fn clustered(classes: &[usize], k: usize, d: usize, seed: u64) -> EvalSet {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let n = classes.len();
        let mut features = Vec::with_capacity(n * d);
        let mut probs = vec![0.0; n * k];
        for (i, &c) in classes.iter().enumerate() {
            features.extend((0..d).map(|j| {
                let centre = if j == c { 20.0 } else { 0.0 };
                centre + rng.sample::<f64, _>(StandardNormal)
            }));
            probs[i * k + c] = 1.0;
        }
        EvalSet {
            features: Features::new(features, n, d).unwrap(),
            probs: Features::new(probs, n, k).unwrap(),
        }
    }

    #[test]
    fn json_has_the_agreed_top_level_keys() {
        let balanced: Vec<usize> = (0..200).map(|i| i % 4).collect();
        let reference = clustered(&balanced, 4, 8, 1);
        let real_train = clustered(&balanced, 4, 8, 2);
        let collapsed = clustered(&[2; 200], 4, 8, 3);
        let report = evaluate(&reference, &collapsed, &real_train, &EvalConfig::default()).unwrap();

        let json: serde_json::Value = serde_json::from_str(&report.to_json().unwrap()).unwrap();
        for key in ["fid", "score", "precision", "recall", "modes", "real", "n"] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        for key in ["fid", "score", "precision", "recall", "modes"] {
            assert!(json["real"].get(key).is_some(), "missing real.{key}");
        }
        assert_eq!(json["n"], 200);
        assert_eq!(json["modes"]["covered"], 1);
    }

    #[test]
    fn real_floor_beats_collapsed_generator() {
        let balanced: Vec<usize> = (0..200).map(|i| i % 4).collect();
        let reference = clustered(&balanced, 4, 8, 4);
        let real_train = clustered(&balanced, 4, 8, 5);
        let collapsed = clustered(&[1; 200], 4, 8, 6);
        let r = evaluate(&reference, &collapsed, &real_train, &EvalConfig::default()).unwrap();

        assert!(
            r.real.fid < r.generated.fid / 10.0,
            "{} vs {}",
            r.real.fid,
            r.generated.fid
        );
        assert!((r.real.score - 4.0).abs() < 1e-9 && (r.generated.score - 1.0).abs() < 1e-9);
        // 50 points per cluster in 8-d: k-NN balls cover roughly 85% of a fresh sample
        assert!(
            r.generated.precision > 0.8 && r.generated.recall < 0.3,
            "{r:?}"
        );
        assert!(r.real.recall > 0.7 && r.real.modes.covered == 4, "{r:?}");
    }
}
