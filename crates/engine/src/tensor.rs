//! The tensor: a contiguous n-d array with shared storage and, optionally, the record of the
//! operation that made it, so that gradients can flow back through it.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::kernels::counters;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A backward rule: given the op's output, the gradient flowing into it and which inputs need
/// a gradient, returns one gradient per input (`None` where not needed). Rules are written in
/// tensor ops, so when the graph is being recorded their results are differentiable too.
pub(crate) type BackwardFn<T> =
    Box<dyn Fn(&Tensor<T>, &Tensor<T>, &[bool]) -> Vec<Option<Tensor<T>>> + Send + Sync>;

/// How a non-leaf tensor was made: the op's name, its inputs and its backward rule.
pub(crate) struct GradFn<T: Element> {
    pub(crate) name: &'static str,
    pub(crate) inputs: Vec<Tensor<T>>,
    pub(crate) backward: BackwardFn<T>,
}

pub(crate) struct Node<T: Element> {
    pub(crate) id: u64,
    pub(crate) data: Arc<Vec<T>>,
    pub(crate) shape: Vec<usize>,
    pub(crate) requires_grad: bool,
    pub(crate) grad_fn: Option<GradFn<T>>,
}

/// A contiguous, row-major n-d array of `T` (default `f32`).
///
/// Cloning is cheap: clones share storage and graph. Tensors are immutable except through
/// [`Tensor::data_mut`], which optimisers use on parameters between steps.
pub struct Tensor<T: Element = f32> {
    pub(crate) node: Arc<Node<T>>,
}

impl<T: Element> Drop for Node<T> {
    fn drop(&mut self) {
        counters::tensor_dropped();
    }
}

impl<T: Element> Clone for Tensor<T> {
    fn clone(&self) -> Self {
        Tensor {
            node: self.node.clone(),
        }
    }
}

