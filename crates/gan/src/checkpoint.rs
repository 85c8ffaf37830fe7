//! Crash-safe checkpoints of a training run.
//!
//! Layout under the run directory:
//!
//! ```text
//! checkpoints/
//!   latest                    name of the current checkpoint, e.g. "iter-000500"
//!   iter-000500/
//!     generator.safetensors   critic.safetensors
//!     optimizer_g.safetensors optimizer_c.safetensors
//!     state.json              config.toml
//!     adversarial_pool.safetensors   only while the adversarial pool holds images
//!     generator_average.safetensors  only when the run keeps a generator average
//! ```
//!
//! [`CheckpointStore::save`] writes into `iter-000500.tmp/`, syncs every file and the directory,
//! renames it into place, syncs `checkpoints/`, then replaces `latest` the same way. A kill at any
//! point leaves either the previous checkpoint or the new one complete; a leftover `.tmp`
//! directory is ignored by loading and removed by the next save.

mod store;
mod tensors;

pub use store::{find_checkpoint, load_checkpoint, CheckpointStore};
pub use tensors::{shapes_of, ShapeMap, TensorData, TensorMap};

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{ConfigError, TrainConfig};

/// Errors from writing or reading checkpoints; each names the file at fault.
///
/// Each message ends with its cause, and `source()` is `None`, so an error chain printed with
/// `{:#}` shows every cause once.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// A file-system operation failed.
    #[error("checkpoint {path}: {action}: {cause}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// What was being done, e.g. `cannot write`.
        action: &'static str,
        /// The underlying error.
        cause: std::io::Error,
    },
    /// A tensor file is not valid safetensors.
    #[error("checkpoint {path}: not a valid safetensors file ({detail}): truncated or corrupt?")]
    Format {
        /// The tensor file.
        path: PathBuf,
        /// The decoder's message.
        detail: String,
    },
    /// Tensors do not match what the model expects (name, shape or dtype).
    #[error("checkpoint {path}: {problem}")]
    Mismatch {
        /// The tensor file.
        path: PathBuf,
        /// Which tensor and how it differs.
        problem: String,
    },
    /// `state.json` could not be written or parsed.
    #[error("checkpoint {path}: bad training state: {cause}")]
    State {
        /// The state file.
        path: PathBuf,
        /// The JSON error.
        cause: serde_json::Error,
    },
    /// `config.toml` could not be written or parsed.
    #[error("checkpoint {path}: {cause}")]
    Config {
        /// The config file.
        path: PathBuf,
        /// The configuration error.
        cause: ConfigError,
    },
    /// A required file is absent.
    #[error("checkpoint {path}: missing: incomplete checkpoint")]
    Missing {
        /// The absent file.
        path: PathBuf,
    },
    /// No complete checkpoint exists where one was required.
    #[error("no complete checkpoint under {path}")]
    NotFound {
        /// The run or checkpoints directory searched.
        path: PathBuf,
    },
}

/// Everything beside the tensors that a resumed run needs, stored as `state.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Generator iterations completed.
    pub iteration: u64,
    /// Seconds of training so far, summed across resumes.
    pub elapsed_s: f64,
    /// Random-number-generator states by stream name, e.g. `noise`, `data`.
    pub rngs: BTreeMap<String, Value>,
    /// State of the data batcher (epoch, permutation, position).
    pub batcher: Value,
    /// Length in bytes of `metrics.jsonl` when the checkpoint was taken; resume truncates to it.
    pub metrics_len: u64,
    /// Anything else the trainer wants back, e.g. the current learning rate after rollbacks.
    #[serde(default)]
    pub extra: Value,
}

/// One complete checkpoint: weights, optimiser state, training state and configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// Generator parameters.
    pub generator: TensorMap,
    /// Critic parameters.
    pub critic: TensorMap,
    /// Generator optimiser state (moments, step count as a scalar tensor).
    pub optimizer_g: TensorMap,
    /// Critic optimiser state.
    pub optimizer_c: TensorMap,
    /// The adversarial pool: `images [len, c, h, w]` in slot order and `next`, the slot to be
    /// overwritten next, as a one-value tensor. Empty when the run has no pool or an empty one
    /// (then no file is written, and a checkpoint without the file loads with an empty pool).
    pub pool: TensorMap,
    /// The generator's moving average: its parameters by name and `updates`, the number of
    /// updates so far, as a one-value tensor. Empty when the run keeps no average (then no
    /// file is written).
    pub average: TensorMap,
    /// Counters, RNG states and the metrics-file length.
    pub state: TrainState,
    /// The run's effective configuration.
    pub config: TrainConfig,
}

/// Shapes the caller's models expect; `None` skips the check for that file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpectedShapes {
    /// Expected generator tensors.
    pub generator: Option<ShapeMap>,
    /// Expected critic tensors.
    pub critic: Option<ShapeMap>,
    /// Expected generator optimiser tensors.
    pub optimizer_g: Option<ShapeMap>,
    /// Expected critic optimiser tensors.
    pub optimizer_c: Option<ShapeMap>,
}

/// File names inside a checkpoint directory.
pub mod files {
    /// Generator parameters.
    pub const GENERATOR: &str = "generator.safetensors";
    /// Critic parameters.
    pub const CRITIC: &str = "critic.safetensors";
    /// Generator optimiser state.
    pub const OPTIMIZER_G: &str = "optimizer_g.safetensors";
    /// Critic optimiser state.
    pub const OPTIMIZER_C: &str = "optimizer_c.safetensors";
    /// Training state.
    pub const STATE: &str = "state.json";
    /// Effective configuration.
    pub const CONFIG: &str = "config.toml";
    /// The adversarial pool; optional, absent while the pool is empty.
    pub const POOL: &str = "adversarial_pool.safetensors";
    /// The generator's moving average; optional, absent when the run keeps none.
    pub const AVERAGE: &str = "generator_average.safetensors";
    /// Every file a complete checkpoint holds (the optional pool and average aside).
    pub const ALL: [&str; 6] = [GENERATOR, CRITIC, OPTIMIZER_G, OPTIMIZER_C, STATE, CONFIG];
}
