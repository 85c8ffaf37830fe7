//! One module per subcommand. Each builds and checks its inputs, then reports what it runs.

mod bench;
mod classifier;
mod data;
mod eval;
mod sample;
mod train;

pub use train::{default_run_dir, effective_config};

use crate::args::{ClassifierCommand, Cli, Command};

/// Runs the subcommand `cli` names.
pub fn run(cli: &Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Train(args) => train::train(args),
        Command::Sample(args) => sample::sample(args),
        Command::Eval(args) => eval::eval(args),
        Command::Classifier(ClassifierCommand::Train(args)) => classifier::train(args),
        Command::Bench(args) => bench::bench(args),
    }
}

/// A file-name-safe short name of a data-set spec: `mnist`, or the last folder of `idx:DIR`.
pub(crate) fn dataset_slug(spec: &str) -> String {
    let name = match spec.split_once(':') {
        Some((_, dir)) => dir.trim_end_matches(['/', '\\']).rsplit(['/', '\\']).next(),
        None => Some(spec),
    };
    let safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let slug: String = name.unwrap_or("").chars().filter(|c| safe(*c)).collect();
    if slug.is_empty() {
        "data".to_string()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_slugs() {
        assert_eq!(dataset_slug("mnist"), "mnist");
        assert_eq!(dataset_slug("fashion-mnist"), "fashion-mnist");
        assert_eq!(dataset_slug("idx:/data/kmnist/"), "kmnist");
        assert_eq!(dataset_slug("folder:my faces"), "myfaces");
        assert_eq!(dataset_slug("folder:/"), "data");
    }
}
