//! Built layers: their parameters and their forward pass.

use std::sync::Mutex;

use gantry_engine::{conv2d, conv_transpose2d, init, Rng, Tensor};

use crate::spec::{Activation, LayerSpec, NormKind};

/// Momentum of batch norm's running statistics (PyTorch's convention: weight of the new
/// batch).
const RUNNING_MOMENTUM: f32 = 0.1;
/// He et al.'s gain for layers followed by a ReLU: weights keep activations' variance.
const RELU_GAIN: f64 = std::f64::consts::SQRT_2;
/// Added to the variance before the square root.
const NORM_EPS: f64 = 1e-5;

/// A layer with its parameters. A clone shares the parameters' storage until either side
/// updates them in place.
#[derive(Clone, Debug)]
pub enum Layer {
    /// `x·Wᵀ + b`, weight `[out, in]`, bias `[out]`.
    Linear {
        /// `[out, in]`.
        weight: Tensor,
        /// `[out]`.
        bias: Tensor,
    },
    /// Convolution, weight `[out, in, k, k]`, bias `[out]`.
    Conv {
        /// `[out, in, k, k]`.
        weight: Tensor,
        /// `[out]`.
        bias: Tensor,
        /// Stride.
        stride: usize,
        /// Zero padding.
        padding: usize,
    },
    /// Transposed convolution, weight `[in, out, k, k]` (PyTorch's layout), bias `[out]`.
    ConvTranspose {
        /// `[in, out, k, k]`.
        weight: Tensor,
        /// `[out]`.
        bias: Tensor,
        /// Stride.
        stride: usize,
        /// Zero padding.
        padding: usize,
        /// Extra output rows/columns.
        output_padding: usize,
    },
    /// An element-wise activation.
    Activation(Activation),
    /// Batch or layer normalisation with per-channel scale and shift.
    Norm(Norm),
    /// Per-sample reshape.
    Reshape(Vec<usize>),
    /// Per-sample flatten.
    Flatten,
    /// Top-left crop of each feature map.
    Crop(usize, usize),
}

/// Normalisation state: learned scale and shift, and batch norm's running statistics.
#[derive(Debug)]
pub struct Norm {
    kind: NormKind,
    /// Scale, shaped to broadcast over a batch: `[1, c, 1, 1]` or `[1, f]`.
    pub gamma: Tensor,
    /// Shift, same shape as `gamma`.
    pub beta: Tensor,
    running: Mutex<(Vec<f32>, Vec<f32>)>,
    training: bool,
}

