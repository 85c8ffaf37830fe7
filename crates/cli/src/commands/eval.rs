//! `gantry eval`: scores a run's generator with the reference classifier against the real test
//! split, next to the real-data floor, and writes `eval.json` and `report.html`. Also the
//! cheaper evaluator that `gantry train` runs every `eval_every` iterations.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use gantry_data::{permutation, Dataset, Split};
use gantry_engine::Rng;
use gantry_eval::classifier::EMBED_BATCH;
use gantry_eval::{
    evaluate, metrics, shipped_classifier, write_run_report, Classifier, EvalConfig, EvalReport,
    EvalSet, GaussianStats, Metrics,
};
use gantry_gan::checkpoint::find_checkpoint;
use gantry_gan::config::TrainConfig;
use gantry_gan::model::Gan;
use gantry_gan::run_state::load_model;
use gantry_gan::trainer::Evaluator;

use super::{data, dataset_slug};
use crate::args::EvalArgs;

/// Stream of the evaluation latents, apart from every training stream of the same seed.
const EVAL_STREAM: u64 = 0xE7A1;

/// Evaluates the latest checkpoint of `args.run_dir` with `args.n` generated images.
pub fn eval(args: &EvalArgs) -> Result<()> {
    ensure!(args.n > 0, "--n must be at least 1");
    let checkpoint = find_checkpoint(&args.run_dir)
        .with_context(|| format!("{} is not a run directory", args.run_dir.display()))?;
    // Given a checkpoint (RUN_DIR/checkpoints/iter-N), results still go to its run directory.
    let run_dir = &if args.run_dir == checkpoint {
        checkpoint
            .parent()
            .and_then(|p| p.parent())
            .unwrap_or(&checkpoint)
            .to_path_buf()
    } else {
        args.run_dir.clone()
    };
    let (config, gan) = load_model(&checkpoint)?;
    gantry_engine::set_threads(config.threads);
    let mut log = |line: &str| println!("{line}");
    log(&format!(
        "eval: {} {} on {}, checkpoint {}",
        config.loss,
        config.model,
        config.dataset,
        checkpoint.display()
    ));
    let classifier = load_classifier(&config, &mut log)?;
    let reference = data::load(&config, Split::Test, &mut log)?;
    let real = data::load(&config, Split::Train, &mut log)?;
    check_shape(&classifier, &reference)?;

    let n_real = args.n.min(real.len());
    let capped = if n_real < args.n {
        format!(" (all there are; --n asked for {})", args.n)
    } else {
        String::new()
    };
    log(&format!(
        "images: {} generated (seed {}) and {n_real} real training images{capped}, each \
         against all {} test images",
        args.n,
        args.seed,
        reference.len()
    ));

    let started = Instant::now();
    let reference_set = classifier.embed(reference.images())?;
    let real_set = classifier.embed(&subset(&real, n_real, args.seed))?;
    let generated = generated_set(&gan, &classifier, args.n, args.seed)?;
    let report = evaluate(
        &reference_set,
        &generated,
        &real_set,
        &EvalConfig::default(),
    )?;
    let json = run_dir.join("eval.json");
    report.save(&json)?;
    print_table(&report);
    log(&format!(
        "evaluated in {:.1} s; wrote {}",
        started.elapsed().as_secs_f64(),
        json.display()
    ));

    let written = write_run_report(run_dir, Some(&report))?;
    log(&format!(
        "report: {} ({} plots, {} grids in {})",
        written.html.display(),
        written.plots.len(),
        written.gif_frames,
        written
            .gif
            .map_or("no animation".into(), |g| g.display().to_string())
    ));
    Ok(())
}

/// The classifier for the configured data set: `classifiers/<slug>.safetensors` in the working
/// directory (what `gantry classifier train` writes), else the one shipped with gantry.
pub(crate) fn classifier_path(dataset: &str) -> Result<PathBuf> {
    let slug = dataset_slug(dataset);
    let local = PathBuf::from("classifiers").join(format!("{slug}.safetensors"));
    let shipped = shipped_classifier(&slug);
    match (local.exists(), shipped.exists()) {
        (true, _) => Ok(local),
        (false, true) => Ok(shipped),
        (false, false) => bail!(
            "no classifier for {dataset}: neither {} nor {} exists; train one with \
             `gantry classifier train --dataset {dataset}`",
            local.display(),
            shipped.display()
        ),
    }
}

fn load_classifier(config: &TrainConfig, log: &mut dyn FnMut(&str)) -> Result<Classifier> {
    let path = classifier_path(&config.dataset)?;
    let classifier = Classifier::load(&path)?;
    let info = &classifier.info;
    log(&format!(
        "classifier: {} (test accuracy {:.2}% on {} images of {})",
        path.display(),
        100.0 * info.test_accuracy,
        info.n_test,
        info.dataset
    ));
    Ok(classifier)
}

