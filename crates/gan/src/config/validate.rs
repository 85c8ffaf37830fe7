//! Range checks on a [`TrainConfig`] and the parsed data-set spec.

use gantry_data::DatasetSpec;

use super::{ConfigError, Loss, ModelKind, TrainConfig};

/// Parses a data-set spec (`mnist`, `fashion-mnist`, `idx:DIR` or `folder:DIR`), naming the
/// `dataset` key when it is not one.
pub fn parse_dataset(spec: &str) -> Result<DatasetSpec, ConfigError> {
    spec.parse::<DatasetSpec>()
        .map_err(|_| ConfigError::Invalid {
            key: "dataset",
            value: format!("\"{spec}\""),
            expected: "mnist, fashion-mnist, idx:DIR or folder:DIR".to_string(),
        })
}

/// Fails with `key`, its value and `expected` unless `ok`.
fn check(
    ok: bool,
    key: &'static str,
    value: impl ToString,
    expected: &str,
) -> Result<(), ConfigError> {
    if ok {
        return Ok(());
    }
    Err(ConfigError::Invalid {
        key,
        value: value.to_string(),
        expected: expected.to_string(),
    })
}

/// `value` is finite and greater than 0.
fn positive(value: f64) -> bool {
    value.is_finite() && value > 0.0
}

/// `value` lies in `[low, high)` and is finite.
fn in_range(value: f64, low: f64, high: f64) -> bool {
    value.is_finite() && value >= low && value < high
}

impl TrainConfig {
    /// The parsed [`TrainConfig::dataset`].
    pub fn dataset_spec(&self) -> Result<DatasetSpec, ConfigError> {
        parse_dataset(&self.dataset)
    }

