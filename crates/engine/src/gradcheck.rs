//! Gradient checks against central finite differences, in `f64`.
//!
//! First derivatives: autodiff gradients of a scalar function against
//! (f(x+h) - f(x-h)) / 2h. Second derivatives: the same check applied to the scalar
//! h(x) = Σ ⟨∇f(x), v⟩ for fixed random directions v, whose gradient is the Hessian-vector
//! product H·v computed by differentiating a differentiable gradient.

use crate::autograd::grad;
use crate::rng::Rng;
use crate::tensor::Tensor;

/// Step of the central differences.
const STEP: f64 = 1e-6;

/// Relative error ‖a - b‖ / max(‖a‖, ‖b‖, 1e-12).
pub fn relative_error(a: &[f64], b: &[f64]) -> f64 {
    let diff: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    diff / na.max(nb).max(1e-12)
}

/// Numerical gradients of scalar `f` at `inputs` by central differences.
pub fn numerical_gradients(
    f: &dyn Fn(&[Tensor<f64>]) -> Tensor<f64>,
    inputs: &[Tensor<f64>],
) -> Vec<Vec<f64>> {
    let mut grads = Vec::new();
    for k in 0..inputs.len() {
        let mut g = vec![0.0; inputs[k].numel()];
        for (i, gi) in g.iter_mut().enumerate() {
            let eval = |delta: f64| {
                let mut shifted: Vec<Tensor<f64>> = inputs.iter().map(|t| t.detach()).collect();
                shifted[k].data_mut()[i] += delta;
                let shifted: Vec<Tensor<f64>> =
                    shifted.into_iter().map(|t| t.requires_grad_()).collect();
                f(&shifted).item()
            };
            *gi = (eval(STEP) - eval(-STEP)) / (2.0 * STEP);
        }
        grads.push(g);
    }
    grads
}

/// Largest relative error between autodiff and numerical first derivatives of `f`.
pub fn check_first_order(f: &dyn Fn(&[Tensor<f64>]) -> Tensor<f64>, inputs: &[Tensor<f64>]) -> f64 {
    let leaves: Vec<Tensor<f64>> = inputs.iter().map(|t| t.detach().requires_grad_()).collect();
    let analytic = grad(&[f(&leaves)], &leaves, false);
    // Evaluated with recording on: `f` may itself take a gradient.
    let numeric = numerical_gradients(f, &leaves);
    analytic
        .iter()
        .zip(&numeric)
        .map(|(a, n)| relative_error(a.data(), n))
        .fold(0.0, f64::max)
}

/// Largest relative error of second derivatives: checks the gradient of
/// h(x) = Σ_k ⟨∇_k f(x), v_k⟩ (random fixed v) against finite differences of h.
pub fn check_second_order(
    f: &dyn Fn(&[Tensor<f64>]) -> Tensor<f64>,
    inputs: &[Tensor<f64>],
    seed: u64,
) -> f64 {
    let mut rng = Rng::new(seed);
    let directions: Vec<Tensor<f64>> = inputs.iter().map(|t| rng.normal(t.shape())).collect();
    let h = move |xs: &[Tensor<f64>]| -> Tensor<f64> {
        let grads = grad(&[f(xs)], xs, true);
        let mut total = Tensor::scalar(0.0);
        for (g, v) in grads.iter().zip(&directions) {
            total = total.add(&g.mul(v).sum());
        }
        total
    };
    check_first_order(&h, inputs)
}
