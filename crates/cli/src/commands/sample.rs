//! `gantry sample`: images from a trained generator.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use gantry_gan::checkpoint::{files, find_checkpoint};
use gantry_gan::config::TrainConfig;

use crate::args::SampleArgs;

/// Samples as `args` say. For now it finds the checkpoint and reports the plan.
pub fn sample(args: &SampleArgs) -> Result<()> {
    ensure!(args.n > 0, "--n must be at least 1");
    ensure!(
        args.steps >= 2,
        "--steps must be at least 2 (both ends of the path)"
    );
    let source = args.source.display();
    let checkpoint =
        find_checkpoint(&args.source).with_context(|| format!("cannot sample from {source}"))?;
    let config = TrainConfig::from_toml_file(checkpoint.join(files::CONFIG))?;
    let grid = args.grid.unwrap_or(config.grid);
    ensure!(grid > 0, "--grid must be at least 1");
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_output(&checkpoint, args));

    println!(
        "sample: generator of {} ({} {})",
        checkpoint.display(),
        config.loss,
        config.model
    );
    match &args.interpolate {
        Some(seeds) => println!(
            "interpolate: {} steps from seed {} to seed {}",
            args.steps, seeds[0], seeds[1]
        ),
        None => println!(
            "images: {} from seed {}, {} per row",
            args.n, args.seed, grid
        ),
    }
    println!("output: {}", out.display());
    Ok(())
}

/// `RUN_DIR/samples/sample-<seed>.png`, or `interpolate-<a>-<b>.png`.
fn default_output(checkpoint: &Path, args: &SampleArgs) -> PathBuf {
    // checkpoints live in RUN_DIR/checkpoints/iter-N
    let run_dir = checkpoint
        .parent()
        .and_then(Path::parent)
        .unwrap_or(checkpoint);
    let name = match &args.interpolate {
        Some(seeds) => format!("interpolate-{}-{}.png", seeds[0], seeds[1]),
        None => format!("sample-{}.png", args.seed),
    };
    run_dir.join("samples").join(name)
}