    /// Checks that every key is in range, naming the first key that is not.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.dataset_spec()?;
        self.validate_sizes()?;
        self.validate_objective()?;
        self.validate_optimizer()?;
        self.validate_schedule()
    }

    fn validate_sizes(&self) -> Result<(), ConfigError> {
        let positive = "a positive integer";
        check(self.iters > 0, "iters", self.iters, positive)?;
        check(self.batch_size > 0, "batch_size", self.batch_size, positive)?;
        check(self.image_size > 0, "image_size", self.image_size, positive)?;
        check(
            matches!(self.channels, 1 | 3),
            "channels",
            self.channels,
            "1 or 3",
        )?;
        check(self.dim > 0, "dim", self.dim, positive)?;
        check(self.latent > 0, "latent", self.latent, positive)?;
        check(self.hidden > 0, "hidden", self.hidden, positive)?;
        let dcgan_ok = self.model != ModelKind::Dcgan || self.image_size.is_multiple_of(4);
        let why = "a multiple of 4 for model dcgan (two stride-2 layers)";
        check(dcgan_ok, "image_size", self.image_size, why)
    }

    fn validate_objective(&self) -> Result<(), ConfigError> {
        let lambda = self.lambda_gp;
        check(
            lambda.is_finite() && lambda >= 0.0,
            "lambda_gp",
            lambda,
            "a finite number >= 0",
        )?;
        let clip_ok = self.loss != Loss::WganClip || positive(self.clip);
        check(
            clip_ok,
            "clip",
            self.clip,
            "a number > 0 for loss wgan-clip",
        )?;
        let margin_ok = self.loss != Loss::Ebgan || positive(self.ebgan_margin);
        check(
            margin_ok,
            "ebgan_margin",
            self.ebgan_margin,
            "a number > 0 for loss ebgan",
        )?;
        let weight = self.pullaway_weight;
        check(
            weight.is_finite() && weight >= 0.0,
            "pullaway_weight",
            weight,
            "a number >= 0",
        )
    }

    fn validate_optimizer(&self) -> Result<(), ConfigError> {
        check(positive(self.lr), "lr", self.lr, "a number > 0")?;
        check(
            in_range(self.beta1, 0.0, 1.0),
            "beta1",
            self.beta1,
            "a number in [0, 1)",
        )?;
        check(
            in_range(self.beta2, 0.0, 1.0),
            "beta2",
            self.beta2,
            "a number in [0, 1)",
        )?;
        check(
            positive(self.eps) && self.eps < 1.0,
            "eps",
            self.eps,
            "a number in (0, 1)",
        )?;
        check(
            in_range(self.momentum, 0.0, 1.0),
            "momentum",
            self.momentum,
            "a number in [0, 1)",
        )?;
        check(
            in_range(self.ema, 0.0, 1.0),
            "ema",
            self.ema,
            "a number in [0, 1), 0 to disable",
        )
    }

    fn validate_schedule(&self) -> Result<(), ConfigError> {
        check(
            self.n_critic > 0,
            "n_critic",
            self.n_critic,
            "a positive integer",
        )?;
        check(
            self.log_every > 0,
            "log_every",
            self.log_every,
            "a positive integer",
        )?;
        check(self.grid > 0, "grid", self.grid, "a positive integer")?;
        let samples_ok = self.eval_every == 0 || self.eval_samples > 0;
        check(
            samples_ok,
            "eval_samples",
            self.eval_samples,
            "> 0 when eval_every is set",
        )?;
        let factor = self.rollback_lr_factor;
        let factor_ok = positive(factor) && factor <= 1.0;
        check(
            factor_ok,
            "rollback_lr_factor",
            factor,
            "a number in (0, 1]",
        )?;
        self.validate_adversarial()
    }

    fn validate_adversarial(&self) -> Result<(), ConfigError> {
        if self.adv_start == 0 {
            return Ok(());
        }
        check(
            in_range(self.adv_eps, 0.0, 2.0),
            "adv_eps",
            self.adv_eps,
            "a number in [0, 2)",
        )?;
        check(
            self.adv_steps > 0,
            "adv_steps",
            self.adv_steps,
            "a positive integer",
        )?;
        let ratio_ok = in_range(self.adv_ratio, 0.0, 1.1) && self.adv_ratio <= 1.0;
        check(ratio_ok, "adv_ratio", self.adv_ratio, "a number in [0, 1]")?;
        check(
            self.adv_pool > 0,
            "adv_pool",
            self.adv_pool,
            "a positive integer",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(edit: impl FnOnce(&mut TrainConfig)) -> String {
        let mut config = TrainConfig::default();
        edit(&mut config);
        config.validate().unwrap_err().to_string()
    }

    #[test]
    fn dataset_specs_parse() {
        assert_eq!(parse_dataset("mnist").unwrap(), DatasetSpec::Mnist);
        assert_eq!(
            parse_dataset("fashion-mnist").unwrap(),
            DatasetSpec::FashionMnist
        );
        assert_eq!(
            parse_dataset("idx:d/x").unwrap(),
            DatasetSpec::Idx("d/x".into())
        );
        assert_eq!(
            parse_dataset("folder:C:/x").unwrap(),
            DatasetSpec::Folder("C:/x".into())
        );
        for bad in ["cifar", "idx:", "zip:foo", ""] {
            assert!(parse_dataset(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn messages_name_key_value_and_expectation() {
        let err = error(|c| c.batch_size = 0);
        assert_eq!(
            err,
            "config key `batch_size` = 0: expected a positive integer"
        );
        let err = error(|c| c.image_size = 30);
        assert!(
            err.contains("`image_size` = 30") && err.contains("multiple of 4"),
            "{err}"
        );
        let err = error(|c| c.dataset = "cifar".into());
        assert!(err.contains("`dataset` = \"cifar\""), "{err}");
    }

    #[test]
    fn range_checks_catch_bad_values() {
        assert!(error(|c| c.lr = 0.0).contains("`lr`"));
        assert!(error(|c| c.lr = f64::NAN).contains("`lr`"));
        assert!(error(|c| c.beta2 = 1.0).contains("`beta2`"));
        assert!(error(|c| c.n_critic = 0).contains("`n_critic`"));
        assert!(error(|c| c.ema = 1.0).contains("`ema`"));
        assert!(error(|c| c.channels = 2).contains("`channels`"));
        assert!(error(|c| c.rollback_lr_factor = 0.0).contains("rollback_lr_factor"));
        assert!(error(|c| (c.adv_start, c.adv_ratio) = (10, 1.5)).contains("adv_ratio"));
        assert!(error(|c| (c.loss, c.clip) = (Loss::WganClip, 0.0)).contains("`clip`"));
    }

    #[test]
    fn mlp_accepts_any_image_size_and_unused_keys_are_not_checked() {
        let mut config = TrainConfig {
            model: ModelKind::Mlp,
            image_size: 30,
            ..Default::default()
        };
        config.clip = 0.0;
        config.adv_ratio = 7.0;
        config.validate().unwrap();
    }
}
