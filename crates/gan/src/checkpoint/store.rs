//! Writing, finding, loading and pruning checkpoint directories.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::tensors::{check_shapes, decode, encode};
use super::{files, Checkpoint, CheckpointError, ExpectedShapes, TensorMap, TrainState};
use crate::config::TrainConfig;

const POINTER: &str = "latest";
const PREFIX: &str = "iter-";
const TMP_SUFFIX: &str = ".tmp";

/// The `checkpoints/` directory of one run and how many checkpoints to keep in it.
#[derive(Debug, Clone)]
pub struct CheckpointStore {
    dir: PathBuf,
    keep: usize,
}

impl CheckpointStore {
    /// Checkpoints kept by default.
    pub const DEFAULT_KEEP: usize = 2;

    /// The store of `run_dir`, i.e. `run_dir/checkpoints`, keeping [`Self::DEFAULT_KEEP`].
    pub fn new(run_dir: impl AsRef<Path>) -> Self {
        let dir = run_dir.as_ref().join("checkpoints");
        Self {
            dir,
            keep: Self::DEFAULT_KEEP,
        }
    }

    /// Keeps the newest `keep` checkpoints (at least 1) after each save.
    pub fn with_keep(self, keep: usize) -> Self {
        Self {
            keep: keep.max(1),
            ..self
        }
    }

    /// The `checkpoints/` directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `checkpoint` as `iter-NNNNNN/`, points `latest` at it and prunes old ones.
    /// Returns the new directory.
    pub fn save(&self, checkpoint: &Checkpoint) -> Result<PathBuf, CheckpointError> {
        let name = dir_name(checkpoint.state.iteration);
        let tmp = self.dir.join(format!("{name}{TMP_SUFFIX}"));
        let target = self.dir.join(&name);
        create_dir(&self.dir)?;
        if tmp.exists() {
            remove_dir(&tmp)?;
        }
        create_dir(&tmp)?;

        write_contents(&tmp, checkpoint)?;
        sync_dir(&tmp)?;
        if target.exists() {
            remove_dir(&target)?;
        }
        rename(&tmp, &target)?;
        sync_dir(&self.dir)?;

        self.write_pointer(&name)?;
        self.prune()?;
        Ok(target)
    }

    /// Complete checkpoints as `(iteration, directory)`, oldest first. Directories still being
    /// written (`.tmp`) or missing a file are skipped.
    pub fn complete(&self) -> Result<Vec<(u64, PathBuf)>, CheckpointError> {
        if !self.dir.exists() {
            return Ok(Vec::new());
        }
        let entries = fs::read_dir(&self.dir).map_err(io_error(&self.dir, "cannot list"))?;
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error(&self.dir, "cannot list"))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(iteration) = parse_dir_name(&name) {
                if is_complete(&entry.path()) {
                    found.push((iteration, entry.path()));
                }
            }
        }
        found.sort();
        Ok(found)
    }

    /// The checkpoint `latest` names if it is complete, else the newest complete one.
    pub fn latest(&self) -> Result<Option<PathBuf>, CheckpointError> {
        let pointer = fs::read_to_string(self.dir.join(POINTER)).unwrap_or_default();
        let name = pointer.trim();
        if parse_dir_name(name).is_some() && is_complete(&self.dir.join(name)) {
            return Ok(Some(self.dir.join(name)));
        }
        Ok(self.complete()?.pop().map(|(_, dir)| dir))
    }

    /// Loads [`Self::latest`], or `None` when the run has no complete checkpoint yet.
    pub fn load_latest(
        &self,
        expected: &ExpectedShapes,
    ) -> Result<Option<Checkpoint>, CheckpointError> {
        match self.latest()? {
            Some(dir) => load_checkpoint(&dir, expected).map(Some),
            None => Ok(None),
        }
    }

    fn write_pointer(&self, name: &str) -> Result<(), CheckpointError> {
        let tmp = self.dir.join(format!("{POINTER}{TMP_SUFFIX}"));
        write_synced(&tmp, format!("{name}\n").as_bytes())?;
        rename(&tmp, &self.dir.join(POINTER))?;
        sync_dir(&self.dir)
    }

    /// Removes all but the newest `keep` complete checkpoints and any stale `.tmp` directory.
    fn prune(&self) -> Result<(), CheckpointError> {
        let complete = self.complete()?;
        let excess = complete.len().saturating_sub(self.keep);
        for (_, dir) in &complete[..excess] {
            remove_dir(dir)?;
        }
        let entries = fs::read_dir(&self.dir).map_err(io_error(&self.dir, "cannot list"))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale = name
                .strip_suffix(TMP_SUFFIX)
                .and_then(parse_dir_name)
                .is_some();
            if stale && entry.path().is_dir() {
                remove_dir(&entry.path())?;
            }
        }
        Ok(())
    }
}

