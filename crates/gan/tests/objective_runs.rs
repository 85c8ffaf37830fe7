//! Short training runs of every objective on the shipped MNIST subset: each finishes without
//! a NaN and writes its sample grid; the critic schedule does the promised number of steps;
//! the adversarial pool stays bounded; a divergence stops or rolls back as configured.

use std::path::Path;

use gantry_data::{load_idx_split, permutation, shipped_mnist_dir, Dataset, Split};
use gantry_gan::config::{ConfigLayer, Divergence, TrainConfig};
use gantry_gan::metrics::read_metrics;
use gantry_gan::schedule::CriticSchedule;
use gantry_gan::trainer::{Event, Trainer};
use serde_json::Value;

fn subset(n: usize) -> Dataset {
    let full = load_idx_split(&shipped_mnist_dir(), Split::Train).expect("shipped subset loads");
    let images = full.images()[..n * full.image_len()].to_vec();
    Dataset::new(images, None, [1, 28, 28], "shipped MNIST subset").expect("valid")
}

/// The paper defaults of `loss` with tiny networks and no periodic checkpoints.
fn tiny(loss: &str, iters: usize, extra: &str) -> TrainConfig {
    let text = format!(
        "loss = \"{loss}\"\niters = {iters}\ndim = 4\nlatent = 8\nbatch_size = 8\ngrid = 2\n\
         log_every = 1\nsample_every = 0\ncheckpoint_every = 0"
    );
    let layers = [
        ConfigLayer::from_toml_str(&text, "tiny").expect("valid keys"),
        ConfigLayer::from_toml_str(extra, "test").expect("valid keys"),
    ];
    TrainConfig::resolve(&layers).expect("resolves")
}

fn metrics(dir: &Path) -> Vec<Value> {
    read_metrics(dir.join("metrics.jsonl")).expect("metrics readable")
}

fn column(rows: &[Value], key: &str) -> Vec<f64> {
    rows.iter()
        .filter_map(|r| r.get(key).and_then(Value::as_f64))
        .collect()
}

/// Runs `trainer` to its end, collecting its log lines.
fn run(trainer: &mut Trainer) -> (Result<(), String>, Vec<String>) {
    let mut lines = Vec::new();
    let result = trainer.run(&mut |e| {
        if let Event::Log(l) = e {
            lines.push(l.to_string());
        }
    });
    (result.map_err(|e| e.to_string()), lines)
}

#[test]
fn every_objective_trains_without_a_nan_and_writes_its_grid() {
    for loss in ["gan", "wgan-clip", "wgan-gp", "wgan-lp", "ebgan"] {
        let dir = tempfile::tempdir().unwrap();
        // wgan-clip keeps its boosts, shortened to stay fast.
        let config = tiny(
            loss,
            4,
            "boost_steps = 10\nboost_warmup = 1\nsample_every = 2",
        );
        let mut trainer = Trainer::new(config, dir.path(), subset(200)).expect("starts");
        let (result, _) = run(&mut trainer);
        result.unwrap_or_else(|e| panic!("{loss}: {e}"));

        let rows = metrics(dir.path());
        assert_eq!(rows.len(), 4, "{loss}");
        for key in ["critic_loss", "generator_loss", "wasserstein"] {
            let values = column(&rows, key);
            assert_eq!(values.len(), 4, "{loss}: {key} missing or not a number");
            assert!(
                values.iter().all(|v| v.is_finite()),
                "{loss} {key}: {values:?}"
            );
        }
        let params = trainer.gan.generator.params();
        assert!(params
            .iter()
            .all(|p| p.data().iter().all(|v| v.is_finite())));
        for grid in ["iter-000002.png", "iter-000004.png", "latest.png"] {
            let bytes = std::fs::read(dir.path().join("samples").join(grid))
                .unwrap_or_else(|e| panic!("{loss}: {grid}: {e}"));
            assert!(
                bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
                "{loss}: {grid} is no PNG"
            );
        }
    }
}

#[test]
fn the_critic_does_exactly_the_scheduled_steps() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "n_critic = 2\nboost_steps = 4\nboost_warmup = 2\nboost_every = 4\nlog_every = 5";
    let config = tiny("wgan-clip", 10, extra);
    let schedule = CriticSchedule::from_config(&config);
    let mut trainer = Trainer::new(config, dir.path(), subset(100)).expect("starts");
    run(&mut trainer).0.expect("trains");

    // Boosts at 0 and 1 (warm-up) and 4 and 8 (periodic): 4 × 4 + 6 × 2.
    let rows = metrics(dir.path());
    let steps: f64 = column(&rows, "critic_steps").iter().sum();
    let boosts: f64 = column(&rows, "boosts").iter().sum();
    assert_eq!((steps, boosts), (28.0, 4.0));
    assert_eq!((0..10).map(|i| schedule.critic_steps(i)).sum::<usize>(), 28);
}

