//! The terminal UI (issue #5). Until it lands, `mitremap` without a subcommand explains itself.

use std::process::ExitCode;

use crate::cli::TuiArgs;

pub fn run(_args: TuiArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the terminal UI is not built yet; use `mitremap analyze FILE` (see --help)")
}
