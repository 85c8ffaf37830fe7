//! The reference classifier that evaluation measures generated images with: a small LeNet-style
//! network ([`gantry_nn::presets::lenet_classifier`]) whose penultimate layer is the feature
//! space of FID and precision/recall, and whose softmax is the class posterior of the score and
//! the mode counter.
//!
//! Weights are stored as safetensors (`f32`, parameters named `<layer>.<name>` as in
//! [`Network::named_params`]); the header metadata key `gantry` holds the
//! [`ClassifierInfo`] as JSON, so the file alone is enough to rebuild the network. A copy of
//! the info is written beside it as `<stem>.json` for people to read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gantry_data::Dataset;
use gantry_engine::{no_grad, Rng, Tensor};
use gantry_nn::{LayerSpec, Network};
use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};

use crate::error::{io_err, EvalError, Result};
use crate::features::Features;
use crate::report::EvalSet;

/// Metadata key of the safetensors header that holds [`ClassifierInfo`].
const INFO_KEY: &str = "gantry";

/// Images per forward pass when embedding.
pub const EMBED_BATCH: usize = 500;

/// What a classifier file says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierInfo {
    /// The data set it was trained on, e.g. `mnist`.
    pub dataset: String,
    /// Per-sample input shape `[channels, height, width]`.
    pub input_shape: Vec<usize>,
    /// Number of classes (width of the logits).
    pub classes: usize,
    /// The network description.
    pub spec: Vec<LayerSpec>,
    /// Accuracy on the test split after training.
    pub test_accuracy: f64,
    /// Images in that test split.
    pub n_test: usize,
    /// Images in the training split.
    pub n_train: usize,
    /// Passes over the training split.
    pub epochs: usize,
    /// Seed of initialisation and shuffling.
    pub seed: u64,
}

/// A classifier network with its description.
#[derive(Debug)]
pub struct Classifier {
    /// The network: input images `[n, c, h, w]` in `[0, 1]`, output logits `[n, classes]`.
    pub net: Network,
    /// Its description and recorded test accuracy.
    pub info: ClassifierInfo,
}

/// The classifier shipped with gantry for the data set slug `dataset` (e.g. `mnist`):
/// `classifiers/<dataset>.safetensors` at the workspace root.
pub fn shipped_classifier(dataset: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../classifiers");
    dir.canonicalize()
        .unwrap_or(dir)
        .join(format!("{dataset}.safetensors"))
}

impl Classifier {
    /// Builds `info.spec` for `info.input_shape` with fresh weights from `rng`.
    pub fn build(info: ClassifierInfo, rng: &mut Rng) -> Result<Self> {
        let net = Network::build(&info.spec, &info.input_shape, rng)
            .map_err(|e| EvalError::Network(e.to_string()))?;
        if net.output_shape() != [info.classes] {
            let shape = net.output_shape().to_vec();
            let problem = format!("output shape {shape:?}, expected [{}]", info.classes);
            return Err(EvalError::Network(problem));
        }
        Ok(Self { net, info })
    }

    /// Loads a classifier written by [`Classifier::save`].
    pub fn load(path: &Path) -> Result<Self> {
        let bad = |problem: String| EvalError::Classifier {
            path: path.to_path_buf(),
            problem,
        };
        let bytes = std::fs::read(path).map_err(io_err(path))?;
        let file = SafeTensors::deserialize(&bytes)
            .map_err(|e| bad(format!("not a valid safetensors file ({e})")))?;
        let (_, header) = SafeTensors::read_metadata(&bytes)
            .map_err(|e| bad(format!("unreadable header ({e})")))?;
        let info_json = header
            .metadata()
            .as_ref()
            .and_then(|m| m.get(INFO_KEY))
            .ok_or_else(|| bad(format!("no '{INFO_KEY}' metadata: not a gantry classifier")))?;
        let info: ClassifierInfo = serde_json::from_str(info_json)
            .map_err(|e| bad(format!("bad '{INFO_KEY}' metadata ({e})")))?;

        let mut saved = Vec::new();
        for (name, view) in file.tensors() {
            if view.dtype() != Dtype::F32 {
                return Err(bad(format!(
                    "tensor {name} is {:?}, expected F32",
                    view.dtype()
                )));
            }
            let data = view.data().chunks_exact(4);
            let data = data.map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            saved.push((name, view.shape().to_vec(), data.collect()));
        }
        let mut classifier = Self::build(info, &mut Rng::new(0))?;
        classifier
            .net
            .load(&saved)
            .map_err(|e| bad(e.to_string()))?;
        Ok(classifier)
    }

