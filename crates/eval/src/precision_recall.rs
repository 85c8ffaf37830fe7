//! Improved precision and recall of a generator (Kynkäänniemi et al. 2019, "Improved
//! Precision and Recall Metric for Assessing Generative Models").
//!
//! Each sample set approximates its manifold by the union of balls around its points, each
//! ball's radius being the distance to the point's k-th nearest neighbour in the same set.
//! Precision is the share of generated samples inside the real manifold (are the samples
//! realistic?); recall is the share of real samples inside the generated manifold (is the
//! variety covered?). Distances are Euclidean, computed by brute force: blocks of queries in
//! parallel with rayon, each block's dot products as one matrix product (nalgebra).
//! O(n² d) work.

use nalgebra::DMatrix;
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

/// Query rows per block: each block's distance matrix is `[n_manifold, BLOCK]`.
const BLOCK: usize = 256;

/// Squared distance from each row of `x` `[n, d]` to its k-th nearest other row, length `n`.
///
/// Radii are kept squared so that comparisons need no square roots.
pub fn knn_radii(x: &Features, k: usize) -> Vec<f64> {
    let manifold = Manifold::new(x);
    manifold.map_queries(x, |i, dist_sq| {
        let mut nearest = vec![f64::INFINITY; k]; // sorted ascending
        for (j, &d) in dist_sq.iter().enumerate() {
            if j != i {
                insert_sorted(&mut nearest, d);
            }
        }
        nearest[k - 1]
    })
}

/// Share of `queries` rows that lie in at least one ball (centre a row of `manifold`, squared
/// radius from `radii_sq`).
pub fn share_inside(manifold: &Features, radii_sq: &[f64], queries: &Features) -> f64 {
    let inside = Manifold::new(manifold)
        .map_queries(queries, |_, dist_sq| {
            dist_sq.iter().zip(radii_sq).any(|(d, r)| d <= r)
        })
        .into_iter()
        .filter(|&hit| hit)
        .count();
    inside as f64 / queries.n as f64
}

/// Manifold points and their squared norms, for distances by ‖q‖² + ‖m‖² − 2 q·m.
struct Manifold {
    points: DMatrix<f64>, // [m, d]
    norms_sq: Vec<f64>,   // [m]
}

impl Manifold {
    fn new(x: &Features) -> Self {
        let norms_sq = x.rows().map(|r| r.iter().map(|v| v * v).sum()).collect();
        Self {
            points: DMatrix::from_row_slice(x.n, x.d, &x.data),
            norms_sq,
        }
    }

    /// Calls `visit(i, dist_sq)` for every row `i` of `queries`, with `dist_sq` the squared
    /// distances to all manifold points; blocks of queries run in parallel, each block's dot
    /// products in one matrix product.
    fn map_queries<R: Send>(
        &self,
        queries: &Features,
        visit: impl Fn(usize, &[f64]) -> R + Sync,
    ) -> Vec<R> {
        let m = self.points.nrows();
        let blocks: Vec<Vec<R>> = queries
            .data
            .par_chunks(BLOCK * queries.d)
            .enumerate()
            .map(|(b, chunk)| {
                let rows = chunk.len() / queries.d;
                let block_t = DMatrix::from_column_slice(queries.d, rows, chunk); // [d, rows]
                let mut dist_sq = &self.points * &block_t; // [m, rows], column-major
                for (q, column) in dist_sq.as_mut_slice().chunks_exact_mut(m).enumerate() {
                    let q_norm: f64 = chunk[q * queries.d..(q + 1) * queries.d]
                        .iter()
                        .map(|v| v * v)
                        .sum();
                    for (d, m_norm) in column.iter_mut().zip(&self.norms_sq) {
                        *d = (q_norm + m_norm - 2.0 * *d).max(0.0);
                    }
                }
                let columns = dist_sq.as_slice().chunks_exact(m);
                columns
                    .enumerate()
                    .map(|(q, col)| visit(b * BLOCK + q, col))
                    .collect()
            })
            .collect();
        blocks.into_iter().flatten().collect()
    }
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

    /// Full-size run (n = 10,000, d = 128); `cargo test -p gantry-eval -- --ignored` to time it.
    #[test]
    #[ignore]
    fn full_size_sets() {
        let start = std::time::Instant::now();
        let pr = precision_recall(&cloud(10_000, 128, 0.0, 7), &cloud(10_000, 128, 0.0, 8), 3);
        let pr = pr.unwrap();
        eprintln!(
            "n = 10000, d = 128: {pr:?} in {:.1} s",
            start.elapsed().as_secs_f64()
        );
        assert!(pr.precision > 0.3 && pr.recall > 0.3, "{pr:?}");
    }

    #[test]
    fn blocked_distances_match_direct_ones() {
        let (x, q) = (cloud(300, 5, 0.0, 9), cloud(600, 5, 1.0, 10));
        let got = Manifold::new(&x).map_queries(&q, |i, dist_sq| (i, dist_sq.to_vec()));
        for (i, dist_sq) in got {
            for (j, d) in dist_sq.iter().enumerate() {
                let direct: f64 = q
                    .row(i)
                    .iter()
                    .zip(x.row(j))
                    .map(|(a, b)| (a - b).powi(2))
                    .sum();
                assert!((d - direct).abs() < 1e-9, "({i}, {j}): {d} vs {direct}");
            }
        }
    }
}