#[test]
fn the_wgan_clip_defaults_promise_2600_boost_steps_in_1000_iterations() {
    let config = tiny("wgan-clip", 1000, "");
    let s = CriticSchedule::from_config(&config);
    assert_eq!(
        (s.n_critic, s.boost_steps, s.boost_warmup, s.boost_every),
        (5, 100, 25, 500)
    );
    let total: usize = (0..1000).map(|i| s.critic_steps(i)).sum();
    assert_eq!(total, 26 * 100 + 974 * 5);
    // The other objectives train on a constant schedule by default.
    for loss in ["gan", "wgan-gp", "wgan-lp", "ebgan"] {
        let s = CriticSchedule::from_config(&tiny(loss, 1000, ""));
        let total: usize = (0..1000).map(|i| s.critic_steps(i)).sum();
        assert_eq!(total, 1000 * s.n_critic, "{loss}");
    }
}

#[test]
fn the_adversarial_pool_stays_bounded_and_scores_below_real() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "adv_start = 2\nadv_pool = 12\nadv_eps = 0.1\nlr = 1e-3";
    let mut trainer = Trainer::new(tiny("wgan-gp", 6, extra), dir.path(), subset(200)).unwrap();
    run(&mut trainer).0.expect("trains");
    let rows = metrics(dir.path());
    let pool = column(&rows, "adv_pool");
    // The pool is refreshed with a batch of 8 before iterations 2, 3, 4 and 5.
    assert_eq!(pool, vec![8.0, 12.0, 12.0, 12.0]);
    let (adv, clean) = (column(&rows, "adv_score"), column(&rows, "clean_score"));
    assert_eq!(adv.len(), 4);
    for (a, c) in adv.iter().zip(&clean) {
        assert!(a < c, "perturbed {a} not below clean {c}");
    }
}

#[test]
fn a_nan_image_stops_training_naming_the_iteration_and_the_term() {
    let (batch, n_critic, len) = (8, 5, 200);
    // Poison the image that the 101st draw of the first epoch returns: batch 12, which the
    // third generator iteration (5 critic steps each) consumes.
    let poisoned = permutation(0, 0, len)[100];
    let mut data = subset(len).images().to_vec();
    data[poisoned * 784 + 300] = f32::NAN;
    let dataset = Dataset::new(data, None, [1, 28, 28], "poisoned").unwrap();

    let dir = tempfile::tempdir().unwrap();
    let config = tiny("wgan-gp", 6, "checkpoint_every = 1");
    assert_eq!((config.n_critic, config.batch_size), (n_critic, batch));
    assert_eq!(config.divergence, Divergence::Stop);
    let mut trainer = Trainer::new(config, dir.path(), dataset).unwrap();
    let (result, _) = run(&mut trainer);
    assert_eq!(
        result.expect_err("NaN went unnoticed"),
        "diverged at generator iteration 2: critic step: loss is not finite"
    );
    assert_eq!(trainer.iteration(), 2);
    assert!(dir.path().join("checkpoints/iter-000002").exists());
}

#[test]
fn a_rollback_reloads_the_last_checkpoint_and_halves_the_learning_rate() {
    let dir = tempfile::tempdir().unwrap();
    let config = tiny(
        "wgan-gp",
        4,
        "divergence = \"rollback\"\ncheckpoint_every = 2\nlr = 1e-4",
    );
    let mut trainer = Trainer::new(config, dir.path(), subset(200)).unwrap();
    run(&mut trainer).0.expect("trains");

    // Corrupt a critic weight after the final checkpoint at iteration 4, then train on.
    trainer.gan.critic.params_mut()[0].data_mut()[0] = f32::NAN;
    trainer.config.iters = 7;
    let (result, lines) = run(&mut trainer);
    result.expect("recovers");
    let want = "iteration 4: critic step: loss is not finite; rolled back to iteration 4, \
                learning rate now 5.000e-5";
    assert!(lines.iter().any(|l| l == want), "{lines:#?}");
    assert_eq!(trainer.iteration(), 7);
    assert_eq!(
        (trainer.gan.opt_g.lr(), trainer.gan.opt_c.lr()),
        (5e-5, 5e-5)
    );
    assert_eq!(trainer.config.lr, 5e-5);
    let params = trainer.gan.critic.params();
    assert!(params
        .iter()
        .all(|p| p.data().iter().all(|v| v.is_finite())));
}