    /// Writes the weights and info to `path` (safetensors) and the info to `<stem>.json`.
    pub fn save(&self, path: &Path) -> Result<()> {
        let bad = |problem: String| EvalError::Classifier {
            path: path.to_path_buf(),
            problem,
        };
        let params = self.net.named_params();
        let raw: Vec<(String, Vec<usize>, Vec<u8>)> = params
            .iter()
            .map(|(name, t)| {
                let bytes = t.data().iter().flat_map(|v| v.to_le_bytes()).collect();
                (name.clone(), t.shape().to_vec(), bytes)
            })
            .collect();
        let mut views = Vec::with_capacity(raw.len());
        for (name, shape, bytes) in &raw {
            let view = safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), bytes)
                .map_err(|e| bad(e.to_string()))?;
            views.push((name.as_str(), view));
        }
        let info_json = serde_json::to_string(&self.info)?;
        let metadata = HashMap::from([(INFO_KEY.to_owned(), info_json)]);
        let bytes =
            safetensors::serialize(views, Some(metadata)).map_err(|e| bad(e.to_string()))?;

        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        std::fs::write(path, bytes).map_err(io_err(path))?;
        let json_path = path.with_extension("json");
        let pretty = serde_json::to_string_pretty(&self.info)? + "\n";
        std::fs::write(&json_path, pretty).map_err(io_err(&json_path))
    }

    /// Number of layers before the logits layer: their output is the embedding.
    fn feature_layers(&self) -> usize {
        self.net.layers().len() - 1
    }

    /// Embeddings and logits of images `[n, c, h, w]`: `([n, d], [n, classes])`.
    pub fn forward(&self, images: &Tensor) -> (Tensor, Tensor) {
        let k = self.feature_layers();
        no_grad(|| {
            let features = self.net.forward_range(images, 0..k); // [n, d]
            let logits = self.net.forward_range(&features, k..k + 1); // [n, classes]
            (features, logits)
        })
    }

    /// Fails unless `images` holds whole images of the classifier's input shape.
    fn check_images(&self, images: &[f32]) -> Result<usize> {
        let image_len: usize = self.info.input_shape.iter().product();
        let n = images.len() / image_len;
        if n * image_len != images.len() {
            let shape = &self.info.input_shape;
            let problem = format!("{} values are not whole {shape:?} images", images.len());
            return Err(EvalError::Network(problem));
        }
        Ok(n)
    }

    /// Penultimate features and softmax probabilities of `images` (NCHW, values in `[0, 1]`),
    /// computed in batches of [`EMBED_BATCH`] without a graph.
    pub fn embed(&self, images: &[f32]) -> Result<EvalSet> {
        let n = self.check_images(images)?;
        let image_len = images.len() / n.max(1);
        let (mut features, mut probs) = (Vec::new(), Vec::new());
        let mut d = 0;
        for chunk in images.chunks(EMBED_BATCH * image_len.max(1)) {
            let mut shape = vec![chunk.len() / image_len];
            shape.extend_from_slice(&self.info.input_shape);
            let (f, logits) = self.forward(&Tensor::from_vec(chunk.to_vec(), &shape));
            d = f.dim(1);
            features.extend(f.data().iter().map(|&v| f64::from(v)));
            probs.extend(softmax_rows(logits.data(), self.info.classes));
        }
        Ok(EvalSet {
            features: Features::new(features, n, d)?,
            probs: Features::new(probs, n, self.info.classes)?,
        })
    }

    /// Predicted class of each image (arg-max of the logits).
    pub fn predict(&self, images: &[f32]) -> Result<Vec<usize>> {
        let set = self.embed(images)?;
        Ok(crate::modes::predicted_classes(&set.probs))
    }

    /// Share of `dataset`'s images whose predicted class is their label.
    pub fn accuracy(&self, dataset: &Dataset) -> Result<f64> {
        let labels = dataset
            .labels()
            .ok_or_else(|| EvalError::Network(format!("{} has no labels", dataset.source())))?;
        let predicted = self.predict(dataset.images())?;
        let correct = predicted
            .iter()
            .zip(labels)
            .filter(|(p, l)| **p == usize::from(**l))
            .count();
        Ok(correct as f64 / labels.len().max(1) as f64)
    }
}

/// Row-wise softmax of `logits` `[n, k]` in `f64`, shifted by each row's maximum.
pub fn softmax_rows(logits: &[f32], k: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(logits.len());
    for row in logits.chunks_exact(k) {
        let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let exps: Vec<f64> = row.iter().map(|&v| f64::from(v - max).exp()).collect();
        let total: f64 = exps.iter().sum();
        out.extend(exps.iter().map(|e| e / total));
    }
    out
}
