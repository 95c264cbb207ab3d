//! `sluice-bench`: Sluice's benchmarks. Each prints its figures beside
//! baselines measured in the same run (compare ratios, not absolute times:
//! these machines are noisy) and writes them as JSON for later comparison.

/// The same allocator as the `sluice` binary (see host/src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod layout;
mod nested;
mod pipeline;
mod records;
mod s3;
mod sluice_run;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "sluice-bench",
    about = "Sluice's benchmarks (run them with scripts/bench)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Per-record cost of one plugin call: the contract's arena layout
    /// against a nested record layout, and the same transform compiled natively.
    Layout(layout::Args),
    /// The Treasure Data pipeline end to end: the real `sluice` binary, a
    /// real broker and a local HTTP receiver; records/s, CPU and peak RSS.
    Pipeline(pipeline::Args),
    /// Kafka to S3 end to end: the real `sluice` binary, a real broker and
    /// the local S3-compatible server, beside the consume-only limit.
    S3(s3::Args),
}

/// The cargo target directory this binary was built into.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.ancestors()
        .nth(2)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Layout(args) => layout::run(args).await,
        Command::Pipeline(args) => pipeline::run(args).await,
        Command::S3(args) => s3::run(args).await,
    }
}
