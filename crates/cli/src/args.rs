//! The `gantry` command line: subcommands and their arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use gantry_gan::config::ModelKind;

use crate::flags::ConfigFlags;

/// Train and evaluate GANs (WGAN-GP and friends) on the CPU.
#[derive(Debug, Parser)]
#[command(name = "gantry", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `gantry`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a generator and critic; flags override --config, which overrides the loss defaults
    Train(Box<TrainArgs>),
    /// Draw images from a trained generator
    Sample(SampleArgs),
    /// Score a run's generator with the evaluation classifier
    Eval(EvalArgs),
    /// Manage the classifier used by `eval`
    #[command(subcommand)]
    Classifier(ClassifierCommand),
    /// Time training iterations of a model
    Bench(BenchArgs),
}

/// Arguments of `gantry train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// TOML file of configuration keys
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    pub config: Option<PathBuf>,
    /// Continue the run in RUN_DIR from its latest checkpoint, with its config.toml
    #[arg(long, value_name = "RUN_DIR", conflicts_with = "out")]
    pub resume: Option<PathBuf>,
    /// Configuration overrides.
    #[command(flatten)]
    pub flags: ConfigFlags,
}

/// Arguments of `gantry sample`.
#[derive(Debug, Clone, Args)]
pub struct SampleArgs {
    /// A run directory (its latest checkpoint) or a checkpoint directory
    #[arg(value_name = "RUN_DIR|CHECKPOINT")]
    pub source: PathBuf,
    /// Number of images
    #[arg(long, default_value_t = 64)]
    pub n: usize,
    /// Seed of the latent vectors
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Images per grid row [default: the run's grid]
    #[arg(long)]
    pub grid: Option<usize>,
    /// Output image [default: RUN_DIR/samples/sample-<seed>.png]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write each image as its own PNG into this directory instead of one grid
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub separate: Option<PathBuf>,
    /// Interpolate between the latent vectors of two seeds instead of sampling
    #[arg(long, num_args = 2, value_names = ["SEED_A", "SEED_B"])]
    pub interpolate: Option<Vec<u64>>,
    /// Images along the interpolation path, both ends included
    #[arg(long, default_value_t = 10, requires = "interpolate")]
    pub steps: usize,
}

/// Arguments of `gantry eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// The run directory to evaluate
    pub run_dir: PathBuf,
    /// Generated images to score
    #[arg(long, default_value_t = 10_000)]
    pub n: usize,
    /// Seed of the latent vectors
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Subcommands of `gantry classifier`.
#[derive(Debug, Subcommand)]
pub enum ClassifierCommand {
    /// Train the evaluation classifier on a labelled data set
    Train(ClassifierTrainArgs),
}

/// Arguments of `gantry classifier train`.
#[derive(Debug, Clone, Args)]
pub struct ClassifierTrainArgs {
    /// Data set: mnist, fashion-mnist or idx:DIR
    #[arg(long, default_value = "mnist", value_name = "SPEC")]
    pub dataset: String,
    /// Directory holding the named data sets
    #[arg(long, default_value = "data", value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Passes over the training set
    #[arg(long, default_value_t = 8)]
    pub epochs: usize,
    /// Where to write the classifier [default: classifiers/<dataset>.safetensors]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Seed of initialisation and shuffling
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads, 0 for all cores
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// Arguments of `gantry bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Timed iterations
    #[arg(long, default_value_t = 10)]
    pub iters: usize,
    /// Untimed iterations run first
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    /// Worker threads, 0 for all cores
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Architecture: dcgan or mlp
    #[arg(long, default_value = "dcgan")]
    pub model: ModelKind,
    /// Images per step
    #[arg(long, default_value_t = 50)]
    pub batch_size: usize,
    /// Width of the DCGAN (the reference is 64; `gantry train` defaults to 32)
    #[arg(long, default_value_t = 64)]
    pub dim: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(argv: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("gantry").chain(argv.iter().copied()))
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn unknown_options_and_conflicts_are_rejected() {
        assert!(parse(&["train", "--bogus"]).is_err());
        assert!(parse(&["train", "--resume", "r", "--out", "o"]).is_err());
        assert!(parse(&["train", "--resume", "r", "--config", "c.toml"]).is_err());
        assert!(
            parse(&["sample", "run", "--steps", "4"]).is_err(),
            "--steps needs --interpolate"
        );
    }

    #[test]
    fn sample_interpolate_takes_two_seeds() {
        let cli = parse(&["sample", "run", "--interpolate", "3", "9", "--steps", "5"]).unwrap();
        let Command::Sample(args) = cli.command else {
            panic!("not sample")
        };
        assert_eq!((args.interpolate, args.steps), (Some(vec![3, 9]), 5));
        assert!(parse(&["sample", "run", "--interpolate", "3"]).is_err());
    }

    #[test]
    fn defaults_of_eval_bench_and_classifier() {
        let Command::Eval(eval) = parse(&["eval", "run"]).unwrap().command else {
            panic!()
        };
        assert_eq!((eval.n, eval.seed), (10_000, 0));
        let Command::Bench(bench) = parse(&["bench", "--model", "mlp"]).unwrap().command else {
            panic!()
        };
        assert_eq!(
            (bench.iters, bench.warmup, bench.model),
            (10, 2, ModelKind::Mlp)
        );
        let cli = parse(&["classifier", "train", "--epochs", "1"]).unwrap();
        let Command::Classifier(ClassifierCommand::Train(c)) = cli.command else {
            panic!()
        };
        assert_eq!(c.epochs, 1);
    }
}
