//! 2-d convolution as matrix products, NCHW at the interface. The batch is cut into one
//! block of whole samples per thread; each thread turns its block channel-last, lowers it
//! window by window (see [`super::windows`]: products leave out the taps that read the zero
//! padding), multiplies and lays the result out, so the threads never meet inside a product.
//!
//! The three kernels here are the forward convolution and its two adjoints; every
//! differentiable convolution op (forward, transposed, weight gradient) is one of them:
//! - `forward`:      y[n, o, p]  = Σ_{c,ky,kx} w[o, c, ky, kx] · x[n, c, at(p, ky, kx)]
//! - `input_grad`:   the adjoint of `forward` in x (this is the transposed convolution)
//! - `weight_grad`:  the adjoint of `forward` in w

use std::borrow::Cow;
use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::buffer::{add_run, copy_run, filled_vec};
use super::counters::{record_model_macs, timed, KernelKind};
use super::layout::{channel_major, channels_first_into, channels_last, tap_major};
use super::matmul::{gemm_serial_raw, MatRef};
use super::threads::threads;
use super::windows::{windows, Window};
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

/// Multiply-adds below which a convolution kernel runs on one thread. The first critic layer
/// (16M multiply-adds at batch 50, one input channel) runs 1.9× faster alone on two threads,
/// yet a whole training step with it split (threshold 4M) was no faster at DIM 32 and
/// 10–15% slower at DIM 64 in two alternating pairs of runs, so it stays on one.
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

/// The sizes the three kernels share.
struct Layout {
    /// Elements of one input image, `c·h·w`.
    image: usize,
    /// Output positions per sample.
    p: usize,
    /// Output channels.
    o: usize,
    /// Elements of one weight row, `c·kh·kw`.
    patch: usize,
}

impl Layout {
    fn new(g: &ConvGeom) -> Self {
        Layout {
            image: g.c * g.h * g.w,
            p: g.positions(),
            o: g.o,
            patch: g.patch(),
        }
    }
}

/// Kernel runs shorter than this many elements (`nx·c`) make poor matrix products: a window
/// whose runs are this short and not contiguous in the weight gathers its weights first.
const SHORT_RUN: usize = 64;

/// How a window's products read the tap-major weight `wk [o, (ky, kx, c)]`.
enum WeightPlan {
    /// In place, rows `c·kh·kw` apart, as blocks `(first weight column counted from the
    /// window's first, first lowered column, width)`: one block when the window keeps every
    /// kernel column (its kernel rows lie back to back), else one per kernel row.
    InPlace(Vec<(usize, usize, usize)>),
    /// Kernel runs too short for good products: the window's columns gathered into
    /// `[o, patch]`, multiplied as one block.
    Gathered,
}

impl WeightPlan {
    fn of(win: &Window) -> Self {
        let (run, patch) = (win.run(), win.patch());
        if win.keeps_every_column() {
            return WeightPlan::InPlace(vec![(0, 0, patch)]);
        }
        if run < SHORT_RUN {
            return WeightPlan::Gathered;
        }
        let first = win.weight_span(0).start;
        let blocks = (0..win.ky.len())
            .map(|j| (win.weight_span(j).start - first, j * run, run))
            .collect();
        WeightPlan::InPlace(blocks)
    }
}

/// The weights one window multiplies, laid out as its [`WeightPlan`] says: `[o, …]` rows
/// `stride` apart starting at `data`, cut into blocks that each multiply a contiguous span of
/// the window's lowered columns.
struct WindowWeights<'a, T: Element> {
    data: Cow<'a, [T]>,
    stride: usize,
    /// `(first weight column, first lowered column, width)` of each block.
    blocks: Vec<(usize, usize, usize)>,
}

