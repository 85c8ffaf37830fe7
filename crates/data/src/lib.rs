//! Data for gantry: loading image data sets and writing images, with no tensor library
//! involved. Images are plain `Vec<f32>` with values in `[0, 1]` and layout
//! `[n, channels, height, width]` (NCHW, row-major).
//!
//! - [`idx`]: the IDX format of MNIST-style files, gzip-compressed or raw;
//! - [`Dataset`] and [`load_idx_split`]: a train or test split held in memory;
//! - [`resolve`]: a spec (`mnist`, `fashion-mnist`, `idx:DIR`, `folder:DIR`) to a dataset,
//!   saying which copy was used ([`Origin`]);
//! - [`load_image_folder`]: all PNG/JPEG files under a directory;
//! - [`Batcher`]: seeded, resumable shuffled mini-batches;
//! - [`write_grid_png`], [`write_png`], [`write_gif`]: sample grids, single images and
//!   animations, written atomically.
//!
//! ```no_run
//! use gantry_data::{resolve, Batcher, DatasetSpec, ResolveOptions};
//!
//! let spec: DatasetSpec = "mnist".parse()?;
//! let resolved = resolve(&spec, &ResolveOptions::default())?;
//! println!("data: {}", resolved.dataset.source());
//! let mut batcher = Batcher::new(64, 42)?;
//! let batch = batcher.next_batch(&resolved.dataset)?; // images: [64, 1, 28, 28]
//! # Ok::<(), gantry_data::DataError>(())
//! ```

mod animation;
mod atomic;
mod batch;
mod dataset;
mod download;
mod error;
mod folder;
mod grid;
pub mod idx;
mod source;

pub use animation::write_gif;
pub use batch::{permutation, Batch, Batcher, BatcherState};
pub use dataset::{find_idx_file, has_idx_split, load_idx_split, Dataset, Split};
pub use download::{
    fetch_files, sha256_hex, DownloadOptions, RemoteFile, MNIST_FILES, MNIST_MIRRORS,
};
pub use error::{DataError, Result};
pub use folder::{load_image_folder, ColorMode, FolderOptions};
pub use grid::{
    render_grid, to_u8, write_grid_png, write_png, GridLayout, RgbFrame, BORDER_PX, BORDER_VALUE,
};
pub use idx::{read_idx_images, read_idx_labels, IdxImages};
pub use source::{
    resolve, shipped_mnist_dir, DatasetSpec, Origin, ResolveOptions, Resolved, DEFAULT_FASHION_DIR,
    DEFAULT_MNIST_DIR, FASHION_SYSTEM_DIR,
};
