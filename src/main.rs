//! mitremap: map threat-intelligence prose to MITRE ATT&CK techniques and IoCs, offline.
//!
//! `mitremap [FILE]` opens the terminal UI; `mitremap analyze`, `iocs` and `models` are the
//! headless commands for scripts and pipelines.

use std::process::ExitCode;

use clap::Parser;
use mitremap::{cli, tui};

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let result = match args.command {
        Some(command) => {
            cli::init_logging();
            cli::run(command)
        }
        None => tui::run(args.tui),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line, sanitised: error messages can quote file names and input.
            let message = format!("{e:#}");
            eprintln!(
                "mitremap: {}",
                mitremap_engine::text::terminal_safe_line(&message)
            );
            ExitCode::FAILURE
        }
    }
}
