//! End-to-end training on the shipped MNIST subset: the critic learns, samples are written,
//! checkpoints resume exactly (the adversarial pool included), and bad checkpoints are refused.

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
        ema: 0.999,
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

/// Every generator, critic and generator-average weight and the average's update count,
/// bit for bit.
fn weights(t: &Trainer) -> Vec<u32> {
    let average = t
        .gan
        .average
        .as_ref()
        .expect("the default keeps an average");
    let params = [
        t.gan.generator.params(),
        t.gan.critic.params(),
        average.network.params(),
    ]
    .concat();
    let mut bits: Vec<u32> = params
        .iter()
        .flat_map(|p| p.to_vec())
        .map(f32::to_bits)
        .collect();
    bits.push(average.updates as u32);
    bits
}

/// Trains `config(10)`, then resumes it to `config(20)`; returns the resumed trainer.
fn train_then_resume(config: &dyn Fn(usize) -> TrainConfig, dir: &Path) -> Trainer {
    train(config(10), dir);
    let mut resumed = Trainer::resume(config(20), dir, subset(800)).expect("resumes");
    assert_eq!(resumed.iteration(), 10);
    resumed.run(&mut |_| {}).expect("continues");
    resumed
}

/// Checks that 10 iterations, a checkpoint and a resume to 20 end with the weights and
/// metrics of 20 iterations in one go.
fn assert_resume_is_exact(config: &dyn Fn(usize) -> TrainConfig, keys: &[&str]) {
    let (straight, split) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let whole = train(config(20), straight.path());
    let resumed = train_then_resume(config, split.path());
    assert!(
        weights(&whole) == weights(&resumed),
        "resumed weights differ"
    );
    for key in ["iteration", "critic_loss", "generator_loss"]
        .iter()
        .chain(keys)
    {
        let (a, b) = (column(straight.path(), key), column(split.path(), key));
        assert_eq!(a.len(), 4, "{key}");
        assert_eq!(
            a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            b.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            "{key}: {a:?} vs {b:?}"
        );
    }
}

#[test]
fn a_resumed_run_matches_an_uninterrupted_one() {
    assert_resume_is_exact(&small_config, &[]);
}

/// Adversarial batches from iteration 4 on, from a pool of 40 that has wrapped round (16
/// images a refresh) by the checkpoint at 10.
fn adversarial_config(iters: usize) -> TrainConfig {
    TrainConfig {
        adv_start: 4,
        adv_pool: 40,
        adv_eps: 0.1,
        ..small_config(iters)
    }
}

#[test]
fn a_resumed_run_with_adversarial_augmentation_matches_an_uninterrupted_one() {
    assert_resume_is_exact(
        &adversarial_config,
        &["adv_pool", "adv_score", "clean_score"],
    );
}

#[test]
fn a_checkpoint_without_a_pool_resumes_with_an_empty_pool() {
    let dir = tempfile::tempdir().unwrap();
    train(adversarial_config(10), dir.path());
    let checkpoint = dir.path().join("checkpoints/iter-000010");
    std::fs::remove_file(checkpoint.join("adversarial_pool.safetensors"))
        .expect("the pool was saved");
    let mut resumed = Trainer::resume(adversarial_config(11), dir.path(), subset(800))
        .expect("resumes without a pool");
    resumed.run(&mut |_| {}).expect("continues");
    // 16 images after the first refresh at iteration 4, full at 10; after the resume the pool
    // starts empty again and holds the 16 of one refresh at 11.
    assert_eq!(column(dir.path(), "adv_pool"), [16.0, 40.0, 16.0]);
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
