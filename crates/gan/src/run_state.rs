//! Saving a run into a checkpoint and restoring it: weights, optimiser moments, the iteration,
//! random and data-order state, the adversarial pool and the metrics-file length, so that a
//! resumed run continues exactly where it stopped.

use std::path::{Path, PathBuf};

use gantry_data::{Batcher, BatcherState, DataError, Dataset};
use gantry_engine::optim::{Optimizer, OptimizerState};
use gantry_engine::Rng;
use gantry_nn::{Network, NetworkError};
use serde_json::json;

use crate::augment::AdversarialPool;
use crate::checkpoint::{
    files, shapes_of, Checkpoint, CheckpointError, CheckpointStore, ExpectedShapes, TensorData,
    TensorMap, TrainState,
};
use crate::config::{ConfigError, TrainConfig};
use crate::metrics::{MetricsError, MetricsWriter};
use crate::model::{build_model, Diverged, Gan, GeneratorAverage};
use crate::trainer::{Trainer, STREAM_INIT};

/// Why training stopped early.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A file-system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Loading data or writing images failed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The model could not be built or loaded.
    #[error("model: {0}")]
    Network(#[from] NetworkError),
    /// A checkpoint could not be written or read.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The metrics file could not be written.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The data does not fit the configured model.
    #[error("{0}")]
    Mismatch(String),
    /// A loss or gradient became NaN or infinite.
    #[error("diverged at generator iteration {iteration}: {what}")]
    Diverged {
        /// The generator iteration (from 0) whose step failed.
        iteration: u64,
        /// The step and the term that was not finite.
        what: String,
    },
}

impl TrainError {
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
        move |source| TrainError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn diverged(iteration: u64, d: Diverged) -> TrainError {
        TrainError::Diverged {
            iteration,
            what: d.to_string(),
        }
    }
}

/// Checks that the dataset's images have the configured shape.
pub fn check_dataset(c: &TrainConfig, d: &Dataset) -> Result<(), TrainError> {
    let want = [c.channels, c.image_size, c.image_size];
    let got = [d.channels(), d.height(), d.width()];
    if want != got {
        return Err(TrainError::Mismatch(format!(
            "{}: images are {}x{}x{} (channels x height x width), the model expects {}x{}x{}",
            d.source(),
            got[0],
            got[1],
            got[2],
            want[0],
            want[1],
            want[2]
        )));
    }
    if d.len() < c.batch_size {
        return Err(TrainError::Mismatch(format!(
            "{}: {} images, fewer than one batch of {}",
            d.source(),
            d.len(),
            c.batch_size
        )));
    }
    Ok(())
}

fn network_tensors(net: &Network) -> TensorMap {
    net.named_params()
        .into_iter()
        .map(|(name, t)| (name, TensorData::new(t.shape().to_vec(), t.to_vec())))
        .collect()
}

fn optimizer_tensors(opt: &dyn Optimizer) -> TensorMap {
    let state = opt.state();
    let mut map: TensorMap = state
        .buffers
        .into_iter()
        .map(|(name, v)| (name, TensorData::new(vec![v.len()], v)))
        .collect();
    // Steps are counted in f32 exactly up to 2²⁴.
    map.insert(
        "step".into(),
        TensorData::new(vec![1], vec![state.step as f32]),
    );
    map
}

fn load_optimizer(opt: &mut dyn Optimizer, map: &TensorMap, path: &str) -> Result<(), TrainError> {
    let step = map
        .get("step")
        .and_then(|t| t.data.first())
        .copied()
        .unwrap_or(0.0) as u64;
    let mut buffers: Vec<(String, Vec<f32>)> = map
        .iter()
        .filter(|(name, _)| name.as_str() != "step")
        .map(|(name, t)| (name.clone(), t.data.clone()))
        .collect();
    // Buffers are named `<slot>.<parameter index>`: order by index, then slot.
    buffers.sort_by_key(|(name, _)| {
        let (slot, index) = name.rsplit_once('.').unwrap_or((name, "0"));
        (
            index.parse::<usize>().unwrap_or(usize::MAX),
            slot.to_string(),
        )
    });
    let mut state = OptimizerState { step, buffers };
    // Slots are exported per parameter in declaration order (m before v): restore that order.
    state.buffers = reorder_slots(opt, state.buffers);
    opt.load_state(state)
        .map_err(|e| TrainError::Mismatch(format!("{path}: {e}")))
}

