//! Output buffers that a kernel overwrites completely, allocated without being zeroed first.

use std::mem::MaybeUninit;

/// A vector of `len` elements, each written by `fill` into the uninitialised storage.
///
/// # Safety
/// `fill` must write every element of the slice it is given (or panic).
pub(crate) unsafe fn filled_vec<T>(len: usize, fill: impl FnOnce(&mut [MaybeUninit<T>])) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    fill(&mut v.spare_capacity_mut()[..len]);
    // SAFETY: the caller guarantees that `fill` initialised all `len` elements; if it panicked
    // instead, this line is not reached and the empty vector frees its storage.
    unsafe { v.set_len(len) };
    v
}

/// Copies `src` into `dst` (same length). Runs of up to 8, a kernel row's worth, are unrolled
/// at compile time rather than sent through a `memcpy` call that costs more than the copy.
#[inline(always)]
pub(crate) fn copy_run<T: Copy>(dst: &mut [MaybeUninit<T>], src: &[T]) {
    match src.len() {
        0 => {}
        1 => copy_fixed::<T, 1>(dst, src),
        2 => copy_fixed::<T, 2>(dst, src),
        3 => copy_fixed::<T, 3>(dst, src),
        4 => copy_fixed::<T, 4>(dst, src),
        5 => copy_fixed::<T, 5>(dst, src),
        6 => copy_fixed::<T, 6>(dst, src),
        7 => copy_fixed::<T, 7>(dst, src),
        8 => copy_fixed::<T, 8>(dst, src),
        _ => {
            assert_eq!(dst.len(), src.len(), "run lengths agree");
            // SAFETY: both slices hold `src.len()` elements and cannot overlap, `dst` being
            // borrowed mutably; `MaybeUninit<T>` has the layout of `T`.
            unsafe {
                std::ptr::copy_nonoverlapping(src.as_ptr(), dst.as_mut_ptr().cast(), src.len())
            }
        }
    }
}

#[inline(always)]
fn copy_fixed<T: Copy, const N: usize>(dst: &mut [MaybeUninit<T>], src: &[T]) {
    let dst: &mut [MaybeUninit<T>; N] = dst.try_into().expect("run lengths agree");
    let src: &[T; N] = src.try_into().expect("run lengths agree");
    for (d, &s) in dst.iter_mut().zip(src) {
        d.write(s);
    }
}

/// Adds `src` onto `dst` (same length), unrolled like [`copy_run`].
#[inline(always)]
pub(crate) fn add_run<T: Copy + std::ops::AddAssign>(dst: &mut [T], src: &[T]) {
    match src.len() {
        0 => {}
        1 => add_fixed::<T, 1>(dst, src),
        2 => add_fixed::<T, 2>(dst, src),
        3 => add_fixed::<T, 3>(dst, src),
        4 => add_fixed::<T, 4>(dst, src),
        5 => add_fixed::<T, 5>(dst, src),
        6 => add_fixed::<T, 6>(dst, src),
        7 => add_fixed::<T, 7>(dst, src),
        8 => add_fixed::<T, 8>(dst, src),
        _ => {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d += s;
            }
        }
    }
}

#[inline(always)]
fn add_fixed<T: Copy + std::ops::AddAssign, const N: usize>(dst: &mut [T], src: &[T]) {
    let dst: &mut [T; N] = dst.try_into().expect("run lengths agree");
    let src: &[T; N] = src.try_into().expect("run lengths agree");
    for (d, &s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_every_length_copy_and_add() {
        for len in 0..12 {
            let src: Vec<f32> = (0..len).map(|i| i as f32 + 0.5).collect();
            // SAFETY: `copy_run` writes all `len` elements.
            let copy = unsafe { filled_vec(len, |d| copy_run(d, &src)) };
            assert_eq!(copy, src);
            let mut sum = vec![1.0f32; len];
            add_run(&mut sum, &src);
            assert!(sum.iter().zip(&src).all(|(s, v)| *s == v + 1.0));
        }
    }
}
