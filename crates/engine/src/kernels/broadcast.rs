//! Broadcasting (numpy rules) for binary element-wise ops, and sums over chosen axes.
//!
//! Both walk the output (or input) row by row after merging adjacent dimensions that are
//! laid out contiguously in every operand, so a bias add over `[N, C, H, W]` runs as
//! `[N, C, H·W]` with a long inner loop.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::buffer::filled_vec;
use super::elementwise::PARALLEL_MIN;
use super::elementwise::{map, zip_map};
use super::threads::chunk_len;

/// The shape two operands broadcast to, or `None` if they are incompatible.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for (i, o) in out.iter_mut().enumerate() {
        let da = dim_from_right(a, rank - 1 - i);
        let db = dim_from_right(b, rank - 1 - i);
        *o = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

fn dim_from_right(shape: &[usize], k: usize) -> usize {
    if k < shape.len() {
        shape[shape.len() - 1 - k]
    } else {
        1
    }
}

/// Strides of `shape` seen through `out_shape` (right-aligned), with 0 on broadcast axes.
fn broadcast_strides(shape: &[usize], out_shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; out_shape.len()];
    let mut step = 1;
    for k in 0..shape.len() {
        let axis = out_shape.len() - 1 - k;
        let d = shape[shape.len() - 1 - k];
        strides[axis] = if d == 1 { 0 } else { step };
        step *= d;
    }
    strides
}

/// Merges adjacent axes that are contiguous in every stride set; drops size-1 axes.
fn coalesce(shape: &[usize], strides: &mut [Vec<usize>]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut dims: Vec<usize> = Vec::new();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); strides.len()];
    for axis in 0..shape.len() {
        if shape[axis] == 1 {
            continue;
        }
        let mergeable = !dims.is_empty()
            && strides.iter().zip(&out).all(|(s, o)| {
                let last = *o.last().expect("same length as dims");
                last == s[axis] * shape[axis]
            });
        if mergeable {
            *dims.last_mut().expect("non-empty") *= shape[axis];
            for (o, s) in out.iter_mut().zip(strides.iter()) {
                *o.last_mut().expect("non-empty") = s[axis];
            }
        } else {
            dims.push(shape[axis]);
            for (o, s) in out.iter_mut().zip(strides.iter()) {
                o.push(s[axis]);
            }
        }
    }
    if dims.is_empty() {
        dims.push(1);
        out.iter_mut().for_each(|o| o.push(0));
    }
    (dims, out)
}

/// Offset of row `row` (an index over all axes but the last) for each stride set.
fn row_offsets<const K: usize>(row: usize, dims: &[usize], strides: &[Vec<usize>]) -> [usize; K] {
    let mut offsets = [0; K];
    let mut rest = row;
    for axis in (0..dims.len() - 1).rev() {
        let i = rest % dims[axis];
        rest /= dims[axis];
        for (o, s) in offsets.iter_mut().zip(strides) {
            *o += i * s[axis];
        }
    }
    offsets
}

/// `f` applied element-wise to `a` and `b` broadcast together. Panics on incompatible shapes.
pub fn binary<T: Copy + Send + Sync + Default>(
    a: &[T],
    a_shape: &[usize],
    b: &[T],
    b_shape: &[usize],
    f: impl Fn(T, T) -> T + Sync,
) -> (Vec<T>, Vec<usize>) {
    let out_shape = broadcast_shape(a_shape, b_shape)
        .unwrap_or_else(|| panic!("shapes {a_shape:?} and {b_shape:?} do not broadcast together"));
    if a_shape == b_shape {
        return (zip_map(a, b, f), out_shape);
    }
    if b.len() == 1 && a.len() == out_shape.iter().product::<usize>() {
        let y = b[0];
        return (map(a, |x| f(x, y)), out_shape);
    }
    if a.len() == 1 && b.len() == out_shape.iter().product::<usize>() {
        let x = a[0];
        return (map(b, |y| f(x, y)), out_shape);
    }
    let mut strides = [
        broadcast_strides(a_shape, &out_shape),
        broadcast_strides(b_shape, &out_shape),
    ];
    let (dims, strides) = coalesce(&out_shape, &mut strides);
    let inner = *dims.last().expect("at least one axis");
    let (sa, sb) = (strides[0][dims.len() - 1], strides[1][dims.len() - 1]);
    let total: usize = out_shape.iter().product();
    let rows_per_chunk = chunk_len(total / inner, PARALLEL_MIN / inner + 1);
    let fill = |out: &mut [MaybeUninit<T>]| {
        out.par_chunks_mut(rows_per_chunk * inner)
            .enumerate()
            .for_each(|(c, chunk)| {
                for (r, row) in chunk.chunks_mut(inner).enumerate() {
                    let [oa, ob] = row_offsets::<2>(c * rows_per_chunk + r, &dims, &strides);
                    for (j, o) in row.iter_mut().enumerate() {
                        o.write(f(a[oa + j * sa], b[ob + j * sb]));
                    }
                }
            });
    };
    // SAFETY: the chunks of whole rows cover the output, and each row's every element is
    // written.
    (unsafe { filled_vec(total, fill) }, out_shape)
}

