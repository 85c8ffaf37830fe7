//! `gantry classifier train`: the classifier that `gantry eval` scores samples with.

use std::path::PathBuf;

use anyhow::{ensure, Result};
use gantry_gan::config::parse_dataset;

use super::dataset_slug;
use crate::args::ClassifierTrainArgs;

/// Trains the classifier as `args` say. For now it checks the arguments and reports the plan.
pub fn train(args: &ClassifierTrainArgs) -> Result<()> {
    parse_dataset(&args.dataset)?;
    ensure!(args.epochs > 0, "--epochs must be at least 1");
    let default_out = || {
        let name = format!("{}.safetensors", dataset_slug(&args.dataset));
        PathBuf::from("classifiers").join(name)
    };
    let out = args.out.clone().unwrap_or_else(default_out);

    println!(
        "classifier: {} epochs on {} (data in {}), seed {}",
        args.epochs,
        args.dataset,
        args.data_dir.display(),
        args.seed
    );
    println!("output: {}", out.display());
    Ok(())
}
