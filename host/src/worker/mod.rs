//! The worker: the connectors this process runs, whether they come from the
//! manifest or from the REST API, with their target state (running, paused,
//! stopped) and what became of them. Like Connect's herder, it serialises
//! changes (one at a time) and never holds a lock across a plugin build or a
//! connector's shutdown.

mod offsets;
mod state;
mod status;
mod store;
mod tasks;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::config::{BuiltConnector, ConnectorSpec, Manifest};
use crate::connect::{self, ConnectConfig, Problem};
use crate::plugin::Runtime;
use crate::stats::ConnectorStats;
pub use offsets::PartitionOffset;
pub use state::{ConnectorState, Origin, TargetState};
pub use status::StatusStore;
use store::{ConfigChange, StoredConnector};
pub use store::{ConfigFeed, ConfigStore, RestartRequest, StoreSettings};
pub use tasks::{SharedTasks, TaskPlan};

use tasks::TaskBoard;

/// Why a change to the worker's connectors was refused.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("Connector {0} not found")]
    NotFound(String),
    #[error("Connector {0} already exists")]
    Exists(String),
    #[error("{0}")]
    Invalid(String),
    #[error("connector {name} is defined in the manifest {path}: change it there")]
    FromManifest { name: String, path: PathBuf },
    /// The config topic could not be written or read back.
    #[error("{0}")]
    Store(String),
    /// Offsets change only while the connector is stopped.
    #[error(
        "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{0}/stop' endpoint"
    )]
    NotStopped(String),
    /// The consumer group's offsets could not be read or changed.
    #[error("{0}")]
    Offsets(String),
    /// The worker runs as many connectors as it may.
    #[error("this worker runs {0} connectors, its limit: delete one, or run another worker")]
    TooMany(usize),
}

/// Most connectors one worker keeps: each holds consumers, plugin instances
/// and threads, so a caller could otherwise exhaust the host.
pub const MAX_CONNECTORS: usize = 1000;

/// Settings connectors created through the API inherit, as from a Connect
/// worker's properties.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// `bootstrap.servers`, `consumer.*`, default `key.converter` /
    /// `value.converter` with their options.
    pub defaults: ConnectConfig,
    /// Where API connectors' plugins are looked up.
    pub plugin_dir: PathBuf,
    /// This worker's id in statuses (`host:port` of its REST API).
    pub worker_id: String,
    /// Which config providers REST connectors may use.
    pub providers: crate::config::providers::Providers,
    /// Which client properties REST connectors may override.
    pub overrides: crate::config::overrides::OverridePolicy,
    /// Where files named by REST connectors' options (`*.location`:
    /// certificates, keys, CAs) may lie (`sluice.connector.allowed.paths`);
    /// none by default.
    pub allowed_paths: Vec<PathBuf>,
}

/// The worker setting listing where REST connectors' files may lie.
pub const ALLOWED_PATHS_KEY: &str = "sluice.connector.allowed.paths";

/// The Kafka client properties of the worker's own clients (config topic,
/// cluster id): `bootstrap.servers` and the security settings of
/// `defaults`, `consumer.`-prefixed or not.
pub fn kafka_client(defaults: &ConnectConfig) -> BTreeMap<String, String> {
    defaults
        .iter()
        .filter_map(|(k, v)| {
            let k = k.strip_prefix("consumer.").unwrap_or(k);
            let shared = k == "bootstrap.servers"
                || ["security.", "sasl.", "ssl."]
                    .iter()
                    .any(|p| k.starts_with(p));
            shared.then(|| (k.to_string(), v.clone()))
        })
        .collect()
}

/// One connector the worker knows.
struct Entry {
    origin: Origin,
    /// Its Connect config, as the API returns it.
    config: ConnectConfig,
    /// `None` when this worker cannot run it (the error is in `state`).
    spec: Option<ConnectorSpec>,
    target: TargetState,
    state: ConnectorState,
    /// Options given but not applied.
    unsupported: Vec<Problem>,
    running: Option<Running>,
    /// Counts starts, so a run that ended after a restart is not mistaken
    /// for the current one.
    generation: u64,
    stats: Arc<ConnectorStats>,
    /// The tasks running here, and the one that failed.
    board: Arc<TaskBoard>,
}

