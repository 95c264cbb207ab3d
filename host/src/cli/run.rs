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
    /// Writes each connector's figures (records consumed and delivered,
    /// time to the group join and to the first delivered batch, time spent
    /// per pipeline stage) to this file as JSON, every 2 s and at exit.
    #[arg(long, value_name = "PATH")]
    pub stats_file: Option<PathBuf>,
}

pub async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    // Listening first: a stop that comes while plugins compile is a clean exit.
    let stop_signal = stop_signal();
    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    tokio::spawn({
        let stop_tx = stop_tx.clone();
        async move {
            stop_signal.await;
            tracing::info!("stopping: finishing in-flight batches, then committing");
            let _ = stop_tx.send(true);
        }
    });
    let manifest = config::load(&args.manifest)?;
    let runtime = super::runtime_for(&manifest)?;
    let built = config::build(&runtime, &manifest).await?;
    if *stop_rx.borrow() {
        return Ok(ExitCode::SUCCESS);
    }
    let mut tasks = tokio::task::JoinSet::new();
    let mut all_stats = Vec::new();
    for c in built {
        let (rx, stop_tx) = (stop_rx.clone(), stop_tx.clone());
        let stats = Arc::new(ConnectorStats::default());
        all_stats.push((c.spec.name.clone(), stats.clone()));
        tasks.spawn(async move {
            let result = connector::run(Arc::new(c), rx, stats).await;
            if result.is_err() {
                // One connector failing stops the process, as a failed Connect task would need a restart.
                let _ = stop_tx.send(true);
            }
            result
        });
    }
    let writer = args.stats_file.clone().map(|path| {
        let all_stats = all_stats.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(2));
            loop {
                every.tick().await;
                write_stats(&path, &all_stats);
            }
        })
    });
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
    if let (Some(path), Some(writer)) = (&args.stats_file, writer) {
        writer.abort();
        write_stats(path, &all_stats);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes every connector's figures to `path` (through a temporary file,
/// so a reader never sees half of it); a failure is logged, not fatal.
fn write_stats(path: &std::path::Path, all: &[(String, Arc<ConnectorStats>)]) {
    let snapshots: Vec<_> = all.iter().map(|(name, s)| s.snapshot(name)).collect();
    let tmp = path.with_extension("tmp");
    let written = serde_json::to_vec_pretty(&snapshots)
        .map_err(std::io::Error::other)
        .and_then(|json| std::fs::write(&tmp, json))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), error = %e, "cannot write the stats file");
    }
}

/// Registers for SIGINT and SIGTERM now (so neither kills the process from
/// here on) and returns a future that ends at the first of them.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            match (term, int) {
                (Some(mut term), Some(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
