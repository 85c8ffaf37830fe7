//! Weight initialisers: He (Kaiming) and Glorot (Xavier), uniform and normal, and PyTorch's
//! default for linear and convolution layers.
//!
//! `fan_in` and `fan_out` count the inputs and outputs of one unit: for a weight
//! `[out, in]` they are `in` and `out`; for a convolution `[o, c, k, k]`, `c·k²` and `o·k²`.

use crate::element::Element;
use crate::rng::Rng;
use crate::tensor::Tensor;

/// He et al. (2015) uniform: U(-b, b) with b = gain·√(3/fan_in); gain √2 suits ReLU.
pub fn he_uniform<T: Element>(
    rng: &mut Rng,
    shape: &[usize],
    fan_in: usize,
    gain: f64,
) -> Tensor<T> {
    let bound = gain * (3.0 / fan_in as f64).sqrt();
    rng.uniform(shape, -bound, bound)
}

/// He et al. (2015) normal: N(0, σ²) with σ = gain/√fan_in.
pub fn he_normal<T: Element>(
    rng: &mut Rng,
    shape: &[usize],
    fan_in: usize,
    gain: f64,
) -> Tensor<T> {
    let std = gain / (fan_in as f64).sqrt();
    rng.normal::<T>(shape).mul_scalar(T::from_f64_lossy(std))
}

/// Glorot & Bengio (2010) uniform: U(-b, b) with b = gain·√(6/(fan_in+fan_out)).
pub fn glorot_uniform<T: Element>(
    rng: &mut Rng,
    shape: &[usize],
    fan_in: usize,
    fan_out: usize,
    gain: f64,
) -> Tensor<T> {
    let bound = gain * (6.0 / (fan_in + fan_out) as f64).sqrt();
    rng.uniform(shape, -bound, bound)
}

/// Glorot & Bengio (2010) normal: N(0, σ²) with σ = gain·√(2/(fan_in+fan_out)).
pub fn glorot_normal<T: Element>(
    rng: &mut Rng,
    shape: &[usize],
    fan_in: usize,
    fan_out: usize,
    gain: f64,
) -> Tensor<T> {
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    rng.normal::<T>(shape).mul_scalar(T::from_f64_lossy(std))
}

/// PyTorch's default for `Linear` and `Conv2d` weights and biases: U(-1/√fan_in, 1/√fan_in).
pub fn fan_in_uniform<T: Element>(rng: &mut Rng, shape: &[usize], fan_in: usize) -> Tensor<T> {
    let bound = 1.0 / (fan_in as f64).sqrt();
    rng.uniform(shape, -bound, bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std_of(t: &Tensor<f64>) -> f64 {
        let n = t.numel() as f64;
        let mean = t.data().iter().sum::<f64>() / n;
        (t.data().iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
    }

    #[test]
    fn spreads_match_their_formulas() {
        let mut rng = Rng::new(3);
        let he = he_normal::<f64>(&mut rng, &[200, 100], 100, 2f64.sqrt());
        assert!((std_of(&he) - (2.0 / 100.0f64).sqrt()).abs() < 0.005);
        let gu = glorot_uniform::<f64>(&mut rng, &[200, 100], 100, 200, 1.0);
        let bound = (6.0 / 300.0f64).sqrt();
        assert!(gu.data().iter().all(|v| v.abs() <= bound));
        assert!((std_of(&gu) - bound / 3f64.sqrt()).abs() < 0.005);
    }
}
