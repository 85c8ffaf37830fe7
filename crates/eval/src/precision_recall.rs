//! Improved precision and recall of a generator (Kynkäänniemi et al. 2019, "Improved
//! Precision and Recall Metric for Assessing Generative Models").
//!
//! Each sample set approximates its manifold by the union of balls around its points, each
//! ball's radius being the distance to the point's k-th nearest neighbour in the same set.
//! Precision is the share of generated samples inside the real manifold (are the samples
//! realistic?); recall is the share of real samples inside the generated manifold (is the
//! variety covered?). Distances are Euclidean, computed by brute force in parallel with rayon:
//! O(n² d) work, a few seconds for n = 10,000 and d = 128.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::features::{min_rows, same_width, Features};

/// Neighbourhood size used by the paper and by gantry's report.
pub const DEFAULT_K: usize = 3;

/// Precision and recall, each in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PrecisionRecall {
    /// Share of generated samples inside the real manifold.
    pub precision: f64,
    /// Share of real samples inside the generated manifold.
    pub recall: f64,
}

/// Precision and recall of `generated` `[n_g, d]` against `real` `[n_r, d]` with k-NN balls.
///
/// Both sets need more than `k` rows. A point on a ball's boundary counts as inside.
pub fn precision_recall(
    real: &Features,
    generated: &Features,
    k: usize,
) -> Result<PrecisionRecall> {
    same_width("precision/recall features", real, generated)?;
    min_rows("precision/recall real", real, k + 1)?;
    min_rows("precision/recall generated", generated, k + 1)?;
    let real_radii = knn_radii(real, k);
    let generated_radii = knn_radii(generated, k);
    Ok(PrecisionRecall {
        precision: share_inside(real, &real_radii, generated),
        recall: share_inside(generated, &generated_radii, real),
    })
}

/// Squared distance from each row of `x` `[n, d]` to its k-th nearest other row, length `n`.
///
/// Radii are kept squared so that comparisons need no square roots.
pub fn knn_radii(x: &Features, k: usize) -> Vec<f64> {
    (0..x.n)
        .into_par_iter()
        .map(|i| {
            let own = x.row(i);
            let mut nearest = vec![f64::INFINITY; k]; // sorted ascending
            for (j, other) in x.rows().enumerate() {
                if j != i {
                    insert_sorted(&mut nearest, squared_distance(own, other));
                }
            }
            nearest[k - 1]
        })
        .collect()
}

/// Share of `queries` rows that lie in at least one ball (centre a row of `manifold`, squared
/// radius from `radii_sq`).
pub fn share_inside(manifold: &Features, radii_sq: &[f64], queries: &Features) -> f64 {
    let inside = (0..queries.n)
        .into_par_iter()
        .filter(|&q| {
            let query = queries.row(q);
            manifold
                .rows()
                .zip(radii_sq)
                .any(|(c, &r)| squared_distance(query, c) <= r)
        })
        .count();
    inside as f64 / queries.n as f64
}

/// Keeps the smallest values seen so far in `best` (sorted ascending, fixed length).
fn insert_sorted(best: &mut [f64], value: f64) {
    let last = best.len() - 1;
    if value >= best[last] {
        return;
    }
    let mut pos = last;
    while pos > 0 && best[pos - 1] > value {
        best[pos] = best[pos - 1];
        pos -= 1;
    }
    best[pos] = value;
}

/// ‖a − b‖², accumulated in 8 independent lanes so the compiler can vectorise it.
fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    let mut lanes = [0.0f64; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| (x - y) * (x - y))
        .sum();
    for (ca, cb) in a8.zip(b8) {
        for l in 0..8 {
            let diff = ca[l] - cb[l];
            lanes[l] += diff * diff;
        }
    }
    lanes.iter().sum::<f64>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::StandardNormal;

    fn cloud(n: usize, d: usize, centre: f64, seed: u64) -> Features {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let data = (0..n * d)
            .map(|_| centre + rng.sample::<f64, _>(StandardNormal))
            .collect();
        Features::new(data, n, d).unwrap()
    }

    #[test]
    fn identical_sets_have_full_precision_and_recall() {
        let x = cloud(300, 16, 0.0, 1);
        let pr = precision_recall(&x, &x, DEFAULT_K).unwrap();
        assert_eq!(
            pr,
            PrecisionRecall {
                precision: 1.0,
                recall: 1.0
            }
        );
    }

    #[test]
    fn far_apart_sets_have_zero_precision_and_recall() {
        let pr = precision_recall(&cloud(200, 8, 0.0, 2), &cloud(200, 8, 100.0, 3), 3).unwrap();
        assert_eq!(
            pr,
            PrecisionRecall {
                precision: 0.0,
                recall: 0.0
            }
        );
    }

    #[test]
    fn dropped_mode_lowers_recall_not_precision() {
        // real: two clusters; generated: only the first one
        let (a, b) = (cloud(200, 4, 0.0, 4), cloud(200, 4, 50.0, 5));
        let real = Features::new([a.data, b.data].concat(), 400, 4).unwrap();
        let generated = cloud(200, 4, 0.0, 6);
        let pr = precision_recall(&real, &generated, 3).unwrap();
        assert!(pr.precision > 0.9, "{pr:?}");
        assert!(pr.recall > 0.35 && pr.recall < 0.55, "{pr:?}");
    }

    #[test]
    fn radii_are_kth_neighbour_excluding_self() {
        let x = Features::new(vec![0.0, 1.0, 3.0, 6.0], 4, 1).unwrap();
        assert_eq!(knn_radii(&x, 1), vec![1.0, 1.0, 4.0, 9.0]);
        assert_eq!(knn_radii(&x, 2), vec![9.0, 4.0, 9.0, 25.0]);
    }

    #[test]
    fn distance_handles_tails() {
        let a: Vec<f64> = (0..11).map(f64::from).collect();
        let b = vec![0.0; 11];
        assert_eq!(
            squared_distance(&a, &b),
            (0..11).map(|i| (i * i) as f64).sum::<f64>()
        );
    }
}
