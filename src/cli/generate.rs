//! `mitremap generate man DIR` and `mitremap generate completions SHELL [DIR]` (hidden): the man
//! pages and shell completions, generated from the same clap definitions as `--help`, for
//! `tools/package.sh` and packagers.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, CommandFactory, Subcommand, ValueEnum};

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(subcommand)]
    pub what: What,
}

#[derive(Debug, Subcommand)]
pub enum What {
    /// Man pages: mitremap.1 and one mitremap-<command>.1 per command, written into DIR.
    Man {
        /// Folder to write the pages into (created if missing).
        dir: PathBuf,
    },
    /// A shell completion script, to stdout or into DIR under the shell's usual file name.
    Completions {
        shell: Shell,
        /// Folder to write the script into (default: stdout).
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

impl Shell {
    fn clap(self) -> clap_complete::Shell {
        match self {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
            Shell::Elvish => clap_complete::Shell::Elvish,
            Shell::Powershell => clap_complete::Shell::PowerShell,
        }
    }
}

pub fn run(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let cmd = super::Cli::command();
    match args.what {
        What::Man { dir } => {
            create_dir(&dir)?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("writing man pages into {}", dir.display()))?;
        }
        What::Completions { shell, dir } => {
            let mut cmd = cmd;
            match dir {
                Some(dir) => {
                    create_dir(&dir)?;
                    clap_complete::generate_to(shell.clap(), &mut cmd, "mitremap", &dir)
                        .with_context(|| format!("writing completions into {}", dir.display()))?;
                }
                None => {
                    let mut out = std::io::stdout().lock();
                    clap_complete::generate(shell.clap(), &mut cmd, "mitremap", &mut out);
                    out.flush()?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}
