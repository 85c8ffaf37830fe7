//! Kernel windows of a convolution. Output positions are grouped by which kernel taps read
//! inside the input: near the border some taps read the zero padding, and a group's matrix
//! product leaves those taps out instead of multiplying zeros (a quarter of the work of a
//! 5×5, stride-2 convolution of a 7×7 map).
//!
//! Images here are channel-last, `[h, w, c]`, so that the taps of one kernel row over all
//! channels are one contiguous run of `nx·c` elements, in the input image and in the lowered
//! rows alike. Lowered rows and tap-major weights order their columns `(ky, kx, c)`.

use std::mem::MaybeUninit;
use std::ops::Range;

use super::buffer::{add_run, copy_run, filled_vec};
use super::conv::ConvGeom;
use crate::element::Element;

/// The kernel taps `lo..hi` of one output row (or column) that read inside the input, the
/// first of them at input index `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    lo: usize,
    hi: usize,
    start: usize,
}

/// The span of each of the `outs` output rows (or columns) of a `k`-tap kernel over an input
/// axis of length `size`.
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

/// Output rows (or columns) that share the taps reading inside the input: the taps, and
/// each member's `(output index, input start)`.
type Band = (Range<usize>, Vec<(usize, usize)>);

/// Output rows (or columns) grouped into bands, in order of first appearance.
fn bands(spans: &[Span]) -> Vec<Band> {
    let mut bands: Vec<Band> = Vec::new();
    for (out, s) in spans.iter().enumerate() {
        match bands.iter_mut().find(|(taps, _)| *taps == (s.lo..s.hi)) {
            Some((_, members)) => members.push((out, s.start)),
            None => bands.push((s.lo..s.hi, vec![(out, s.start)])),
        }
    }
    bands
}

/// Output positions whose windows lie the same way across the border: for each of them,
/// kernel rows `ky` and columns `kx` read inside the input and the other taps read zeros.
#[derive(Clone, Debug)]
pub(crate) struct Window {
    /// Kernel rows that read inside the input.
    pub(crate) ky: Range<usize>,
    /// Kernel columns that read inside the input.
    pub(crate) kx: Range<usize>,
    /// Output positions `oy·ow + ox`.
    pub(crate) positions: Vec<usize>,
    /// For each position, where tap `(ky.start, kx.start)` reads in a channel-last image.
    origins: Vec<usize>,
    /// Elements of one channel-last image row.
    image_row: usize,
    /// Input channels.
    channels: usize,
    /// Kernel width.
    kw: usize,
}

impl Window {
    /// Whether any tap reads inside the input; a window without taps outputs zeros.
    pub(crate) fn has_taps(&self) -> bool {
        !self.ky.is_empty() && !self.kx.is_empty()
    }

    /// Whether every kernel column reads inside the input, so that the runs of the kept
    /// kernel rows lie back to back in a tap-major weight row.
    pub(crate) fn keeps_every_column(&self) -> bool {
        self.kx.len() == self.kw
    }

    /// Elements of one kernel row's run over all channels: `nx·c`.
    pub(crate) fn run(&self) -> usize {
        self.kx.len() * self.channels
    }

    /// Elements of one lowered row: `ny·nx·c`.
    pub(crate) fn patch(&self) -> usize {
        self.ky.len() * self.run()
    }

    /// The columns of a tap-major weight `[o, (ky, kx, c)]` (or rows of its transpose) that
    /// the `j`-th kernel row of this window multiplies.
    pub(crate) fn weight_span(&self, j: usize) -> Range<usize> {
        let first = ((self.ky.start + j) * self.kw + self.kx.start) * self.channels;
        first..first + self.run()
    }

    /// Lowered rows of channel-last images `x` (whole samples): `[samples·positions, patch]`,
    /// row `i·positions + q` holding the window of position `q` in sample `i`.
    pub(crate) fn lower<T: Element>(&self, x: &[T], image_len: usize) -> Vec<T> {
        let samples = x.len() / image_len.max(1);
        let (run, patch) = (self.run(), self.patch());
        let fill = |col: &mut [MaybeUninit<T>]| {
            let mut rows = col.chunks_exact_mut(patch);
            for image in x.chunks_exact(image_len) {
                for (&origin, row) in self.origins.iter().zip(&mut rows) {
                    for (j, dst) in row.chunks_exact_mut(run).enumerate() {
                        let src = origin + j * self.image_row;
                        copy_run(dst, &image[src..src + run]);
                    }
                }
            }
        };
        // SAFETY: every row of every sample is filled, one run per kernel row.
        unsafe { filled_vec(samples * self.positions.len() * patch, fill) }
    }

