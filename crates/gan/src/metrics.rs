//! The metrics file `metrics.jsonl`: one JSON object per logging interval, appended and flushed
//! line by line so that a killed run loses at most the line being written.
//!
//! On resume the file is cut back to the length recorded in the checkpoint
//! ([`MetricsWriter::resume`]), dropping records written after it.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Errors from writing or reading a metrics file.
///
/// Each message ends with its cause, and `source()` is `None`, so an error chain printed with
/// `{:#}` shows every cause once.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// An I/O operation on the file failed.
    #[error("metrics {path}: {action}: {cause}")]
    Io {
        /// The metrics file.
        path: PathBuf,
        /// What was being done, e.g. `cannot open`.
        action: &'static str,
        /// The underlying error.
        cause: std::io::Error,
    },
    /// A complete line is not a JSON object.
    #[error("metrics {path}: line {line}: not a JSON object: {detail}")]
    BadLine {
        /// The metrics file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The parser's message.
        detail: String,
    },
    /// A record could not be encoded as JSON.
    #[error("metrics {path}: cannot encode record: {cause}")]
    Encode {
        /// The metrics file.
        path: PathBuf,
        /// The encoder's error.
        cause: serde_json::Error,
    },
    /// A resume asked for more bytes than the file holds.
    #[error(
        "metrics {path}: is {actual} bytes, shorter than the {expected} bytes at the checkpoint"
    )]
    TooShort {
        /// The metrics file.
        path: PathBuf,
        /// Length recorded in the checkpoint.
        expected: u64,
        /// Length on disk.
        actual: u64,
    },
}

/// One logging interval, averaged over the critic and generator steps since the last record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsRecord {
    /// Generator iteration at the end of the interval.
    pub iteration: u64,
    /// Seconds of training since the start of the run, across resumes.
    pub elapsed_s: f64,
    /// Mean critic loss.
    pub critic_loss: f64,
    /// Wasserstein estimate `E[D(x)] − E[D(G(z))]` (WGAN losses only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasserstein: Option<f64>,
    /// Mean penalty term, before the λ weight (`wgan-gp`, `wgan-lp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty: Option<f64>,
    /// Mean generator loss.
    pub generator_loss: f64,
    /// Mean L2 norm of the critic's gradient with respect to its input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grad_norm: Option<f64>,
    /// Generator iterations per second over the interval.
    pub iters_per_sec: f64,
    /// Images through the critic per second over the interval.
    pub images_per_sec: f64,
    /// Further keys, e.g. `fid` or `lr`, written at the top level of the object.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Appends JSON lines to a metrics file.
#[derive(Debug)]
pub struct MetricsWriter {
    path: PathBuf,
    file: File,
    len: u64,
}

impl MetricsWriter {
    /// Creates (or empties) the file for a new run.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, MetricsError> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new().append(true).create(true).open(&path);
        let file = file.map_err(io_error(&path, "cannot create"))?;
        file.set_len(0).map_err(io_error(&path, "cannot empty"))?;
        Ok(Self { path, file, len: 0 })
    }

    /// Opens an existing file (creating it if missing) and cuts it to `len` bytes, the length
    /// recorded in the checkpoint being resumed.
    pub fn resume(path: impl AsRef<Path>, len: u64) -> Result<Self, MetricsError> {
        let path = path.as_ref().to_path_buf();
        let mut options = OpenOptions::new();
        let file = options.append(true).create(true).open(&path);
        let file = file.map_err(io_error(&path, "cannot open"))?;
        let actual = file
            .metadata()
            .map_err(io_error(&path, "cannot stat"))?
            .len();
        let mut writer = Self {
            path,
            file,
            len: actual,
        };
        writer.truncate_to(len)?;
        Ok(writer)
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written so far; store this in a checkpoint.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends one record as a line and flushes it.
    pub fn write(&mut self, record: &MetricsRecord) -> Result<(), MetricsError> {
        let value = serde_json::to_value(record).map_err(|cause| MetricsError::Encode {
            path: self.path.clone(),
            cause,
        })?;
        self.write_value(&value)
    }

    /// Appends any JSON value as a line and flushes it.
    pub fn write_value(&mut self, value: &Value) -> Result<(), MetricsError> {
        let mut line = value.to_string();
        line.push('\n');
        let write = self
            .file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush());
        write.map_err(io_error(&self.path, "cannot append"))?;
        self.len += line.len() as u64;
        Ok(())
    }

    /// Cuts the file to `len` bytes, dropping later records; fails if it is shorter.
    pub fn truncate_to(&mut self, len: u64) -> Result<(), MetricsError> {
        if len > self.len {
            let (path, actual) = (self.path.clone(), self.len);
            return Err(MetricsError::TooShort {
                path,
                expected: len,
                actual,
            });
        }
        self.file
            .set_len(len)
            .map_err(io_error(&self.path, "cannot truncate"))?;
        self.file
            .sync_all()
            .map_err(io_error(&self.path, "cannot sync"))?;
        self.len = len;
        Ok(())
    }
}

