//! The in-memory [`Dataset`]: images as `f32` in `[0, 1]`, NCHW row-major, with optional
//! `u8` class labels, and loading of an MNIST-style train or test split from IDX files.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{DataError, Result};
use crate::idx::{read_idx_images, read_idx_labels};

/// Which half of an IDX data set to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// The training split (`train-*` files).
    Train,
    /// The test split (`t10k-*` files).
    Test,
}

impl Split {
    /// The file-name prefix of the split: `train` or `t10k`.
    pub fn prefix(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }

    /// File stem of the split's image file, e.g. `train-images-idx3-ubyte`.
    pub fn images_stem(self) -> String {
        format!("{}-images-idx3-ubyte", self.prefix())
    }

    /// File stem of the split's label file, e.g. `train-labels-idx1-ubyte`.
    pub fn labels_stem(self) -> String {
        format!("{}-labels-idx1-ubyte", self.prefix())
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Split::Train => "train",
            Split::Test => "test",
        })
    }
}

/// A set of equally sized images held in memory.
///
/// `images` has layout `[len, channels, height, width]` (NCHW, row-major) with values in
/// `[0, 1]`; `labels`, when present, holds one class per image.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    images: Vec<f32>,
    labels: Option<Vec<u8>>,
    len: usize,
    channels: usize,
    height: usize,
    width: usize,
    source: String,
}

impl Dataset {
    /// Builds a dataset from NCHW pixels; `source` is a human-readable description for logs.
    ///
    /// Fails when a dimension is zero, `images.len()` is not a multiple of
    /// `channels * height * width`, or the number of labels differs from the number of images.
    pub fn new(
        images: Vec<f32>,
        labels: Option<Vec<u8>>,
        [channels, height, width]: [usize; 3],
        source: impl Into<String>,
    ) -> Result<Self> {
        let image_len = channels * height * width;
        if image_len == 0 || !images.len().is_multiple_of(image_len) {
            return Err(DataError::InvalidArgument(format!(
                "{} values do not form whole images of {channels}x{height}x{width}",
                images.len()
            )));
        }
        let len = images.len() / image_len;
        if let Some(n) = labels.as_ref().map(Vec::len).filter(|&n| n != len) {
            return Err(DataError::InvalidArgument(format!(
                "{n} labels for {len} images"
            )));
        }
        Ok(Dataset {
            images,
            labels,
            len,
            channels,
            height,
            width,
            source: source.into(),
        })
    }

    /// All pixels, `[len, channels, height, width]`, values in `[0, 1]`.
    pub fn images(&self) -> &[f32] {
        &self.images
    }

    /// The class labels, one per image, if the dataset has them.
    pub fn labels(&self) -> Option<&[u8]> {
        self.labels.as_deref()
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the dataset holds no image.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Channels per image (1 for grayscale, 3 for RGB).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Rows per image.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Columns per image.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Values per image: `channels * height * width`.
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Shape of the whole set as `[len, channels, height, width]`.
    pub fn shape(&self) -> [usize; 4] {
        [self.len, self.channels, self.height, self.width]
    }

    /// Pixels of image `index`, `[channels, height, width]`; `None` when out of range.
    pub fn image(&self, index: usize) -> Option<&[f32]> {
        let n = self.image_len();
        self.images.get(index * n..(index + 1) * n)
    }

    /// Label of image `index`; `None` when out of range or the set is unlabelled.
    pub fn label(&self, index: usize) -> Option<u8> {
        self.labels.as_ref().and_then(|l| l.get(index).copied())
    }

    /// Human-readable description of where the data came from, for logs.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Replaces the description returned by [`Dataset::source`].
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }
}

/// Finds `stem` or `stem.gz` in `dir` (the uncompressed name first).
pub fn find_idx_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    [stem.to_string(), format!("{stem}.gz")]
        .into_iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// True when `dir` holds both the image and the label file of `split`.
pub fn has_idx_split(dir: &Path, split: Split) -> bool {
    find_idx_file(dir, &split.images_stem()).is_some()
        && find_idx_file(dir, &split.labels_stem()).is_some()
}

