//! Optimisers: Adam, RMSProp and SGD with momentum, following PyTorch's update rules.
//!
//! An optimiser updates parameters in place from their gradients and keeps per-parameter
//! state (moments, velocities) that can be exported for checkpoints and loaded back.

use crate::grad_mode::no_grad;
use crate::tensor::Tensor;

/// Saved state of an optimiser: its step count and named per-parameter buffers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OptimizerState {
    /// Updates taken so far.
    pub step: u64,
    /// `(name, values)` for each buffer, e.g. `m.0`, `v.0`.
    pub buffers: Vec<(String, Vec<f32>)>,
}

/// A first-order optimiser over a fixed list of parameters.
pub trait Optimizer: Send {
    /// Updates each parameter from its gradient (same order and shapes every call).
    fn step(&mut self, params: &mut [&mut Tensor], grads: &[Tensor]);
    /// The learning rate.
    fn lr(&self) -> f64;
    /// Changes the learning rate (e.g. after a divergence rollback).
    fn set_lr(&mut self, lr: f64);
    /// The state to checkpoint.
    fn state(&self) -> OptimizerState;
    /// Restores a checkpointed state; errors if it does not fit.
    fn load_state(&mut self, state: OptimizerState) -> Result<(), String>;
}

/// Per-parameter buffers, created lazily with the parameter's length on the first step.
#[derive(Clone, Debug, Default)]
struct Slots {
    names: &'static [&'static str],
    values: Vec<Vec<Vec<f32>>>,
}

impl Slots {
    fn new(names: &'static [&'static str]) -> Self {
        Slots {
            names,
            values: Vec::new(),
        }
    }

    fn ensure(&mut self, params: &[&mut Tensor]) {
        if self.values.len() != params.len() {
            self.values = params
                .iter()
                .map(|p| vec![vec![0.0; p.numel()]; self.names.len()])
                .collect();
        }
    }

    fn export(&self) -> Vec<(String, Vec<f32>)> {
        let mut out = Vec::new();
        for (i, bufs) in self.values.iter().enumerate() {
            for (name, b) in self.names.iter().zip(bufs) {
                out.push((format!("{name}.{i}"), b.clone()));
            }
        }
        out
    }

    fn import(&mut self, buffers: Vec<(String, Vec<f32>)>) -> Result<(), String> {
        let per = self.names.len();
        if !buffers.len().is_multiple_of(per) {
            return Err(format!(
                "expected a multiple of {per} buffers, got {}",
                buffers.len()
            ));
        }
        let mut values = Vec::new();
        for (i, chunk) in buffers.chunks(per).enumerate() {
            for (name, (got, _)) in self.names.iter().zip(chunk) {
                if *got != format!("{name}.{i}") {
                    return Err(format!("expected buffer {name}.{i}, found {got}"));
                }
            }
            values.push(chunk.iter().map(|(_, v)| v.clone()).collect());
        }
        self.values = values;
        Ok(())
    }
}

/// The methods every optimiser shares: each keeps `lr`, a step count `t` and its `slots`.
macro_rules! bookkeeping {
    () => {
        fn lr(&self) -> f64 {
            self.lr
        }

        fn set_lr(&mut self, lr: f64) {
            self.lr = lr;
        }

        fn state(&self) -> OptimizerState {
            OptimizerState {
                step: self.t,
                buffers: self.slots.export(),
            }
        }

        fn load_state(&mut self, state: OptimizerState) -> Result<(), String> {
            self.slots.import(state.buffers)?;
            self.t = state.step;
            Ok(())
        }
    };
}

fn check_lengths(params: &[&mut Tensor], grads: &[Tensor]) {
    assert_eq!(params.len(), grads.len(), "one gradient per parameter");
    for (p, g) in params.iter().zip(grads) {
        assert_eq!(
            p.shape(),
            g.shape(),
            "gradient shape differs from its parameter"
        );
    }
}

/// Adam (Kingma & Ba, 2015) with bias correction.
#[derive(Clone, Debug)]
pub struct Adam {
    /// Learning rate.
    pub lr: f64,
    /// Decay of the first moment.
    pub beta1: f64,
    /// Decay of the second moment.
    pub beta2: f64,
    /// Added to the root of the second moment.
    pub eps: f64,
    t: u64,
    slots: Slots,
}

impl Adam {
    /// Adam with the given learning rate, betas and epsilon.
    pub fn new(lr: f64, beta1: f64, beta2: f64, eps: f64) -> Self {
        Adam {
            lr,
            beta1,
            beta2,
            eps,
            t: 0,
            slots: Slots::new(&["m", "v"]),
        }
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut [&mut Tensor], grads: &[Tensor]) {
        check_lengths(params, grads);
        self.slots.ensure(params);
        self.t += 1;
        let (b1, b2) = (self.beta1 as f32, self.beta2 as f32);
        let c1 = 1.0 - self.beta1.powi(self.t as i32);
        let c2 = 1.0 - self.beta2.powi(self.t as i32);
        let step = (self.lr / c1) as f32;
        let (inv_c2, eps) = ((1.0 / c2.sqrt()) as f32, self.eps as f32);
        no_grad(|| {
            for ((p, g), bufs) in params.iter_mut().zip(grads).zip(&mut self.slots.values) {
                let (m, v) = bufs.split_at_mut(1);
                let (m, v) = (&mut m[0], &mut v[0]);
                for (((w, &g), m), v) in p.data_mut().iter_mut().zip(g.data()).zip(m).zip(v) {
                    *m = b1 * *m + (1.0 - b1) * g;
                    *v = b2 * *v + (1.0 - b2) * g * g;
                    *w -= step * *m / (v.sqrt() * inv_c2 + eps);
                }
            }
        });
    }