/// Reads every record of a metrics file. A final line without its newline (a write cut short
/// by a kill) is skipped if it does not parse; any other bad line is an error.
pub fn read_metrics(path: impl AsRef<Path>) -> Result<Vec<Value>, MetricsError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(io_error(path, "cannot read"))?;
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();

    let mut records = Vec::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let last_partial = !complete && index + 1 == lines.len();
        match serde_json::from_str::<Value>(line) {
            Ok(value) if value.is_object() => records.push(value),
            _ if last_partial => {}
            Ok(_) => return Err(bad_line(path, index, "expected an object".to_string())),
            Err(err) => return Err(bad_line(path, index, err.to_string())),
        }
    }
    Ok(records)
}

fn bad_line(path: &Path, index: usize, detail: String) -> MetricsError {
    MetricsError::BadLine {
        path: path.to_path_buf(),
        line: index + 1,
        detail,
    }
}

fn io_error(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> MetricsError {
    let path = path.to_path_buf();
    move |cause| MetricsError::Io {
        path,
        action,
        cause,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(iteration: u64) -> MetricsRecord {
        MetricsRecord {
            iteration,
            elapsed_s: 1.5,
            critic_loss: -0.25,
            wasserstein: Some(0.5),
            generator_loss: 0.125,
            iters_per_sec: 3.0,
            images_per_sec: 750.0,
            ..Default::default()
        }
    }

    #[test]
    fn records_round_trip_with_extra_keys_at_top_level() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.jsonl");
        let mut writer = MetricsWriter::create(&path).unwrap();
        let mut second = record(40);
        second.extra.insert("fid".into(), serde_json::json!(12.5));
        writer.write(&record(20)).unwrap();
        writer.write(&second).unwrap();
        assert_eq!(writer.len(), std::fs::metadata(&path).unwrap().len());

        let values = read_metrics(&path).unwrap();
        assert_eq!(values.len(), 2);
        assert_eq!(values[1]["fid"], 12.5);
        assert!(
            values[0].get("penalty").is_none(),
            "unset optional keys are omitted"
        );
        let back: MetricsRecord = serde_json::from_value(values[1].clone()).unwrap();
        assert_eq!(back, second);
    }

    #[test]
    fn resume_drops_records_written_after_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.jsonl");
        let mut writer = MetricsWriter::create(&path).unwrap();
        writer.write(&record(20)).unwrap();
        let at_checkpoint = writer.len();
        writer.write(&record(40)).unwrap();
        drop(writer);

        let mut writer = MetricsWriter::resume(&path, at_checkpoint).unwrap();
        writer.write(&record(60)).unwrap();
        let iterations: Vec<u64> = read_metrics(&path)
            .unwrap()
            .iter()
            .map(|v| v["iteration"].as_u64().unwrap())
            .collect();
        assert_eq!(iterations, [20, 60]);
    }

    #[test]
    fn resume_past_the_end_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.jsonl");
        let err = MetricsWriter::resume(&path, 10).unwrap_err().to_string();
        assert!(err.contains("0 bytes, shorter than the 10 bytes"), "{err}");
    }

    #[test]
    fn a_cut_final_line_is_skipped_but_a_bad_middle_line_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.jsonl");
        std::fs::write(&path, "{\"iteration\":1}\n{\"iterat").unwrap();
        assert_eq!(read_metrics(&path).unwrap().len(), 1);
        std::fs::write(&path, "{\"iteration\":1}\nnot json\n{\"iteration\":2}\n").unwrap();
        let err = read_metrics(&path).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }
}
