//! Turning a dataset spec such as `mnist`, `fashion-mnist`, `idx:DIR` or `folder:DIR` into a
//! loaded [`Dataset`], and reporting which copy of the data was used so the trainer can log it.
//!
//! `mnist` is looked up in the data directory, then downloaded (when allowed), and finally
//! taken from the 10,000-digit subset shipped in the repository under `data/mnist`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::dataset::{has_idx_split, load_idx_split, Dataset, Split};
use crate::download::{fetch_files, DownloadOptions, MNIST_FILES, MNIST_MIRRORS};
use crate::error::{DataError, Result};
use crate::folder::{load_image_folder, FolderOptions};

/// Data directory searched (and downloaded into) for `mnist` when none is given.
pub const DEFAULT_MNIST_DIR: &str = "data/mnist-full";
/// Data directory searched for `fashion-mnist` when none is given.
pub const DEFAULT_FASHION_DIR: &str = "data/fashion-mnist";
/// Where the Debian package `dataset-fashion-mnist` installs its IDX files.
pub const FASHION_SYSTEM_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// A parsed dataset spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatasetSpec {
    /// Handwritten digits (full MNIST when available, else the shipped subset).
    Mnist,
    /// Zalando's Fashion-MNIST, from a data directory or the Debian package.
    FashionMnist,
    /// IDX files (`train-images-idx3-ubyte[.gz]` etc.) in the given directory.
    Idx(PathBuf),
    /// All PNG and JPEG files under the given directory.
    Folder(PathBuf),
}

impl FromStr for DatasetSpec {
    type Err = DataError;

    /// Parses `mnist`, `fashion-mnist`, `idx:DIR` or `folder:DIR`.
    fn from_str(spec: &str) -> Result<Self> {
        let unknown = || DataError::UnknownSpec { spec: spec.into() };
        match spec {
            "mnist" => Ok(DatasetSpec::Mnist),
            "fashion-mnist" => Ok(DatasetSpec::FashionMnist),
            _ => match spec.split_once(':') {
                Some(("idx", dir)) if !dir.is_empty() => Ok(DatasetSpec::Idx(dir.into())),
                Some(("folder", dir)) if !dir.is_empty() => Ok(DatasetSpec::Folder(dir.into())),
                _ => Err(unknown()),
            },
        }
    }
}

impl fmt::Display for DatasetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatasetSpec::Mnist => f.write_str("mnist"),
            DatasetSpec::FashionMnist => f.write_str("fashion-mnist"),
            DatasetSpec::Idx(dir) => write!(f, "idx:{}", dir.display()),
            DatasetSpec::Folder(dir) => write!(f, "folder:{}", dir.display()),
        }
    }
}

/// Which copy of the data a [`Resolved`] dataset was loaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Found already present in the data directory.
    DataDir(PathBuf),
    /// Downloaded just now into the data directory.
    Downloaded(PathBuf),
    /// The small MNIST subset shipped in the repository.
    Shipped(PathBuf),
    /// A system-wide installation, e.g. the Debian Fashion-MNIST package.
    System(PathBuf),
    /// The directory named in an `idx:` or `folder:` spec.
    Given(PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::DataDir(d) => write!(f, "data directory {}", d.display()),
            Origin::Downloaded(d) => write!(f, "downloaded into {}", d.display()),
            Origin::Shipped(d) => write!(f, "MNIST subset shipped with gantry in {}", d.display()),
            Origin::System(d) => write!(f, "system installation in {}", d.display()),
            Origin::Given(d) => write!(f, "{}", d.display()),
        }
    }
}

/// Where and how to look for data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveOptions {
    /// Split of IDX data sets to load (ignored by `folder:`).
    pub split: Split,
    /// Data directory for `mnist` / `fashion-mnist`; defaults to [`DEFAULT_MNIST_DIR`] or
    /// [`DEFAULT_FASHION_DIR`] (relative to the working directory).
    pub data_dir: Option<PathBuf>,
    /// Whether `mnist` may be downloaded when it is not in the data directory.
    pub download: bool,
    /// The shipped MNIST subset; defaults to [`shipped_mnist_dir`].
    pub shipped_mnist: Option<PathBuf>,
    /// Conversion of `folder:` images.
    pub folder: FolderOptions,
}

impl Default for ResolveOptions {
    /// Training split, default directories, downloading allowed, 28×28 grayscale folders.
    fn default() -> Self {
        ResolveOptions {
            split: Split::Train,
            data_dir: None,
            download: true,
            shipped_mnist: None,
            folder: FolderOptions::default(),
        }
    }
}

