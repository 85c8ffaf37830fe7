//! 2-d convolution lowered to matrix products (im2col / col2im), NCHW layout.
//!
//! The three kernels here are the forward convolution and its two adjoints; every
//! differentiable convolution op (forward, transposed, weight gradient) is one of them:
//! - `forward`:      y[n, o, p]  = Σ_{c,ky,kx} w[o, c, ky, kx] · x[n, c, at(p, ky, kx)]
//! - `input_grad`:   the adjoint of `forward` in x (this is the transposed convolution)
//! - `weight_grad`:  the adjoint of `forward` in w

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::buffer::{copy_run, filled_vec};
pub use super::lowering::{col2im, im2col};
use super::matmul::{gemm, MatRef};
use crate::element::Element;

/// Sizes of one convolution: input `[n, c, h, w]`, weight `[o, c, kh, kw]`, output
/// `[n, o, oh, ow]`, with the same stride and zero padding on both axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeom {
    /// Batch size.
    pub n: usize,
    /// Input channels.
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output channels.
    pub o: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding on each side.
    pub pad: usize,
    /// Output height.
    pub oh: usize,
    /// Output width.
    pub ow: usize,
}

impl ConvGeom {
    /// Geometry of a convolution of an `[n, c, h, w]` input; the output size follows from
    /// the others. Panics if the kernel does not fit the padded input.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        n: usize,
        c: usize,
        h: usize,
        w: usize,
        o: usize,
        k: (usize, usize),
        stride: usize,
        pad: usize,
    ) -> Self {
        assert!(stride > 0, "convolution stride must be positive");
        assert!(
            h + 2 * pad >= k.0 && w + 2 * pad >= k.1,
            "kernel {k:?} larger than padded input {h}x{w} (padding {pad})"
        );
        let oh = (h + 2 * pad - k.0) / stride + 1;
        let ow = (w + 2 * pad - k.1) / stride + 1;
        ConvGeom {
            n,
            c,
            h,
            w,
            o,
            kh: k.0,
            kw: k.1,
            stride,
            pad,
            oh,
            ow,
        }
    }

    /// Elements of one row of the lowered input: `c·kh·kw`.
    pub fn patch(&self) -> usize {
        self.c * self.kh * self.kw
    }

    /// Output positions per sample: `oh·ow`.
    pub fn positions(&self) -> usize {
        self.oh * self.ow
    }

    /// Multiply-adds of one forward pass (each adjoint costs the same).
    pub fn macs(&self) -> usize {
        self.n * self.positions() * self.o * self.patch()
    }
}

/// Reorders `[a, b, p]` blocks to `[b, a, p]` (contiguous runs of `p` move whole).
fn swap_outer<T: Element>(x: &[T], a: usize, b: usize, p: usize) -> Vec<T> {
    let fill = |out: &mut [MaybeUninit<T>]| {
        out.par_chunks_mut(a * p).enumerate().for_each(|(j, dst)| {
            for (i, run) in dst.chunks_exact_mut(p).enumerate() {
                copy_run(run, &x[(i * b + j) * p..(i * b + j + 1) * p]);
            }
        });
    };
    // SAFETY: the `b` chunks of `a` runs of `p` cover all `a·b·p` elements, each written once.
    unsafe { filled_vec(x.len(), fill) }
}

/// Forward convolution: `x [n, c, h, w]`, `w [o, c, kh, kw]` → `[n, o, oh, ow]`.
pub fn forward<T: Element>(x: &[T], weight: &[T], g: &ConvGeom) -> Vec<T> {
    let (patch, np) = (g.patch(), g.n * g.positions());
    let col = im2col(x, g);
    // [n·p, o] = col [n·p, patch] · wᵀ [patch, o]: with the long side as rows, `gemm` packs
    // the lowered input far faster than when reading it transposed.
    let y_npo = gemm(
        MatRef::new(&col, np, patch),
        MatRef::new(weight, g.o, patch).t(),
    );
    transpose_samples(&y_npo, g.n, g.positions(), g.o)
}

/// Transposes each of `n` row-major `rows × cols` matrices stored back to back.
fn transpose_samples<T: Element>(x: &[T], n: usize, rows: usize, cols: usize) -> Vec<T> {
    let len = rows * cols;
    let fill = |out: &mut [MaybeUninit<T>]| {
        out.par_chunks_mut(len)
            .zip(x.par_chunks(len))
            .for_each(|(dst, src)| transpose_into(dst, src, rows, cols));
    };
    // SAFETY: each of the `n` chunks of `rows·cols` elements is written whole by
    // `transpose_into`.
    unsafe { filled_vec(n * len, fill) }
}

