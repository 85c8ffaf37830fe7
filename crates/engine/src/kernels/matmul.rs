//! Matrix products on the `gemm` crate, with either operand read transposed through strides.

use std::mem::MaybeUninit;

use gemm::Parallelism;

use super::buffer::filled_vec;
use super::counters::{record_model_macs, timed, KernelKind};
use super::threads::threads;
use crate::element::Element;

/// Products smaller than this many multiply-adds run on one thread: below it the cost of
/// waking a second thread outweighs the work.
const PARALLEL_MIN_MACS: usize = 1 << 20;

/// A row-major matrix view: `rows × cols`, rows `row_stride` elements apart, optionally read
/// transposed.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    /// Row-major elements of the stored matrix.
    pub data: &'a [T],
    /// Rows of the stored matrix.
    pub rows: usize,
    /// Columns of the stored matrix.
    pub cols: usize,
    /// Elements from the start of one row to the start of the next.
    pub row_stride: usize,
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
            row_stride: cols,
            transposed: false,
        }
    }

    /// A view of the first `cols` columns of `rows` rows that start `row_stride` elements
    /// apart in `data`: a block of columns of a wider matrix.
    pub fn strided(data: &'a [T], rows: usize, cols: usize, row_stride: usize) -> Self {
        assert!(
            row_stride >= cols && (rows == 0 || data.len() >= (rows - 1) * row_stride + cols),
            "matrix data does not hold {rows}x{cols} with row stride {row_stride}"
        );
        MatRef {
            data,
            rows,
            cols,
            row_stride,
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
            (1, self.row_stride as isize)
        } else {
            (self.row_stride as isize, 1)
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
    let (m, n) = check_dims(a, b);
    assert!(
        m == 0 || dst.len() >= (m - 1) * dst_rs + n,
        "matmul destination too small"
    );
    let par = parallelism(m * n * a.dims().1);
    record_model_macs(m * n * a.dims().1);
    // SAFETY: `dst` holds the `m × n` strided destination (asserted above) and is initialised,
    // so it may be read when accumulating; it cannot alias `a` or `b`, being borrowed mutably.
    timed(KernelKind::Matmul, || unsafe {
        gemm_raw(dst.as_mut_ptr(), dst_rs, a, b, accumulate, par)
    })
}

/// `dst = a·b` (or `dst += a·b` with `accumulate`) on the calling thread alone, untimed and
/// not counted as model work: for kernels that run several products side by side on
/// different threads and account for themselves. `dst` is row-major `m × n` with row stride
/// `dst_rs`; without `accumulate` it is only written, never read.
///
/// # Safety
/// `dst` must point to `(m - 1)·dst_rs + n` writable elements that alias neither operand,
/// initialised if `accumulate` is set.
pub(crate) unsafe fn gemm_serial_raw<T: Element>(
    dst: *mut T,
    dst_rs: usize,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    accumulate: bool,
) {
    check_dims(a, b);
    // SAFETY: the caller's guarantee is `gemm_raw`'s.
    unsafe { gemm_raw(dst, dst_rs, a, b, accumulate, Parallelism::None) }
}

/// `a·b` as a new row-major matrix.
pub fn gemm<T: Element>(a: MatRef<'_, T>, b: MatRef<'_, T>) -> Vec<T> {
    let (m, n) = check_dims(a, b);
    let par = parallelism(m * n * a.dims().1);
    record_model_macs(m * n * a.dims().1);
    let fill = |dst: &mut [MaybeUninit<T>]| {
        // SAFETY: `dst` holds exactly `m × n` elements; without accumulation `gemm_raw` only
        // writes them, never reads, and a fresh buffer aliases neither operand.
        unsafe { gemm_raw(dst.as_mut_ptr().cast::<T>(), n, a, b, false, par) }
    };
    // SAFETY: `gemm_raw` writes every element of the `m × n` product.
    timed(KernelKind::Matmul, || unsafe { filled_vec(m * n, fill) })
}

/// Checks that `a·b` is defined; returns its rows and columns.
fn check_dims<T>(a: MatRef<'_, T>, b: MatRef<'_, T>) -> (usize, usize) {
    let (m, k) = a.dims();
    let (k2, n) = b.dims();
    assert_eq!(k, k2, "matmul inner dimensions differ: {m}x{k} · {k2}x{n}");
    (m, n)
}

/// `dst = a·b` (or `+=`), writing every element of the `m × n` destination.
///
/// # Safety
/// `dst` must point to `(m - 1)·dst_rs + n` writable elements that alias neither operand,
/// initialised if `accumulate` is set.
unsafe fn gemm_raw<T: Element>(
    dst: *mut T,
    dst_rs: usize,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    accumulate: bool,
    par: Parallelism,
) {
    let (m, k) = a.dims();
    let n = b.dims().1;
    if m == 0 || n == 0 || (k == 0 && accumulate) {
        return;
    }
    if k == 0 {
        for r in 0..m {
            for j in 0..n {
                // SAFETY: inside the destination, which the caller guarantees.
                unsafe { dst.add(r * dst_rs + j).write(T::zero()) };
            }
        }
        return;
    }
    super::counters::record_macs(m * n * k);
    let (a_rs, a_cs) = a.strides();
    let (b_rs, b_cs) = b.strides();
    // SAFETY: the views' strides stay inside their slices (checked by `MatRef::new`), the
    // destination is valid as the caller guarantees, and `gemm` does not read it when
    // `read_dst` is false; `T` is f32 or f64, which `gemm` supports.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
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
            par,
        );
    }
}

/// Threads for a product of `macs` multiply-adds.
fn parallelism(macs: usize) -> Parallelism {
    if macs >= PARALLEL_MIN_MACS && threads() > 1 {
        Parallelism::Rayon(threads())
    } else {
        Parallelism::None
    }
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
