//! Layout changes around the convolution kernels: channel-first images to channel-last and
//! back, and convolution weights between `[o, c, kh, kw]` and the tap-major `[o, (ky, kx, c)]`
//! that channel-last windows multiply.

use std::mem::MaybeUninit;

use super::buffer::filled_vec;
use crate::element::Element;

/// `dst [cols, rows] = srcᵀ` for a row-major `src [rows, cols]`, in square tiles so that
/// reads and writes both stay in cache.
pub(crate) fn transpose_into<T: Copy>(
    dst: &mut [MaybeUninit<T>],
    src: &[T],
    rows: usize,
    cols: usize,
) {
    const TILE: usize = 8;
    assert!(
        src.len() >= rows * cols && dst.len() >= rows * cols,
        "transpose of {rows}x{cols} out of bounds"
    );
    let (src, dst) = (src.as_ptr(), dst.as_mut_ptr().cast::<T>());
    for r0 in (0..rows).step_by(TILE) {
        let r1 = (r0 + TILE).min(rows);
        for c0 in (0..cols).step_by(TILE) {
            for c in c0..(c0 + TILE).min(cols) {
                for r in r0..r1 {
                    // SAFETY: `r < rows` and `c < cols`, so both indices are below
                    // `rows·cols`, which both slices hold (asserted above).
                    unsafe { dst.add(c * rows + r).write(*src.add(r * cols + c)) };
                }
            }
        }
    }
}

/// Each `[a, b]` block of `x` transposed to `[b, a]`, the blocks kept in order.
fn transpose_blocks<T: Element>(x: &[T], a: usize, b: usize) -> Vec<T> {
    let fill = |out: &mut [MaybeUninit<T>]| {
        for (dst, src) in out.chunks_mut(a * b).zip(x.chunks(a * b)) {
            transpose_into(dst, src, a, b);
        }
    };
    // SAFETY: `transpose_into` writes each whole block, and the blocks cover `x`.
    unsafe { filled_vec(x.len(), fill) }
}

/// Images `[n, c, hw]` as channel-last `[n, hw, c]`.
pub(crate) fn channels_last<T: Element>(x: &[T], c: usize, hw: usize) -> Vec<T> {
    transpose_blocks(x, c, hw)
}

/// Channel-last images `[n, hw, c]` written into `dst` as `[n, c, hw]`.
pub(crate) fn channels_first_into<T: Element>(dst: &mut [T], x: &[T], c: usize, hw: usize) {
    for (dst, src) in dst.chunks_mut(c * hw).zip(x.chunks(c * hw)) {
        // SAFETY: `T: Copy`, so viewing initialised elements as `MaybeUninit` and overwriting
        // them is sound.
        let dst = unsafe { &mut *(dst as *mut [T] as *mut [MaybeUninit<T>]) };
        transpose_into(dst, src, hw, c);
    }
}

/// A weight `[o, c, taps]` as tap-major `[o, (taps, c)]`.
pub(crate) fn tap_major<T: Element>(w: &[T], c: usize, taps: usize) -> Vec<T> {
    transpose_blocks(w, c, taps)
}

/// A tap-major weight `[o, (taps, c)]` back as `[o, c, taps]`.
pub(crate) fn channel_major<T: Element>(w: &[T], c: usize, taps: usize) -> Vec<T> {
    transpose_blocks(w, taps, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_round_trip_and_place_each_element() {
        let (o, c, taps) = (3, 5, 4);
        let w: Vec<f64> = (0..o * c * taps).map(|i| i as f64).collect();
        let tm = tap_major(&w, c, taps);
        for oc in 0..o {
            for ch in 0..c {
                for t in 0..taps {
                    let v = w[(oc * c + ch) * taps + t];
                    assert_eq!(tm[(oc * taps + t) * c + ch], v);
                }
            }
        }
        assert_eq!(channel_major(&tm, c, taps), w);

        let (n, hw) = (2, 7);
        let x: Vec<f64> = (0..n * c * hw).map(|i| i as f64).collect();
        let cl = channels_last(&x, c, hw);
        assert_eq!(cl[(hw + 3) * c + 2], x[(c + 2) * hw + 3]);
        let mut back = vec![0.0; x.len()];
        channels_first_into(&mut back, &cl, c, hw);
        assert_eq!(back, x);
    }
}