impl<'a, T: Element> WindowWeights<'a, T> {
    /// The window's part of the tap-major weight `wk [o, (ky, kx, c)]`.
    fn new(win: &Window, wk: &'a [T], l: &Layout) -> Self {
        match WeightPlan::of(win) {
            WeightPlan::InPlace(blocks) => WindowWeights {
                data: Cow::Borrowed(&wk[win.weight_span(0).start..]),
                stride: l.patch,
                blocks,
            },
            WeightPlan::Gathered => {
                let patch = win.patch();
                let mut gathered = Vec::with_capacity(l.o * patch);
                for row in wk.chunks_exact(l.patch) {
                    for j in 0..win.ky.len() {
                        gathered.extend_from_slice(&row[win.weight_span(j)]);
                    }
                }
                WindowWeights {
                    data: Cow::Owned(gathered),
                    stride: patch,
                    blocks: vec![(0, 0, patch)],
                }
            }
        }
    }

    /// The block starting at weight column `at`, `width` wide, as an `[o, width]` matrix.
    fn block(&self, o: usize, at: usize, width: usize) -> MatRef<'_, T> {
        MatRef::strided(&self.data[at..], o, width, self.stride)
    }
}

/// A window's rows of channel-last `dy [samples, p, o]`: `[samples·positions, o]`, row
/// `i·positions + q` holding every channel of position `q` in sample `i`.
fn window_rows<T: Element>(dy_last: &[T], win: &Window, o: usize, p: usize) -> Vec<T> {
    let npos = win.positions.len();
    let fill = |out: &mut [MaybeUninit<T>]| {
        let mut rows = out.chunks_exact_mut(o);
        for sample in dy_last.chunks_exact(o * p) {
            for (&pos, row) in win.positions.iter().zip(&mut rows) {
                copy_run(row, &sample[pos * o..(pos + 1) * o]);
            }
        }
    };
    // SAFETY: every row gets one value per channel.
    unsafe { filled_vec(dy_last.len() / (o * p) * npos * o, fill) }
}

/// Forward convolution: `x [n, c, h, w]`, `w [o, c, kh, kw]` → `[n, o, oh, ow]`.
///
/// For each window, `[o, s·q] = Σ_blocks w [o, width] · colᵀ [width, s·q]` over the lowered
/// rows of its `q` positions in the block's `s` samples, the blocks of its [`WeightPlan`]
/// accumulated in place.
pub fn forward<T: Element>(x: &[T], weight: &[T], g: &ConvGeom) -> Vec<T> {
    forward_in_blocks(x, weight, g, samples_per_block(g))
}

fn forward_in_blocks<T: Element>(x: &[T], weight: &[T], g: &ConvGeom, s: usize) -> Vec<T> {
    let (wins, l) = (windows(g), Layout::new(g));
    record_model_macs(g.macs());
    timed(KernelKind::Conv, || {
        // [o, (ky, kx, c)]
        let wk = tap_major(weight, g.c, g.kh * g.kw);
        let fill = |y: &mut [MaybeUninit<T>]| {
            y.par_chunks_mut(s * l.o * l.p)
                .zip(x.par_chunks(s * l.image))
                .for_each(|(y, x)| {
                    let x = channels_last(x, g.c, g.h * g.w);
                    for win in &wins {
                        let out = window_forward(win, &x, &wk, &l);
                        scatter_positions(y, &out, win, &l);
                    }
                });
        };
        // SAFETY: the windows' positions cover every output position of every sample, and
        // `scatter_positions` writes all channels of each.
        unsafe { filled_vec(g.n * l.o * l.p, fill) }
    })
}

/// One window's outputs for channel-last images `x`: `[o, samples·positions]` (zeros for a
/// window without taps).
fn window_forward<T: Element>(win: &Window, x: &[T], wk: &[T], l: &Layout) -> Vec<T> {
    let rows = x.len() / l.image * win.positions.len();
    if !win.has_taps() {
        return vec![T::zero(); l.o * rows];
    }
    let col = win.lower(x, l.image);
    let patch = win.patch();
    let weights = WindowWeights::new(win, wk, l);
    let fill = |out: &mut [MaybeUninit<T>]| {
        for (i, &(at, from, width)) in weights.blocks.iter().enumerate() {
            let a = weights.block(l.o, at, width);
            let b = MatRef::strided(&col[from..], rows, width, patch).t();
            // SAFETY: `out` holds the `o × rows` product; the first product writes all of
            // it, the others add onto it.
            unsafe { gemm_serial_raw(out.as_mut_ptr().cast::<T>(), rows, a, b, i > 0) };
        }
    };
    // SAFETY: the first block's product writes every element.
    unsafe { filled_vec(l.o * rows, fill) }
}

