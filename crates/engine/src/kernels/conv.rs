//! 2-d convolution lowered to matrix products (im2col / col2im), NCHW layout. The batch is cut
//! into one block of whole samples per thread; each thread lowers, multiplies and lays out its
//! own block, so the threads never meet inside a product.
//!
//! The three kernels here are the forward convolution and its two adjoints; every
//! differentiable convolution op (forward, transposed, weight gradient) is one of them:
//! - `forward`:      y[n, o, p]  = Σ_{c,ky,kx} w[o, c, ky, kx] · x[n, c, at(p, ky, kx)]
//! - `input_grad`:   the adjoint of `forward` in x (this is the transposed convolution)
//! - `weight_grad`:  the adjoint of `forward` in w

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::buffer::{copy_run, filled_vec};
use super::counters::{timed, KernelKind};
use super::lowering::Lowering;
pub use super::lowering::{col2im, im2col};
use super::matmul::{gemm_serial, MatRef};
use super::threads::threads;
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

/// Multiply-adds below which a convolution kernel runs on one thread: the first critic layer
/// (16M multiply-adds at batch 50, one input channel) gained nothing from a second thread.
const PARALLEL_MIN_MACS: usize = 1 << 25;

/// Whole samples per task: one block per thread. The `gemm` crate multiplies one large block
/// on one core faster than several smaller ones, and two blocks side by side on two cores
/// faster than one block split between them. Results depend on the block boundaries, so they
/// are identical from run to run for a given thread count.
fn samples_per_block(g: &ConvGeom) -> usize {
    let blocks = if g.macs() < PARALLEL_MIN_MACS {
        1
    } else {
        threads()
    };
    g.n.div_ceil(blocks.max(1)).max(1)
}

/// The lowered rows of whole samples `x`, as a new `[samples·positions, patch]` matrix.
fn lower_block<T: Element>(low: &Lowering, x: &[T]) -> Vec<T> {
    let samples = x.len() / low.image_len().max(1);
    // SAFETY: `lower` writes every element of each sample's rows.
    unsafe { filled_vec(samples * low.rows_len(), |col| low.lower(x, col)) }
}

/// Forward convolution: `x [n, c, h, w]`, `w [o, c, kh, kw]` → `[n, o, oh, ow]`.
///
/// Each task lowers a block of samples and multiplies it, `[s·p, o] = col [s·p, patch] ·
/// wᵀ [patch, o]` (with the long side as rows `gemm` packs the lowered rows fastest), then
/// transposes each sample's `[p, o]` into its `[o, p]` output.
pub fn forward<T: Element>(x: &[T], weight: &[T], g: &ConvGeom) -> Vec<T> {
    forward_in_blocks(x, weight, g, samples_per_block(g))
}

