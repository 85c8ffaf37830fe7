//! Convolution lowering: `im2col` turns every output position's receptive field into a row of
//! a matrix, so that a convolution becomes one matrix product; `col2im` is its adjoint.
//!
//! For one output position, channel and kernel row, the kernel columns read a contiguous run
//! of one input row, so both kernels move whole runs and write zeros only at the borders.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::buffer::{add_run, copy_run, filled_vec, zero_run};
use super::conv::ConvGeom;
use crate::element::Element;

/// The kernel taps `lo..hi` of one output row (or column) that read inside the input, the
/// first of them at input index `start`; the other taps read the zero padding.
#[derive(Clone, Copy, Debug)]
struct Span {
    lo: usize,
    hi: usize,
    start: usize,
}

/// Spans of the `outs` output rows (or columns) of a `k`-tap kernel over an input axis of
/// length `size`.
fn spans(g: &ConvGeom, outs: usize, k: usize, size: usize) -> Vec<Span> {
    (0..outs)
        .map(|out| {
            let first = out * g.stride;
            let lo = g.pad.saturating_sub(first).min(k);
            let hi = (size + g.pad).saturating_sub(first).clamp(lo, k);
            let start = (first + lo).saturating_sub(g.pad);
            Span { lo, hi, start }
        })
        .collect()
}

/// The spans of one convolution geometry, computed once and used to lower or raise any
/// number of samples.
pub(crate) struct Lowering {
    g: ConvGeom,
    rows: Vec<Span>,
    cols: Vec<Span>,
}

impl Lowering {
    pub(crate) fn new(g: &ConvGeom) -> Self {
        Lowering {
            g: *g,
            rows: spans(g, g.oh, g.kh, g.h),
            cols: spans(g, g.ow, g.kw, g.w),
        }
    }

    /// Elements of one input image: `c·h·w`.
    pub(crate) fn image_len(&self) -> usize {
        self.g.c * self.g.h * self.g.w
    }

    /// Elements of one image's lowered rows: `positions·patch`.
    pub(crate) fn rows_len(&self) -> usize {
        self.g.positions() * self.g.patch()
    }

    /// Lowers the images of `x` (whole samples) into `out`, every element written.
    pub(crate) fn lower<T: Element>(&self, x: &[T], out: &mut [MaybeUninit<T>]) {
        for (out, image) in out
            .chunks_mut(self.rows_len())
            .zip(x.chunks(self.image_len()))
        {
            self.lower_image(image, out);
        }
    }

    /// Adds the lowered rows `col` back onto the images of `x` (whole samples).
    pub(crate) fn raise<T: Element>(&self, col: &[T], x: &mut [T]) {
        for (image, rows) in x
            .chunks_mut(self.image_len())
            .zip(col.chunks(self.rows_len()))
        {
            self.raise_image(rows, image);
        }
    }

    /// im2col of one image into its `positions × patch` rows.
    fn lower_image<T: Element>(&self, image: &[T], out: &mut [MaybeUninit<T>]) {
        let g = &self.g;
        let plane = g.h * g.w;
        for (pos, row) in out.chunks_exact_mut(g.patch()).enumerate() {
            let (ry, rx) = (self.rows[pos / g.ow], self.cols[pos % g.ow]);
            for (c, taps) in row.chunks_exact_mut(g.kh * g.kw).enumerate() {
                for (ky, run) in taps.chunks_exact_mut(g.kw).enumerate() {
                    if !(ry.lo..ry.hi).contains(&ky) {
                        zero_run(run);
                        continue;
                    }
                    let src = c * plane + (ry.start + ky - ry.lo) * g.w + rx.start;
                    let (head, rest) = run.split_at_mut(rx.lo);
                    let (body, tail) = rest.split_at_mut(rx.hi - rx.lo);
                    zero_run(head);
                    copy_run(body, &image[src..src + body.len()]);
                    zero_run(tail);
                }
            }
        }
    }

    /// col2im of one image's `positions × patch` rows, added onto `image`.
    fn raise_image<T: Element>(&self, rows_n: &[T], image: &mut [T]) {
        let g = &self.g;
        let plane = g.h * g.w;
        for (pos, row) in rows_n.chunks_exact(g.patch()).enumerate() {
            let (ry, rx) = (self.rows[pos / g.ow], self.cols[pos % g.ow]);
            let len = rx.hi - rx.lo;
            for (c, taps) in row.chunks_exact(g.kh * g.kw).enumerate() {
                for ky in ry.lo..ry.hi {
                    let dst = c * plane + (ry.start + ky - ry.lo) * g.w + rx.start;
                    let src = ky * g.kw + rx.lo;
                    add_run(&mut image[dst..dst + len], &taps[src..src + len]);
                }
            }
        }
    }
}

/// Lowers `x [n, c, h, w]` to `[n·oh·ow, c·kh·kw]`: one row per output position.
pub fn im2col<T: Element>(x: &[T], g: &ConvGeom) -> Vec<T> {
    let low = Lowering::new(g);
    let fill = |col: &mut [MaybeUninit<T>]| {
        col.par_chunks_mut(low.rows_len())
            .zip(x.par_chunks(low.image_len()))
            .for_each(|(col, x)| low.lower(x, col));
    };
    // SAFETY: `lower` writes every element of each sample's rows (taps inside the input are
    // copied, the others zeroed), and the chunks cover the whole buffer.
    unsafe { filled_vec(g.n * low.rows_len(), fill) }
}

/// The adjoint of [`im2col`]: adds each row's entries back onto `[n, c, h, w]`.
pub fn col2im<T: Element>(col: &[T], g: &ConvGeom) -> Vec<T> {
    let low = Lowering::new(g);
    let mut x = vec![T::zero(); g.n * low.image_len()];
    x.par_chunks_mut(low.image_len())
        .zip(col.par_chunks(low.rows_len()))
        .for_each(|(x, col)| low.raise(col, x));
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// im2col by the definition: one bounds check per element.
    fn im2col_direct(x: &[f64], g: &ConvGeom) -> Vec<f64> {
        let mut col = Vec::new();
        for n in 0..g.n {
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    for c in 0..g.c {
                        for ky in 0..g.kh {
                            for kx in 0..g.kw {
                                let iy = (oy * g.stride + ky) as isize - g.pad as isize;
                                let ix = (ox * g.stride + kx) as isize - g.pad as isize;
                                let inside = (0..g.h as isize).contains(&iy)
                                    && (0..g.w as isize).contains(&ix);
                                col.push(if inside {
                                    x[((n * g.c + c) * g.h + iy as usize) * g.w + ix as usize]
                                } else {
                                    0.0
                                });
                            }
                        }
                    }
                }
            }
        }
        col
    }

    #[test]
    fn im2col_matches_definition_for_model_and_odd_shapes() {
        let shapes = [
            ConvGeom::new(3, 2, 28, 28, 1, (5, 5), 2, 2),
            ConvGeom::new(2, 3, 7, 7, 1, (5, 5), 2, 2),
            ConvGeom::new(2, 2, 8, 5, 1, (5, 3), 2, 2),
            ConvGeom::new(1, 2, 3, 3, 1, (5, 5), 1, 3),
            ConvGeom::new(2, 1, 9, 10, 1, (3, 12), 1, 1),
        ];
        for g in shapes {
            let x: Vec<f64> = (0..g.n * g.c * g.h * g.w).map(|i| i as f64 + 1.0).collect();
            assert_eq!(im2col(&x, &g), im2col_direct(&x, &g), "{g:?}");
        }
    }
}
