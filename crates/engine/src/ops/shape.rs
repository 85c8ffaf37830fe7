//! Shape changes: reshape, slicing along an axis, zero padding (its adjoint), concatenation
//! and the 2-d transpose.

use crate::element::Element;
use crate::tensor::{numel, Tensor};

impl<T: Element> Tensor<T> {
    /// The same elements under a new shape of equal size; shares storage.
    pub fn reshape(&self, shape: &[usize]) -> Tensor<T> {
        assert_eq!(
            numel(shape),
            self.numel(),
            "cannot reshape {:?} to {:?}",
            self.shape(),
            shape
        );
        if self.shape() == shape {
            return self.clone();
        }
        let in_shape = self.shape().to_vec();
        Tensor::from_op_shared(
            self.storage().clone(),
            shape.to_vec(),
            "reshape",
            vec![self.clone()],
            move |_, g, _| vec![Some(g.reshape(&in_shape))],
        )
    }

    /// Collapses all axes from `axis` on into one: `[n, c, h, w]`.flatten(1) is `[n, c·h·w]`.
    pub fn flatten(&self, axis: usize) -> Tensor<T> {
        let mut shape = self.shape()[..axis].to_vec();
        shape.push(self.shape()[axis..].iter().product());
        self.reshape(&shape)
    }

    /// `len` entries along `axis` starting at `start`.
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Tensor<T> {
        let d = self.dim(axis);
        assert!(
            start + len <= d,
            "narrow {start}..{} out of axis {axis} of size {d}",
            start + len
        );
        let (outer, inner) = split(self.shape(), axis);
        let mut data = Vec::with_capacity(outer * len * inner);
        for o in 0..outer {
            let base = (o * d + start) * inner;
            data.extend_from_slice(&self.data()[base..base + len * inner]);
        }
        let mut shape = self.shape().to_vec();
        shape[axis] = len;
        Tensor::from_op(data, shape, "narrow", vec![self.clone()], move |_, g, _| {
            vec![Some(g.pad_axis(axis, start, d - start - len))]
        })
    }

    /// Adds `before` and `after` zeros along `axis`: the adjoint of [`Tensor::narrow`].
    pub fn pad_axis(&self, axis: usize, before: usize, after: usize) -> Tensor<T> {
        let d = self.dim(axis);
        let total = before + d + after;
        let (outer, inner) = split(self.shape(), axis);
        let mut data = vec![T::zero(); outer * total * inner];
        for o in 0..outer {
            let dst = (o * total + before) * inner;
            data[dst..dst + d * inner]
                .copy_from_slice(&self.data()[o * d * inner..(o + 1) * d * inner]);
        }
        let mut shape = self.shape().to_vec();
        shape[axis] = total;
        Tensor::from_op(data, shape, "pad", vec![self.clone()], move |_, g, _| {
            vec![Some(g.narrow(axis, before, d))]
        })
    }

    /// Joins tensors along `axis`; all other axes must agree.
    pub fn cat(parts: &[Tensor<T>], axis: usize) -> Tensor<T> {
        assert!(!parts.is_empty(), "cat of no tensors");
        let first = parts[0].shape();
        for p in parts {
            assert!(
                p.ndim() == first.len()
                    && (0..first.len()).all(|i| i == axis || p.dim(i) == first[i]),
                "cat along axis {axis}: shapes {:?} and {:?} differ elsewhere",
                first,
                p.shape()
            );
        }
        let (outer, inner) = split(first, axis);
        let sizes: Vec<usize> = parts.iter().map(|p| p.dim(axis)).collect();
        let total: usize = sizes.iter().sum();
        let mut data = Vec::with_capacity(outer * total * inner);
        for o in 0..outer {
            for (p, &d) in parts.iter().zip(&sizes) {
                data.extend_from_slice(&p.data()[o * d * inner..(o + 1) * d * inner]);
            }
        }
        let mut shape = first.to_vec();
        shape[axis] = total;
        Tensor::from_op(data, shape, "cat", parts.to_vec(), move |_, g, wants| {
            let mut start = 0;
            let mut grads = Vec::new();
            for (&d, &want) in sizes.iter().zip(wants) {
                grads.push(want.then(|| g.narrow(axis, start, d)));
                start += d;
            }
            grads
        })
    }

    /// Transpose of a 2-d tensor.
    pub fn t(&self) -> Tensor<T> {
        assert_eq!(
            self.ndim(),
            2,
            "t() needs a 2-d tensor, got {:?}",
            self.shape()
        );
        let (r, c) = (self.dim(0), self.dim(1));
        let mut data = vec![T::zero(); r * c];
        for i in 0..r {
            for j in 0..c {
                data[j * r + i] = self.data()[i * c + j];
            }
        }
        Tensor::from_op(data, vec![c, r], "t", vec![self.clone()], |_, g, _| {
            vec![Some(g.t())]
        })
    }
}

/// (product of axes before `axis`, product of axes after it).
fn split(shape: &[usize], axis: usize) -> (usize, usize) {
    (
        shape[..axis].iter().product(),
        shape[axis + 1..].iter().product(),
    )
}
