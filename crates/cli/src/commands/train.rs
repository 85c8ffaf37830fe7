//! `gantry train`: resolves the effective configuration and prepares the run directory.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use gantry_gan::checkpoint::CheckpointStore;
use gantry_gan::config::{ConfigLayer, TrainConfig};

use super::dataset_slug;
use crate::args::TrainArgs;
use crate::timestamp::utc_stamp;

/// Name of the effective configuration inside a run directory.
const CONFIG_FILE: &str = "config.toml";

/// Trains as `args` say. For now it prepares the run and reports the plan.
pub fn train(args: &TrainArgs) -> Result<()> {
    let config = effective_config(args, SystemTime::now())?;
    let run_dir = prepare_run_dir(&config, args.resume.is_some())?;
    print_plan(&config, &run_dir);

    if args.resume.is_some() {
        let latest = CheckpointStore::new(&run_dir).latest()?;
        match latest {
            Some(dir) => println!("resume: from {}", dir.display()),
            None => println!("resume: no checkpoint yet, starting at iteration 0"),
        }
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

fn print_plan(config: &TrainConfig, run_dir: &Path) {
    let c = config;
    println!(
        "train: {} {} on {} ({}x{}x{}), batch {}, {} generator iterations, n_critic {}",
        c.loss,
        c.model,
        c.dataset,
        c.channels,
        c.image_size,
        c.image_size,
        c.batch_size,
        c.iters,
        c.n_critic
    );
    println!(
        "optimizer: {} lr {:e} betas ({}, {}), seed {}, threads {}",
        c.optimizer,
        c.lr,
        c.beta1,
        c.beta2,
        c.seed,
        if c.threads == 0 {
            "all".to_string()
        } else {
            c.threads.to_string()
        }
    );
    println!("run directory: {} (config.toml written)", run_dir.display());
}

#[cfg(test)]
#[path = "train_tests.rs"]
mod tests;
