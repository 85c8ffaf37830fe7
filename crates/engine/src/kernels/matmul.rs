//! Matrix products on the `gemm` crate, with either operand read transposed through strides.

use gemm::Parallelism;

use super::threads::threads;
use crate::element::Element;

/// Products smaller than this many multiply-adds run on one thread: below it the cost of
/// waking a second thread outweighs the work.
const PARALLEL_MIN_MACS: usize = 1 << 20;

/// A row-major matrix view: `rows × cols`, optionally read transposed.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    /// Row-major elements of the stored matrix.
    pub data: &'a [T],
    /// Rows of the stored matrix.
    pub rows: usize,
    /// Columns of the stored matrix.
    pub cols: usize,
    /// Read as its transpose.
    pub transposed: bool,
}

impl<'a, T> MatRef<'a, T> {
    /// A view of `data` as a row-major `rows × cols` matrix.
    pub fn new(data: &'a [T], rows: usize, cols: usize) -> Self {
        assert_eq!(
            data.len(),
            rows * cols,
            "matrix data does not match {rows}x{cols}"
        );
        MatRef {
            data,
            rows,
            cols,
            transposed: false,
        }
    }

    /// The same storage read as its transpose.
    pub fn t(self) -> Self {
        MatRef {
            transposed: !self.transposed,
            ..self
        }
    }

    /// Rows and columns as read.
    pub fn dims(&self) -> (usize, usize) {
        if self.transposed {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }

    /// (row stride, column stride) as read.
    fn strides(&self) -> (isize, isize) {
        if self.transposed {
            (1, self.cols as isize)
        } else {
            (self.cols as isize, 1)
        }
    }
}

/// `dst = a·b` (or `dst += a·b` with `accumulate`), `dst` row-major `m × n` with row stride
/// `dst_rs`.
pub fn gemm_into<T: Element>(
    dst: &mut [T],
    dst_rs: usize,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    accumulate: bool,
) {
    let (m, k) = a.dims();
    let (k2, n) = b.dims();
    assert_eq!(k, k2, "matmul inner dimensions differ: {m}x{k} · {k2}x{n}");
    assert!(
        m == 0 || dst.len() >= (m - 1) * dst_rs + n,
        "matmul destination too small"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for r in 0..m {
                dst[r * dst_rs..r * dst_rs + n].fill(T::zero());
            }
        }
        return;
    }
    super::counters::record_macs(m * n * k);
    let parallelism = if m * n * k >= PARALLEL_MIN_MACS && threads() > 1 {
        Parallelism::Rayon(threads())
    } else {
        Parallelism::None
    };
    let (a_rs, a_cs) = a.strides();
    let (b_rs, b_cs) = b.strides();
    // SAFETY: the views' strides stay inside their slices (checked by `MatRef::new` and the
    // assertions above), `dst` does not alias `a` or `b` (it is borrowed mutably), and `T` is
    // f32 or f64, which `gemm` supports.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            dst_rs as isize,
            accumulate,
            a.data.as_ptr(),
            a_cs,
            a_rs,
            b.data.as_ptr(),
            b_cs,
            b_rs,
            T::one(),
            T::one(),
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// `a·b` as a new row-major matrix.
pub fn gemm<T: Element>(a: MatRef<'_, T>, b: MatRef<'_, T>) -> Vec<T> {
    let (m, _) = a.dims();
    let (_, n) = b.dims();
    let mut out = vec![T::zero(); m * n];
    gemm_into(&mut out, n, a, b, false);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        c
    }

    #[test]
    fn matches_naive_product_with_transposes() {
        let (m, k, n) = (7, 5, 3);
        let a: Vec<f64> = (0..m * k).map(|v| (v as f64).sin()).collect();
        let b: Vec<f64> = (0..k * n).map(|v| (v as f64).cos()).collect();
        let expect = naive(&a, &b, m, k, n);
        let c = gemm(MatRef::new(&a, m, k), MatRef::new(&b, k, n));
        for (x, y) in c.iter().zip(&expect) {
            assert!((x - y).abs() < 1e-12);
        }
        // aᵀ stored as k×m and read transposed gives the same product.
        let at: Vec<f64> = (0..k * m).map(|i| a[(i % m) * k + i / m]).collect();
        let c2 = gemm(MatRef::new(&at, k, m).t(), MatRef::new(&b, k, n));
        for (x, y) in c2.iter().zip(&expect) {
            assert!((x - y).abs() < 1e-12);
        }
    }
}
