//! `sluice-bench`: Sluice's benchmarks. Each prints its figures beside
//! baselines measured in the same run (compare ratios, not absolute times:
//! these machines are noisy) and writes them as JSON for later comparison.

/// The same allocator as the `sluice` binary (see host/src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod compare;
mod connect;
mod failover;
mod formats;
mod kafka;
mod layout;
mod native;
mod nested;
mod receiver;
mod records;
mod sdk;
mod sluice_run;
mod smt;
mod workers;

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
    /// Sluice beside its baselines on one preloaded topic: the consume-only
    /// limit, passthrough and JSON pipelines (Wasm and native), added
    /// latency at 70% load, one record per request, S3, and Kafka Connect
    /// doing the same jobs.
    Compare(compare::Args),
    /// A worker's resident memory at rest, before and after N connectors
    /// created through the REST API, standalone and in a group.
    Workers(workers::Args),
    /// Three workers under a steady feed while one is killed, one joins and
    /// one leaves: records/s, the longest partition stall per event,
    /// duplicates and losses.
    Failover(failover::Args),
    /// What one transform costs written in each SDK language: size, compile,
    /// cached load, instantiation, time per record, memory of an instance.
    Sdk(sdk::Args),
    /// What each of Kafka's SMTs costs as a Wasm plugin, per record, beside
    /// the boundary alone and the JSON pipeline's insert-field; a chain of
    /// five; a predicate in the host against one in a plugin.
    Smt(smt::Args),
    /// Schema'd data: Avro 1 KiB events (Confluent's serializer, a real
    /// registry) to JSON over HTTP and to Parquet in S3, beside the JSON
    /// pipeline and gzip JSON lines in the same run; Parquet's size against
    /// gzip JSON; one large Parquet object's peak memory.
    Formats(formats::Args),
    /// The consume-only limit's process: drains a topic with Sluice's
    /// consumer settings, prints what it measured of itself as JSON.
    #[command(hide = true)]
    Drain {
        #[arg(long)]
        bootstrap: String,
        #[arg(long)]
        topic: String,
        #[arg(long)]
        records: u64,
        /// The topic's partitions: the prefetch is sized for them from
        /// the default memory budget, as `sluice run` would size it.
        #[arg(long, default_value_t = 8)]
        partitions: usize,
    },
    /// The `sluice` command line with the first-party plugins compiled in
    /// natively (no Wasm): the native baseline's process.
    #[command(name = "native-sluice", disable_help_flag = true)]
    NativeSluice {
        /// Arguments of `sluice`, e.g. `run manifest.toml`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// The directory of this build's binaries (`<target>/release`, or
/// `<target>/debug` for the short runs CI makes with the test build), where
/// the `sluice` binary built beside this one is.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release"))
}

/// The cargo target directory this binary was built into.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.ancestors()
        .nth(2)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
}

fn main() -> anyhow::Result<()> {
    let command = Cli::parse().command;
    if let Command::NativeSluice { args } = command {
        return native_sluice(args);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match command {
            Command::Layout(args) => layout::run(args).await,
            Command::Sdk(args) => sdk::run(args).await,
            Command::Smt(args) => smt::run(args).await,
            Command::Workers(args) => workers::run(args).await,
            Command::Failover(args) => failover::run(args).await,
            Command::Compare(args) => compare::run(args).await,
            Command::Formats(args) => formats::run(args).await,
            Command::Drain {
                bootstrap,
                topic,
                records,
                partitions,
            } => {
                let drained = kafka::drain(&bootstrap, &topic, records, partitions)?;
                println!("{}", serde_json::to_string(&drained)?);
                Ok(())
            }
            Command::NativeSluice { .. } => unreachable!("handled above"),
        }
    })
}

/// Runs `sluice` as its own binary does (logging, a multi-threaded
/// runtime), with the native plugins registered.
fn native_sluice(args: Vec<String>) -> anyhow::Result<()> {
    native::register_all();
    let cli = sluice::cli::Cli::parse_from(std::iter::once("sluice".to_string()).chain(args));
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let code = runtime.block_on(sluice::cli::run(cli))?;
    if code != std::process::ExitCode::SUCCESS {
        std::process::exit(1);
    }
    Ok(())
}
