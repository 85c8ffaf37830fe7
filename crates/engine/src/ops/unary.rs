//! Element-wise functions of one tensor: powers, exponentials, activations.
//!
//! Piecewise-linear activations (relu, leaky relu, clamp) pass the gradient through a
//! constant mask of their local slopes: their second derivative is zero almost everywhere.

use crate::element::{el, Element};
use crate::grad_mode::is_grad_enabled;
use crate::kernels::elementwise::{map, zip_map};
use crate::tensor::Tensor;

impl<T: Element> Tensor<T> {
    fn unary(
        &self,
        name: &'static str,
        f: impl Fn(T) -> T + Sync,
        backward: impl Fn(&Tensor<T>, &Tensor<T>, &Tensor<T>) -> Tensor<T> + Send + Sync + 'static,
    ) -> Tensor<T> {
        let x = self.clone();
        Tensor::from_op(
            map(self.data(), f),
            self.shape().to_vec(),
            name,
            vec![self.clone()],
            move |out, g, _| vec![Some(backward(&x, out, g))],
        )
    }

    /// A constant tensor of `slope(x)` per element, used to gate gradients.
    fn slopes(&self, slope: impl Fn(T) -> T + Sync) -> Tensor<T> {
        Tensor::from_vec(map(self.data(), slope), self.shape())
    }

    /// The gradient `g · slope(x)` through a piecewise-linear function of `self`. While a graph
    /// is recorded (`create_graph`) it is a product with a constant mask, differentiable in
    /// `g`; otherwise one fused pass with the same result.
    fn gate(&self, g: &Tensor<T>, slope: impl Fn(T) -> T + Sync) -> Tensor<T> {
        if is_grad_enabled() {
            return g.mul(&self.slopes(slope));
        }
        let data = zip_map(g.data(), self.data(), |g, v| g * slope(v));
        Tensor::from_vec(data, g.shape())
    }

    /// `exp(x)`; d/dx = exp(x).
    pub fn exp(&self) -> Tensor<T> {
        self.unary("exp", |x| x.exp(), |_, y, g| g.mul(y))
    }

    /// Natural logarithm; d/dx = 1/x.
    pub fn log(&self) -> Tensor<T> {
        self.unary("log", |x| x.ln(), |x, _, g| g.div(x))
    }

    /// Square root; d/dx = 1/(2·√x).
    pub fn sqrt(&self) -> Tensor<T> {
        self.unary(
            "sqrt",
            |x| x.sqrt(),
            |_, y, g| g.div(&y.mul_scalar(el(2.0))),
        )
    }

    /// `x²`; d/dx = 2x.
    pub fn square(&self) -> Tensor<T> {
        self.unary("square", |x| x * x, |x, _, g| g.mul(&x.mul_scalar(el(2.0))))
    }

    /// `x^p` for a constant exponent; d/dx = p·x^(p-1).
    pub fn powf(&self, p: f64) -> Tensor<T> {
        let pt: T = el(p);
        self.unary(
            "pow",
            move |x| x.powf(pt),
            move |x, _, g| g.mul(&x.powf(p - 1.0).mul_scalar(el(p))),
        )
    }

    /// `|x|`; d/dx = sign(x) (0 at 0).
    pub fn abs(&self) -> Tensor<T> {
        self.unary("abs", |x| x.abs(), |x, _, g| x.gate(g, sign))
    }

    /// `max(x, 0)`.
    pub fn relu(&self) -> Tensor<T> {
        self.unary(
            "relu",
            |x| x.max(T::zero()),
            |x, _, g| x.gate(g, |v| if v > T::zero() { T::one() } else { T::zero() }),
        )
    }

    /// `x` for positive `x`, `slope·x` otherwise.
    pub fn leaky_relu(&self, slope: f64) -> Tensor<T> {
        let s: T = el(slope);
        self.unary(
            "leaky_relu",
            move |x| if x > T::zero() { x } else { x * s },
            move |x, _, g| x.gate(g, |v| if v > T::zero() { T::one() } else { s }),
        )
    }

    /// Clamps to `[lo, hi]`; the gradient passes only where `x` was inside.
    pub fn clamp(&self, lo: f64, hi: f64) -> Tensor<T> {
        let (l, h): (T, T) = (el(lo), el(hi));
        self.unary(
            "clamp",
            move |x| x.max(l).min(h),
            move |x, _, g| {
                x.gate(g, |v| {
                    if v >= l && v <= h {
                        T::one()
                    } else {
                        T::zero()
                    }
                })
            },
        )
    }

    /// The logistic function `1/(1+e^-x)`; d/dx = σ(x)(1-σ(x)).
    pub fn sigmoid(&self) -> Tensor<T> {
        self.unary("sigmoid", sigmoid, |_, y, g| {
            g.mul(&y.mul(&y.rsub_scalar(T::one())))
        })
    }

    /// Hyperbolic tangent; d/dx = 1 - tanh²(x).
    pub fn tanh(&self) -> Tensor<T> {
        self.unary(
            "tanh",
            |x| x.tanh(),
            |_, y, g| g.mul(&y.square().rsub_scalar(T::one())),
        )
    }

    /// `log(1+e^x)`, computed without overflow; d/dx = σ(x).
    pub fn softplus(&self) -> Tensor<T> {
        self.unary("softplus", softplus, |x, _, g| g.mul(&x.sigmoid()))
    }

    /// `log σ(x) = -softplus(-x)`, stable for large |x|.
    pub fn log_sigmoid(&self) -> Tensor<T> {
        self.neg().softplus().neg()
    }

    /// A constant tensor holding the sign of each element (-1, 0 or 1).
    pub fn sign(&self) -> Tensor<T> {
        self.slopes(sign)
    }
}

fn sign<T: Element>(v: T) -> T {
    if v > T::zero() {
        T::one()
    } else if v < T::zero() {
        -T::one()
    } else {
        T::zero()
    }
}

fn sigmoid<T: Element>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

fn softplus<T: Element>(x: T) -> T {
    x.max(T::zero()) + (-x.abs()).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use crate::{grad, Tensor};

    /// The fused first-order gradient of each piecewise-linear activation equals the
    /// differentiable one taken with `create_graph` (which stays in the graph, as the
    /// incoming gradient depends on `weights`).
    #[test]
    fn fused_and_differentiable_gates_agree() {
        let values: Vec<f64> = (0..64).map(|i| ((i as f64) * 0.7).sin() * 3.0).collect();
        type Activation = fn(&Tensor<f64>) -> Tensor<f64>;
        let activations: [Activation; 4] = [
            |x| x.relu(),
            |x| x.leaky_relu(0.2),
            |x| x.abs(),
            |x| x.clamp(-1.0, 2.0),
        ];
        for f in activations {
            let x = Tensor::<f64>::from_vec(values.clone(), &[8, 8]).requires_grad_();
            let weights = Tensor::from_vec((0..64).map(|i| i as f64 - 20.0).collect(), &[8, 8])
                .requires_grad_();
            let loss = || f(&x).mul(&weights).sum();
            let fused = grad(&[loss()], std::slice::from_ref(&x), false);
            let recorded = grad(&[loss()], std::slice::from_ref(&x), true);
            assert_eq!(fused[0].data(), recorded[0].data());
            assert!(recorded[0].requires_grad());
        }
    }
}