/// `dst [cols, rows] = srcᵀ`, in square tiles so that reads and writes both stay in cache.
fn transpose_into<T: Copy>(dst: &mut [MaybeUninit<T>], src: &[T], rows: usize, cols: usize) {
    const TILE: usize = 16;
    for r0 in (0..rows).step_by(TILE) {
        for c0 in (0..cols).step_by(TILE) {
            for c in c0..(c0 + TILE).min(cols) {
                for r in r0..(r0 + TILE).min(rows) {
                    dst[c * rows + r].write(src[r * cols + c]);
                }
            }
        }
    }
}

/// Gradient of [`forward`] in its input (the transposed convolution):
/// `dy [n, o, oh, ow]`, `w [o, c, kh, kw]` → `[n, c, h, w]`.
pub fn input_grad<T: Element>(dy: &[T], weight: &[T], g: &ConvGeom) -> Vec<T> {
    let (patch, np) = (g.patch(), g.n * g.positions());
    let dy_onp = swap_outer(dy, g.n, g.o, g.positions());
    // [n·p, patch] = dyᵀ [n·p, o] · w [o, patch]
    let dcol = gemm(
        MatRef::new(&dy_onp, g.o, np).t(),
        MatRef::new(weight, g.o, patch),
    );
    col2im(&dcol, g)
}

/// Gradient of [`forward`] in its weight: `x [n, c, h, w]`, `dy [n, o, oh, ow]` →
/// `[o, c, kh, kw]`.
pub fn weight_grad<T: Element>(x: &[T], dy: &[T], g: &ConvGeom) -> Vec<T> {
    let (patch, np) = (g.patch(), g.n * g.positions());
    let col = im2col(x, g);
    let dy_onp = swap_outer(dy, g.n, g.o, g.positions());
    // [o, patch] = dy [o, n·p] · col [n·p, patch]
    gemm(MatRef::new(&dy_onp, g.o, np), MatRef::new(&col, np, patch))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct(x: &[f64], w: &[f64], g: &ConvGeom) -> Vec<f64> {
        let mut y = vec![0.0; g.n * g.o * g.positions()];
        for n in 0..g.n {
            for o in 0..g.o {
                for oy in 0..g.oh {
                    for ox in 0..g.ow {
                        let mut acc = 0.0;
                        for c in 0..g.c {
                            for ky in 0..g.kh {
                                for kx in 0..g.kw {
                                    let iy = (oy * g.stride + ky) as isize - g.pad as isize;
                                    let ix = (ox * g.stride + kx) as isize - g.pad as isize;
                                    if iy < 0 || ix < 0 || iy >= g.h as isize || ix >= g.w as isize
                                    {
                                        continue;
                                    }
                                    let xi =
                                        ((n * g.c + c) * g.h + iy as usize) * g.w + ix as usize;
                                    let wi = ((o * g.c + c) * g.kh + ky) * g.kw + kx;
                                    acc += x[xi] * w[wi];
                                }
                            }
                        }
                        y[((n * g.o + o) * g.oh + oy) * g.ow + ox] = acc;
                    }
                }
            }
        }
        y
    }

    fn dot(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    fn values(len: usize, seed: f64) -> Vec<f64> {
        (0..len).map(|i| ((i as f64 + 1.0) * seed).sin()).collect()
    }

    #[test]
    fn forward_matches_direct_sum_and_adjoints_hold() {
        let g = ConvGeom::new(2, 3, 7, 6, 4, (5, 3), 2, 2);
        let x = values(g.n * g.c * g.h * g.w, 0.37);
        let w = values(g.o * g.patch(), 0.91);
        let y = forward(&x, &w, &g);
        for (a, b) in y.iter().zip(direct(&x, &w, &g)) {
            assert!((a - b).abs() < 1e-12);
        }
        // ⟨forward(x, w), dy⟩ = ⟨x, input_grad(dy, w)⟩ = ⟨w, weight_grad(x, dy)⟩
        let dy = values(y.len(), 1.3);
        let lhs = dot(&y, &dy);
        assert!((lhs - dot(&x, &input_grad(&dy, &w, &g))).abs() < 1e-10);
        assert!((lhs - dot(&w, &weight_grad(&x, &dy, &g))).abs() < 1e-10);
    }
}
