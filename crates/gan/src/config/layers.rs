//! Layers of explicitly set keys and the per-loss paper defaults they override.

use std::path::Path;

use super::{ConfigError, Loss, OptimizerKind, TrainConfig};

/// Keys set explicitly by one source, e.g. a TOML file or the command-line flags.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigLayer {
    /// Where the keys came from, used in error messages.
    pub origin: String,
    /// The keys and their values; every key is a [`TrainConfig`] field of the right type.
    pub table: toml::Table,
}

impl ConfigLayer {
    /// Reads a TOML file, checking every key and value type against [`TrainConfig`].
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    /// Parses TOML text; errors name `origin`, the line, the key and the problem.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let parse_error = |err: toml::de::Error| ConfigError::Parse {
            origin: origin.to_string(),
            detail: describe_toml_error(text, &err),
        };
        let table: toml::Table = toml::from_str(text).map_err(parse_error)?;
        toml::from_str::<TrainConfig>(text).map_err(parse_error)?;
        Ok(Self {
            origin: origin.to_string(),
            table,
        })
    }

    /// Wraps an already built table, e.g. from command-line flags, checking keys and types.
    pub fn from_table(origin: &str, table: toml::Table) -> Result<Self, ConfigError> {
        table
            .clone()
            .try_into::<TrainConfig>()
            .map_err(|err| ConfigError::Parse {
                origin: origin.to_string(),
                detail: shorten(err.message()),
            })?;
        Ok(Self {
            origin: origin.to_string(),
            table,
        })
    }

    /// The loss this layer selects, if it sets `loss`.
    fn loss(&self) -> Option<Loss> {
        let text = self.table.get("loss")?.as_str()?;
        text.parse().ok()
    }
}

impl TrainConfig {
    /// Merges `layers` (later ones win) over the defaults of the selected loss, which in turn
    /// override [`TrainConfig::default`]. The loss is taken from the last layer that sets it.
    pub fn resolve(layers: &[ConfigLayer]) -> Result<Self, ConfigError> {
        let base = TrainConfig::default();
        let loss = layers
            .iter()
            .rev()
            .find_map(ConfigLayer::loss)
            .unwrap_or(base.loss);

        let mut merged = toml::Table::try_from(&base)?;
        merged.extend(loss.defaults().to_table());
        for layer in layers {
            merged.extend(layer.table.clone());
        }

        merged
            .try_into()
            .map_err(|err: toml::de::Error| ConfigError::Parse {
                origin: "merged layers".to_string(),
                detail: shorten(err.message()),
            })
    }
}

/// The optimiser and schedule a loss was published with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossDefaults {
    /// Optimiser of both networks.
    pub optimizer: OptimizerKind,
    /// Learning rate.
    pub lr: f64,
    /// Adam β₁ (unused by RMSProp).
    pub beta1: f64,
    /// Adam β₂ (RMSProp decay).
    pub beta2: f64,
    /// Critic steps per generator step.
    pub n_critic: usize,
    /// Weight-clipping bound, for `wgan-clip`.
    pub clip: Option<f64>,
    /// Penalty weight λ, for `wgan-gp` and `wgan-lp`.
    pub lambda_gp: Option<f64>,
    /// Critic steps of a boost iteration: 100 for `wgan-clip`, whose paper boosts the critic;
    /// 0 (off) for the others, whose papers train with a constant schedule.
    pub boost_steps: usize,
}

impl Loss {
    /// Paper defaults: `gan` Adam 2e-4 β = (0.5, 0.999), 1 critic step (DCGAN); `wgan-clip`
    /// RMSProp 5e-5, 5 critic steps, clip 0.01 (WGAN); `wgan-gp` and `wgan-lp` Adam
    /// β = (0.5, 0.9), 5 critic steps, λ = 10 (WGAN-GP), at 3e-4 rather than the paper's 1e-4
    /// (see [`TrainConfig::default`](super::TrainConfig)); `ebgan` Adam 2e-4 β = (0.5, 0.999),
    /// 1 critic step (the DCGAN settings; the EBGAN paper tuned them per data set).
    pub fn defaults(self) -> LossDefaults {
        let adam = |lr, beta2, n_critic| LossDefaults {
            optimizer: OptimizerKind::Adam,
            lr,
            beta1: 0.5,
            beta2,
            n_critic,
            clip: None,
            lambda_gp: None,
            boost_steps: 0,
        };
        match self {
            Loss::Gan | Loss::Ebgan => adam(2e-4, 0.999, 1),
            Loss::WganGp | Loss::WganLp => LossDefaults {
                lambda_gp: Some(10.0),
                ..adam(3e-4, 0.9, 5)
            },
            Loss::WganClip => LossDefaults {
                optimizer: OptimizerKind::Rmsprop,
                lr: 5e-5,
                beta1: 0.0,
                beta2: 0.9,
                n_critic: 5,
                clip: Some(0.01),
                lambda_gp: None,
                boost_steps: 100,
            },
        }
    }
}

