//! Runs connectors, as Connect's `Worker` does for its herder: builds a
//! connector's plugins, starts its tasks under a supervisor of their own,
//! stops them, and reports how each run ended. It decides nothing: the
//! herder ([`super::herder`]) says what runs here.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};

use super::WorkerError;
use super::tasks::{self, TaskBoard, TaskPlan};
use crate::config::{BuiltConnector, ConnectorSpec, Manifest};
use crate::connector::ConnectorError;
use crate::plugin::Runtime;
use crate::stats::ConnectorStats;

/// A started connector: its stop switch, its supervisor and where to ask
/// for one task's restart.
struct Running {
    /// Counts starts, so a run that ended after a restart is not mistaken
    /// for the current one.
    generation: u64,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    restarts: mpsc::UnboundedSender<u32>,
}

/// A run that ended by itself: with the error that ended it.
pub(super) struct Ended {
    pub name: String,
    generation: u64,
    pub error: ConnectorError,
}

/// The connectors running in this process.
pub(super) struct Runner {
    runtime: Runtime,
    plugin_dir: PathBuf,
    runs: Mutex<BTreeMap<String, Running>>,
    generation: std::sync::atomic::AtomicU64,
    ended: mpsc::UnboundedSender<Ended>,
}

impl Runner {
    /// A runner building plugins from `plugin_dir` with `runtime`; runs that
    /// fail are reported on the returned channel.
    pub fn new(runtime: Runtime, plugin_dir: PathBuf) -> (Self, mpsc::UnboundedReceiver<Ended>) {
        let (ended, rx) = mpsc::unbounded_channel();
        let runner = Runner {
            runtime,
            plugin_dir,
            runs: Mutex::new(BTreeMap::new()),
            generation: Default::default(),
            ended,
        };
        (runner, rx)
    }

    /// The Wasm runtime plugins are built with.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Running>> {
        self.runs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Builds connector `spec`'s plugins (checked already).
    pub async fn build(&self, spec: &ConnectorSpec) -> Result<BuiltConnector, WorkerError> {
        let manifest = Manifest {
            path: self.plugin_dir.join("connector.toml"),
            plugin_dir: self.plugin_dir.clone(),
            cache_dir: None,
            connectors: vec![spec.clone()],
        };
        match crate::config::build(&self.runtime, &manifest).await {
            Ok(mut built) if !built.is_empty() => Ok(built.remove(0)),
            Ok(_) => Err(WorkerError::invalid("no connector was built")),
            Err(crate::config::ManifestError::Invalid { problems, .. }) => {
                Err(WorkerError::Invalid(super::manifest_problems(&problems)))
            }
            Err(e) => Err(WorkerError::invalid(e.to_string())),
        }
    }

    /// Starts built connector `name`'s tasks as `plan` gives them out,
    /// counting into `stats` and recording task states on `board`.
    pub fn launch(
        &self,
        name: &str,
        built: Arc<BuiltConnector>,
        stats: Arc<ConnectorStats>,
        board: Arc<TaskBoard>,
        plan: TaskPlan,
    ) {
        let (stop, stop_rx) = watch::channel(false);
        let (restarts, restarts_rx) = mpsc::unbounded_channel();
        let generation = self
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut runs = self.lock();
        let task = {
            let name = name.to_string();
            let ended = self.ended.clone();
            tokio::spawn(async move {
                let result =
                    tasks::supervise(built, stop_rx, stats, plan, board, restarts_rx).await;
                if let Err(error) = result {
                    let _ = ended.send(Ended {
                        name,
                        generation,
                        error,
                    });
                }
            })
        };
        let previous = runs.insert(
            name.to_string(),
            Running {
                generation,
                stop,
                task,
                restarts,
            },
        );
        if let Some(p) = previous {
            // The herder halts a run before it starts the next; should one
            // be left, it stops rather than run twice.
            let _ = p.stop.send(true);
        }
    }

    /// Forgets `ended`'s run if it is connector's current one (not one
    /// halted since); `false` for an earlier run, whose end means nothing.
    pub fn forget(&self, ended: &Ended) -> bool {
        let mut runs = self.lock();
        match runs.get(&ended.name) {
            Some(r) if r.generation == ended.generation => {
                runs.remove(&ended.name);
                true
            }
            _ => false,
        }
    }

    /// Whether connector `name` runs here.
    pub fn is_running(&self, name: &str) -> bool {
        self.lock().get(name).is_some_and(|r| !r.task.is_finished())
    }

    /// Asks running connector `name` to restart its task `id`; `false` if
    /// the connector does not run here.
    pub fn restart_task(&self, name: &str, id: u32) -> bool {
        match self.lock().get(name) {
            Some(r) if !r.task.is_finished() => r.restarts.send(id).is_ok(),
            _ => false,
        }
    }

    /// Stops connector `name` if it runs: in-flight batches finish, offsets
    /// are committed.
    pub async fn halt(&self, name: &str) {
        let running = self.lock().remove(name);
        if let Some(r) = running {
            let _ = r.stop.send(true);
            let _ = r.task.await;
        }
    }

    /// Stops every connector (the process is stopping).
    pub async fn shutdown(&self) {
        let all: Vec<Running> = std::mem::take(&mut *self.lock()).into_values().collect();
        for r in &all {
            let _ = r.stop.send(true);
        }
        for r in all {
            tracing::debug!(generation = r.generation, "waiting for a connector to stop");
            let _ = r.task.await;
        }
    }
}
