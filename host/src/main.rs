//! The `sluice` binary: parses arguments, sets up logging, runs the command.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc keeps freed pages for reuse: plugin calls move buffers of a few
/// hundred KiB, which glibc's allocator maps and faults in afresh every call
/// (measured by `scripts/bench layout`: 2.4x the per-record cost at batch 500).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = sluice::cli::Cli::parse();
    sluice::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(sluice::cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
