//! `sluice completions` and `sluice man`: the shell completion scripts
//! (clap_complete) and the manual pages (clap_mangen), both generated from
//! the same argument definitions as `--help`, so they cannot drift from it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// The directory to write the pages into (created if missing), such as
    /// ~/.local/share/man/man1 or /usr/local/share/man/man1.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

/// Prints the completion script of `args.shell` on standard output.
pub fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "sluice", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

/// Writes sluice(1) and a page per command into `args.dir`, and names them
/// on standard error.
pub fn man(args: ManArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating the man page directory {}", args.dir.display()))?;
    let cmd = Cli::command().version(env!("CARGO_PKG_VERSION"));
    clap_mangen::generate_to(cmd, &args.dir)
        .with_context(|| format!("writing the man pages into {}", args.dir.display()))?;
    let mut pages: Vec<String> = std::fs::read_dir(&args.dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("sluice") && n.ends_with(".1"))
        .collect();
    pages.sort();
    eprintln!(
        "wrote {} man pages into {}: {}; read them with `man sluice` once the directory is on MANPATH (~/.local/share/man is by default)",
        pages.len(),
        args.dir.display(),
        pages.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}
