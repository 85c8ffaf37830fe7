//! The `gantry` command line: argument definitions, one module per subcommand, and the
//! terminal helpers (progress bar, timestamps) they share.

pub mod args;
pub mod commands;
pub mod flags;
pub mod progress;
pub mod timestamp;

/// Formats an error and its causes as one line, `error: outer: inner: root`.
pub fn error_line(err: &anyhow::Error) -> String {
    let text = format!("error: {err:#}");
    text.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn error_chain_is_one_line() {
        let root = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file\nat all");
        let err = Err::<(), _>(root)
            .context("cannot read x.toml")
            .unwrap_err();
        assert_eq!(
            error_line(&err),
            "error: cannot read x.toml: no such file at all"
        );
    }
}