/// Writes a window's outputs `[o, samples·positions]` into their places in
/// `y [samples, o, p]`.
fn scatter_positions<T: Element>(y: &mut [MaybeUninit<T>], out: &[T], win: &Window, l: &Layout) {
    let npos = win.positions.len();
    for (oc, row) in out.chunks_exact(out.len() / l.o.max(1)).enumerate() {
        for (i, sample) in row.chunks_exact(npos).enumerate() {
            let base = (i * l.o + oc) * l.p;
            for (&pos, &v) in win.positions.iter().zip(sample) {
                y[base + pos].write(v);
            }
        }
    }
}

/// Gradient of [`forward`] in its input (the transposed convolution):
/// `dy [n, o, oh, ow]`, `w [o, c, kh, kw]` → `[n, c, h, w]`.
///
/// For each window and block of its [`WeightPlan`], `dcol [s·q, width] = dy [s·q, o] ·
/// w [o, width]`, the rows added back onto the block's channel-last images (col2im).
pub fn input_grad<T: Element>(dy: &[T], weight: &[T], g: &ConvGeom) -> Vec<T> {
    input_grad_in_blocks(dy, weight, g, samples_per_block(g))
}

fn input_grad_in_blocks<T: Element>(dy: &[T], weight: &[T], g: &ConvGeom, s: usize) -> Vec<T> {
    let (wins, l) = (windows(g), Layout::new(g));
    record_model_macs(g.macs());
    timed(KernelKind::Conv, || {
        // [o, (ky, kx, c)]
        let wk = tap_major(weight, g.c, g.kh * g.kw);
        let mut dx = vec![T::zero(); g.n * l.image];
        dx.par_chunks_mut(s * l.image)
            .zip(dy.par_chunks(s * l.o * l.p))
            .for_each(|(dx, dy)| {
                let mut dx_last = vec![T::zero(); dx.len()];
                let dy = channels_last(dy, l.o, l.p);
                for win in wins.iter().filter(|w| w.has_taps()) {
                    let dy_rows = window_rows(&dy, win, l.o, l.p);
                    let dcol = window_input_grad(win, &dy_rows, &wk, &l);
                    win.raise(&dcol, &mut dx_last, l.image);
                }
                channels_first_into(dx, &dx_last, g.c, g.h * g.w);
            });
        dx
    })
}

/// One window's lowered-row gradients `[samples·positions, patch]` from its rows of `dy`.
fn window_input_grad<T: Element>(win: &Window, dy_rows: &[T], wk: &[T], l: &Layout) -> Vec<T> {
    let rows = dy_rows.len() / l.o;
    let patch = win.patch();
    let weights = WindowWeights::new(win, wk, l);
    let fill = |dcol: &mut [MaybeUninit<T>]| {
        for &(at, from, width) in &weights.blocks {
            let a = MatRef::new(dy_rows, rows, l.o);
            let b = weights.block(l.o, at, width);
            // SAFETY: the product fills columns `from..from + width` of every row of `dcol`,
            // which the slice holds from that offset on.
            unsafe { gemm_serial_raw(dcol[from..].as_mut_ptr().cast::<T>(), patch, a, b, false) };
        }
    };
    // SAFETY: the blocks' columns together cover every row.
    unsafe { filled_vec(rows * patch, fill) }
}

/// Gradient of [`forward`] in its weight: `x [n, c, h, w]`, `dy [n, o, oh, ow]` →
/// `[o, c, kh, kw]`.
///
/// For each window and block of its [`WeightPlan`], `dw [o, width] += dyᵀ [o, s·q] ·
/// col [s·q, width]`; the sample blocks' sums are added in block order.
pub fn weight_grad<T: Element>(x: &[T], dy: &[T], g: &ConvGeom) -> Vec<T> {
    weight_grad_in_blocks(x, dy, g, samples_per_block(g))
}