impl Layer {
    /// Builds the layer `spec` for per-sample input `shape`; returns it and its output shape.
    pub(crate) fn build(
        spec: &LayerSpec,
        shape: &[usize],
        rng: &mut Rng,
    ) -> Result<(Layer, Vec<usize>), String> {
        match spec {
            LayerSpec::Linear { out } => {
                let [fan_in] = shape else {
                    return Err(format!("linear layer needs a vector input, got {shape:?}"));
                };
                let weight =
                    init::he_uniform(rng, &[*out, *fan_in], *fan_in, RELU_GAIN).requires_grad_();
                let bias = Tensor::zeros(&[*out]).requires_grad_();
                Ok((Layer::Linear { weight, bias }, vec![*out]))
            }
            LayerSpec::Conv {
                out,
                kernel: k,
                stride,
                padding,
            } => {
                let [c, h, w] = shape else {
                    return Err(format!("convolution needs [c, h, w] input, got {shape:?}"));
                };
                if h + 2 * padding < *k || w + 2 * padding < *k || *stride == 0 {
                    return Err(format!(
                        "convolution k{k} s{stride} p{padding} does not fit input {shape:?}"
                    ));
                }
                let fan_in = c * k * k;
                let weight = he(rng, &[*out, *c, *k, *k], fan_in);
                let bias = Tensor::zeros(&[*out]).requires_grad_();
                let (oh, ow) = (
                    (h + 2 * padding - k) / stride + 1,
                    (w + 2 * padding - k) / stride + 1,
                );
                Ok((
                    Layer::Conv {
                        weight,
                        bias,
                        stride: *stride,
                        padding: *padding,
                    },
                    vec![*out, oh, ow],
                ))
            }
            LayerSpec::ConvTranspose {
                out,
                kernel: k,
                stride,
                padding,
                output_padding,
            } => {
                let [c, h, w] = shape else {
                    return Err(format!(
                        "transposed convolution needs [c, h, w] input, got {shape:?}"
                    ));
                };
                let grow =
                    |d: usize| ((d - 1) * stride + k + output_padding).checked_sub(2 * padding);
                let (Some(oh), Some(ow)) = (grow(*h), grow(*w)) else {
                    return Err(format!(
                        "transposed convolution padding {padding} too large for {shape:?}"
                    ));
                };
                if *output_padding >= (*stride).max(*padding + 1) {
                    return Err(format!(
                        "output padding {output_padding} must be below the stride {stride}"
                    ));
                }
                // Each output pixel sums c·k²/s² inputs on average.
                let fan_in = (c * k * k / (stride * stride)).max(1);
                let weight = he(rng, &[*c, *out, *k, *k], fan_in);
                let bias = Tensor::zeros(&[*out]).requires_grad_();
                let layer = Layer::ConvTranspose {
                    weight,
                    bias,
                    stride: *stride,
                    padding: *padding,
                    output_padding: *output_padding,
                };
                Ok((layer, vec![*out, oh, ow]))
            }
            LayerSpec::Activation(a) => Ok((Layer::Activation(*a), shape.to_vec())),
            LayerSpec::Norm { kind } => {
                let channels = *shape.first().ok_or("normalisation of an empty shape")?;
                let mut affine = vec![1, channels];
                affine.extend(std::iter::repeat_n(1, shape.len() - 1));
                let norm = Norm {
                    kind: *kind,
                    gamma: Tensor::ones(&affine).requires_grad_(),
                    beta: Tensor::zeros(&affine).requires_grad_(),
                    running: Mutex::new((vec![0.0; channels], vec![1.0; channels])),
                    training: true,
                };
                Ok((Layer::Norm(norm), shape.to_vec()))
            }
            LayerSpec::Reshape { shape: to } => {
                if to.iter().product::<usize>() != shape.iter().product::<usize>() {
                    return Err(format!("cannot reshape {shape:?} to {to:?}"));
                }
                Ok((Layer::Reshape(to.clone()), to.clone()))
            }
            LayerSpec::Flatten => Ok((Layer::Flatten, vec![shape.iter().product()])),
            LayerSpec::Crop { height, width } => match shape {
                [c, h, w] if height <= h && width <= w => {
                    Ok((Layer::Crop(*height, *width), vec![*c, *height, *width]))
                }
                _ => Err(format!("cannot crop {shape:?} to {height}x{width}")),
            },
        }
    }

