//! The typed error of every fallible function in `gantry-eval`.

use std::path::PathBuf;

/// What can go wrong while computing metrics, drawing charts or writing reports.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A matrix buffer does not hold `n * d` values.
    #[error("{what}: buffer holds {len} values, expected n * d = {n} * {d}")]
    BadShape {
        /// Which input was malformed.
        what: &'static str,
        /// Length of the buffer passed in.
        len: usize,
        /// Rows claimed.
        n: usize,
        /// Columns claimed.
        d: usize,
    },
    /// Two inputs that must agree in a dimension do not.
    #[error("{what}: dimension mismatch, {left} vs {right}")]
    DimMismatch {
        /// Which dimension disagrees.
        what: &'static str,
        /// The dimension of the first input.
        left: usize,
        /// The dimension of the second input.
        right: usize,
    },
    /// An input has fewer rows than the metric needs.
    #[error("{what}: needs at least {needed} rows, got {got}")]
    TooFewRows {
        /// Which input was too small.
        what: &'static str,
        /// Minimum number of rows.
        needed: usize,
        /// Rows passed in.
        got: usize,
    },
    /// An input holds NaN or infinity.
    #[error("{what}: value at flat index {index} is not finite")]
    NonFinite {
        /// Which input holds the value.
        what: &'static str,
        /// Row-major index of the first bad value.
        index: usize,
    },
    /// A row of class probabilities is negative or does not sum to one.
    #[error("probabilities: row {row} is not a distribution (sum {sum}, min {min})")]
    NotProbabilities {
        /// The offending row.
        row: usize,
        /// Its sum.
        sum: f64,
        /// Its smallest entry.
        min: f64,
    },
    /// A chart could not be drawn or encoded.
    #[error("plot '{title}': {message}")]
    Plot {
        /// Title of the chart.
        title: String,
        /// What plotters or the encoder reported.
        message: String,
    },
    /// Bytes passed as an image are neither PNG nor GIF.
    #[error("{what}: not a PNG or GIF image")]
    UnknownImage {
        /// Which image was passed.
        what: &'static str,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A classifier file is missing, malformed or does not fit the data.
    #[error("classifier {path}: {problem}")]
    Classifier {
        /// The weights file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// A run-directory file (metrics, samples, eval.json) could not be understood.
    #[error("{path}: {problem}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// A network could not be built from its description, or inputs do not fit it.
    #[error("classifier network: {0}")]
    Network(String),
    /// Loading data or writing images failed.
    #[error("{0}")]
    Data(#[from] gantry_data::DataError),
    /// Serialising the report failed.
    #[error("serialising eval report: {0}")]
    Json(#[from] serde_json::Error),
}

/// Result type of `gantry-eval`.
pub type Result<T> = std::result::Result<T, EvalError>;

/// Wraps an I/O error with the path it concerns.
pub(crate) fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> EvalError {
    let path = path.into();
    move |source| EvalError::Io { path, source }
}
