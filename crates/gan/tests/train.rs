//! End-to-end training on the shipped MNIST subset: the critic learns, samples are written,
//! checkpoints resume exactly, and bad checkpoints are refused.

use std::path::Path;

use gantry_data::{load_idx_split, shipped_mnist_dir, Dataset, Split};
use gantry_gan::config::TrainConfig;
use gantry_gan::metrics::read_metrics;
use gantry_gan::trainer::Trainer;

fn subset(n: usize) -> Dataset {
    let full = load_idx_split(&shipped_mnist_dir(), Split::Train).expect("shipped subset loads");
    let images = full.images()[..n * full.image_len()].to_vec();
    let labels = full.labels().map(|l| l[..n].to_vec());
    Dataset::new(images, labels, [1, 28, 28], "shipped MNIST subset").expect("valid")
}

fn small_config(iters: usize) -> TrainConfig {
    TrainConfig {
        iters,
        dim: 8,
        batch_size: 16,
        latent: 16,
        boost_steps: 0,
        log_every: 5,
        sample_every: 10,
        checkpoint_every: 10,
        grid: 4,
        lr: 5e-4,
        ..TrainConfig::default()
    }
}

fn train(config: TrainConfig, dir: &Path) -> Trainer {
    let mut trainer = Trainer::new(config, dir, subset(800)).expect("starts");
    trainer.run(&mut |_| {}).expect("trains");
    trainer
}

fn column(dir: &Path, key: &str) -> Vec<f64> {
    let rows = read_metrics(dir.join("metrics.jsonl")).expect("metrics readable");
    rows.iter()
        .map(|r| r[key].as_f64().unwrap_or(f64::NAN))
        .collect()
}

#[test]
fn the_critic_learns_and_sample_grids_are_written() {
    let dir = tempfile::tempdir().unwrap();
    train(small_config(40), dir.path());
    let w = column(dir.path(), "wasserstein");
    assert_eq!(w.len(), 8);
    assert!(
        w[w.len() - 1] > w[0] + 0.05,
        "Wasserstein estimate did not grow: {w:?}"
    );
    assert!(dir.path().join("samples/iter-000040.png").exists());
    assert!(dir.path().join("samples/latest.png").exists());
    assert!(dir.path().join("checkpoints/latest").exists());
}

#[test]
fn a_resumed_run_matches_an_uninterrupted_one() {
    let (straight, split) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let whole = train(small_config(20), straight.path());

    // Train 10 iterations, then add metrics past the checkpoint as a kill would leave them.
    train(small_config(10), split.path());
    let resumed_config = small_config(20);
    let mut resumed = Trainer::resume(resumed_config, split.path(), subset(800)).expect("resumes");
    assert_eq!(resumed.iteration(), 10);
    resumed.run(&mut |_| {}).expect("continues");

    let weights = |t: &Trainer| {
        t.gan
            .generator
            .params()
            .iter()
            .flat_map(|p| p.to_vec())
            .collect::<Vec<f32>>()
    };
    assert_eq!(weights(&whole), weights(&resumed), "resumed weights differ");
    assert_eq!(
        column(straight.path(), "iteration"),
        column(split.path(), "iteration")
    );
    assert_eq!(
        column(straight.path(), "critic_loss"),
        column(split.path(), "critic_loss")
    );
}

#[test]
fn a_checkpoint_from_another_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    train(small_config(10), dir.path());
    let wider = TrainConfig {
        dim: 16,
        ..small_config(20)
    };
    let err = Trainer::resume(wider, dir.path(), subset(800))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("expected"), "{err}");
}

#[test]
fn images_of_the_wrong_size_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = TrainConfig {
        image_size: 32,
        ..small_config(10)
    };
    let err = Trainer::new(config, dir.path(), subset(100))
        .err()
        .expect("refused");
    assert!(
        err.to_string().contains("the model expects 1x32x32"),
        "{err}"
    );
}