fn reorder_slots(opt: &dyn Optimizer, buffers: Vec<(String, Vec<f32>)>) -> Vec<(String, Vec<f32>)> {
    let order: Vec<String> = opt.state().buffers.into_iter().map(|(n, _)| n).collect();
    if order.is_empty() {
        return buffers;
    }
    let mut out = Vec::with_capacity(buffers.len());
    for name in &order {
        if let Some(b) = buffers.iter().find(|(n, _)| n == name) {
            out.push(b.clone());
        }
    }
    out
}

fn load_network(net: &mut Network, map: &TensorMap) -> Result<(), TrainError> {
    let saved: Vec<(String, Vec<usize>, Vec<f32>)> = map
        .iter()
        .map(|(n, t)| (n.clone(), t.shape.clone(), t.data.clone()))
        .collect();
    Ok(net.load(&saved)?)
}

/// Name of the update count among the average's tensors (parameter names hold a dot).
const AVERAGE_UPDATES: &str = "updates";

/// The average's parameters and its update count; nothing when the run keeps none.
fn average_tensors(average: Option<&GeneratorAverage>) -> TensorMap {
    let Some(average) = average else {
        return TensorMap::new();
    };
    let mut map = network_tensors(&average.network);
    // Updates are counted in f32 exactly up to 2²⁴.
    map.insert(
        AVERAGE_UPDATES.into(),
        TensorData::new(vec![1], vec![average.updates as f32]),
    );
    map
}

/// Puts a saved average into `gan` (generator already loaded). A checkpoint without one,
/// written by a run that kept none, starts the average at the generator's weights; a saved
/// average the configuration does not ask for is ignored.
fn load_average(gan: &mut Gan, map: &TensorMap) -> Result<(), TrainError> {
    let Some(average) = gan.average.as_mut() else {
        return Ok(());
    };
    let mut params = map.clone();
    let Some(updates) = params.remove(AVERAGE_UPDATES) else {
        *average = GeneratorAverage::new(&gan.generator, average.decay);
        return Ok(());
    };
    load_network(&mut average.network, &params)
        .map_err(|e| TrainError::Mismatch(format!("checkpoint {}: {e}", files::AVERAGE)))?;
    average.updates = match updates.data.as_slice() {
        [n] if *n >= 0.0 && n.fract() == 0.0 => *n as u64,
        other => {
            return Err(TrainError::Mismatch(format!(
                "checkpoint {}: `updates` holds {other:?}, expected one whole number",
                files::AVERAGE
            )))
        }
    };
    Ok(())
}

/// The pool's images `[len, c, h, w]` in slot order and its next slot; nothing when it is
/// absent or empty.
fn pool_tensors(pool: Option<&AdversarialPool>) -> TensorMap {
    let mut map = TensorMap::new();
    let Some(pool) = pool.filter(|p| !p.is_empty()) else {
        return map;
    };
    let images = pool.images();
    let shape = images.shape().to_vec();
    map.insert("images".into(), TensorData::new(shape, images.to_vec()));
    // Slots are counted in f32 exactly up to 2²⁴.
    let next = vec![pool.next_slot() as f32];
    map.insert("next".into(), TensorData::new(vec![1], next));
    map
}

/// Puts the pool back into the saved state; no saved images means an empty pool.
fn load_pool(pool: Option<&mut AdversarialPool>, map: &TensorMap) -> Result<(), TrainError> {
    let mismatch = |e: String| TrainError::Mismatch(format!("checkpoint {}: {e}", files::POOL));
    let images = map.get("images").map_or(&[][..], |t| t.data.as_slice());
    let next = map.get("next").and_then(|t| t.data.first()).copied();
    match pool {
        Some(pool) => pool
            .restore(images, next.unwrap_or(0.0) as usize)
            .map_err(mismatch),
        None if images.is_empty() => Ok(()),
        None => Err(mismatch("holds images, but adv_start is 0".into())),
    }
}

pub(crate) fn train_state(t: &Trainer) -> TrainState {
    let mut state = TrainState {
        iteration: t.iteration,
        elapsed_s: t.elapsed_s,
        batcher: json!(t.batcher.state()),
        metrics_len: t.metrics.len(),
        extra: json!({ "lr": t.config.lr }),
        ..Default::default()
    };
    state.rngs.insert("noise".into(), json!(t.noise));
    state
}