/// A loaded dataset with the copy it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The data; its [`Dataset::source`] starts with the origin.
    pub dataset: Dataset,
    /// Which copy was used.
    pub origin: Origin,
    /// Why the preferred copies were not used, when a fallback was taken.
    pub fallback_reason: Option<String>,
}

/// The MNIST subset shipped in the repository: `data/mnist` at the workspace root.
pub fn shipped_mnist_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
    dir.canonicalize().unwrap_or(dir)
}

/// Loads the dataset named by `spec` as described in the module documentation.
pub fn resolve(spec: &DatasetSpec, options: &ResolveOptions) -> Result<Resolved> {
    match spec {
        DatasetSpec::Mnist => resolve_mnist(options),
        DatasetSpec::FashionMnist => resolve_fashion(options),
        DatasetSpec::Idx(dir) => finish(
            load_idx_split(dir, options.split)?,
            Origin::Given(dir.clone()),
            None,
        ),
        DatasetSpec::Folder(dir) => finish(
            load_image_folder(dir, &options.folder)?,
            Origin::Given(dir.clone()),
            None,
        ),
    }
}

/// Data directory, then a download, then the shipped subset.
fn resolve_mnist(options: &ResolveOptions) -> Result<Resolved> {
    let split = options.split;
    let dir = options
        .data_dir
        .clone()
        .unwrap_or_else(|| DEFAULT_MNIST_DIR.into());
    if has_idx_split(&dir, split) {
        return finish(load_idx_split(&dir, split)?, Origin::DataDir(dir), None);
    }

    let mut tried = vec![format!("no {split} files in {}", dir.display())];
    if options.download {
        let fetched = fetch_files(
            &dir,
            &MNIST_FILES,
            &MNIST_MIRRORS,
            &DownloadOptions::default(),
        );
        match fetched {
            Ok(_) => return finish(load_idx_split(&dir, split)?, Origin::Downloaded(dir), None),
            Err(e) => tried.push(format!("download failed: {e}")),
        }
    } else {
        tried.push("download disabled".into());
    }

    let shipped = options
        .shipped_mnist
        .clone()
        .unwrap_or_else(shipped_mnist_dir);
    if has_idx_split(&shipped, split) {
        let dataset = load_idx_split(&shipped, split)?;
        return finish(dataset, Origin::Shipped(shipped), Some(tried.join("; ")));
    }
    tried.push(format!("no {split} files in {}", shipped.display()));
    Err(DataError::NotFound {
        name: "mnist".into(),
        tried: tried.join("; "),
    })
}

/// Data directory, then the Debian package's directory.
fn resolve_fashion(options: &ResolveOptions) -> Result<Resolved> {
    let split = options.split;
    let dir = options
        .data_dir
        .clone()
        .unwrap_or_else(|| DEFAULT_FASHION_DIR.into());
    if has_idx_split(&dir, split) {
        return finish(load_idx_split(&dir, split)?, Origin::DataDir(dir), None);
    }
    let system = PathBuf::from(FASHION_SYSTEM_DIR);
    let reason = format!("no {split} files in {}", dir.display());
    if has_idx_split(&system, split) {
        return finish(
            load_idx_split(&system, split)?,
            Origin::System(system),
            Some(reason),
        );
    }
    Err(DataError::NotFound {
        name: "fashion-mnist".into(),
        tried: format!(
            "{reason} nor in {FASHION_SYSTEM_DIR} (install the Debian package \
             dataset-fashion-mnist or put the IDX files in the data directory)"
        ),
    })
}

