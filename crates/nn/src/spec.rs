//! A serialisable description of a network: an ordered list of layer specifications, from
//! which [`crate::Network::build`] infers every shape.

use serde::{Deserialize, Serialize};

/// An element-wise activation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Activation {
    /// `max(x, 0)`.
    Relu,
    /// `x` if positive, else `slope·x`.
    LeakyRelu {
        /// Slope for negative inputs (0.2 in the WGAN-GP critic).
        slope: f64,
    },
    /// The logistic function, for images in [0, 1].
    Sigmoid,
    /// Hyperbolic tangent, for images in [-1, 1].
    Tanh,
}

/// Which axes a normalisation layer standardises over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NormKind {
    /// Over the batch (and spatial axes), with running statistics for evaluation. Not for
    /// critics with a gradient penalty: it couples the samples whose gradients are penalised.
    Batch,
    /// Over each sample's features: safe with a per-sample gradient penalty.
    Layer,
}

/// One layer of a network description.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "layer")]
pub enum LayerSpec {
    /// Fully connected: `[n, in] → [n, out]`.
    Linear {
        /// Output features.
        out: usize,
    },
    /// Convolution `[n, c, h, w] → [n, out, …]`, square kernel.
    Conv {
        /// Output channels.
        out: usize,
        /// Kernel size.
        kernel: usize,
        /// Stride.
        stride: usize,
        /// Zero padding.
        padding: usize,
    },
    /// Transposed convolution `[n, c, h, w] → [n, out, (h-1)s - 2p + k + op, …]`.
    ConvTranspose {
        /// Output channels.
        out: usize,
        /// Kernel size.
        kernel: usize,
        /// Stride.
        stride: usize,
        /// Zero padding.
        padding: usize,
        /// Extra rows and columns on one side of the output.
        output_padding: usize,
    },
    /// An element-wise activation.
    Activation(Activation),
    /// Normalisation with a learned scale and shift.
    Norm {
        /// Batch or layer normalisation.
        kind: NormKind,
    },
    /// Reshapes each sample (the batch axis is kept).
    Reshape {
        /// The new per-sample shape.
        shape: Vec<usize>,
    },
    /// Flattens each sample to a vector.
    Flatten,
    /// Keeps the top-left `height × width` of each feature map.
    Crop {
        /// Rows kept.
        height: usize,
        /// Columns kept.
        width: usize,
    },
}
