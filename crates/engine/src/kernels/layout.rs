//! Layout changes around the convolution kernels: channel-first images to channel-last and
//! back, and convolution weights between `[o, c, kh, kw]` and the tap-major `[o, (ky, kx, c)]`
//! that channel-last windows multiply.

use std::mem::MaybeUninit;

use super::buffer::filled_vec;
use crate::element::Element;

/// Side of the square tiles a transpose moves at a time.
const TILE: usize = 8;

/// `dst [cols, rows] = srcᵀ` for a row-major `src [rows, cols]`, in square tiles so that
/// reads and writes both stay in cache. f32 tiles move as eight AVX vectors where the CPU
/// has AVX; a matrix of one row or one column is its own transpose and is copied.
pub(crate) fn transpose_into<T: Copy + 'static>(
    dst: &mut [MaybeUninit<T>],
    src: &[T],
    rows: usize,
    cols: usize,
) {
    assert!(
        src.len() >= rows * cols && dst.len() >= rows * cols,
        "transpose of {rows}x{cols} out of bounds"
    );
    if rows == 1 || cols == 1 {
        for (d, &s) in dst.iter_mut().zip(&src[..rows * cols]) {
            d.write(s);
        }
        return;
    }
    let (src, dst) = (src.as_ptr(), dst.as_mut_ptr().cast::<T>());
    let tile = tile_mover::<T>();
    for r0 in (0..rows).step_by(TILE) {
        let r1 = (r0 + TILE).min(rows);
        for c0 in (0..cols).step_by(TILE) {
            let c1 = (c0 + TILE).min(cols);
            match tile {
                Some(mover) if r1 - r0 == TILE && c1 - c0 == TILE => {
                    // SAFETY: the whole tile lies inside both matrices (its far corner is
                    // `(r1 - 1, c1 - 1)`), `T` is f32 (`tile_mover` checked) and the CPU has
                    // AVX (checked there too).
                    unsafe {
                        mover(
                            src.add(r0 * cols + c0).cast(),
                            cols,
                            dst.add(c0 * rows + r0).cast(),
                            rows,
                        )
                    }
                }
                _ => {
                    for c in c0..c1 {
                        for r in r0..r1 {
                            // SAFETY: `r < rows` and `c < cols`, so both indices are below
                            // `rows·cols`, which both slices hold (asserted above).
                            unsafe { dst.add(c * rows + r).write(*src.add(r * cols + c)) };
                        }
                    }
                }
            }
        }
    }
}

/// A full-tile transpose: reads 8 rows of 8 at `src` (rows `src_stride` apart), writes them
/// as 8 columns at `dst` (rows `dst_stride` apart).
type TileMover = unsafe fn(*const f32, usize, *mut f32, usize);

/// The vector tile transpose, when `T` is f32 and the CPU can run it.
fn tile_mover<T: 'static>() -> Option<TileMover> {
    if std::any::TypeId::of::<T>() != std::any::TypeId::of::<f32>() {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx") {
        return Some(transpose_tile_avx);
    }
    None
}

/// An 8×8 f32 transpose in registers: pairs of rows interleaved, then pairs of pairs, then
/// the 128-bit halves exchanged.
///
/// # Safety
/// The CPU must support AVX; `src` must hold 8 rows of 8 readable values `src_stride` apart
/// and `dst` 8 rows of 8 writable values `dst_stride` apart.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn transpose_tile_avx(src: *const f32, src_stride: usize, dst: *mut f32, dst_stride: usize) {
    use std::arch::x86_64::*;
    let row = |i: usize| _mm256_loadu_ps(src.add(i * src_stride));
    let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3));
    let (r4, r5, r6, r7) = (row(4), row(5), row(6), row(7));
    // Elements (i, j) of rows a, b interleaved: a0 b0 a1 b1 | a4 b4 a5 b5 and the high pair.
    let (t0, t1) = (_mm256_unpacklo_ps(r0, r1), _mm256_unpackhi_ps(r0, r1));
    let (t2, t3) = (_mm256_unpacklo_ps(r2, r3), _mm256_unpackhi_ps(r2, r3));
    let (t4, t5) = (_mm256_unpacklo_ps(r4, r5), _mm256_unpackhi_ps(r4, r5));
    let (t6, t7) = (_mm256_unpacklo_ps(r6, r7), _mm256_unpackhi_ps(r6, r7));
    // Four rows' element j in each 128-bit half: columns (j, j + 4).
    const LOW_PAIRS: i32 = 0b01_00_01_00;
    const HIGH_PAIRS: i32 = 0b11_10_11_10;
    let u0 = _mm256_shuffle_ps::<LOW_PAIRS>(t0, t2);
    let u1 = _mm256_shuffle_ps::<HIGH_PAIRS>(t0, t2);
    let u2 = _mm256_shuffle_ps::<LOW_PAIRS>(t1, t3);
    let u3 = _mm256_shuffle_ps::<HIGH_PAIRS>(t1, t3);
    let u4 = _mm256_shuffle_ps::<LOW_PAIRS>(t4, t6);
    let u5 = _mm256_shuffle_ps::<HIGH_PAIRS>(t4, t6);
    let u6 = _mm256_shuffle_ps::<LOW_PAIRS>(t5, t7);
    let u7 = _mm256_shuffle_ps::<HIGH_PAIRS>(t5, t7);
    // Low halves of rows 0-3 and 4-7 make columns 0-3, high halves columns 4-7.
    const LOW_HALVES: i32 = 0x20;
    const HIGH_HALVES: i32 = 0x31;
    let out = |i: usize, v: __m256| _mm256_storeu_ps(dst.add(i * dst_stride), v);
    out(0, _mm256_permute2f128_ps::<LOW_HALVES>(u0, u4));
    out(1, _mm256_permute2f128_ps::<LOW_HALVES>(u1, u5));
    out(2, _mm256_permute2f128_ps::<LOW_HALVES>(u2, u6));
    out(3, _mm256_permute2f128_ps::<LOW_HALVES>(u3, u7));
    out(4, _mm256_permute2f128_ps::<HIGH_HALVES>(u0, u4));
    out(5, _mm256_permute2f128_ps::<HIGH_HALVES>(u1, u5));
    out(6, _mm256_permute2f128_ps::<HIGH_HALVES>(u2, u6));
    out(7, _mm256_permute2f128_ps::<HIGH_HALVES>(u3, u7));
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
    fn transposes_of_every_shape_place_each_element() {
        // Full tiles, ragged edges, single rows and columns, in f32 (vector tiles) and f64.
        for (rows, cols) in [
            (8, 8),
            (16, 24),
            (13, 21),
            (1, 9),
            (9, 1),
            (3, 64),
            (25, 64),
        ] {
            let src: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
            let t = transpose_blocks(&src, rows, cols);
            let wide: Vec<f64> = src.iter().map(|&v| v as f64).collect();
            let t64 = transpose_blocks(&wide, rows, cols);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(t[c * rows + r], src[r * cols + c], "{rows}x{cols}");
                    assert_eq!(t64[c * rows + r], wide[r * cols + c], "{rows}x{cols}");
                }
            }
        }
    }

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
