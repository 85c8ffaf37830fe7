//! Display and parsing of the configuration enums, spelled as in TOML (`wgan-gp`, `dcgan`).

use super::{Divergence, Loss, ModelKind, OptimizerKind};

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Dcgan => "dcgan",
            Self::Mlp => "mlp",
        })
    }
}

impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Gan => "gan",
            Self::WganClip => "wgan-clip",
            Self::WganGp => "wgan-gp",
            Self::WganLp => "wgan-lp",
            Self::Ebgan => "ebgan",
        })
    }
}

impl std::fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Adam => "adam",
            Self::Rmsprop => "rmsprop",
            Self::Sgd => "sgd",
        })
    }
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Stop => "stop",
            Self::Rollback => "rollback",
        })
    }
}

/// Parses an enum from its TOML spelling, listing the allowed values on failure.
fn parse_variant<T: Copy + std::fmt::Display>(text: &str, variants: &[T]) -> Result<T, String> {
    let found = variants.iter().find(|v| v.to_string() == text);
    found.copied().ok_or_else(|| {
        let allowed: Vec<String> = variants.iter().map(|v| v.to_string()).collect();
        format!("`{text}` is not one of {}", allowed.join(", "))
    })
}

impl std::str::FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_variant(s, &[Self::Dcgan, Self::Mlp])
    }
}

impl std::str::FromStr for Loss {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let all = [
            Self::Gan,
            Self::WganClip,
            Self::WganGp,
            Self::WganLp,
            Self::Ebgan,
        ];
        parse_variant(s, &all)
    }
}

impl std::str::FromStr for OptimizerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_variant(s, &[Self::Adam, Self::Rmsprop, Self::Sgd])
    }
}

impl std::str::FromStr for Divergence {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_variant(s, &[Self::Stop, Self::Rollback])
    }
}

#[cfg(test)]
mod tests {
    use super::super::TrainConfig;
    use super::*;

    #[test]
    fn enums_parse_from_their_toml_spelling() {
        assert_eq!("wgan-lp".parse::<Loss>(), Ok(Loss::WganLp));
        assert_eq!(
            "rmsprop".parse::<OptimizerKind>(),
            Ok(OptimizerKind::Rmsprop)
        );
        let err = "wgan".parse::<Loss>().unwrap_err();
        assert!(err.contains("wgan-gp") && err.contains("`wgan`"), "{err}");
        for loss in [
            Loss::Gan,
            Loss::WganClip,
            Loss::WganGp,
            Loss::WganLp,
            Loss::Ebgan,
        ] {
            let text = format!("loss = \"{loss}\"");
            assert_eq!(TrainConfig::from_toml_str(&text, "x").unwrap().loss, loss);
        }
    }
}