/// Prefixes the dataset's description with its origin and wraps it up.
fn finish(dataset: Dataset, origin: Origin, fallback_reason: Option<String>) -> Result<Resolved> {
    let described = format!("{origin}: {}", dataset.source());
    Ok(Resolved {
        dataset: dataset.with_source(described),
        origin,
        fallback_reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::testutil::{images_bytes, labels_bytes, write};

    fn offline(data_dir: &Path) -> ResolveOptions {
        ResolveOptions {
            data_dir: Some(data_dir.to_path_buf()),
            download: false,
            ..ResolveOptions::default()
        }
    }

    fn write_toy_split(dir: &Path, split: Split, n: u32) {
        let images = dir.join(format!("{}.gz", split.images_stem()));
        write(
            &images,
            &images_bytes(n, 3, 3, &vec![255; 9 * n as usize]),
            true,
        );
        let labels = dir.join(split.labels_stem());
        write(&labels, &labels_bytes(&vec![4; n as usize]), false);
    }

    #[test]
    fn parses_known_specs_and_rejects_others() {
        assert_eq!("mnist".parse::<DatasetSpec>().unwrap(), DatasetSpec::Mnist);
        assert_eq!(
            "fashion-mnist".parse::<DatasetSpec>().unwrap(),
            DatasetSpec::FashionMnist
        );
        assert_eq!(
            "idx:/d".parse::<DatasetSpec>().unwrap(),
            DatasetSpec::Idx("/d".into())
        );
        let folder = "folder:a/b".parse::<DatasetSpec>().unwrap();
        assert_eq!(folder, DatasetSpec::Folder("a/b".into()));
        assert_eq!(folder.to_string(), "folder:a/b");
        for bad in ["cifar", "idx:", "MNIST", "zip:x"] {
            let msg = bad.parse::<DatasetSpec>().unwrap_err().to_string();
            assert!(
                msg.starts_with(&format!("unknown dataset `{bad}`")),
                "{msg}"
            );
        }
    }

    #[test]
    fn mnist_prefers_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        write_toy_split(dir.path(), Split::Train, 4);
        let resolved = resolve(&DatasetSpec::Mnist, &offline(dir.path())).unwrap();
        assert_eq!(resolved.origin, Origin::DataDir(dir.path().to_path_buf()));
        assert_eq!(resolved.dataset.len(), 4);
        assert!(resolved.dataset.source().starts_with("data directory "));
    }

    #[test]
    fn mnist_offline_falls_back_to_shipped_subset() {
        let empty = tempfile::tempdir().unwrap();
        let options = ResolveOptions {
            split: Split::Test,
            ..offline(empty.path())
        };
        let resolved = resolve(&DatasetSpec::Mnist, &options).unwrap();
        assert_eq!(resolved.origin, Origin::Shipped(shipped_mnist_dir()));
        assert_eq!(resolved.dataset.shape(), [2000, 1, 28, 28]);
        let reason = resolved.fallback_reason.unwrap();
        assert!(reason.contains("download disabled"), "{reason}");
        let mut counts = [0usize; 10];
        resolved
            .dataset
            .labels()
            .unwrap()
            .iter()
            .for_each(|&l| counts[l as usize] += 1);
        assert!(counts.iter().all(|&c| c > 100), "class counts {counts:?}");
    }

    #[test]
    fn mnist_without_any_copy_lists_what_was_tried() {
        let empty = tempfile::tempdir().unwrap();
        let options = ResolveOptions {
            shipped_mnist: Some(empty.path().join("nowhere")),
            ..offline(empty.path())
        };
        let msg = resolve(&DatasetSpec::Mnist, &options)
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("mnist: not found; no train files in"),
            "{msg}"
        );
        assert!(
            msg.contains("download disabled") && msg.contains("nowhere"),
            "{msg}"
        );
    }

    #[test]
    fn fashion_uses_data_dir_first() {
        let dir = tempfile::tempdir().unwrap();
        write_toy_split(dir.path(), Split::Test, 2);
        let options = ResolveOptions {
            split: Split::Test,
            ..offline(dir.path())
        };
        let resolved = resolve(&DatasetSpec::FashionMnist, &options).unwrap();
        assert_eq!(resolved.origin, Origin::DataDir(dir.path().to_path_buf()));
        assert_eq!(resolved.dataset.label(1), Some(4));
    }

    #[test]
    fn fashion_from_debian_package_when_installed() {
        if !has_idx_split(Path::new(FASHION_SYSTEM_DIR), Split::Test) {
            return;
        }
        let empty = tempfile::tempdir().unwrap();
        let options = ResolveOptions {
            split: Split::Test,
            ..offline(empty.path())
        };
        let resolved = resolve(&DatasetSpec::FashionMnist, &options).unwrap();
        assert_eq!(resolved.origin, Origin::System(FASHION_SYSTEM_DIR.into()));
        assert_eq!(resolved.dataset.shape(), [10_000, 1, 28, 28]);
    }

    #[test]
    fn idx_and_folder_specs_load_the_given_directory() {
        let dir = tempfile::tempdir().unwrap();
        write_toy_split(dir.path(), Split::Train, 3);
        let spec = DatasetSpec::Idx(dir.path().to_path_buf());
        let resolved = resolve(&spec, &offline(dir.path())).unwrap();
        assert_eq!(resolved.origin, Origin::Given(dir.path().to_path_buf()));
        assert!(resolved.fallback_reason.is_none());

        let images = tempfile::tempdir().unwrap();
        image::GrayImage::new(5, 5)
            .save(images.path().join("x.png"))
            .unwrap();
        let spec = DatasetSpec::Folder(images.path().to_path_buf());
        assert_eq!(
            resolve(&spec, &offline(dir.path()))
                .unwrap()
                .dataset
                .shape(),
            [1, 1, 28, 28]
        );
    }
}
