//! One command-line flag per [`TrainConfig`] key; the flags given form the top config layer.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use gantry_gan::config::{ConfigLayer, Divergence, Loss, ModelKind, OptimizerKind, TrainConfig};
use serde::Serialize;

/// Overrides of [`TrainConfig`] keys; unset flags leave the key to the lower layers.
/// Field names are the TOML keys, so the flag for `n_critic` is `--n-critic`.
#[derive(Debug, Clone, Default, Args, Serialize)]
#[command(next_help_heading = "Configuration (overrides --config and the loss defaults)")]
pub struct ConfigFlags {
    /// Run directory [default: runs/<dataset>-<loss>-<timestamp>]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Generator iterations to train for
    #[arg(long)]
    pub iters: Option<usize>,
    /// Seed of every random stream
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads, 0 for all cores
    #[arg(long)]
    pub threads: Option<usize>,

    /// Data set: mnist, fashion-mnist, idx:DIR or folder:DIR
    #[arg(long, value_name = "SPEC")]
    pub dataset: Option<String>,
    /// Directory holding the named data sets
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Side of the square training images in pixels
    #[arg(long)]
    pub image_size: Option<usize>,
    /// Image channels, 1 or 3
    #[arg(long)]
    pub channels: Option<usize>,
    /// Images per step
    #[arg(long)]
    pub batch_size: Option<usize>,

    /// Architecture: dcgan or mlp
    #[arg(long)]
    pub model: Option<ModelKind>,
    /// Base channel count of the DCGAN models
    #[arg(long)]
    pub dim: Option<usize>,
    /// Size of the latent vector z
    #[arg(long)]
    pub latent: Option<usize>,
    /// Hidden width of the MLP models
    #[arg(long)]
    pub hidden: Option<usize>,

    /// Objective: gan, wgan-clip, wgan-gp, wgan-lp or ebgan
    #[arg(long)]
    pub loss: Option<Loss>,
    /// Penalty weight λ (wgan-gp, wgan-lp)
    #[arg(long)]
    pub lambda_gp: Option<f64>,
    /// Weight-clipping bound (wgan-clip)
    #[arg(long)]
    pub clip: Option<f64>,
    /// Energy margin m (ebgan)
    #[arg(long)]
    pub ebgan_margin: Option<f64>,
    /// Pulling-away term weight (ebgan)
    #[arg(long)]
    pub pullaway_weight: Option<f64>,
    /// Use the minimax generator loss instead of the non-saturating one (gan)
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub minimax: Option<bool>,

    /// Optimiser: adam, rmsprop or sgd
    #[arg(long)]
    pub optimizer: Option<OptimizerKind>,
    /// Learning rate
    #[arg(long)]
    pub lr: Option<f64>,
    /// Adam β₁
    #[arg(long)]
    pub beta1: Option<f64>,
    /// Adam β₂ or RMSProp decay
    #[arg(long)]
    pub beta2: Option<f64>,
    /// Adam and RMSProp ε
    #[arg(long)]
    pub eps: Option<f64>,
    /// SGD momentum
    #[arg(long)]
    pub momentum: Option<f64>,
    /// Decay of the generator's moving average that draws samples, 0 disables
    #[arg(long)]
    pub ema: Option<f64>,

    /// Critic steps per generator step
    #[arg(long)]
    pub n_critic: Option<usize>,
    /// Critic steps per generator step while boosted, 0 disables
    #[arg(long)]
    pub boost_steps: Option<usize>,
    /// Boost the first N generator iterations, 0 disables
    #[arg(long, value_name = "N")]
    pub boost_warmup: Option<usize>,
    /// Boost every N-th generator iteration, 0 disables
    #[arg(long, value_name = "N")]
    pub boost_every: Option<usize>,

    /// Start adversarial augmentation at this generator iteration, 0 disables
    #[arg(long, value_name = "ITER")]
    pub adv_start: Option<usize>,
    /// L∞ radius of the adversarial perturbation
    #[arg(long)]
    pub adv_eps: Option<f64>,
    /// Signed-gradient steps per perturbation
    #[arg(long)]
    pub adv_steps: Option<usize>,
    /// Fraction of each real batch that is perturbed
    #[arg(long)]
    pub adv_ratio: Option<f64>,
    /// Perturbed images kept in the pool
    #[arg(long)]
    pub adv_pool: Option<usize>,

    /// Generator iterations between log lines and metrics records
    #[arg(long, value_name = "N")]
    pub log_every: Option<usize>,
    /// Generator iterations between sample grids, 0 disables
    #[arg(long, value_name = "N")]
    pub sample_every: Option<usize>,
    /// Generator iterations between checkpoints, 0 disables
    #[arg(long, value_name = "N")]
    pub checkpoint_every: Option<usize>,
    /// Generator iterations between evaluations, 0 disables
    #[arg(long, value_name = "N")]
    pub eval_every: Option<usize>,
    /// Generated images per evaluation
    #[arg(long, value_name = "N")]
    pub eval_samples: Option<usize>,
    /// Sample grids are N×N images
    #[arg(long, value_name = "N")]
    pub grid: Option<usize>,
    /// On NaN losses: stop or rollback
    #[arg(long)]
    pub divergence: Option<Divergence>,
    /// Learning-rate factor applied on each rollback
    #[arg(long)]
    pub rollback_lr_factor: Option<f64>,
}

impl ConfigFlags {
    /// The flags that were given, as a config layer named `command line`.
    pub fn to_layer(&self) -> anyhow::Result<ConfigLayer> {
        let table = toml::Table::try_from(self).context("cannot encode command-line flags")?;
        Ok(ConfigLayer::from_table("command line", table)?)
    }
}

/// Keys of [`TrainConfig`], in field order; used to check that every key has a flag.
pub fn config_keys() -> Vec<String> {
    let config = TrainConfig {
        out: Some(PathBuf::from("x")),
        ..Default::default()
    };
    let table = toml::Table::try_from(&config).unwrap_or_default();
    table.keys().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::{CommandFactory, Parser};

    #[test]
    fn every_config_key_has_a_flag() {
        let cli = Cli::command();
        let train = cli.find_subcommand("train").expect("train subcommand");
        let flags: Vec<String> = train
            .get_arguments()
            .map(|a| a.get_id().to_string())
            .collect();
        for key in config_keys() {
            assert!(flags.contains(&key), "no flag for config key `{key}`");
        }
    }

    #[test]
    fn only_given_flags_enter_the_layer() {
        let cli = Cli::try_parse_from(["gantry", "train", "--n-critic", "3", "--minimax"]).unwrap();
        let Command::Train(args) = cli.command else {
            panic!("not train")
        };
        let layer = args.flags.to_layer().unwrap();
        let keys: Vec<&String> = layer.table.keys().collect();
        assert_eq!(keys, ["minimax", "n_critic"]);
        assert_eq!(layer.table["minimax"].as_bool(), Some(true));
    }

    #[test]
    fn enum_flags_use_the_toml_spelling() {
        let argv = ["gantry", "train", "--loss", "wgan-clip", "--model", "mlp"];
        let Command::Train(args) = Cli::try_parse_from(argv).unwrap().command else {
            panic!("not train")
        };
        let layer = args.flags.to_layer().unwrap();
        assert_eq!(layer.table["loss"].as_str(), Some("wgan-clip"));
        assert_eq!(layer.table["model"].as_str(), Some("mlp"));
        let err = Cli::try_parse_from(["gantry", "train", "--loss", "wgan"]).unwrap_err();
        assert!(
            err.to_string().contains("not one of gan, wgan-clip"),
            "{err}"
        );
    }
}