fn fresh_id() -> u64 {
    counters::tensor_created();
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Number of elements of a shape (1 for the scalar shape `[]`).
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

impl<T: Element> Tensor<T> {
    fn leaf(data: Arc<Vec<T>>, shape: Vec<usize>, requires_grad: bool) -> Self {
        assert_eq!(
            data.len(),
            numel(&shape),
            "tensor data has {} elements, shape {:?} needs {}",
            data.len(),
            shape,
            numel(&shape)
        );
        let node = Node {
            id: fresh_id(),
            data,
            shape,
            requires_grad,
            grad_fn: None,
        };
        Tensor {
            node: Arc::new(node),
        }
    }

    /// A constant tensor from row-major data. Panics if the length does not match the shape.
    pub fn from_vec(data: Vec<T>, shape: &[usize]) -> Self {
        Self::leaf(Arc::new(data), shape.to_vec(), false)
    }

    /// A 0-d tensor holding one value.
    pub fn scalar(value: T) -> Self {
        Self::from_vec(vec![value], &[])
    }

    /// A tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Self::full(shape, T::zero())
    }

    /// A tensor of ones.
    pub fn ones(shape: &[usize]) -> Self {
        Self::full(shape, T::one())
    }

    /// A tensor filled with `value`.
    pub fn full(shape: &[usize], value: T) -> Self {
        Self::from_vec(vec![value; numel(shape)], shape)
    }

    /// A tensor of the same shape filled with zeros.
    pub fn zeros_like(&self) -> Self {
        Self::zeros(self.shape())
    }

    /// Builds the output of an op. The graph is recorded only when grad mode is on and some
    /// input requires a gradient; otherwise the inputs and the rule are dropped at once.
    pub(crate) fn from_op<F>(
        data: Vec<T>,
        shape: Vec<usize>,
        name: &'static str,
        inputs: Vec<Tensor<T>>,
        backward: F,
    ) -> Self
    where
        F: Fn(&Tensor<T>, &Tensor<T>, &[bool]) -> Vec<Option<Tensor<T>>> + Send + Sync + 'static,
    {
        Self::from_op_shared(Arc::new(data), shape, name, inputs, backward)
    }

    /// As [`Tensor::from_op`], for ops such as reshape that share their input's storage.
    pub(crate) fn from_op_shared<F>(
        data: Arc<Vec<T>>,
        shape: Vec<usize>,
        name: &'static str,
        inputs: Vec<Tensor<T>>,
        backward: F,
    ) -> Self
    where
        F: Fn(&Tensor<T>, &Tensor<T>, &[bool]) -> Vec<Option<Tensor<T>>> + Send + Sync + 'static,
    {
        let track = is_grad_enabled() && inputs.iter().any(|t| t.requires_grad());
        if !track {
            return Self::leaf(data, shape, false);
        }
        let grad_fn = GradFn {
            name,
            inputs,
            backward: Box::new(backward),
        };
        let node = Node {
            id: fresh_id(),
            data,
            shape,
            requires_grad: true,
            grad_fn: Some(grad_fn),
        };
        Tensor {
            node: Arc::new(node),
        }
    }

    /// The shape, outermost dimension first.
    pub fn shape(&self) -> &[usize] {
        &self.node.shape
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.node.shape.len()
    }

    /// Size of dimension `axis`.
    pub fn dim(&self, axis: usize) -> usize {
        self.node.shape[axis]
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.node.data.len()
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[T] {
        &self.node.data
    }

    pub(crate) fn storage(&self) -> &Arc<Vec<T>> {
        &self.node.data
    }

    /// Copies the elements out.
    pub fn to_vec(&self) -> Vec<T> {
        self.node.data.to_vec()
    }

    /// The value of a one-element tensor. Panics otherwise.
    pub fn item(&self) -> T {
        assert_eq!(
            self.numel(),
            1,
            "item() of a tensor with shape {:?}",
            self.shape()
        );
        self.node.data[0]
    }

    /// True when gradients flow to or through this tensor.
    pub fn requires_grad(&self) -> bool {
        self.node.requires_grad
    }

    /// True for tensors not produced by a recorded op (constants and parameters).
    pub fn is_leaf(&self) -> bool {
        self.node.grad_fn.is_none()
    }

    /// Name of the op that produced this tensor, if it was recorded.
    pub fn op_name(&self) -> Option<&'static str> {
        self.node.grad_fn.as_ref().map(|g| g.name)
    }

    pub(crate) fn id(&self) -> u64 {
        self.node.id
    }

    /// A leaf that shares this tensor's storage and marks it as requiring a gradient:
    /// a parameter, or an input whose gradient is wanted (the interpolates of a penalty).
    pub fn requires_grad_(self) -> Self {
        Self::leaf(self.node.data.clone(), self.node.shape.clone(), true)
    }

    /// The same values cut off from the graph: no gradient flows through the result.
    pub fn detach(&self) -> Self {
        Self::leaf(self.node.data.clone(), self.node.shape.clone(), false)
    }

    /// Mutable access to the elements, for in-place updates of parameters between steps.
    ///
    /// If the tensor is shared (a graph or a clone still holds it), this tensor is first given
    /// its own node and storage, so other holders keep the old values.
    pub fn data_mut(&mut self) -> &mut [T] {
        if Arc::get_mut(&mut self.node).is_none() {
            let fresh = Self::leaf(
                self.node.data.clone(),
                self.node.shape.clone(),
                self.requires_grad(),
            );
            *self = fresh;
        }
        let node = Arc::get_mut(&mut self.node).expect("node was just made unique");
        node.grad_fn = None;
        Arc::make_mut(&mut node.data).as_mut_slice()
    }

    /// Converts to another element type (a constant: no gradient flows through).
    pub fn cast<U: Element>(&self) -> Tensor<U> {
        let data = self
            .data()
            .iter()
            .map(|v| U::from_f64_lossy(v.to_f64_lossless()))
            .collect();
        Tensor::from_vec(data, self.shape())
    }
}

impl<T: Element> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<T> = self.data().iter().take(8).copied().collect();
        write!(f, "Tensor<{}>{:?} {:?}", T::NAME, self.shape(), shown)?;
        if self.numel() > 8 {
            write!(f, "…")?;
        }
        if let Some(name) = self.op_name() {
            write!(f, " (from {name})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_storage_and_data_mut_copies_on_write() {
        let a = Tensor::<f32>::from_vec(vec![1.0, 2.0], &[2]);
        let mut b = a.clone();
        b.data_mut()[0] = 5.0;
        assert_eq!(a.data(), &[1.0, 2.0]);
        assert_eq!(b.data(), &[5.0, 2.0]);
    }

    #[test]
    #[should_panic(expected = "shape [2, 2] needs 4")]
    fn wrong_length_is_rejected() {
        Tensor::<f32>::from_vec(vec![1.0], &[2, 2]);
    }
}