impl LossDefaults {
    /// The defaults as TOML keys of [`TrainConfig`]. RMSProp's `beta1` is left unset.
    pub fn to_table(&self) -> toml::Table {
        let mut table = toml::Table::new();
        let mut set = |key: &str, value: toml::Value| table.insert(key.to_string(), value);
        set("optimizer", self.optimizer.to_string().into());
        set("lr", self.lr.into());
        if self.optimizer == OptimizerKind::Adam {
            set("beta1", self.beta1.into());
        }
        set("beta2", self.beta2.into());
        set("n_critic", (self.n_critic as i64).into());
        set("boost_steps", (self.boost_steps as i64).into());
        if let Some(clip) = self.clip {
            set("clip", clip.into());
        }
        if let Some(lambda) = self.lambda_gp {
            set("lambda_gp", lambda.into());
        }
        table
    }
}

/// One line naming the line number, the key and the problem of a TOML error.
fn describe_toml_error(text: &str, err: &toml::de::Error) -> String {
    let message = shorten(err.message());
    let Some(span) = err.span() else {
        return message;
    };
    let start = span.start.min(text.len());
    let line_no = text[..start].matches('\n').count() + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or("");
    match line.split_once('=') {
        Some((key, _)) => format!("line {line_no}, key `{}`: {message}", key.trim()),
        None => format!("line {line_no}: {message}"),
    }
}

/// Drops serde's list of expected fields after an unknown key and joins lines.
fn shorten(message: &str) -> String {
    let message = message.trim().replace('\n', " ");
    match message.split_once(", expected one of") {
        Some((head, _)) if head.starts_with("unknown field") => {
            head.replacen("unknown field", "unknown key", 1)
        }
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(text: &str) -> ConfigLayer {
        ConfigLayer::from_toml_str(text, "test.toml").unwrap()
    }

    fn parse_error(text: &str) -> String {
        ConfigLayer::from_toml_str(text, "bad.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn parses_a_full_file() {
        let expected = TrainConfig {
            out: Some("runs/x".into()),
            iters: 7,
            loss: Loss::WganLp,
            model: super::super::ModelKind::Mlp,
            divergence: super::super::Divergence::Rollback,
            lr: 3e-4,
            minimax: true,
            dataset: "folder:faces".to_string(),
            ..Default::default()
        };
        let text = expected.to_toml_string().unwrap();
        assert!(text.contains("loss = \"wgan-lp\"") && text.contains("model = \"mlp\""));
        assert_eq!(
            TrainConfig::from_toml_str(&text, "full.toml").unwrap(),
            expected
        );
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let err = parse_error("iters = 10\nlearning_rate = 0.1\n");
        assert_eq!(
            err,
            "config bad.toml: line 2, key `learning_rate`: unknown key `learning_rate`"
        );
    }

    #[test]
    fn wrong_type_names_file_line_and_key() {
        let err = parse_error("seed = 1\nbatch_size = \"fifty\"\n");
        assert!(
            err.starts_with("config bad.toml: line 2, key `batch_size`: invalid type"),
            "{err}"
        );
        assert!(!err.contains('\n'));
        let err = parse_error("loss = \"wgan\"\n");
        assert!(
            err.contains("key `loss`") && err.contains("wgan-gp"),
            "{err}"
        );
    }

    #[test]
    fn syntax_error_is_one_line() {
        let err = parse_error("iters = = 3\n");
        assert!(err.starts_with("config bad.toml: line 1"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn loss_defaults_apply_when_not_set() {
        let c = TrainConfig::resolve(&[layer("loss = \"wgan-clip\"")]).unwrap();
        assert_eq!(
            (c.optimizer, c.lr, c.n_critic, c.clip),
            (OptimizerKind::Rmsprop, 5e-5, 5, 0.01)
        );
        let c = TrainConfig::resolve(&[layer("loss = \"gan\"")]).unwrap();
        assert_eq!((c.lr, c.beta1, c.beta2, c.n_critic), (2e-4, 0.5, 0.999, 1));
    }

    #[test]
    fn explicit_keys_beat_loss_defaults_in_any_layer() {
        let file = layer("loss = \"gan\"\nlr = 1e-3");
        let flags = ConfigLayer::from_table("flags", toml::toml! { n_critic = 2 }).unwrap();
        let c = TrainConfig::resolve(&[file, flags]).unwrap();
        assert_eq!(
            (c.loss, c.lr, c.n_critic, c.beta2),
            (Loss::Gan, 1e-3, 2, 0.999)
        );
    }

    #[test]
    fn later_layers_win_including_the_loss() {
        let file = layer("loss = \"gan\"\nbatch_size = 10");
        let flags = ConfigLayer::from_table("flags", toml::toml! { loss = "wgan-clip" }).unwrap();
        let c = TrainConfig::resolve(&[file, flags]).unwrap();
        assert_eq!(
            (c.loss, c.optimizer, c.batch_size),
            (Loss::WganClip, OptimizerKind::Rmsprop, 10)
        );
    }

    #[test]
    fn from_table_rejects_unknown_keys() {
        let err = ConfigLayer::from_table("command line", toml::toml! { bogus = 1 }).unwrap_err();
        assert_eq!(err.to_string(), "config command line: unknown key `bogus`");
    }
}