fn weight_grad_in_blocks<T: Element>(x: &[T], dy: &[T], g: &ConvGeom, s: usize) -> Vec<T> {
    let (wins, l) = (windows(g), Layout::new(g));
    record_model_macs(g.macs());
    timed(KernelKind::Conv, || {
        let parts: Vec<Vec<T>> = x
            .par_chunks((s * l.image).max(1))
            .zip(dy.par_chunks((s * l.o * l.p).max(1)))
            .map(|(x, dy)| {
                let x = channels_last(x, g.c, g.h * g.w);
                let dy = channels_last(dy, l.o, l.p);
                // [o, (ky, kx, c)]
                let mut dw = vec![T::zero(); l.o * l.patch];
                for win in wins.iter().filter(|w| w.has_taps()) {
                    window_weight_grad(win, &x, &dy, &mut dw, &l);
                }
                dw
            })
            .collect();
        let mut parts = parts.into_iter();
        let mut dw = parts
            .next()
            .unwrap_or_else(|| vec![T::zero(); l.o * l.patch]);
        for part in parts {
            dw.iter_mut().zip(&part).for_each(|(d, &v)| *d += v);
        }
        channel_major(&dw, g.c, g.kh * g.kw)
    })
}

/// Adds one window's weight gradient onto the tap-major `dw [o, (ky, kx, c)]`, from
/// channel-last images `x` and their channel-last output gradients `dy [samples, p, o]`.
fn window_weight_grad<T: Element>(win: &Window, x: &[T], dy: &[T], dw: &mut [T], l: &Layout) {
    let col = win.lower(x, l.image);
    let dy_rows = window_rows(dy, win, l.o, l.p);
    let rows = dy_rows.len() / l.o;
    let (run, patch) = (win.run(), win.patch());
    let a = MatRef::new(&dy_rows, rows, l.o).t();
    let blocks = match WeightPlan::of(win) {
        WeightPlan::InPlace(blocks) => blocks,
        WeightPlan::Gathered => {
            // As the forward pass gathers these weights: a product into `[o, patch]`, then
            // each kernel row's run added onto its place.
            let b = MatRef::new(&col, rows, patch);
            let fill = |out: &mut [MaybeUninit<T>]| {
                // SAFETY: `out` holds the fresh `o × patch` product, only written.
                unsafe { gemm_serial_raw(out.as_mut_ptr().cast::<T>(), patch, a, b, false) }
            };
            // SAFETY: the product writes every element.
            let part = unsafe { filled_vec(l.o * patch, fill) };
            for (dw_row, part_row) in dw.chunks_exact_mut(l.patch).zip(part.chunks_exact(patch)) {
                for (j, src) in part_row.chunks_exact(run).enumerate() {
                    add_run(&mut dw_row[win.weight_span(j)], src);
                }
            }
            return;
        }
    };
    let first = win.weight_span(0).start;
    for (at, from, width) in blocks {
        let b = MatRef::strided(&col[from..], rows, width, patch);
        let dst = &mut dw[first + at..];
        assert!(dst.len() >= (l.o - 1) * l.patch + width);
        // SAFETY: `dst` holds the `o × width` block at row stride `l.patch` (asserted) and
        // is initialised, so the product may add onto it.
        unsafe { gemm_serial_raw(dst.as_mut_ptr(), l.patch, a, b, true) };
    }
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
        // Few channels: border windows gather their weights. Many channels: border windows
        // multiply kernel row by kernel row. Either way, interior windows use one block.
        for g in [
            ConvGeom::new(5, 3, 7, 6, 4, (5, 3), 2, 2),
            ConvGeom::new(3, 24, 6, 6, 5, (5, 5), 2, 2),
        ] {
            check_against_direct(&g);
        }
    }

    fn check_against_direct(g: &ConvGeom) {
        let g = *g;
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