    /// Adds lowered rows `col` (as [`Window::lower`] lays them out) back onto channel-last
    /// images `x`: the adjoint of `lower`.
    pub(crate) fn raise<T: Element>(&self, col: &[T], x: &mut [T], image_len: usize) {
        let (run, patch) = (self.run(), self.patch());
        let mut rows = col.chunks_exact(patch);
        for image in x.chunks_exact_mut(image_len) {
            for (&origin, row) in self.origins.iter().zip(&mut rows) {
                for (j, src) in row.chunks_exact(run).enumerate() {
                    let dst = origin + j * self.image_row;
                    add_run(&mut image[dst..dst + run], src);
                }
            }
        }
    }
}

/// The windows of a convolution geometry: every output position belongs to exactly one.
pub(crate) fn windows(g: &ConvGeom) -> Vec<Window> {
    let rows = bands(&spans(g, g.oh, g.kh, g.h));
    let cols = bands(&spans(g, g.ow, g.kw, g.w));
    let mut out = Vec::with_capacity(rows.len() * cols.len());
    for (ky, row_members) in &rows {
        for (kx, col_members) in &cols {
            let mut positions = Vec::new();
            let mut origins = Vec::new();
            for &(oy, iy) in row_members {
                for &(ox, ix) in col_members {
                    positions.push(oy * g.ow + ox);
                    origins.push((iy * g.w + ix) * g.c);
                }
            }
            out.push(Window {
                ky: ky.clone(),
                kx: kx.clone(),
                positions,
                origins,
                image_row: g.w * g.c,
                channels: g.c,
                kw: g.kw,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window of output position `(oy, ox)` by the definition: the input value under
    /// every tap of the kernel, in `(ky, kx, c)` order, and whether it lies inside the input.
    fn taps(x: &[f64], g: &ConvGeom, oy: usize, ox: usize) -> Vec<Option<f64>> {
        let mut out = Vec::new();
        for ky in 0..g.kh {
            for kx in 0..g.kw {
                for c in 0..g.c {
                    let iy = (oy * g.stride + ky) as isize - g.pad as isize;
                    let ix = (ox * g.stride + kx) as isize - g.pad as isize;
                    let inside = (0..g.h as isize).contains(&iy) && (0..g.w as isize).contains(&ix);
                    // Channel-last image of one sample.
                    out.push(inside.then(|| x[(iy as usize * g.w + ix as usize) * g.c + c]));
                }
            }
        }
        out
    }

    #[test]
    fn windows_cover_every_position_once_and_lower_exactly_the_taps_inside() {
        let shapes = [
            ConvGeom::new(1, 2, 28, 28, 1, (5, 5), 2, 2),
            ConvGeom::new(1, 3, 7, 7, 1, (5, 5), 2, 2),
            ConvGeom::new(1, 2, 8, 5, 1, (5, 3), 2, 2),
            ConvGeom::new(1, 2, 3, 3, 1, (5, 5), 1, 3),
            ConvGeom::new(1, 1, 9, 10, 1, (3, 12), 1, 1),
        ];
        for g in shapes {
            let image_len = g.c * g.h * g.w;
            let x: Vec<f64> = (0..image_len).map(|i| i as f64 + 1.0).collect();
            let mut seen = vec![0; g.positions()];
            for win in windows(&g) {
                let col = win.lower(&x, image_len);
                for (q, &p) in win.positions.iter().enumerate() {
                    seen[p] += 1;
                    let all = taps(&x, &g, p / g.ow, p % g.ow);
                    let inside: Vec<f64> = all.iter().flatten().copied().collect();
                    let row = &col[q * win.patch()..(q + 1) * win.patch()];
                    assert_eq!(row, &inside[..], "{g:?} position {p}");
                }
            }
            assert!(seen.iter().all(|&s| s == 1), "{g:?}: {seen:?}");
        }
    }

    #[test]
    fn raise_is_the_adjoint_of_lower() {
        let g = ConvGeom::new(3, 2, 8, 5, 1, (5, 3), 2, 2);
        let image_len = g.c * g.h * g.w;
        let x: Vec<f64> = (0..g.n * image_len)
            .map(|i| (i as f64 * 0.3).sin())
            .collect();
        for win in windows(&g) {
            let col = win.lower(&x, image_len);
            let dcol: Vec<f64> = (0..col.len()).map(|i| (i as f64 * 0.7).cos()).collect();
            let mut dx = vec![0.0; x.len()];
            win.raise(&dcol, &mut dx, image_len);
            let lhs: f64 = col.iter().zip(&dcol).map(|(a, b)| a * b).sum();
            let rhs: f64 = x.iter().zip(&dx).map(|(a, b)| a * b).sum();
            assert!((lhs - rhs).abs() < 1e-10, "{:?}×{:?}", win.ky, win.kx);
        }
    }
}
