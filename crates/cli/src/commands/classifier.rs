//! `gantry classifier train`: the classifier that `gantry eval` scores samples with.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use gantry_data::Split;
use gantry_eval::{train_classifier, ClassifierTraining};
use gantry_gan::config::{parse_dataset, TrainConfig};

use super::{data, dataset_slug};
use crate::args::ClassifierTrainArgs;

/// Trains the evaluation classifier on the training split of `args.dataset`, reports test
/// accuracy after each epoch, and writes `<out>.safetensors` with `<out>.json` beside it.
pub fn train(args: &ClassifierTrainArgs) -> Result<()> {
    parse_dataset(&args.dataset)?;
    ensure!(args.epochs > 0, "--epochs must be at least 1");
    let slug = dataset_slug(&args.dataset);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("classifiers").join(format!("{slug}.safetensors")));
    gantry_engine::set_threads(args.threads);

    let config = TrainConfig {
        dataset: args.dataset.clone(),
        data_dir: args.data_dir.clone(),
        ..TrainConfig::default()
    };
    let mut log = |line: &str| println!("{line}");
    let train = data::load(&config, Split::Train, &mut log)?;
    let test = data::load(&config, Split::Test, &mut log)?;
    let opts = ClassifierTraining {
        epochs: args.epochs,
        seed: args.seed,
        ..ClassifierTraining::default()
    };
    println!(
        "classifier: {} epochs on {} with {} threads, seed {}",
        opts.epochs,
        args.dataset,
        gantry_engine::threads(),
        opts.seed
    );

    let started = Instant::now();
    let classifier = train_classifier(&slug, &train, &test, &opts, &mut log)?;
    classifier
        .save(&out)
        .with_context(|| format!("cannot save the classifier to {}", out.display()))?;
    println!(
        "test accuracy {:.2}% on {} images after {:.0} s; wrote {} and {}",
        100.0 * classifier.info.test_accuracy,
        test.len(),
        started.elapsed().as_secs_f64(),
        out.display(),
        out.with_extension("json").display()
    );
    Ok(())
}