impl Entry {
    /// A connector not started yet.
    fn new(
        origin: Origin,
        config: ConnectConfig,
        spec: Option<ConnectorSpec>,
        target: TargetState,
        state: ConnectorState,
        unsupported: Vec<Problem>,
    ) -> Self {
        Entry {
            origin,
            config,
            spec,
            target,
            state,
            unsupported,
            running: None,
            generation: 0,
            stats: Arc::new(ConnectorStats::default()),
            board: Arc::default(),
        }
    }
}

/// A started connector: its stop switch, its supervisor and where to ask
/// for one task's restart.
struct Running {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    restarts: tokio::sync::mpsc::UnboundedSender<u32>,
}

/// The connectors of this process.
pub struct Worker {
    settings: WorkerSettings,
    runtime: Runtime,
    entries: Mutex<BTreeMap<String, Entry>>,
    /// Serialises changes: builds and shutdowns happen outside `entries`.
    changes: tokio::sync::Mutex<()>,
    /// Turns true when a manifest connector fails: the process stops, as a
    /// standalone Connect worker would need a restart.
    fatal: watch::Sender<Option<String>>,
    /// API connectors' configs, shared by the workers of a group; `None`
    /// keeps them in this process only.
    store: Option<ConfigStore>,
    /// How API connectors' tasks are given out: all here, or claimed
    /// through Kafka by the workers of the group.
    plan: TaskPlan,
    /// Whether the config topic was read up to its end at start.
    ready: watch::Sender<bool>,
    /// The Kafka cluster's id, once read.
    cluster_id: std::sync::OnceLock<String>,
    /// Throughput and lag over the last 15 minutes, for the status page.
    history: crate::history::History,
    /// When reading the cluster id last failed: not tried again for a while,
    /// so `GET /` stays fast while Kafka is away.
    cluster_id_failed: Mutex<Option<std::time::Instant>>,
}

/// What the API shows of a connector.
#[derive(Debug, Clone)]
pub struct ConnectorView {
    pub name: String,
    /// Its tasks (none when stopped), wherever they run.
    pub tasks: Vec<TaskView>,
    pub config: ConnectConfig,
    pub state: ConnectorState,
    pub target: TargetState,
    pub topics: Vec<String>,
    pub unsupported: Vec<Problem>,
    pub stats: Arc<ConnectorStats>,
    pub origin: Origin,
}

/// One task of a connector, as the status endpoints show it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskView {
    pub id: u32,
    pub state: ConnectorState,
    /// The worker running it (or that last did).
    pub worker_id: String,
}

impl Worker {
    /// A worker keeping API connectors in `store` (shared through Kafka),
    /// or in this process only; their tasks are given out by `plan`.
    pub fn new(
        settings: WorkerSettings,
        runtime: Runtime,
        store: Option<ConfigStore>,
        plan: TaskPlan,
    ) -> Arc<Self> {
        let ready = store.is_none();
        Arc::new(Worker {
            settings,
            runtime,
            entries: Mutex::new(BTreeMap::new()),
            changes: tokio::sync::Mutex::new(()),
            fatal: watch::channel(None).0,
            store,
            plan,
            ready: watch::channel(ready).0,
            cluster_id: std::sync::OnceLock::new(),
            cluster_id_failed: Mutex::new(None),
            history: crate::history::History::default(),
        })
    }