/// Repeats `x` along its size-1 (or missing leading) axes to fill `target`.
pub fn expand<T: Copy + Send + Sync + Default>(
    x: &[T],
    shape: &[usize],
    target: &[usize],
) -> Vec<T> {
    assert!(
        broadcast_shape(shape, target).as_deref() == Some(target),
        "cannot broadcast shape {shape:?} to {target:?}"
    );
    let mut strides = [broadcast_strides(shape, target)];
    let (dims, strides) = coalesce(target, &mut strides);
    let inner = *dims.last().expect("at least one axis");
    let sx = strides[0][dims.len() - 1];
    let total: usize = target.iter().product();
    let mut out = vec![T::default(); total];
    for (row, chunk) in out.chunks_mut(inner).enumerate() {
        let [ox] = row_offsets::<1>(row, &dims, &strides);
        for (j, o) in chunk.iter_mut().enumerate() {
            *o = x[ox + j * sx];
        }
    }
    out
}

/// Sums `x` (of shape `shape`) over `axes`, keeping them as size-1 dimensions.
pub fn sum_axes<T: Copy + Default + std::ops::AddAssign>(
    x: &[T],
    shape: &[usize],
    axes: &[usize],
) -> (Vec<T>, Vec<usize>) {
    let mut out_shape = shape.to_vec();
    for &a in axes {
        assert!(a < shape.len(), "axis {a} out of range for shape {shape:?}");
        out_shape[a] = 1;
    }
    let mut out = vec![T::default(); out_shape.iter().product()];
    let mut strides = [
        broadcast_strides(shape, shape),
        broadcast_strides(&out_shape, shape),
    ];
    let (dims, strides) = coalesce(shape, &mut strides);
    let inner = *dims.last().expect("at least one axis");
    let (sx, so) = (strides[0][dims.len() - 1], strides[1][dims.len() - 1]);
    for row in 0..x.len() / inner {
        let [ox, oo] = row_offsets::<2>(row, &dims, &strides);
        if so == 0 {
            let mut acc = T::default();
            for j in 0..inner {
                acc += x[ox + j * sx];
            }
            out[oo] += acc;
        } else {
            for j in 0..inner {
                out[oo + j * so] += x[ox + j * sx];
            }
        }
    }
    (out, out_shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_shapes_follow_numpy_rules() {
        assert_eq!(broadcast_shape(&[2, 1, 3], &[4, 1]), Some(vec![2, 4, 3]));
        assert_eq!(broadcast_shape(&[3], &[]), Some(vec![3]));
        assert_eq!(broadcast_shape(&[2, 3], &[4]), None);
    }

    #[test]
    fn bias_add_over_channels() {
        let x: Vec<f64> = (0..2 * 3 * 2).map(|v| v as f64).collect();
        let b = vec![100.0, 200.0, 300.0];
        let (y, shape) = binary(&x, &[2, 3, 2], &b, &[1, 3, 1], |p, q| p + q);
        assert_eq!(shape, vec![2, 3, 2]);
        assert_eq!(y[0..6], [100.0, 101.0, 202.0, 203.0, 304.0, 305.0]);
        assert_eq!(y[6..8], [106.0, 107.0]);
    }

    #[test]
    fn outer_product_by_broadcasting() {
        let (y, shape) = binary(&[1.0, 2.0], &[2, 1], &[10.0, 20.0, 30.0], &[3], |p, q| {
            p * q
        });
        assert_eq!(shape, vec![2, 3]);
        assert_eq!(y, vec![10.0, 20.0, 30.0, 20.0, 40.0, 60.0]);
    }

    #[test]
    fn sums_over_chosen_axes() {
        let x: Vec<f64> = (0..24).map(|v| v as f64).collect();
        let (s, shape) = sum_axes(&x, &[2, 3, 4], &[0, 2]);
        assert_eq!(shape, vec![1, 3, 1]);
        // axis 1 index j: sum over i, k of 12i + 4j + k = 2*(4*4j + 6) + 4*12
        let expect: Vec<f64> = (0..3).map(|j| (2 * (16 * j + 6) + 48) as f64).collect();
        assert_eq!(s, expect);
        let (all, _) = sum_axes(&x, &[2, 3, 4], &[0, 1, 2]);
        assert_eq!(all, vec![276.0]);
    }
}
