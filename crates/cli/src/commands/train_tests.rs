//! Tests of how `gantry train` merges its configuration layers.

use std::time::{Duration, UNIX_EPOCH};

use clap::Parser;
use gantry_gan::config::{Loss, OptimizerKind};

use super::*;
use crate::args::{Cli, Command};

fn args(argv: &[&str]) -> TrainArgs {
    let argv = ["gantry", "train"].iter().chain(argv).copied();
    match Cli::try_parse_from(argv).unwrap().command {
        Command::Train(args) => *args,
        _ => unreachable!("train subcommand"),
    }
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn config(argv: &[&str]) -> Result<TrainConfig> {
    effective_config(&args(argv), now())
}

#[test]
fn no_arguments_give_the_defaults_and_a_timestamped_run_dir() {
    let config = config(&[]).unwrap();
    let expected = TrainConfig {
        out: config.out.clone(),
        ..Default::default()
    };
    assert_eq!(config, expected);
    assert_eq!(
        config.out,
        Some(PathBuf::from("runs/mnist-wgan-gp-20270115-080000"))
    );
}

#[test]
fn flags_beat_file_beats_loss_defaults_beats_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.toml");
    std::fs::write(
        &file,
        "loss = \"wgan-clip\"\nlr = 1e-3\nn_critic = 7\nbatch_size = 20\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();

    let c = config(&["--config", file, "--n-critic", "2", "--out", "o"]).unwrap();
    assert_eq!(c.loss, Loss::WganClip);
    assert_eq!(c.optimizer, OptimizerKind::Rmsprop, "loss default");
    assert_eq!((c.lr, c.batch_size), (1e-3, 20), "file beats loss default");
    assert_eq!(c.n_critic, 2, "flag beats file");
    assert_eq!(
        (c.latent, c.out),
        (128, Some(PathBuf::from("o"))),
        "defaults"
    );

    let c = config(&["--config", file, "--loss", "gan"]).unwrap();
    assert_eq!(
        (c.loss, c.lr, c.n_critic, c.beta2),
        (Loss::Gan, 1e-3, 7, 0.999)
    );
    assert_eq!(c.out, Some(PathBuf::from("runs/mnist-gan-20270115-080000")));
}

#[test]
fn missing_or_bad_config_files_are_named() {
    let err = config(&["--config", "missing.toml"]).unwrap_err();
    assert!(
        format!("{err:#}").starts_with("config missing.toml: cannot read"),
        "{err:#}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "iters = 3\nlearning_rate = 1\n").unwrap();
    let err = config(&["--config", file.to_str().unwrap()]).unwrap_err();
    assert!(
        format!("{err:#}").ends_with("line 2, key `learning_rate`: unknown key `learning_rate`")
    );
}

#[test]
fn invalid_values_are_refused() {
    let err = config(&["--batch-size", "0"]).unwrap_err();
    let want = "invalid configuration: config key `batch_size` = 0: expected a positive integer";
    assert_eq!(format!("{err:#}"), want);
}

#[test]
fn resume_reads_the_run_config_and_keeps_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let first = config(&["--loss", "gan", "--out", run.to_str().unwrap()]).unwrap();
    prepare_run_dir(&first, false).unwrap();
    assert!(
        prepare_run_dir(&first, false).is_err(),
        "a second new run into the same directory"
    );

    let resumed = config(&["--resume", run.to_str().unwrap(), "--iters", "5000"]).unwrap();
    assert_eq!(
        resumed,
        TrainConfig {
            iters: 5000,
            ..first
        }
    );
    prepare_run_dir(&resumed, true).unwrap();
    let written = TrainConfig::from_toml_file(run.join(CONFIG_FILE)).unwrap();
    assert_eq!(written, resumed);

    let err = config(&["--resume", dir.path().join("none").to_str().unwrap()]).unwrap_err();
    assert!(format!("{err:#}").starts_with("cannot resume"), "{err:#}");
}
