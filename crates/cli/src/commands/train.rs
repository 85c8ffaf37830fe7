//! `gantry train`: resolves the effective configuration and prepares the run directory.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use gantry_gan::config::{ConfigLayer, TrainConfig};

use gantry_data::Split;
use gantry_gan::trainer::{Event, Trainer};

use super::{data, dataset_slug};
use crate::args::TrainArgs;
use crate::progress::Progress;
use crate::timestamp::utc_stamp;

/// Name of the effective configuration inside a run directory.
const CONFIG_FILE: &str = "config.toml";

/// Trains as `args` say: a new run, or `--resume RUN_DIR` from its last checkpoint.
pub fn train(args: &TrainArgs) -> Result<()> {
    let config = effective_config(args, SystemTime::now())?;
    gantry_engine::set_threads(config.threads);
    gantry_engine::on_pool(|| train_with(args, config))
}

fn train_with(args: &TrainArgs, config: TrainConfig) -> Result<()> {
    let run_dir = config.out.clone().context("no run directory chosen")?;
    let progress = Progress::new(config.iters as u64);
    let mut log = |line: &str| progress.log(line);
    let dataset = data::load(&config, Split::Train, &mut log)?;
    let evaluator = match config.eval_every {
        0 => None,
        _ => Some(super::eval::training_evaluator(&config, &mut log)?),
    };
    // A resumed run's files are only rewritten once its checkpoint fits the configuration.
    let mut trainer = if args.resume.is_some() {
        let trainer = Trainer::resume(config.clone(), &run_dir, dataset)?;
        prepare_run_dir(&config, true)?;
        trainer
    } else {
        prepare_run_dir(&config, false)?;
        Trainer::new(config, &run_dir, dataset)?
    };
    if let Some(evaluator) = evaluator {
        trainer.set_evaluator(evaluator);
    }
    progress.set_position(trainer.iteration());
    trainer.run(&mut |event| match event {
        Event::Log(line) => progress.log(line),
        Event::Progress(done, _) => progress.set_position(done),
    })?;
    progress.finish();
    if let Err(e) = super::eval::report_after_training(&run_dir, &mut |l| println!("{l}")) {
        eprintln!("warning: no report.html: {e:#}");
    }
    Ok(())
}

/// The configuration a `train` invocation runs with. Precedence, highest first: flags,
/// `--config` file (or the run's `config.toml` with `--resume`), loss defaults, defaults.
/// `out` is always set: the resumed run, `--out`, or [`default_run_dir`] at `now`.
pub fn effective_config(args: &TrainArgs, now: SystemTime) -> Result<TrainConfig> {
    let mut layers = Vec::new();
    if let Some(run_dir) = &args.resume {
        let layer = ConfigLayer::from_toml_file(run_dir.join(CONFIG_FILE));
        layers.push(layer.with_context(|| format!("cannot resume {}", run_dir.display()))?);
    }
    if let Some(path) = &args.config {
        layers.push(ConfigLayer::from_toml_file(path)?);
    }
    layers.push(args.flags.to_layer()?);

    let mut config = TrainConfig::resolve(&layers)?;
    if let Some(run_dir) = &args.resume {
        config.out = Some(run_dir.clone());
    }
    if config.out.is_none() {
        config.out = Some(default_run_dir(&config, now));
    }
    config.validate().context("invalid configuration")?;
    Ok(config)
}

/// `runs/<dataset>-<loss>-<YYYYMMDD-HHMMSS>` in UTC.
pub fn default_run_dir(config: &TrainConfig, now: SystemTime) -> PathBuf {
    let name = format!(
        "{}-{}-{}",
        dataset_slug(&config.dataset),
        config.loss,
        utc_stamp(now)
    );
    Path::new("runs").join(name)
}

/// Creates the run directory and writes the effective `config.toml` into it. A new run refuses
/// a directory that already holds one.
fn prepare_run_dir(config: &TrainConfig, resuming: bool) -> Result<PathBuf> {
    let run_dir = config.out.clone().context("no run directory chosen")?;
    let config_path = run_dir.join(CONFIG_FILE);
    if !resuming && config_path.exists() {
        let dir = run_dir.display();
        bail!("run directory {dir} already holds a run: use --resume {dir} or another --out");
    }
    std::fs::create_dir_all(&run_dir)
        .with_context(|| format!("cannot create run directory {}", run_dir.display()))?;

    let text = config.to_toml_string()?;
    let tmp = run_dir.join("config.toml.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &config_path)
        .with_context(|| format!("cannot write {}", config_path.display()))?;
    Ok(run_dir)
}

#[cfg(test)]
#[path = "train_tests.rs"]
mod tests;
