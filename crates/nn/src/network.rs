//! A network: a stack of layers built from a description, with named parameters.

use gantry_engine::{Rng, Tensor};
use thiserror::Error;

use crate::layer::Layer;
use crate::spec::{LayerSpec, NormKind};

/// Why a network could not be built or loaded.
#[derive(Debug, Error)]
pub enum NetworkError {
    /// A layer does not fit the shape that reaches it.
    #[error("layer {index} ({spec}): {reason}")]
    Shape {
        /// Position of the layer.
        index: usize,
        /// The layer's description.
        spec: String,
        /// What does not fit.
        reason: String,
    },
    /// Saved parameters do not match the network.
    #[error("parameter {name}: {reason}")]
    Parameter {
        /// The parameter's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

/// A feed-forward stack of layers. A clone shares the parameters' storage until either side
/// updates them in place.
#[derive(Clone, Debug)]
pub struct Network {
    spec: Vec<LayerSpec>,
    layers: Vec<Layer>,
    input_shape: Vec<usize>,
    output_shape: Vec<usize>,
}

impl Network {
    /// Builds `spec` for per-sample inputs of `input_shape`, initialising weights from
    /// `rng` (He-uniform, as the reference WGAN-GP code does) and biases at zero.
    pub fn build(
        spec: &[LayerSpec],
        input_shape: &[usize],
        rng: &mut Rng,
    ) -> Result<Self, NetworkError> {
        let mut shape = input_shape.to_vec();
        let mut layers = Vec::new();
        for (index, s) in spec.iter().enumerate() {
            let (layer, out) =
                Layer::build(s, &shape, rng).map_err(|reason| NetworkError::Shape {
                    index,
                    spec: format!("{s:?}"),
                    reason,
                })?;
            layers.push(layer);
            shape = out;
        }
        Ok(Network {
            spec: spec.to_vec(),
            layers,
            input_shape: input_shape.to_vec(),
            output_shape: shape,
        })
    }

    /// Applies every layer in turn: `[n, input_shape…] → [n, output_shape…]`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        self.layers
            .iter()
            .fold(x.clone(), |h, layer| layer.forward(&h))
    }

    /// Applies the layers `range` only (e.g. a classifier's feature extractor).
    pub fn forward_range(&self, x: &Tensor, range: std::ops::Range<usize>) -> Tensor {
        self.layers[range]
            .iter()
            .fold(x.clone(), |h, layer| layer.forward(&h))
    }

    /// The description the network was built from.
    pub fn spec(&self) -> &[LayerSpec] {
        &self.spec
    }

    /// The layers.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Per-sample input shape.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// Per-sample output shape.
    pub fn output_shape(&self) -> &[usize] {
        &self.output_shape
    }

    /// Parameters named `<layer index>.<name>`, e.g. `0.weight`, in a fixed order.
    pub fn named_params(&self) -> Vec<(String, &Tensor)> {
        let mut out = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            for (name, t) in layer.params() {
                out.push((format!("{i}.{name}"), t));
            }
        }
        out
    }

    /// The parameters, in the order of [`Network::named_params`].
    pub fn params(&self) -> Vec<Tensor> {
        self.named_params()
            .into_iter()
            .map(|(_, t)| t.clone())
            .collect()
    }

    /// Mutable parameters, in the order of [`Network::named_params`], for optimisers.
    pub fn params_mut(&mut self) -> Vec<&mut Tensor> {
        self.layers
            .iter_mut()
            .flat_map(|l| l.params_mut())
            .collect()
    }

    /// Moves every parameter towards the same one of `source`, a network of the same
    /// description: `p ← decay·p + (1 − decay)·source`. Kept after each update of the
    /// source, this is its exponential moving average.
    pub fn blend_towards(&mut self, source: &Network, decay: f32) {
        assert_eq!(
            self.spec, source.spec,
            "blending networks of different descriptions"
        );
        for (p, s) in self.params_mut().into_iter().zip(source.params()) {
            for (p, &s) in p.data_mut().iter_mut().zip(s.data()) {
                *p = decay * *p + (1.0 - decay) * s;
            }
        }
    }