/// Reads the checkpoint in `dir`, checking tensor shapes against `expected`.
pub fn load_checkpoint(
    dir: &Path,
    expected: &ExpectedShapes,
) -> Result<Checkpoint, CheckpointError> {
    let state_path = dir.join(files::STATE);
    let state_text = read(&state_path)?;
    let state: TrainState =
        serde_json::from_slice(&state_text).map_err(|cause| CheckpointError::State {
            path: state_path,
            cause,
        })?;

    let config_path = dir.join(files::CONFIG);
    if !config_path.exists() {
        return Err(CheckpointError::Missing { path: config_path });
    }
    let config =
        TrainConfig::from_toml_file(&config_path).map_err(|cause| CheckpointError::Config {
            path: config_path,
            cause,
        })?;

    Ok(Checkpoint {
        generator: load_tensors(&dir.join(files::GENERATOR), expected.generator.as_ref())?,
        critic: load_tensors(&dir.join(files::CRITIC), expected.critic.as_ref())?,
        optimizer_g: load_tensors(&dir.join(files::OPTIMIZER_G), expected.optimizer_g.as_ref())?,
        optimizer_c: load_tensors(&dir.join(files::OPTIMIZER_C), expected.optimizer_c.as_ref())?,
        pool: load_optional_tensors(&dir.join(files::POOL))?,
        average: load_optional_tensors(&dir.join(files::AVERAGE))?,
        state,
        config,
    })
}

/// A checkpoint directory from a path that is either one or a run directory (then its latest).
pub fn find_checkpoint(path: &Path) -> Result<PathBuf, CheckpointError> {
    if path.join(files::STATE).exists() {
        return Ok(path.to_path_buf());
    }
    if !path.exists() {
        return Err(CheckpointError::Missing {
            path: path.to_path_buf(),
        });
    }
    let store = CheckpointStore::new(path);
    store.latest()?.ok_or(CheckpointError::NotFound {
        path: path.to_path_buf(),
    })
}

fn load_tensors(
    path: &Path,
    expected: Option<&super::ShapeMap>,
) -> Result<TensorMap, CheckpointError> {
    let tensors = decode(path, &read(path)?)?;
    if let Some(expected) = expected {
        check_shapes(path, &tensors, expected)?;
    }
    Ok(tensors)
}

/// The tensors of `path`, or none when the file does not exist.
fn load_optional_tensors(path: &Path) -> Result<TensorMap, CheckpointError> {
    match load_tensors(path, None) {
        Err(CheckpointError::Missing { .. }) => Ok(TensorMap::new()),
        loaded => loaded,
    }
}

fn write_contents(dir: &Path, checkpoint: &Checkpoint) -> Result<(), CheckpointError> {
    let parts = [
        (files::GENERATOR, &checkpoint.generator),
        (files::CRITIC, &checkpoint.critic),
        (files::OPTIMIZER_G, &checkpoint.optimizer_g),
        (files::OPTIMIZER_C, &checkpoint.optimizer_c),
        (files::POOL, &checkpoint.pool),
        (files::AVERAGE, &checkpoint.average),
    ];
    for (file, tensors) in parts {
        let optional = file == files::POOL || file == files::AVERAGE;
        if optional && tensors.is_empty() {
            continue;
        }
        let path = dir.join(file);
        write_synced(&path, &encode(&path, tensors)?)?;
    }

    let state_path = dir.join(files::STATE);
    let state =
        serde_json::to_vec_pretty(&checkpoint.state).map_err(|cause| CheckpointError::State {
            path: state_path.clone(),
            cause,
        })?;
    write_synced(&state_path, &state)?;

    let config_path = dir.join(files::CONFIG);
    let config = checkpoint.config.to_toml_string();
    let config = config.map_err(|cause| CheckpointError::Config {
        path: config_path.clone(),
        cause,
    })?;
    write_synced(&config_path, config.as_bytes())
}

/// `iter-000500`; wider iteration counts simply use more digits.
fn dir_name(iteration: u64) -> String {
    format!("{PREFIX}{iteration:06}")
}

/// The iteration of a checkpoint directory name, `None` for anything else (`.tmp` included).
fn parse_dir_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(PREFIX)?;
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    all_digits.then(|| digits.parse().ok()).flatten()
}

fn is_complete(dir: &Path) -> bool {
    dir.is_dir() && files::ALL.iter().all(|file| dir.join(file).is_file())
}

fn io_error(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> CheckpointError {
    let path = path.to_path_buf();
    move |cause| CheckpointError::Io {
        path,
        action,
        cause,
    }
}

fn read(path: &Path) -> Result<Vec<u8>, CheckpointError> {
    fs::read(path).map_err(|cause| match cause.kind() {
        std::io::ErrorKind::NotFound => CheckpointError::Missing {
            path: path.to_path_buf(),
        },
        _ => CheckpointError::Io {
            path: path.to_path_buf(),
            action: "cannot read",
            cause,
        },
    })
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let mut file = File::create(path).map_err(io_error(path, "cannot create"))?;
    file.write_all(bytes)
        .map_err(io_error(path, "cannot write"))?;
    file.sync_all().map_err(io_error(path, "cannot sync"))
}

/// Makes a directory's entries (creations, renames) durable. Only Unix can open directories.
fn sync_dir(dir: &Path) -> Result<(), CheckpointError> {
    if cfg!(unix) {
        let handle = File::open(dir).map_err(io_error(dir, "cannot open directory"))?;
        handle
            .sync_all()
            .map_err(io_error(dir, "cannot sync directory"))?;
    }
    Ok(())
}

fn create_dir(dir: &Path) -> Result<(), CheckpointError> {
    fs::create_dir_all(dir).map_err(io_error(dir, "cannot create directory"))
}

fn remove_dir(dir: &Path) -> Result<(), CheckpointError> {
    fs::remove_dir_all(dir).map_err(io_error(dir, "cannot remove directory"))
}

fn rename(from: &Path, to: &Path) -> Result<(), CheckpointError> {
    fs::rename(from, to).map_err(io_error(to, "cannot rename into place"))
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