/// Everything a checkpoint holds about `t`.
pub(crate) fn capture(t: &Trainer) -> Result<Checkpoint, TrainError> {
    Ok(Checkpoint {
        generator: network_tensors(&t.gan.generator),
        critic: network_tensors(&t.gan.critic),
        optimizer_g: optimizer_tensors(t.gan.opt_g.as_ref()),
        optimizer_c: optimizer_tensors(t.gan.opt_c.as_ref()),
        pool: pool_tensors(t.pool.as_ref()),
        average: average_tensors(t.gan.average.as_ref()),
        state: t.train_state(),
        config: t.config.clone(),
    })
}

fn bad_state(what: &str, e: impl std::fmt::Display) -> TrainError {
    TrainError::Mismatch(format!("checkpoint state.json: {what}: {e}"))
}

/// Puts `t` back into the state `checkpoint` recorded.
pub(crate) fn restore(t: &mut Trainer, checkpoint: Checkpoint) -> Result<(), TrainError> {
    load_network(&mut t.gan.generator, &checkpoint.generator)?;
    load_network(&mut t.gan.critic, &checkpoint.critic)?;
    load_average(&mut t.gan, &checkpoint.average)?;
    load_optimizer(
        t.gan.opt_g.as_mut(),
        &checkpoint.optimizer_g,
        "optimizer_g.safetensors",
    )?;
    load_optimizer(
        t.gan.opt_c.as_mut(),
        &checkpoint.optimizer_c,
        "optimizer_c.safetensors",
    )?;
    load_pool(t.pool.as_mut(), &checkpoint.pool)?;
    let s = checkpoint.state;
    let noise = s
        .rngs
        .get("noise")
        .ok_or_else(|| bad_state("rngs.noise", "missing"))?;
    t.noise =
        serde_json::from_value::<Rng>(noise.clone()).map_err(|e| bad_state("rngs.noise", e))?;
    let batcher: BatcherState =
        serde_json::from_value(s.batcher).map_err(|e| bad_state("batcher", e))?;
    t.batcher = Batcher::from_state(batcher)?;
    t.iteration = s.iteration;
    t.elapsed_s = s.elapsed_s;
    t.metrics.truncate_to(s.metrics_len)?;
    Ok(())
}

/// Shapes a checkpoint must have to fit the model `c` describes.
fn expected_shapes(c: &TrainConfig) -> Result<ExpectedShapes, TrainError> {
    let gan = build_model(c, &mut Rng::stream(c.seed, STREAM_INIT))?;
    Ok(ExpectedShapes {
        generator: Some(shapes_of(&network_tensors(&gan.generator))),
        critic: Some(shapes_of(&network_tensors(&gan.critic))),
        optimizer_g: None,
        optimizer_c: None,
    })
}

impl Trainer {
    /// Continues the run in `run_dir` from its latest complete checkpoint. `config` is the
    /// run's saved configuration (its `iters` may be raised to train longer).
    pub fn resume(
        config: TrainConfig,
        run_dir: &Path,
        dataset: Dataset,
    ) -> Result<Self, TrainError> {
        check_dataset(&config, &dataset)?;
        let store = CheckpointStore::new(run_dir);
        let checkpoint = store
            .load_latest(&expected_shapes(&config)?)?
            .ok_or_else(|| CheckpointError::NotFound {
                path: store.dir().to_path_buf(),
            })?;
        let gan = build_model(&config, &mut Rng::stream(config.seed, STREAM_INIT))?;
        let metrics_path = run_dir.join("metrics.jsonl");
        let metrics = MetricsWriter::resume(&metrics_path, checkpoint.state.metrics_len)?;
        let batcher = Batcher::new(config.batch_size, config.seed)?;
        let mut trainer = Trainer::assemble(config, run_dir, dataset, gan, batcher, metrics);
        restore(&mut trainer, checkpoint)?;
        Ok(trainer)
    }
}

/// The configuration and trained model of the checkpoint in `dir` (optimiser state unused).
pub fn load_model(dir: &Path) -> Result<(TrainConfig, Gan), TrainError> {
    let config = TrainConfig::from_toml_file(dir.join(files::CONFIG))?;
    let checkpoint = crate::checkpoint::load_checkpoint(dir, &expected_shapes(&config)?)?;
    let mut gan = build_model(&config, &mut Rng::stream(config.seed, STREAM_INIT))?;
    load_network(&mut gan.generator, &checkpoint.generator)?;
    load_network(&mut gan.critic, &checkpoint.critic)?;
    load_average(&mut gan, &checkpoint.average)?;
    Ok((config, gan))
}
