//! `mitremap generate ...` (hidden): the man pages and shell completions, generated from the same
//! clap definitions as `--help`.
//!
//! * `mitremap generate install [DIR]` writes all of them where the usual tools look, under DIR
//!   (default `$XDG_DATA_HOME`, i.e. `~/.local/share`): `man/man1/`, `bash-completion/completions/`,
//!   `zsh/site-functions/`, `fish/vendor_completions.d/`. `tools/package.sh` uses it for the
//!   release archive's `share/`.
//! * `mitremap generate man DIR`, `mitremap generate completions SHELL [DIR]`: one kind each.

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
    /// Man pages and bash, zsh and fish completions under DIR (default: $XDG_DATA_HOME).
    Install {
        /// A `share` folder (default: $XDG_DATA_HOME, else ~/.local/share).
        dir: Option<PathBuf>,
    },
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

/// Where `generate install` puts each shell's completions, relative to the `share` folder (the
/// folders bash-completion, zsh's usual `fpath` entry and fish search).
const COMPLETION_FILES: &[(Shell, &str)] = &[
    (Shell::Bash, "bash-completion/completions/mitremap"),
    (Shell::Zsh, "zsh/site-functions/_mitremap"),
    (Shell::Fish, "fish/vendor_completions.d/mitremap.fish"),
];

pub fn run(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    match args.what {
        What::Install { dir } => {
            let share = match dir {
                Some(dir) => dir,
                None => mitremap_engine::locate::xdg_data_home()
                    .context("neither XDG_DATA_HOME (absolute) nor HOME is set: pass DIR")?,
            };
            let man = share.join("man/man1");
            write_man(&man)?;
            println!("man pages: {}", man.display());
            for (shell, rel) in COMPLETION_FILES {
                let path = share.join(rel);
                write_completion(*shell, &path)?;
                println!("{} completions: {}", shell.clap(), path.display());
            }
        }
        What::Man { dir } => write_man(&dir)?,
        What::Completions { shell, dir } => match dir {
            Some(dir) => {
                create_dir(&dir)?;
                let mut cmd = super::Cli::command();
                clap_complete::generate_to(shell.clap(), &mut cmd, "mitremap", &dir)
                    .with_context(|| format!("writing completions into {}", dir.display()))?;
            }
            None => {
                let mut out = std::io::stdout().lock();
                let mut cmd = super::Cli::command();
                clap_complete::generate(shell.clap(), &mut cmd, "mitremap", &mut out);
                out.flush()?;
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}

fn write_man(dir: &Path) -> anyhow::Result<()> {
    create_dir(dir)?;
    clap_mangen::generate_to(super::Cli::command(), dir)
        .with_context(|| format!("writing man pages into {}", dir.display()))
}

fn write_completion(shell: Shell, path: &Path) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        create_dir(parent)?;
    }
    let mut buf = Vec::new();
    clap_complete::generate(
        shell.clap(),
        &mut super::Cli::command(),
        "mitremap",
        &mut buf,
    );
    std::fs::write(path, buf).with_context(|| format!("writing {}", path.display()))
}

fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}