    /// Number of scalar parameters.
    pub fn num_params(&self) -> usize {
        self.named_params().iter().map(|(_, t)| t.numel()).sum()
    }

    /// Whether a layer normalises over the batch, so that a sample's output depends on the
    /// other samples it is passed with.
    pub fn mixes_batch(&self) -> bool {
        self.spec.iter().any(|l| {
            matches!(
                l,
                LayerSpec::Norm {
                    kind: NormKind::Batch
                }
            )
        })
    }

    /// Switches batch norm between batch statistics (training) and running ones.
    pub fn set_training(&mut self, training: bool) {
        self.layers
            .iter_mut()
            .for_each(|l| l.set_training(training));
    }

    /// Replaces every parameter's values by name; shapes must match exactly.
    pub fn load(&mut self, saved: &[(String, Vec<usize>, Vec<f32>)]) -> Result<(), NetworkError> {
        let names: Vec<(String, Vec<usize>)> = self
            .named_params()
            .iter()
            .map(|(n, t)| (n.clone(), t.shape().to_vec()))
            .collect();
        if saved.len() != names.len() {
            return Err(NetworkError::Parameter {
                name: "*".into(),
                reason: format!("expected {} parameters, found {}", names.len(), saved.len()),
            });
        }
        for ((name, shape), p) in names.iter().zip(self.params_mut()) {
            let Some((_, s, data)) = saved.iter().find(|(n, _, _)| n == name) else {
                return Err(NetworkError::Parameter {
                    name: name.clone(),
                    reason: "missing".into(),
                });
            };
            if s != shape {
                return Err(NetworkError::Parameter {
                    name: name.clone(),
                    reason: format!("has shape {s:?}, expected {shape:?}"),
                });
            }
            p.data_mut().copy_from_slice(data);
        }
        Ok(())
    }

    /// Multiply-adds of one forward pass per sample, over linear and convolution layers.
    pub fn macs_per_sample(&self) -> usize {
        let mut shape = self.input_shape.clone();
        let mut total = 0;
        for layer in &self.layers {
            let out = layer_output_shape(layer, &shape);
            total += match layer {
                Layer::Linear { weight, .. } => weight.numel(),
                Layer::Conv { weight, .. } => weight.numel() * out[1] * out[2],
                Layer::ConvTranspose { weight, .. } => weight.numel() * shape[1] * shape[2],
                _ => 0,
            };
            shape = out;
        }
        total
    }
}

fn layer_output_shape(layer: &Layer, shape: &[usize]) -> Vec<usize> {
    let mut probe = vec![1];
    probe.extend_from_slice(shape);
    let out = gantry_engine::no_grad(|| layer.forward(&Tensor::zeros(&probe)));
    out.shape()[1..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets;

    #[test]
    fn blending_tracks_the_moving_average_and_leaves_the_source_alone() {
        let spec = presets::mlp_generator(8, 1, 4);
        let mut rng = Rng::new(3);
        let source = Network::build(&spec, &[5], &mut rng).unwrap();
        let mut average = Network::build(&spec, &[5], &mut rng).unwrap();
        let before: Vec<Vec<f32>> = average.params().iter().map(|p| p.data().to_vec()).collect();
        let shared = average.clone();
        average.blend_towards(&source, 0.75);
        for ((p, s), b) in average.params().iter().zip(source.params()).zip(&before) {
            for ((&p, &s), &b) in p.data().iter().zip(s.data()).zip(b) {
                assert!((p - (0.75 * b + 0.25 * s)).abs() < 1e-6);
            }
        }
        // The clone taken before the update still holds the old values.
        for (p, b) in shared.params().iter().zip(&before) {
            assert_eq!(p.data(), &b[..]);
        }
    }
}