    /// The id of the Kafka cluster at the workers' `bootstrap.servers`
    /// (read once; `None` while the cluster cannot be reached).
    pub async fn kafka_cluster_id(&self) -> Option<String> {
        if let Some(id) = self.cluster_id.get() {
            return Some(id.clone());
        }
        let failed = *self
            .cluster_id_failed
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if failed.is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(30)) {
            return None;
        }
        let client = kafka_client(&self.settings.defaults);
        let id = tokio::task::spawn_blocking(move || {
            let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
                crate::kafka::client_config(&client).create().ok()?;
            admin
                .inner()
                .fetch_cluster_id(std::time::Duration::from_secs(2))
        })
        .await
        .ok()
        .flatten();
        match id {
            Some(id) => Some(self.cluster_id.get_or_init(|| id).clone()),
            None => {
                *self
                    .cluster_id_failed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = Some(std::time::Instant::now());
                None
            }
        }
    }

    /// Throughput and lag over the last 15 minutes.
    pub fn history(&self) -> &crate::history::History {
        &self.history
    }

    /// Every connector's name, state and counters, for metrics and the history.
    pub fn snapshots(&self) -> Vec<crate::stats::Snapshot> {
        self.list()
            .into_iter()
            .map(|c| crate::stats::Snapshot {
                state: c.state.name(),
                name: c.name,
                stats: c.stats,
            })
            .collect()
    }

    /// Samples every connector's throughput and lag into the history until
    /// `stop` turns true.
    pub async fn keep_history(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut every = tokio::time::interval(crate::history::INTERVAL);
        loop {
            tokio::select! {
                _ = every.tick() => self.history.sample(&self.snapshots()),
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }

    /// Whether the worker has read every stored config (else it is starting).
    pub fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    /// Applies the config topic's changes, in order, for good.
    pub async fn follow(self: Arc<Self>, mut feed: ConfigFeed) {
        if feed.end_at_start <= 0 {
            self.ready.send_replace(true);
        }
        while let Some((change, next)) = feed.changes.recv().await {
            // The change's name and kind only: a stored config holds secrets.
            tracing::debug!(
                connector = change.name(),
                kind = change.kind(),
                next,
                "config change"
            );
            match change {
                ConfigChange::Put { name, stored } => self.apply_stored(&name, stored).await,
                ConfigChange::Delete { name } => {
                    let _serial = self.changes.lock().await;
                    self.halt(&name).await;
                    self.lock().remove(&name);
                }
                // Restart requests written before this worker started are history.
                // Restarts wait for in-flight batches: on their own task, so
                // the changes after them are applied meanwhile.
                ConfigChange::Restart { name, request } if self.is_ready() => {
                    let worker = self.clone();
                    tokio::spawn(async move {
                        if let Err(e) = worker.restart_here(&name, request.only_failed).await {
                            tracing::debug!(connector = %name, "restart request: {e}");
                        }
                    });
                }
                ConfigChange::RestartTask { name, task } if self.is_ready() => {
                    let worker = self.clone();
                    tokio::spawn(async move { worker.restart_task_here(&name, task).await });
                }
                ConfigChange::Restart { .. }
                | ConfigChange::RestartTask { .. }
                | ConfigChange::Skip => {}
            }
            tracing::debug!(next, "config change applied");
            let _ = feed.applied.send(next);
            if next >= feed.end_at_start && !self.is_ready() {
                self.ready.send_replace(true);
            }
        }
    }

    /// Brings connector `name` to a config read from the topic: a new or
    /// changed config is checked, built and started; a new target only
    /// moves it there.
    async fn apply_stored(self: &Arc<Self>, name: &str, stored: StoredConnector) {
        let _serial = self.changes.lock().await;
        let target = TargetState::parse(&stored.target).unwrap_or(TargetState::Running);
        let same = self.lock().get(name).map(|e| e.config == stored.config);
        if same == Some(true) {
            if let Some(e) = self.lock().get_mut(name) {
                e.target = target;
            }
            self.apply_target(name, None).await;
            return;
        }
        let checked = self
            .check(name, &stored.config)
            .map_err(|r| invalid_message(&r.problems));
        let built = match &checked {
            Ok((spec, _)) => self.build(spec).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        self.halt(name).await;
        let (spec, unsupported) = match checked {
            Ok((spec, unsupported)) => (Some(spec), unsupported),
            Err(_) => (None, Vec::new()),
        };
        let state = match &built {
            Ok(_) => ConnectorState::Unassigned,
            Err(e) => {
                tracing::error!(connector = name, "cannot run this connector here: {e}");
                ConnectorState::Failed(e.clone())
            }
        };
        self.lock().insert(
            name.to_string(),
            Entry::new(Origin::Api, stored.config, spec, target, state, unsupported),
        );
        if let Ok(b) = built {
            self.apply_target(name, Some(b)).await;
        }
    }

    pub fn settings(&self) -> &WorkerSettings {
        &self.settings
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Turns `Some(error)` when a manifest connector fails.
    pub fn fatal(&self) -> watch::Receiver<Option<String>> {
        self.fatal.subscribe()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the connectors of a built manifest.
    pub async fn add_manifest(self: &Arc<Self>, manifest: &Manifest, built: Vec<BuiltConnector>) {
        let _serial = self.changes.lock().await;
        for b in built {
            let spec = b.spec.clone();
            let config = manifest_config(manifest, &spec);
            self.lock().insert(
                spec.name.clone(),
                Entry::new(
                    Origin::Manifest(manifest.path.clone()),
                    config,
                    Some(spec),
                    TargetState::Running,
                    ConnectorState::Unassigned,
                    Vec::new(),
                ),
            );
            self.launch(&b.spec.name.clone(), Arc::new(b));
        }
    }

    /// Checks `config` for connector `name` without starting anything: the
    /// spec and the options not applied, or every problem.
    pub fn check(
        &self,
        name: &str,
        config: &ConnectConfig,
    ) -> Result<(ConnectorSpec, Vec<Problem>), connect::Rejected> {
        let policy = &self.settings.overrides;
        let mut refused: Vec<Problem> = config
            .keys()
            .filter_map(|k| {
                let property = k.strip_prefix("consumer.override.")?;
                let why = policy.refusal(property)?;
                Some(Problem::new(k, why))
            })
            .collect();
        // Another cluster for the reporter would get the worker's credentials.
        for k in ["reporter.bootstrap.servers"] {
            if config.contains_key(k)
                && let Some(why) = policy.refusal("bootstrap.servers")
            {
                refused.push(Problem::new(k, why));
            }
        }
        // Files a REST caller names are read by the worker: only where the
        // operator allows.
        for (k, v) in config {
            if k.ends_with(".location")
                && !k.starts_with("consumer.override.")
                && !v.trim().is_empty()
                && !crate::files::under(std::path::Path::new(v), &self.settings.allowed_paths)
            {
                refused.push(Problem::new(
                    k,
                    format!(
                        "this file is not under the worker's {ALLOWED_PATHS_KEY}: a connector created through the REST API reads files only where the operator allows (--worker {ALLOWED_PATHS_KEY}=/etc/sluice/tls)"
                    ),
                ));
            }
        }
        let translation = match connect::translate(name, config, &self.settings.defaults) {
            Ok(t) if refused.is_empty() => t,
            Ok(t) => {
                return Err(connect::Rejected {
                    problems: refused,
                    unsupported: t.unsupported,
                });
            }
            Err(mut r) => {
                r.problems.extend(refused);
                return Err(r);
            }
        };
        let rejected = |problems: Vec<Problem>| connect::Rejected {
            problems,
            unsupported: translation.unsupported.clone(),
        };
        let mut doc = toml::Table::new();
        doc.insert(
            "plugin_dir".into(),
            self.settings.plugin_dir.display().to_string().into(),
        );
        doc.insert(
            "connectors".into(),
            toml::Value::Array(vec![toml::Value::Table(translation.section.clone())]),
        );
        let manifest = self.settings.plugin_dir.join("connector.toml");
        let checked = crate::config::check_tree_with(
            &manifest,
            toml::Value::Table(doc),
            Some(&self.settings.providers),
        );
        match checked.map(|(m, _)| m) {
            Ok(m) => match m.connectors.into_iter().next() {
                Some(spec) => Ok((spec, translation.unsupported)),
                None => Err(rejected(vec![Problem::new("", "no connector was checked")])),
            },
            Err(crate::config::ManifestError::Invalid { problems, .. }) => Err(rejected(
                problems.iter().map(|p| manifest_problem(name, p)).collect(),
            )),
            Err(e) => Err(rejected(vec![Problem::new("", e.to_string())])),
        }
    }

    /// Creates (or, with `replace`, updates) connector `name`, builds its
    /// plugins and starts it in `initial` state. `Ok(true)` if it was created.
    pub async fn put(
        self: &Arc<Self>,
        name: &str,
        config: ConnectConfig,
        initial: TargetState,
        replace: bool,
    ) -> Result<bool, WorkerError> {
        // Kept in the store, checks happen here and the change on every worker.
        let _serial = match self.store {
            Some(_) => None,
            None => Some(self.changes.lock().await),
        };
        let existing = self.lock().get(name).map(|e| (e.origin.clone(), e.target));
        let target = match &existing {
            Some((Origin::Manifest(path), _)) => {
                return Err(WorkerError::FromManifest {
                    name: name.into(),
                    path: path.clone(),
                });
            }
            Some(_) if !replace => return Err(WorkerError::Exists(name.into())),
            Some((_, target)) => *target,
            None if self.lock().len() >= MAX_CONNECTORS => {
                return Err(WorkerError::TooMany(MAX_CONNECTORS));
            }
            None => initial,
        };
        let (spec, unsupported) = self
            .check(name, &config)
            .map_err(|r| WorkerError::Invalid(invalid_message(&r.problems)))?;
        for p in &unsupported {
            tracing::warn!(connector = name, option = %p.key, "option not applied: {}", p.message);
        }
        let built = self.build(&spec).await?;
        let created = existing.is_none();
        if let Some(store) = &self.store {
            drop(built);
            let stored = StoredConnector::new(config, target);
            store
                .write(name, Some(&stored))
                .await
                .map_err(WorkerError::Store)?;
            return Ok(created);
        }
        self.halt(name).await;
        self.lock().insert(
            name.to_string(),
            Entry::new(
                Origin::Api,
                config,
                Some(spec),
                target,
                ConnectorState::Unassigned,
                unsupported,
            ),
        );
        self.apply_target(name, Some(built)).await;
        Ok(created)
    }

    /// Stops and forgets connector `name`.
    pub async fn delete(self: &Arc<Self>, name: &str) -> Result<(), WorkerError> {
        self.api_owned(name)?;
        if let Some(store) = &self.store {
            return store.write(name, None).await.map_err(WorkerError::Store);
        }
        let _serial = self.changes.lock().await;
        self.halt(name).await;
        self.lock().remove(name);
        Ok(())
    }

    /// Sets connector `name`'s target state and brings it there.
    pub async fn set_target(
        self: &Arc<Self>,
        name: &str,
        target: TargetState,
    ) -> Result<(), WorkerError> {
        // An API connector's target is kept in the store, for every worker.
        let origin = self.api_owned(name);
        if let (Some(store), Ok(config)) = (&self.store, &origin) {
            let stored = StoredConnector::new(config.clone(), target);
            return store
                .write(name, Some(&stored))
                .await
                .map_err(WorkerError::Store);
        }
        if let Err(WorkerError::NotFound(n)) = origin {
            return Err(WorkerError::NotFound(n));
        }
        let _serial = self.changes.lock().await;
        if let Some(e) = self.lock().get_mut(name) {
            e.target = target;
        }
        self.apply_target(name, None).await;
        Ok(())
    }

    /// Restarts connector `name` with its tasks (only if it failed, with
    /// `only_failed`), on every worker running it: through the config
    /// topic when the workers share one.
    pub async fn restart(
        self: &Arc<Self>,
        name: &str,
        request: RestartRequest,
    ) -> Result<(), WorkerError> {
        if let (Some(store), Ok(_)) = (&self.store, self.api_owned(name)) {
            return store
                .request_restart(name, request)
                .await
                .map_err(WorkerError::Store);
        }
        self.restart_here(name, request.only_failed)
            .await
            .map(|_| ())
    }

    /// Restarts task `id` of connector `name` on the worker running it.
    pub async fn restart_task(self: &Arc<Self>, name: &str, id: u32) -> Result<(), WorkerError> {
        if let (Some(store), Ok(_)) = (&self.store, self.api_owned(name)) {
            return store
                .request_task_restart(name, id)
                .await
                .map_err(WorkerError::Store);
        }
        self.known(name)?;
        self.restart_task_here(name, id).await;
        Ok(())
    }

    /// Restarts task `id` if it runs or failed here: a running one alone, a
    /// failed one with the whole connector (its failure stopped the others).
    async fn restart_task_here(self: &Arc<Self>, name: &str, id: u32) {
        let (runs, failed, restarts) = match self.lock().get(name) {
            Some(e) => (
                e.board.runs(id),
                matches!(e.board.state(id), Some(ConnectorState::Failed(_)))
                    || (e.running.is_none() && matches!(e.state, ConnectorState::Failed(_))),
                e.running.as_ref().map(|r| r.restarts.clone()),
            ),
            None => return,
        };
        match restarts {
            Some(r) if runs => {
                let _ = r.send(id);
            }
            _ if failed => {
                let _ = self.restart_here(name, false).await;
            }
            _ => {}
        }
    }

    /// Restarts connector `name` here (only if it failed, with
    /// `only_failed`). `false` if nothing was restarted.
    async fn restart_here(
        self: &Arc<Self>,
        name: &str,
        only_failed: bool,
    ) -> Result<bool, WorkerError> {
        let _serial = self.changes.lock().await;
        let state = self.known(name)?;
        if only_failed && !matches!(state, ConnectorState::Failed(_)) {
            return Ok(false);
        }
        self.halt(name).await;
        self.apply_target(name, None).await;
        Ok(true)
    }

    /// Connector `name`'s config if the API may change it: it exists and
    /// does not come from the manifest.
    fn api_owned(&self, name: &str) -> Result<ConnectConfig, WorkerError> {
        match self.lock().get(name) {
            None => Err(WorkerError::NotFound(name.into())),
            Some(Entry {
                origin: Origin::Manifest(path),
                ..
            }) => Err(WorkerError::FromManifest {
                name: name.into(),
                path: path.clone(),
            }),
            Some(e) => Ok(e.config.clone()),
        }
    }

    fn known(&self, name: &str) -> Result<ConnectorState, WorkerError> {
        self.lock()
            .get(name)
            .map(|e| e.state.clone())
            .ok_or_else(|| WorkerError::NotFound(name.into()))
    }

    /// Connector `name`'s config as given (secrets included), if the API
    /// may change it.
    pub fn raw_config(&self, name: &str) -> Result<ConnectConfig, WorkerError> {
        self.api_owned(name)
    }

    /// Forgets the topics connector `name` has used.
    pub fn reset_topics(&self, name: &str) -> Result<(), WorkerError> {
        let entries = self.lock();
        let e = entries
            .get(name)
            .ok_or_else(|| WorkerError::NotFound(name.into()))?;
        e.stats
            .active_topics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        Ok(())
    }

    /// Connector `name`'s spec, and whether it is stopped.
    fn spec_of(&self, name: &str) -> Result<(ConnectorSpec, bool), WorkerError> {
        let entries = self.lock();
        let e = entries
            .get(name)
            .ok_or_else(|| WorkerError::NotFound(name.into()))?;
        let spec = e.spec.clone().ok_or_else(|| {
            WorkerError::Offsets(format!(
                "connector {name} cannot run on this worker: {}",
                e.state.trace().unwrap_or("")
            ))
        })?;
        Ok((
            spec,
            e.target == TargetState::Stopped && e.running.is_none(),
        ))
    }

    /// The committed offsets of connector `name`'s consumer group.
    pub async fn offsets(&self, name: &str) -> Result<Vec<PartitionOffset>, WorkerError> {
        let (spec, _) = self.spec_of(name)?;
        tokio::task::spawn_blocking(move || offsets::committed(&spec))
            .await
            .map_err(|e| WorkerError::Offsets(e.to_string()))?
            .map_err(WorkerError::Offsets)
    }

    /// Commits `to` for stopped connector `name`'s consumer group.
    pub async fn alter_offsets(
        &self,
        name: &str,
        to: Vec<PartitionOffset>,
    ) -> Result<(), WorkerError> {
        let (spec, stopped) = self.spec_of(name)?;
        if !stopped {
            return Err(WorkerError::NotStopped(name.into()));
        }
        tokio::task::spawn_blocking(move || offsets::alter(&spec, &to))
            .await
            .map_err(|e| WorkerError::Offsets(e.to_string()))?
            .map_err(|e| match e {
                offsets::AlterError::NotConsumed(m) => WorkerError::Invalid(m),
                offsets::AlterError::Kafka(m) => WorkerError::Offsets(m),
            })
    }

    /// Deletes stopped connector `name`'s consumer group and its offsets.
    pub async fn reset_offsets(&self, name: &str) -> Result<(), WorkerError> {
        let (spec, stopped) = self.spec_of(name)?;
        if !stopped {
            return Err(WorkerError::NotStopped(name.into()));
        }
        offsets::reset(&spec).await.map_err(WorkerError::Offsets)
    }

    /// Every connector's view, by name.
    pub fn list(&self) -> Vec<ConnectorView> {
        self.lock().iter().map(|(n, e)| self.view(n, e)).collect()
    }

    /// Connector `name`'s view.
    pub fn get(&self, name: &str) -> Option<ConnectorView> {
        self.lock().get(name).map(|e| self.view(name, e))
    }

    /// Brings connector `name` to its target: starts it (with `built`, or a
    /// fresh build) if it should run and does not, stops it otherwise.
    async fn apply_target(self: &Arc<Self>, name: &str, built: Option<BuiltConnector>) {
        let Some((target, running, spec)) = self
            .lock()
            .get(name)
            .and_then(|e| Some((e.target, e.running.is_some(), e.spec.clone()?)))
        else {
            return;
        };
        match target {
            TargetState::Running if !running => {
                let built = match built {
                    Some(b) => Ok(b),
                    None => self.build(&spec).await,
                };
                match built {
                    Ok(b) => self.launch(name, Arc::new(b)),
                    Err(e) => self.set_state(name, ConnectorState::Failed(e.to_string())),
                }
            }
            TargetState::Running => {}
            TargetState::Paused | TargetState::Stopped => {
                self.halt(name).await;
                let state = if target == TargetState::Paused {
                    ConnectorState::Paused
                } else {
                    ConnectorState::Stopped
                };
                self.set_state(name, state);
            }
        }
    }

    fn set_state(&self, name: &str, state: ConnectorState) {
        if let Some(e) = self.lock().get_mut(name) {
            e.state = state;
        }
    }

    async fn build(&self, spec: &ConnectorSpec) -> Result<BuiltConnector, WorkerError> {
        let manifest = Manifest {
            path: self.settings.plugin_dir.join("connector.toml"),
            plugin_dir: self.settings.plugin_dir.clone(),
            cache_dir: None,
            connectors: vec![spec.clone()],
        };
        match crate::config::build(&self.runtime, &manifest).await {
            Ok(mut built) if !built.is_empty() => Ok(built.remove(0)),
            Ok(_) => Err(WorkerError::Invalid("no connector was built".into())),
            Err(crate::config::ManifestError::Invalid { problems, .. }) => {
                let problems: Vec<Problem> = problems
                    .iter()
                    .map(|p| manifest_problem(&spec.name, p))
                    .collect();
                Err(WorkerError::Invalid(invalid_message(&problems)))
            }
            Err(e) => Err(WorkerError::Invalid(e.to_string())),
        }
    }

    /// Starts the built connector `name`'s tasks under a supervisor of
    /// their own.
    fn launch(self: &Arc<Self>, name: &str, built: Arc<BuiltConnector>) {
        let (stop, stop_rx) = watch::channel(false);
        let (restarts, restarts_rx) = tokio::sync::mpsc::unbounded_channel();
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(name) else {
            return;
        };
        entry.generation += 1;
        let generation = entry.generation;
        entry.stats = Arc::new(entry.stats.next_run());
        entry.board = Arc::default();
        let (stats, board) = (entry.stats.clone(), entry.board.clone());
        // A manifest connector is this process's own, as in standalone mode.
        let plan = match entry.origin {
            Origin::Manifest(_) => TaskPlan::Local,
            Origin::Api => self.plan.clone(),
        };
        let worker = Arc::downgrade(self);
        let name = name.to_string();
        let task = tokio::spawn(async move {
            let result = tasks::supervise(built, stop_rx, stats, plan, board, restarts_rx).await;
            if let Some(worker) = worker.upgrade() {
                worker.finished(&name, generation, result);
            }
        });
        entry.running = Some(Running {
            stop,
            task,
            restarts,
        });
        entry.state = ConnectorState::Running;
    }

    /// What the API shows of connector `name`: its tasks from this
    /// worker's board, else from the status topic.
    fn view(&self, name: &str, e: &Entry) -> ConnectorView {
        let me = &self.settings.worker_id;
        let stopped = e.state == ConnectorState::Stopped;
        let count = e.spec.as_ref().map_or(1, |s| s.tasks_max.max(1));
        let shared = match (&e.origin, &self.plan) {
            (Origin::Api, TaskPlan::Shared(s)) => Some(s),
            _ => None,
        };
        let tasks = (0..count)
            .filter(|_| !stopped)
            .map(|id| {
                let here = e.board.state(id);
                let stored = shared.and_then(|s| s.status.task(name, id));
                let (state, worker_id) = match (here, stored) {
                    // Failed here, since taken over by another worker.
                    (Some(_), Some(s)) if e.running.is_none() && &s.worker_id != me => {
                        (s.connector_state(), s.worker_id)
                    }
                    (Some(state), _) => (state, me.clone()),
                    // A record of this worker's for a task it no longer runs.
                    (None, Some(s)) if &s.worker_id == me => {
                        (ConnectorState::Unassigned, me.clone())
                    }
                    (None, Some(s)) => (s.connector_state(), s.worker_id),
                    (None, None) if shared.is_some() => (ConnectorState::Unassigned, me.clone()),
                    (None, None) => (e.state.clone(), me.clone()),
                };
                // Paused everywhere: no worker runs it.
                let state = if e.target == TargetState::Paused && e.running.is_none() {
                    ConnectorState::Paused
                } else {
                    state
                };
                TaskView {
                    id,
                    state,
                    worker_id,
                }
            })
            .collect();
        view(name, e, tasks)
    }

    /// A connector's run ended: by a stop (nothing to record) or an error.
    fn finished(
        &self,
        name: &str,
        generation: u64,
        result: Result<(), crate::connector::ConnectorError>,
    ) {
        let mut entries = self.lock();
        let Some(e) = entries.get_mut(name).filter(|e| e.generation == generation) else {
            return;
        };
        if let Err(error) = result {
            e.state = ConnectorState::Failed(error.to_string());
            e.running = None;
            match e.origin {
                // Printed by `sluice run` as it exits.
                Origin::Manifest(_) => {
                    self.fatal.send_replace(Some(error.to_string()));
                }
                Origin::Api => tracing::error!(connector = name, "{error}"),
            }
        }
    }

    /// Stops connector `name` if it runs: in-flight batches finish, offsets
    /// are committed.
    async fn halt(&self, name: &str) {
        let running = self.lock().get_mut(name).and_then(|e| e.running.take());
        if let Some(r) = running {
            let _ = r.stop.send(true);
            let _ = r.task.await;
        }
    }

    /// Stops every connector (the process is stopping).
    pub async fn shutdown(&self) {
        let _serial = self.changes.lock().await;
        let all: Vec<Running> = self
            .lock()
            .values_mut()
            .filter_map(|e| e.running.take())
            .collect();
        for r in &all {
            let _ = r.stop.send(true);
        }
        for r in all {
            let _ = r.task.await;
        }
    }
}

fn view(name: &str, e: &Entry, tasks: Vec<TaskView>) -> ConnectorView {
    ConnectorView {
        name: name.to_string(),
        tasks,
        config: e.config.clone(),
        state: e.state.clone(),
        target: e.target,
        topics: e.stats.topics_used(),
        unsupported: e.unsupported.clone(),
        stats: e.stats.clone(),
        origin: e.origin.clone(),
    }
}

/// A problem the manifest's validation found in connector `name`, with the
/// Connect option it concerns when its path names one
/// (`sink."http.api.url": missing` → `http.api.url`).
fn manifest_problem(name: &str, problem: &str) -> Problem {
    let p = problem
        .strip_prefix(&format!("connectors[0] ({name}): "))
        .or_else(|| problem.strip_prefix("connectors[0]."))
        .unwrap_or(problem);
    if let Some((path, message)) = p.split_once(": ") {
        let key = ["sink.formatter.config.", "sink.", "kafka.", ""]
            .iter()
            .find_map(|prefix| path.strip_prefix(prefix))
            .unwrap_or(path)
            .trim_matches('"');
        if !key.is_empty() && !key.contains([' ', '[', '(']) {
            return Problem::new(key, message);
        }
    }
    Problem::new("", p)
}

/// Connect's message for an invalid connector config.
pub fn invalid_message(problems: &[Problem]) -> String {
    let mut m = format!(
        "Connector configuration is invalid and contains the following {} error(s):",
        problems.len()
    );
    for p in problems {
        m.push('\n');
        m.push_str(&p.to_string());
    }
    m.push_str("\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`");
    m
}

/// The Connect-style config shown for a manifest connector.
fn manifest_config(manifest: &Manifest, spec: &ConnectorSpec) -> ConnectConfig {
    let class = match spec.sink {
        crate::sink::SinkSpec::Http(_) => "io.confluent.connect.http.HttpSinkConnector",
        crate::sink::SinkSpec::S3(_) => "io.confluent.connect.s3.S3SinkConnector",
    };
    let topics_key = if spec.subscription.len() == 1 && spec.subscription[0].starts_with('^') {
        "topics.regex"
    } else {
        "topics"
    };
    [
        ("name", spec.name.clone()),
        ("connector.class", class.to_string()),
        (topics_key, spec.subscription.join(",")),
        ("tasks.max", spec.tasks_max.to_string()),
        ("sluice.manifest", manifest.path.display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}
