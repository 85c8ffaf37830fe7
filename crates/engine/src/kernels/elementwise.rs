//! Element-wise maps over slices, split across threads when the slice is large enough to pay
//! for it.

use rayon::prelude::*;

use super::threads::chunk_len;

/// Below this many elements a map runs on the calling thread.
const PARALLEL_MIN: usize = 1 << 15;

/// `out[i] = f(a[i])`.
pub fn map<T: Copy + Send + Sync, U: Copy + Send + Sync + Default>(
    a: &[T],
    f: impl Fn(T) -> U + Sync,
) -> Vec<U> {
    let mut out = vec![U::default(); a.len()];
    if a.len() < PARALLEL_MIN {
        out.iter_mut().zip(a).for_each(|(o, &x)| *o = f(x));
        return out;
    }
    let chunk = chunk_len(a.len(), PARALLEL_MIN);
    out.par_chunks_mut(chunk)
        .zip(a.par_chunks(chunk))
        .for_each(|(o, a)| {
            o.iter_mut().zip(a).for_each(|(o, &x)| *o = f(x));
        });
    out
}

/// `out[i] = f(a[i], b[i])` for equal-length slices.
pub fn zip_map<T: Copy + Send + Sync, U: Copy + Send + Sync + Default>(
    a: &[T],
    b: &[T],
    f: impl Fn(T, T) -> U + Sync,
) -> Vec<U> {
    assert_eq!(a.len(), b.len());
    let mut out = vec![U::default(); a.len()];
    if a.len() < PARALLEL_MIN {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = f(x, y);
        }
        return out;
    }
    let chunk = chunk_len(a.len(), PARALLEL_MIN);
    out.par_chunks_mut(chunk)
        .zip(a.par_chunks(chunk).zip(b.par_chunks(chunk)))
        .for_each(|(o, (a, b))| {
            for ((o, &x), &y) in o.iter_mut().zip(a).zip(b) {
                *o = f(x, y);
            }
        });
    out
}