fn forward_in_blocks<T: Element>(x: &[T], weight: &[T], g: &ConvGeom, s: usize) -> Vec<T> {
    let low = Lowering::new(g);
    let (p, o) = (g.positions(), g.o);
    let fill = |y: &mut [MaybeUninit<T>]| {
        y.par_chunks_mut(s * o * p)
            .zip(x.par_chunks(s * low.image_len()))
            .for_each(|(y, x)| {
                let col = lower_block(&low, x);
                let samples = x.len() / low.image_len().max(1);
                let y_po = gemm_serial(
                    MatRef::new(&col, samples * p, g.patch()),
                    MatRef::new(weight, o, g.patch()).t(),
                );
                for (dst, src) in y.chunks_mut(o * p).zip(y_po.chunks(p * o)) {
                    transpose_into(dst, src, p, o);
                }
            });
    };
    // SAFETY: each task writes its samples' whole `[o, p]` outputs through `transpose_into`,
    // and the tasks' chunks cover the output.
    timed(KernelKind::Conv, || unsafe {
        filled_vec(g.n * o * p, fill)
    })
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

/// Each sample's `[o, p]` block of `dy` transposed to `[p, o]`, the samples stacked:
/// `[samples·p, o]`.
fn positions_by_channel<T: Element>(dy: &[T], o: usize, p: usize) -> Vec<T> {
    let fill = |out: &mut [MaybeUninit<T>]| {
        for (dst, src) in out.chunks_mut(o * p).zip(dy.chunks(o * p)) {
            transpose_into(dst, src, o, p);
        }
    };
    // SAFETY: `transpose_into` writes each sample's whole block.
    unsafe { filled_vec(dy.len(), fill) }
}

/// `dy [s, o, p]` reordered to `[o, s·p]`: each channel's positions of all samples in a row.
fn channel_rows<T: Element>(dy: &[T], o: usize, p: usize) -> Vec<T> {
    let samples = dy.len() / (o * p).max(1);
    let fill = |out: &mut [MaybeUninit<T>]| {
        for (ch, row) in out.chunks_mut(samples * p).enumerate() {
            for (i, run) in row.chunks_mut(p).enumerate() {
                copy_run(run, &dy[(i * o + ch) * p..(i * o + ch + 1) * p]);
            }
        }
    };
    // SAFETY: the `o` rows of `samples` runs of `p` cover the buffer, each written once.
    unsafe { filled_vec(dy.len(), fill) }
}

/// Gradient of [`forward`] in its input (the transposed convolution):
/// `dy [n, o, oh, ow]`, `w [o, c, kh, kw]` → `[n, c, h, w]`.
///
/// Each task multiplies a block of samples, `dcol [s·p, patch] = dyᵀ [s·p, o] · w [o, patch]`,
/// and adds the rows back onto its own samples' images (col2im).
pub fn input_grad<T: Element>(dy: &[T], weight: &[T], g: &ConvGeom) -> Vec<T> {
    input_grad_in_blocks(dy, weight, g, samples_per_block(g))
}

fn input_grad_in_blocks<T: Element>(dy: &[T], weight: &[T], g: &ConvGeom, s: usize) -> Vec<T> {
    let low = Lowering::new(g);
    let (p, o) = (g.positions(), g.o);
    timed(KernelKind::Conv, || {
        let mut dx = vec![T::zero(); g.n * low.image_len()];
        dx.par_chunks_mut(s * low.image_len())
            .zip(dy.par_chunks(s * o * p))
            .for_each(|(dx, dy)| {
                let dy_po = positions_by_channel(dy, o, p);
                let dcol = gemm_serial(
                    MatRef::new(&dy_po, dy.len() / o, o),
                    MatRef::new(weight, o, g.patch()),
                );
                low.raise(&dcol, dx);
            });
        dx
    })
}

/// Gradient of [`forward`] in its weight: `x [n, c, h, w]`, `dy [n, o, oh, ow]` →
/// `[o, c, kh, kw]`.
///
/// Each task lowers a block of samples and multiplies `dy [o, s·p] · col [s·p, patch]`; the
/// blocks' products are added in block order.
pub fn weight_grad<T: Element>(x: &[T], dy: &[T], g: &ConvGeom) -> Vec<T> {
    weight_grad_in_blocks(x, dy, g, samples_per_block(g))
}

fn weight_grad_in_blocks<T: Element>(x: &[T], dy: &[T], g: &ConvGeom, s: usize) -> Vec<T> {
    let low = Lowering::new(g);
    let (p, o, patch) = (g.positions(), g.o, g.patch());
    timed(KernelKind::Conv, || {
        let parts: Vec<Vec<T>> = x
            .par_chunks((s * low.image_len()).max(1))
            .zip(dy.par_chunks((s * o * p).max(1)))
            .map(|(x, dy)| {
                let col = lower_block(&low, x);
                let dy_rows = channel_rows(dy, o, p);
                let rows = dy.len() / o;
                gemm_serial(
                    MatRef::new(&dy_rows, o, rows),
                    MatRef::new(&col, rows, patch),
                )
            })
            .collect();
        let mut parts = parts.into_iter();
        let mut dw = parts.next().unwrap_or_else(|| vec![T::zero(); o * patch]);
        for part in parts {
            dw.iter_mut().zip(&part).for_each(|(d, &v)| *d += v);
        }
        dw
    })
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
    fn forward_matches_direct_sum_and_adjoints_hold_for_any_blocks() {
        let g = ConvGeom::new(5, 3, 7, 6, 4, (5, 3), 2, 2);
        let x = values(g.n * g.c * g.h * g.w, 0.37);
        let w = values(g.o * g.patch(), 0.91);
        let expect = direct(&x, &w, &g);
        let dy = values(expect.len(), 1.3);
        // ⟨forward(x, w), dy⟩ = ⟨x, input_grad(dy, w)⟩ = ⟨w, weight_grad(x, dy)⟩, whether the
        // samples go in one block, uneven blocks or one block each.
        for s in 1..=g.n {
            let y = forward_in_blocks(&x, &w, &g, s);
            for (a, b) in y.iter().zip(&expect) {
                assert!((a - b).abs() < 1e-12, "{s} samples per block");
            }
            let lhs = dot(&y, &dy);
            let dx = input_grad_in_blocks(&dy, &w, &g, s);
            let dw = weight_grad_in_blocks(&x, &dy, &g, s);
            assert!((lhs - dot(&x, &dx)).abs() < 1e-10, "{s} samples per block");
            assert!((lhs - dot(&w, &dw)).abs() < 1e-10, "{s} samples per block");
        }
    }
}
