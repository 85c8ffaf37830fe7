//! `gantry bench`: times training iterations of a model.

use anyhow::{ensure, Context, Result};
use gantry_gan::config::TrainConfig;

use crate::args::BenchArgs;

/// Benchmarks as `args` say. For now it checks the configuration and reports the plan.
pub fn bench(args: &BenchArgs) -> Result<()> {
    ensure!(args.iters > 0, "--iters must be at least 1");
    let config = TrainConfig {
        model: args.model,
        threads: args.threads,
        batch_size: args.batch_size,
        ..Default::default()
    };
    config.validate().context("invalid benchmark settings")?;

    let threads = if args.threads == 0 {
        "all".to_string()
    } else {
        args.threads.to_string()
    };
    println!(
        "bench: {} {} with batch {}, {} warm-up + {} timed iterations, threads {}",
        config.loss, config.model, config.batch_size, args.warmup, args.iters, threads
    );
    Ok(())
}