/// Fails unless the data's images have the classifier's input shape.
fn check_shape(classifier: &Classifier, data: &Dataset) -> Result<()> {
    let shape = &data.shape()[1..];
    ensure!(
        shape == classifier.info.input_shape.as_slice(),
        "images of {} are {shape:?} but the classifier takes {:?}",
        data.source(),
        classifier.info.input_shape
    );
    Ok(())
}

/// Pixels of `n` images of `data` drawn without replacement with `seed`.
fn subset(data: &Dataset, n: usize, seed: u64) -> Vec<f32> {
    let len = data.image_len();
    let order = permutation(seed, 0, data.len());
    let mut pixels = Vec::with_capacity(n * len);
    for &i in &order[..n] {
        pixels.extend_from_slice(&data.images()[i * len..(i + 1) * len]);
    }
    pixels
}

/// Features and probabilities of `n` images generated from latents of `seed`, in batches.
fn generated_set(gan: &Gan, classifier: &Classifier, n: usize, seed: u64) -> Result<EvalSet> {
    let mut rng = Rng::stream(seed, EVAL_STREAM);
    let mut images = Vec::new();
    for start in (0..n).step_by(EMBED_BATCH) {
        let z = gan.sample_latent(EMBED_BATCH.min(n - start), &mut rng); // [b, latent]
        let x = gan.sample(&z); // [b, c, h, w]
        ensure!(
            x.shape()[1..] == classifier.info.input_shape[..],
            "the generator makes {:?} images but the classifier takes {:?}",
            &x.shape()[1..],
            classifier.info.input_shape
        );
        images.extend_from_slice(x.data());
    }
    Ok(classifier.embed(&images)?)
}

/// A printed metric: its name and how to format it.
type Row = (&'static str, fn(&Metrics) -> String);

fn print_table(report: &EvalReport) {
    let rows: [Row; 6] = [
        ("FID", |m| format!("{:.3}", m.fid)),
        ("classifier score", |m| format!("{:.3}", m.score)),
        ("precision", |m| format!("{:.3}", m.precision)),
        ("recall", |m| format!("{:.3}", m.recall)),
        ("modes covered", |m| {
            format!("{} / {}", m.modes.covered, m.modes.n_classes)
        }),
        ("class KL", |m| format!("{:.4}", m.modes.kl)),
    ];
    println!("{:<18} {:>12} {:>12}", "metric", "generator", "real floor");
    for (name, value) in rows {
        let (g, r) = (value(&report.generated), value(&report.real));
        println!("{name:<18} {g:>12} {r:>12}");
    }
}

/// The evaluator `gantry train` installs when `eval_every > 0`: `config.eval_samples`
/// images from the same latents each time, scored against the whole test split. Returns
/// `fid`, `score`, `precision`, `recall` and `modes_covered`.
pub(crate) fn training_evaluator(
    config: &TrainConfig,
    log: &mut dyn FnMut(&str),
) -> Result<Evaluator> {
    let classifier = load_classifier(config, log)?;
    let reference = data::load(config, Split::Test, log)?;
    check_shape(&classifier, &reference)?;
    let reference_set = classifier.embed(reference.images())?;
    let reference_stats = GaussianStats::fit(&reference_set.features)?;
    let (n, seed) = (config.eval_samples, config.seed);
    let eval_config = EvalConfig::default();
    log(&format!(
        "eval: every {} iterations, {n} generated against {} test images",
        config.eval_every,
        reference.len()
    ));
    Ok(Box::new(move |gan: &Gan| {
        let generated = generated_set(gan, &classifier, n, seed).map_err(|e| e.to_string())?;
        let m = metrics(&reference_set, &reference_stats, &generated, &eval_config)
            .map_err(|e| e.to_string())?;
        Ok(vec![
            ("fid".into(), m.fid),
            ("score".into(), m.score),
            ("precision".into(), m.precision),
            ("recall".into(), m.recall),
            ("modes_covered".into(), m.modes.covered as f64),
        ])
    }))
}

/// Writes the run's `report.html` (curves, grids, animation, and `eval.json` if present) at
/// the end of `gantry train`.
pub(crate) fn report_after_training(
    run_dir: &std::path::Path,
    log: &mut dyn FnMut(&str),
) -> Result<()> {
    let written = write_run_report(run_dir, None)?;
    log(&format!(
        "report: {} (final metrics: gantry eval {})",
        written.html.display(),
        run_dir.display()
    ));
    Ok(())
}
