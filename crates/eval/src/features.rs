//! A plain row-major matrix of `f64`, used for feature vectors `[n, d]` and class
//! probabilities `[n, k]`. The crate deliberately knows no tensor library.

use crate::error::{EvalError, Result};

/// Row-major matrix `[n, d]`: `n` samples, each a vector of `d` values.
///
/// Holds feature embeddings (`d` = feature width) or class probabilities (`d` = number of
/// classes, each row a distribution). Construction checks the shape and that every value
/// is finite.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// The values, row after row: element `(i, j)` is `data[i * d + j]`.
    pub data: Vec<f64>,
    /// Number of rows (samples).
    pub n: usize,
    /// Number of columns (feature width or number of classes).
    pub d: usize,
}

impl Features {
    /// Wraps a row-major buffer of `n * d` values; fails on a wrong length or a NaN/inf.
    pub fn new(data: Vec<f64>, n: usize, d: usize) -> Result<Self> {
        Self::check("features", data.len(), n, d)?;
        if let Some(index) = data.iter().position(|v| !v.is_finite()) {
            return Err(EvalError::NonFinite {
                what: "features",
                index,
            });
        }
        Ok(Self { data, n, d })
    }

    /// Converts a row-major `f32` buffer `[n, d]` (as produced by a network) to `f64`.
    pub fn from_f32(data: &[f32], n: usize, d: usize) -> Result<Self> {
        Self::new(data.iter().map(|&v| f64::from(v)).collect(), n, d)
    }

    /// Row `i` as a slice of length `d`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.d..(i + 1) * self.d]
    }

    /// Iterates over the rows.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[f64]> + '_ {
        // chunks_exact on an empty width would panic; a zero-width matrix has no values
        self.data.chunks_exact(self.d.max(1)).take(self.n)
    }

    fn check(what: &'static str, len: usize, n: usize, d: usize) -> Result<()> {
        if len != n * d || d == 0 {
            return Err(EvalError::BadShape { what, len, n, d });
        }
        Ok(())
    }
}

/// Fails unless `a` and `b` have the same width `d`.
pub(crate) fn same_width(what: &'static str, a: &Features, b: &Features) -> Result<()> {
    if a.d != b.d {
        return Err(EvalError::DimMismatch {
            what,
            left: a.d,
            right: b.d,
        });
    }
    Ok(())
}

/// Fails unless `x` has at least `needed` rows.
pub(crate) fn min_rows(what: &'static str, x: &Features, needed: usize) -> Result<()> {
    if x.n < needed {
        return Err(EvalError::TooFewRows {
            what,
            needed,
            got: x.n,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_wrong_length_and_nan() {
        assert!(Features::new(vec![0.0; 5], 2, 3).is_err());
        assert!(Features::new(vec![0.0, f64::NAN], 1, 2).is_err());
        assert!(Features::new(vec![], 0, 0).is_err());
    }

    #[test]
    fn rows_are_row_major() {
        let x = Features::from_f32(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3).unwrap();
        assert_eq!(x.row(1), &[4.0, 5.0, 6.0]);
        assert_eq!(x.rows().count(), 2);
    }
}
