//! mitremap: map threat-intelligence prose to MITRE ATT&CK techniques and IoCs, offline.
//!
//! `mitremap [FILE]` opens the terminal UI; `mitremap analyze`, `iocs` and `models` are the
//! headless commands for scripts and pipelines.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use mitremap::{cli, tui};

fn main() -> ExitCode {
    // ONNX Runtime 1.31 on Linux keeps a device id and queued telemetry events under
    // ~/.cache/Microsoft/ unless this is set before the runtime initialises; its API switch
    // (`with_telemetry(false)`, used too) only silences events. Offline means nothing leaves and
    // nothing is written: opt out for the whole process.
    // SAFETY: first statement of main, before any thread exists, so nothing reads the
    // environment concurrently.
    unsafe { std::env::set_var("ORT_DISABLE_TELEMETRY", "1") };
    // `--version` also names the ONNX Runtime found and the ATT&CK version in use (clap's own
    // version text cannot: it is built on every run, and finding the runtime means loading it).
    let argv: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if argv.len() == 1 && (argv[0] == "--version" || argv[0] == "-V") {
        let _ = writeln!(std::io::stdout(), "{}", cli::version_text());
        return ExitCode::SUCCESS;
    }
    let args = cli::Cli::parse();
    let result = match args.command {
        Some(command) => {
            cli::init_logging();
            cli::run(command, args.attack_version.as_deref())
        }
        None => {
            cli::attack::select(args.attack_version.as_deref()).and_then(|_| tui::run(args.tui))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line, sanitised: error messages can quote file names and input.
            // `eprintln!` would panic on a dead terminal (SSH dropped): ignore write errors.
            let message = format!("{e:#}");
            let _ = writeln!(
                std::io::stderr(),
                "mitremap: {}",
                mitremap_engine::text::terminal_safe_line(&message)
            );
            ExitCode::FAILURE
        }
    }
}
