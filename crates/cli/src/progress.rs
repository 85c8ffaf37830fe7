//! A progress bar for long loops that keeps log lines readable.
//!
//! The bar draws on stderr only when stderr is a terminal; log lines go to stdout either way,
//! printed above the bar so that it is redrawn below them instead of being torn.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Progress over a known number of iterations, with rate and ETA.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar over `total_iters` iterations; hidden when stderr is not a terminal.
    pub fn new(total_iters: u64) -> Self {
        let bar = if std::io::stderr().is_terminal() {
            ProgressBar::new(total_iters)
        } else {
            ProgressBar::hidden()
        };
        let template = "{bar:32.cyan/blue} {pos}/{len} iters  {per_sec}  \
                        elapsed {elapsed_precise}  eta {eta_precise}  {msg}";
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        if !bar.is_hidden() {
            bar.enable_steady_tick(Duration::from_millis(500));
        }
        Self { bar }
    }

    /// Whether the bar is drawn (stderr is a terminal).
    pub fn is_visible(&self) -> bool {
        !self.bar.is_hidden()
    }

    /// Sets the completed iterations, e.g. the starting iteration of a resumed run.
    pub fn set_position(&self, iteration: u64) {
        self.bar.set_position(iteration);
    }

    /// Advances by `iters` iterations.
    pub fn inc(&self, iters: u64) {
        self.bar.inc(iters);
    }

    /// Sets the short text shown after the ETA, e.g. the latest Wasserstein estimate.
    pub fn set_message(&self, message: impl Into<String>) {
        self.bar.set_message(message.into());
    }

    /// Prints `line` to stdout above the bar.
    pub fn log(&self, line: &str) {
        self.bar.suspend(|| println!("{line}"));
    }

    /// Leaves the finished bar on screen.
    pub fn finish(&self) {
        self.bar.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_without_a_terminal_yet_counts() {
        // test harness output is captured, so stderr is not a terminal here
        let progress = Progress::new(100);
        if !std::io::stderr().is_terminal() {
            assert!(!progress.is_visible());
        }
        progress.set_position(40);
        progress.inc(5);
        progress.log("iter 45");
        assert_eq!(progress.bar.position(), 45);
        progress.finish();
    }
}
