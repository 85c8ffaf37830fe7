//! Finding the data set a configuration names, and saying which copy was used.

use std::path::PathBuf;

use anyhow::{Context, Result};
use gantry_data::{
    has_idx_split, resolve, ColorMode, Dataset, DatasetSpec, FolderOptions, ResolveOptions, Split,
};
use gantry_gan::config::TrainConfig;

/// The data directory to search for `spec`: `data_dir` itself when it holds IDX files, else
/// its `mnist-full` / `fashion-mnist` sub-directory.
fn data_dir_for(spec: &DatasetSpec, data_dir: &std::path::Path) -> Option<PathBuf> {
    let sub = match spec {
        DatasetSpec::Mnist => "mnist-full",
        DatasetSpec::FashionMnist => "fashion-mnist",
        _ => return None,
    };
    if has_idx_split(data_dir, Split::Train) {
        Some(data_dir.to_path_buf())
    } else {
        Some(data_dir.join(sub))
    }
}

/// Loads `split` of the configured data set and logs where it came from.
pub fn load(config: &TrainConfig, split: Split, log: &mut dyn FnMut(&str)) -> Result<Dataset> {
    let spec = config.dataset_spec()?;
    let color = if config.channels == 3 {
        ColorMode::Rgb
    } else {
        ColorMode::Gray
    };
    let options = ResolveOptions {
        split,
        data_dir: data_dir_for(&spec, &config.data_dir),
        download: true,
        shipped_mnist: None,
        folder: FolderOptions {
            color,
            height: config.image_size as u32,
            width: config.image_size as u32,
        },
    };
    let resolved =
        resolve(&spec, &options).with_context(|| format!("cannot load data set {spec}"))?;
    if let Some(reason) = &resolved.fallback_reason {
        log(&format!("data: {reason}"));
    }
    log(&format!("data: {}", resolved.dataset.source()));
    Ok(resolved.dataset)
}
