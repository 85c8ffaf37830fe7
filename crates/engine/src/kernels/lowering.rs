//! Convolution lowering: `im2col` turns every output position's receptive field into a row of
//! a matrix, so that a convolution becomes one matrix product; `col2im` is its adjoint.
//!
//! For one output position, channel and kernel row, the kernel columns read a contiguous run
//! of one input row, so both kernels move whole runs and write zeros only at the borders.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::buffer::{add_run, copy_run, filled_vec, zero_run};
use super::conv::ConvGeom;
use super::threads::threads;
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

/// Samples per parallel task: all of them on one thread, else four tasks per thread, so that
/// a thread slowed by other work on the machine hands tasks to the others.
fn samples_per_task(n: usize) -> usize {
    match threads() {
        1 => n.max(1),
        t => n.div_ceil(4 * t).max(1),
    }
}

/// Lowers `x [n, c, h, w]` to `[n·oh·ow, c·kh·kw]`: one row per output position.
pub fn im2col<T: Element>(x: &[T], g: &ConvGeom) -> Vec<T> {
    let (rows_len, image_len) = (g.positions() * g.patch(), g.c * g.h * g.w);
    let (rows, cols) = (spans(g, g.oh, g.kh, g.h), spans(g, g.ow, g.kw, g.w));
    let per_task = samples_per_task(g.n);
    let fill = |col: &mut [MaybeUninit<T>]| {
        col.par_chunks_mut(per_task * rows_len)
            .zip(x.par_chunks(per_task * image_len))
            .for_each(|(col, x)| {
                for (out, image) in col.chunks_mut(rows_len).zip(x.chunks(image_len)) {
                    lower_image(image, out, g, &rows, &cols);
                }
            });
    };
    // SAFETY: `lower_image` writes every element of each sample's rows (taps inside the
    // input are copied, the others zeroed), and the chunks cover the whole buffer.
    unsafe { filled_vec(g.n * rows_len, fill) }
}

/// im2col of one image into its `positions × patch` rows, every element written.
fn lower_image<T: Element>(
    image: &[T],
    out: &mut [MaybeUninit<T>],
    g: &ConvGeom,
    rows: &[Span],
    cols: &[Span],
) {
    let plane = g.h * g.w;
    for (pos, row) in out.chunks_exact_mut(g.patch()).enumerate() {
        let (ry, rx) = (rows[pos / g.ow], cols[pos % g.ow]);
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

/// The adjoint of [`im2col`]: adds each row's entries back onto `[n, c, h, w]`.
pub fn col2im<T: Element>(col: &[T], g: &ConvGeom) -> Vec<T> {
    let (rows_len, image_len) = (g.positions() * g.patch(), g.c * g.h * g.w);
    let (rows, cols) = (spans(g, g.oh, g.kh, g.h), spans(g, g.ow, g.kw, g.w));
    let per_task = samples_per_task(g.n);
    let mut x = vec![T::zero(); g.n * image_len];
    x.par_chunks_mut(per_task * image_len)
        .zip(col.par_chunks(per_task * rows_len))
        .for_each(|(x, col)| {
            for (image, rows_n) in x.chunks_mut(image_len).zip(col.chunks(rows_len)) {
                raise_image(rows_n, image, g, &rows, &cols);
            }
        });
    x
}

/// col2im of one image's `positions × patch` rows, added onto `image`.
fn raise_image<T: Element>(
    rows_n: &[T],
    image: &mut [T],
    g: &ConvGeom,
    rows: &[Span],
    cols: &[Span],
) {
    let plane = g.h * g.w;
    for (pos, row) in rows_n.chunks_exact(g.patch()).enumerate() {
        let (ry, rx) = (rows[pos / g.ow], cols[pos % g.ow]);
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
