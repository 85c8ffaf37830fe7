//! Normalisation over chosen axes, built from differentiable ops so that second derivatives
//! (a gradient penalty through a layer-normalised critic) come for free.

use crate::element::{el, Element};
use crate::tensor::Tensor;

impl<T: Element> Tensor<T> {
    /// `(x - mean) / sqrt(var + eps)` with mean and (biased) variance over `axes`.
    ///
    /// Batch norm over `[n, c, h, w]` uses axes `[0, 2, 3]`; layer norm uses `[1, 2, 3]`.
    pub fn normalize(&self, axes: &[usize], eps: f64) -> Tensor<T> {
        let mean = self.mean_axes(axes, true);
        let centred = self.sub(&mean);
        let var = centred.square().mean_axes(axes, true);
        centred.div(&var.add_scalar(el(eps)).sqrt())
    }

    /// Mean and biased variance over `axes` (kept as size-1 dims), as constants: the batch
    /// statistics that batch norm folds into its running averages.
    pub fn moments(&self, axes: &[usize]) -> (Tensor<T>, Tensor<T>) {
        let x = self.detach();
        let mean = x.mean_axes(axes, true);
        let var = x.sub(&mean).square().mean_axes(axes, true);
        (mean, var)
    }
}
