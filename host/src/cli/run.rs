//! `sluice run`: runs every connector of a manifest until SIGINT or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use tokio::sync::watch;

use crate::config;
use crate::connector::{self, ConnectorStats};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The manifest (TOML) naming the connectors to run; see examples/.
    pub manifest: PathBuf,
}

pub async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let manifest = config::load(&args.manifest)?;
    let runtime = super::runtime_for(&manifest)?;
    let built = config::build(&runtime, &manifest).await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    tokio::spawn({
        let stop_tx = stop_tx.clone();
        async move {
            wait_for_signal().await;
            tracing::info!("stopping: finishing in-flight batches, then committing");
            let _ = stop_tx.send(true);
        }
    });
    let mut tasks = tokio::task::JoinSet::new();
    for c in built {
        let (rx, stop_tx) = (stop_rx.clone(), stop_tx.clone());
        tasks.spawn(async move {
            let result = connector::run(Arc::new(c), rx, Arc::new(ConnectorStats::default())).await;
            if result.is_err() {
                // One connector failing stops the process, as a failed Connect task would need a restart.
                let _ = stop_tx.send(true);
            }
            result
        });
    }
    let mut failed = false;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                eprintln!("error: {e}");
                failed = true;
            }
            Err(e) => {
                eprintln!("error: a connector task ended abnormally: {e}");
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