    bookkeeping!();
}

/// RMSProp (Tieleman & Hinton, 2012) as in PyTorch: v = αv + (1-α)g², w -= lr·g/(√v + ε).
#[derive(Clone, Debug)]
pub struct RmsProp {
    /// Learning rate.
    pub lr: f64,
    /// Decay of the squared-gradient average.
    pub alpha: f64,
    /// Added to the root of the average.
    pub eps: f64,
    t: u64,
    slots: Slots,
}

impl RmsProp {
    /// RMSProp with the given learning rate, decay and epsilon.
    pub fn new(lr: f64, alpha: f64, eps: f64) -> Self {
        RmsProp {
            lr,
            alpha,
            eps,
            t: 0,
            slots: Slots::new(&["sq"]),
        }
    }
}

impl Optimizer for RmsProp {
    fn step(&mut self, params: &mut [&mut Tensor], grads: &[Tensor]) {
        check_lengths(params, grads);
        self.slots.ensure(params);
        self.t += 1;
        let (a, lr, eps) = (self.alpha as f32, self.lr as f32, self.eps as f32);
        for ((p, g), bufs) in params.iter_mut().zip(grads).zip(&mut self.slots.values) {
            for ((w, &g), v) in p.data_mut().iter_mut().zip(g.data()).zip(&mut bufs[0]) {
                *v = a * *v + (1.0 - a) * g * g;
                *w -= lr * g / (v.sqrt() + eps);
            }
        }
    }

    bookkeeping!();
}

/// Stochastic gradient descent with (heavy-ball) momentum: b = μb + g, w -= lr·b.
#[derive(Clone, Debug)]
pub struct Sgd {
    /// Learning rate.
    pub lr: f64,
    /// Momentum μ (0 for plain SGD).
    pub momentum: f64,
    t: u64,
    slots: Slots,
}

impl Sgd {
    /// SGD with the given learning rate and momentum.
    pub fn new(lr: f64, momentum: f64) -> Self {
        Sgd {
            lr,
            momentum,
            t: 0,
            slots: Slots::new(&["momentum"]),
        }
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &mut [&mut Tensor], grads: &[Tensor]) {
        check_lengths(params, grads);
        self.slots.ensure(params);
        self.t += 1;
        let (mu, lr) = (self.momentum as f32, self.lr as f32);
        for ((p, g), bufs) in params.iter_mut().zip(grads).zip(&mut self.slots.values) {
            for ((w, &g), b) in p.data_mut().iter_mut().zip(g.data()).zip(&mut bufs[0]) {
                *b = mu * *b + g;
                *w -= lr * *b;
            }
        }
    }

    bookkeeping!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimise(opt: &mut dyn Optimizer) -> f32 {
        // f(w) = Σ (w - 3)², gradient 2(w - 3)
        let mut w = Tensor::from_vec(vec![0.0f32, 10.0], &[2]);
        for _ in 0..2000 {
            let g: Vec<f32> = w.data().iter().map(|v| 2.0 * (v - 3.0)).collect();
            opt.step(&mut [&mut w], &[Tensor::from_vec(g, &[2])]);
        }
        w.data().iter().map(|v| (v - 3.0).abs()).fold(0.0, f32::max)
    }

    #[test]
    fn each_optimiser_finds_a_quadratic_minimum() {
        assert!(minimise(&mut Adam::new(0.05, 0.9, 0.999, 1e-8)) < 1e-2);
        assert!(minimise(&mut RmsProp::new(0.01, 0.99, 1e-8)) < 2e-2);
        assert!(minimise(&mut Sgd::new(0.01, 0.9)) < 1e-3);
    }

    #[test]
    fn adam_first_step_moves_by_lr() {
        // With bias correction the first step is lr·sign(g) (up to eps).
        let mut w = Tensor::from_vec(vec![1.0f32, 1.0], &[2]);
        let mut adam = Adam::new(0.1, 0.5, 0.9, 1e-8);
        adam.step(&mut [&mut w], &[Tensor::from_vec(vec![4.0, -0.5], &[2])]);
        assert!((w.data()[0] - 0.9).abs() < 1e-6 && (w.data()[1] - 1.1).abs() < 1e-6);
    }

    #[test]
    fn state_round_trips() {
        let mut w = Tensor::from_vec(vec![1.0f32], &[1]);
        let mut a = Adam::new(0.1, 0.5, 0.9, 1e-8);
        a.step(&mut [&mut w], &[Tensor::from_vec(vec![1.0], &[1])]);
        let mut b = Adam::new(0.1, 0.5, 0.9, 1e-8);
        b.load_state(a.state()).expect("fits");
        let (mut w1, mut w2) = (w.clone(), w.clone());
        a.step(&mut [&mut w1], &[Tensor::from_vec(vec![0.3], &[1])]);
        b.step(&mut [&mut w2], &[Tensor::from_vec(vec![0.3], &[1])]);
        assert_eq!(w1.data(), w2.data());
    }
}