/// Loads one split of an MNIST-style data set from `dir`, which holds
/// `train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]` and the `t10k-` pair.
///
/// Pixels are scaled from `0..=255` to `[0, 1]`; the result has one channel. Fails when a
/// file is missing or malformed, or when the image and label counts disagree.
pub fn load_idx_split(dir: &Path, split: Split) -> Result<Dataset> {
    let images_path = require_idx_file(dir, &split.images_stem())?;
    let labels_path = require_idx_file(dir, &split.labels_stem())?;
    let images = read_idx_images(&images_path)?;
    let labels = read_idx_labels(&labels_path)?;
    if labels.len() != images.count {
        return Err(DataError::format(
            &labels_path,
            format!(
                "{} labels, but {} has {} images",
                labels.len(),
                images_path.display(),
                images.count
            ),
        ));
    }

    let pixels = images
        .pixels
        .iter()
        .map(|&p| f32::from(p) / 255.0)
        .collect();
    let source = format!(
        "{} split of IDX files in {} ({} images, 1x{}x{})",
        split,
        dir.display(),
        images.count,
        images.height,
        images.width
    );
    Dataset::new(
        pixels,
        Some(labels),
        [1, images.height, images.width],
        source,
    )
}

/// Like [`find_idx_file`], but a missing file is an error naming both accepted names.
fn require_idx_file(dir: &Path, stem: &str) -> Result<PathBuf> {
    find_idx_file(dir, stem).ok_or_else(|| DataError::NotFound {
        name: stem.to_string(),
        tried: format!("no {stem} or {stem}.gz in {}", dir.display()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::testutil::{images_bytes, labels_bytes, write};

    fn write_split(dir: &Path, split: Split, n: u32, n_labels: usize, gzip: bool) {
        let ext = if gzip { ".gz" } else { "" };
        let pixels: Vec<u8> = (0..n * 4).map(|i| (i * 17 % 256) as u8).collect();
        let images = dir.join(format!("{}{ext}", split.images_stem()));
        write(&images, &images_bytes(n, 2, 2, &pixels), gzip);
        let labels: Vec<u8> = (0..n_labels).map(|i| (i % 10) as u8).collect();
        let labels_path = dir.join(format!("{}{ext}", split.labels_stem()));
        write(&labels_path, &labels_bytes(&labels), gzip);
    }

    #[test]
    fn loads_gzip_and_raw_splits() {
        let dir = tempfile::tempdir().unwrap();
        write_split(dir.path(), Split::Train, 5, 5, true);
        write_split(dir.path(), Split::Test, 3, 3, false);

        let train = load_idx_split(dir.path(), Split::Train).unwrap();
        assert_eq!(train.shape(), [5, 1, 2, 2]);
        assert_eq!(train.labels().unwrap(), &[0, 1, 2, 3, 4]);
        assert_eq!(train.image(1).unwrap()[0], 68.0 / 255.0);
        assert!(train.images().iter().all(|&v| (0.0..=1.0).contains(&v)));

        let test = load_idx_split(dir.path(), Split::Test).unwrap();
        assert_eq!(test.len(), 3);
        assert!(test.source().contains("test split"), "{}", test.source());
    }

    #[test]
    fn count_mismatch_names_both_files() {
        let dir = tempfile::tempdir().unwrap();
        write_split(dir.path(), Split::Train, 5, 4, true);
        let msg = load_idx_split(dir.path(), Split::Train)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("train-labels-idx1-ubyte.gz: 4 labels, but"),
            "{msg}"
        );
        assert!(
            msg.contains("train-images-idx3-ubyte.gz has 5 images"),
            "{msg}"
        );
    }

    #[test]
    fn missing_split_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        write_split(dir.path(), Split::Train, 2, 2, false);
        assert!(has_idx_split(dir.path(), Split::Train));
        assert!(!has_idx_split(dir.path(), Split::Test));
        let msg = load_idx_split(dir.path(), Split::Test)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("no t10k-images-idx3-ubyte or t10k-images-idx3-ubyte.gz"),
            "{msg}"
        );
    }

    #[test]
    fn new_validates_shapes() {
        assert!(Dataset::new(vec![0.0; 12], None, [1, 2, 3], "x").is_ok());
        assert!(Dataset::new(vec![0.0; 13], None, [1, 2, 3], "x").is_err());
        assert!(Dataset::new(vec![0.0; 12], Some(vec![1]), [1, 2, 3], "x").is_err());
        assert!(Dataset::new(vec![], None, [0, 2, 3], "x").is_err());
    }
}