    /// Applies the layer to a batch `[n, …]`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        match self {
            Layer::Linear { weight, bias } => x.matmul_t(weight).add(bias), // [n, out]
            Layer::Conv {
                weight,
                bias,
                stride,
                padding,
            } => {
                let y = conv2d(x, weight, *stride, *padding); // [n, o, oh, ow]
                y.add(&bias.reshape(&[1, bias.numel(), 1, 1]))
            }
            Layer::ConvTranspose {
                weight,
                bias,
                stride,
                padding,
                output_padding,
            } => {
                let y = conv_transpose2d(x, weight, *stride, *padding, *output_padding);
                y.add(&bias.reshape(&[1, bias.numel(), 1, 1]))
            }
            Layer::Activation(a) => activate(x, *a),
            Layer::Norm(norm) => norm.forward(x),
            Layer::Reshape(shape) => {
                let mut full = vec![x.dim(0)];
                full.extend_from_slice(shape);
                x.reshape(&full)
            }
            Layer::Flatten => x.flatten(1),
            Layer::Crop(h, w) => x.narrow(2, 0, *h).narrow(3, 0, *w),
        }
    }

    /// The layer's parameters with their names (`weight`, `bias`, `gamma`, `beta`).
    pub fn params(&self) -> Vec<(&'static str, &Tensor)> {
        match self {
            Layer::Linear { weight, bias }
            | Layer::Conv { weight, bias, .. }
            | Layer::ConvTranspose { weight, bias, .. } => vec![("weight", weight), ("bias", bias)],
            Layer::Norm(n) => vec![("gamma", &n.gamma), ("beta", &n.beta)],
            _ => Vec::new(),
        }
    }

    /// Mutable access to the parameters, in the order of [`Layer::params`].
    pub fn params_mut(&mut self) -> Vec<&mut Tensor> {
        match self {
            Layer::Linear { weight, bias }
            | Layer::Conv { weight, bias, .. }
            | Layer::ConvTranspose { weight, bias, .. } => vec![weight, bias],
            Layer::Norm(n) => vec![&mut n.gamma, &mut n.beta],
            _ => Vec::new(),
        }
    }

    pub(crate) fn set_training(&mut self, training: bool) {
        if let Layer::Norm(n) = self {
            n.training = training;
        }
    }
}

/// A He-uniform weight that requires a gradient.
fn he(rng: &mut Rng, shape: &[usize], fan_in: usize) -> Tensor {
    init::he_uniform(rng, shape, fan_in, RELU_GAIN).requires_grad_()
}

/// Applies an activation.
pub fn activate(x: &Tensor, a: Activation) -> Tensor {
    match a {
        Activation::Relu => x.relu(),
        Activation::LeakyRelu { slope } => x.leaky_relu(slope),
        Activation::Sigmoid => x.sigmoid(),
        Activation::Tanh => x.tanh(),
    }
}

impl Clone for Norm {
    fn clone(&self) -> Self {
        let running = self
            .running
            .lock()
            .expect("running statistics lock")
            .clone();
        Norm {
            kind: self.kind,
            gamma: self.gamma.clone(),
            beta: self.beta.clone(),
            running: Mutex::new(running),
            training: self.training,
        }
    }
}

impl Norm {
    fn axes(&self, ndim: usize) -> Vec<usize> {
        match self.kind {
            NormKind::Batch => (0..ndim).filter(|&a| a != 1).collect(),
            NormKind::Layer => (1..ndim).collect(),
        }
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        let axes = self.axes(x.ndim());
        let normalised = match (self.kind, self.training) {
            (NormKind::Batch, false) => self.with_running_stats(x),
            (NormKind::Batch, true) => {
                self.update_running(x, &axes);
                x.normalize(&axes, NORM_EPS)
            }
            (NormKind::Layer, _) => x.normalize(&axes, NORM_EPS),
        };
        normalised.mul(&self.gamma).add(&self.beta)
    }

    fn update_running(&self, x: &Tensor, axes: &[usize]) {
        let (mean, var) = x.moments(axes);
        let mut running = self.running.lock().expect("running statistics lock");
        let (rm, rv) = &mut *running;
        for (r, &m) in rm.iter_mut().zip(mean.data()) {
            *r += RUNNING_MOMENTUM * (m - *r);
        }
        for (r, &v) in rv.iter_mut().zip(var.data()) {
            *r += RUNNING_MOMENTUM * (v - *r);
        }
    }

    fn with_running_stats(&self, x: &Tensor) -> Tensor {
        let running = self.running.lock().expect("running statistics lock");
        let shape = self.gamma.shape();
        let mean = Tensor::from_vec(running.0.clone(), shape);
        let std: Vec<f32> = running
            .1
            .iter()
            .map(|v| (v + NORM_EPS as f32).sqrt())
            .collect();
        x.sub(&mean).div(&Tensor::from_vec(std, shape))
    }
}
