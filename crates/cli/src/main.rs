//! The `gantry` binary: parses the command line and prints any error as one line.

use std::process::ExitCode;

use clap::Parser;
use gantry_cli::args::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match gantry_cli::commands::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}", gantry_cli::error_line(&err));
            ExitCode::FAILURE
        }
    }
}
