//! `gantry eval`: scores a run's generator.

use anyhow::{ensure, Context, Result};
use gantry_gan::checkpoint::find_checkpoint;
use gantry_gan::config::TrainConfig;

use crate::args::EvalArgs;

/// Evaluates as `args` say. For now it checks the run and reports the plan.
pub fn eval(args: &EvalArgs) -> Result<()> {
    ensure!(args.n > 0, "--n must be at least 1");
    let run_dir = &args.run_dir;
    let config = TrainConfig::from_toml_file(run_dir.join("config.toml"))
        .with_context(|| format!("{} is not a run directory", run_dir.display()))?;
    let checkpoint = find_checkpoint(run_dir)?;

    println!(
        "eval: {} {} on {}",
        config.loss, config.model, config.dataset
    );
    println!("checkpoint: {}", checkpoint.display());
    println!("images: {} from seed {}", args.n, args.seed);
    println!("report: {}", run_dir.join("eval.json").display());
    Ok(())
}
