//! The error type of `gantry-data`: every variant names the file, directory or URL involved
//! and says what was wrong with it in one line.

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, DataError>;

/// Everything that can go wrong while loading data or writing images.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Reading or writing a file failed at the operating-system level.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory being accessed.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// A file was read but its content is not what the format requires.
    #[error("{}: {problem}", path.display())]
    Format {
        /// The offending file.
        path: PathBuf,
        /// What is wrong, e.g. `truncated: header says 10 labels (10 bytes), found 3`.
        problem: String,
    },

    /// An image file could not be decoded or encoded.
    #[error("{}: {source}", path.display())]
    Image {
        /// The offending file.
        path: PathBuf,
        /// The error reported by the `image` crate.
        source: image::ImageError,
    },

    /// An animated GIF could not be encoded.
    #[error("{}: cannot encode GIF: {message}", path.display())]
    Gif {
        /// The GIF being written.
        path: PathBuf,
        /// What the encoder reported.
        message: String,
    },

    /// A dataset spec string is not one of the known forms.
    #[error(
        "unknown dataset `{spec}`: expected `mnist`, `fashion-mnist`, `idx:DIR` or `folder:DIR`"
    )]
    UnknownSpec {
        /// The spec string as given.
        spec: String,
    },

    /// No usable copy of a dataset was found anywhere it was looked for.
    #[error("{name}: not found; {tried}")]
    NotFound {
        /// The dataset (or file set) that was looked for.
        name: String,
        /// Where it was looked for and why each place failed.
        tried: String,
    },

    /// Downloading a file failed (network, HTTP status, size or checksum).
    #[error("{url}: {problem}")]
    Download {
        /// The URL that was requested, or the file name when every mirror failed.
        url: String,
        /// What went wrong.
        problem: String,
    },

    /// A function was called with arguments that cannot work, e.g. a zero batch size.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl DataError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }

    /// A format problem in `path`.
    pub(crate) fn format(path: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        DataError::Format {
            path: path.into(),
            problem: problem.into(),
        }
    }
}
