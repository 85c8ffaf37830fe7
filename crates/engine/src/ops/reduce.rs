//! Sums and means over all or chosen axes, and broadcasting to a larger shape: the two are
//! each other's adjoint, so each one's backward rule is the other.

use crate::element::Element;
use crate::kernels::broadcast;
use crate::tensor::Tensor;

impl<T: Element> Tensor<T> {
    /// Sum over `axes`; `keepdim` keeps them as size-1 dimensions.
    pub fn sum_axes(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        let (data, kept_shape) = broadcast::sum_axes(self.data(), self.shape(), axes);
        let in_shape = self.shape().to_vec();
        let kept = kept_shape.clone();
        let out_shape = if keepdim {
            kept_shape
        } else {
            let mut s = Vec::new();
            for (i, &d) in self.shape().iter().enumerate() {
                if !axes.contains(&i) {
                    s.push(d);
                }
            }
            s
        };
        Tensor::from_op(
            data,
            out_shape,
            "sum",
            vec![self.clone()],
            move |_, g, _| vec![Some(g.reshape(&kept).broadcast_to(&in_shape))],
        )
    }

    /// Sum of all elements, as a 0-d tensor.
    pub fn sum(&self) -> Tensor<T> {
        let axes: Vec<usize> = (0..self.ndim()).collect();
        self.sum_axes(&axes, false)
    }

    /// Mean of all elements, as a 0-d tensor.
    pub fn mean(&self) -> Tensor<T> {
        self.sum()
            .mul_scalar(T::one() / T::from_usize(self.numel()).expect("count fits"))
    }

    /// Mean over `axes`.
    pub fn mean_axes(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        let count: usize = axes.iter().map(|&a| self.dim(a)).product();
        let scale = T::one() / T::from_usize(count).expect("count fits");
        self.sum_axes(axes, keepdim).mul_scalar(scale)
    }

    /// Repeats along size-1 (or missing leading) axes to reach `shape`.
    pub fn broadcast_to(&self, shape: &[usize]) -> Tensor<T> {
        if self.shape() == shape {
            return self.clone();
        }
        let data = broadcast::expand(self.data(), self.shape(), shape);
        let in_shape = self.shape().to_vec();
        Tensor::from_op(data, shape.to_vec(), "broadcast_to", vec![self.clone()], {
            move |_, g, _| vec![Some(g.sum_to(&in_shape))]
        })
    }

    /// Sums over broadcast axes so the result has `shape`: the adjoint of
    /// [`Tensor::broadcast_to`], used to reduce gradients of broadcasting ops.
    pub fn sum_to(&self, shape: &[usize]) -> Tensor<T> {
        if self.shape() == shape {
            return self.clone();
        }
        let lead = self.ndim() - shape.len();
        let axes: Vec<usize> = (0..self.ndim())
            .filter(|&i| i < lead || (shape[i - lead] == 1 && self.dim(i) != 1))
            .collect();
        self.sum_axes(&axes, true).reshape(shape)
    }
}
