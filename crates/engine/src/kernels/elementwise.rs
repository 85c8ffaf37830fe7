//! Element-wise maps over slices, split across threads only when the slice is large enough
//! to pay for it.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::buffer::filled_vec;
use super::threads::chunk_len;

/// Below this many elements a map runs on the calling thread. Element-wise maps are bound by
/// memory bandwidth: on the reference model's largest activation (627k elements) a second
/// thread made them no faster, or up to 15% slower (`examples/kernels.rs`).
pub(crate) const PARALLEL_MIN: usize = 1 << 21;

/// `out[i] = f(a[i])`.
pub fn map<T: Copy + Send + Sync, U: Copy + Send + Sync>(
    a: &[T],
    f: impl Fn(T) -> U + Sync,
) -> Vec<U> {
    let run = |o: &mut [MaybeUninit<U>], a: &[T]| {
        o.iter_mut().zip(a).for_each(|(o, &x)| {
            o.write(f(x));
        });
    };
    let fill = |out: &mut [MaybeUninit<U>]| {
        if a.len() < PARALLEL_MIN {
            return run(out, a);
        }
        let chunk = chunk_len(a.len(), PARALLEL_MIN);
        out.par_chunks_mut(chunk)
            .zip(a.par_chunks(chunk))
            .for_each(|(o, a)| run(o, a));
    };
    // SAFETY: every output element is written once, from the input element at its index.
    unsafe { filled_vec(a.len(), fill) }
}

/// `out[i] = f(a[i], b[i])` for equal-length slices.
pub fn zip_map<T: Copy + Send + Sync, U: Copy + Send + Sync>(
    a: &[T],
    b: &[T],
    f: impl Fn(T, T) -> U + Sync,
) -> Vec<U> {
    assert_eq!(a.len(), b.len());
    let run = |o: &mut [MaybeUninit<U>], a: &[T], b: &[T]| {
        for ((o, &x), &y) in o.iter_mut().zip(a).zip(b) {
            o.write(f(x, y));
        }
    };
    let fill = |out: &mut [MaybeUninit<U>]| {
        if a.len() < PARALLEL_MIN {
            return run(out, a, b);
        }
        let chunk = chunk_len(a.len(), PARALLEL_MIN);
        out.par_chunks_mut(chunk)
            .zip(a.par_chunks(chunk).zip(b.par_chunks(chunk)))
            .for_each(|(o, (a, b))| run(o, a, b));
    };
    // SAFETY: every output element is written once, from the input elements at its index.
    unsafe { filled_vec(a.len(), fill) }
}
