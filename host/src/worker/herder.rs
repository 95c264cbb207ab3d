//! The herder, as Connect's: decides which connectors run in this process,
//! whether they come from the manifest or from the REST API, with their
//! target state (running, paused, stopped) and what became of them. Every
//! API change is written to the config log ([`super::store`]) and applied
//! when read back, in a group and standalone alike, so there is one path
//! for a change. Changes are applied one at a time, and no lock is held
//! across a plugin build or a connector's shutdown.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::offsets::{self, PartitionOffset};
use super::runner::{Ended, Runner};
use super::store::{ConfigChange, ConfigFeed, ConfigStore, RestartRequest, StoredConnector};
use super::tasks::{TaskBoard, TaskPlan};
use super::view::{self, ConnectorView};
use super::{
    ALLOWED_PATHS_KEY, ConnectorState, MAX_CONNECTORS, Origin, TargetState, WorkerError,
    WorkerSettings, manifest_problems,
};
use crate::config::{BuiltConnector, ConnectorSpec, Manifest};
use crate::connect::{self, ConnectConfig, Problem};
use crate::plugin::Runtime;
use crate::stats::ConnectorStats;

/// One connector the herder knows.
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
    stats: Arc<ConnectorStats>,
    /// The tasks running here, and the one that failed.
    board: Arc<TaskBoard>,
    /// A manifest connector's section of its manifest, as last applied:
    /// a changed section is built and swapped in.
    source: Option<String>,
    /// A manifest connector's plugin directory (API connectors use the
    /// worker's).
    plugin_dir: Option<PathBuf>,
    /// The `.wasm` files of the running version, as last seen.
    plugin_files: Vec<(PathBuf, Option<FileStamp>)>,
    /// Why the manifest's latest version of it was not applied.
    manifest_error: Option<String>,
    /// Why its changed plugin file was not applied.
    plugin_error: Option<String>,
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
            stats: Arc::new(ConnectorStats::default()),
            board: Arc::default(),
            source: None,
            plugin_dir: None,
            plugin_files: Vec::new(),
            manifest_error: None,
            plugin_error: None,
        }
    }

    /// Why a newer version of it is not running, if one was refused.
    fn update_error(&self) -> Option<String> {
        match (&self.manifest_error, &self.plugin_error) {
            (None, None) => None,
            (Some(e), None) | (None, Some(e)) => Some(e.clone()),
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        }
    }
}

/// A plugin file as seen: its size and modification time (checked every
/// time) and its SHA-256 (computed when those changed, so that a file
/// rewritten with the same bytes swaps nothing).
#[derive(Clone, Debug, PartialEq)]
struct FileStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    sha256: [u8; 32],
}

/// Size and modification time of `path`, through symbolic links (a
/// Kubernetes volume swaps a link to update its files).
fn quick_stamp(path: &Path) -> Option<(u64, Option<std::time::SystemTime>)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()))
}

/// `path`'s stamp, or `None` when it cannot be read.
fn stamp(path: &Path) -> Option<FileStamp> {
    use sha2::Digest;
    let (len, modified) = quick_stamp(path)?;
    let bytes = std::fs::read(path).ok()?;
    Some(FileStamp {
        len,
        modified,
        sha256: sha2::Sha256::digest(&bytes).into(),
    })
}

/// Decides which connectors run here, as Connect's herder: every change
/// (from the manifest, the REST API or the config log) goes through it, one
/// at a time, and it tells the runner (`runner.rs`) what to start and stop.
pub struct Herder {
    settings: WorkerSettings,
    entries: Mutex<BTreeMap<String, Entry>>,
    /// Serialises changes: builds and shutdowns happen outside `entries`.
    changes: tokio::sync::Mutex<()>,
    /// Serialises this process's writes to the config log, so a check
    /// (exists? too many?) still holds when its write lands.
    writes: tokio::sync::Mutex<()>,
    /// Turns true when a manifest connector fails: the process stops, as a
    /// standalone Connect worker would need a restart.
    fatal: watch::Sender<Option<String>>,
    /// API connectors' configs: the group's config topic, or this process's
    /// own log. Every API change is written here and applied as read back.
    store: ConfigStore,
    /// A connector built to check a change, kept for when the change is
    /// read back, so it is not built twice.
    prebuilt: Mutex<BTreeMap<String, (ConnectConfig, BuiltConnector)>>,
    /// How API connectors' tasks are given out: all here, or claimed
    /// through Kafka by the workers of the group.
    plan: TaskPlan,
    /// Whether the config log was read up to its end at start.
    ready: watch::Sender<bool>,
    runner: Runner,
    /// The Kafka cluster's id, once read.
    cluster_id: crate::kafka::ClusterId,
    /// Throughput and lag over the last 15 minutes, for the status page.
    history: crate::history::History,
    /// The plugin directory's plugins as last loaded, with the files
    /// (name, size, modification time) they were loaded from.
    plugins: Mutex<Option<(Vec<PluginFile>, Arc<PluginDir>)>>,
}

/// The plugins of the plugin directory that load, and the Connect classes
/// they declare.
#[derive(Default)]
pub struct PluginDir {
    pub plugins: Vec<Arc<crate::plugin::LoadedPlugin>>,
    pub declared: connect::DeclaredClasses,
}

/// A `.wasm` file of the plugin directory as last seen: name, size, mtime.
type PluginFile = (std::path::PathBuf, u64, Option<std::time::SystemTime>);

/// The `.wasm` files of `dir`, sorted: what the declared classes depend on.
fn plugin_files(dir: &std::path::Path) -> Vec<PluginFile> {
    let mut files: Vec<PluginFile> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let e = e.ok()?;
            let path = e.path();
            let meta = e.metadata().ok()?;
            (path.extension().is_some_and(|x| x == "wasm") && meta.is_file())
                .then(|| (path, meta.len(), meta.modified().ok()))
        })
        .collect();
    files.sort();
    files
}

impl Herder {
    /// A herder applying the changes of `feed` (written through `store`),
    /// giving out API connectors' tasks by `plan`.
    pub fn start(
        settings: WorkerSettings,
        runtime: Runtime,
        (store, feed): (ConfigStore, ConfigFeed),
        plan: TaskPlan,
    ) -> Arc<Self> {
        let (runner, mut ended) = Runner::new(runtime, settings.plugin_dir.clone());
        let cluster_id = crate::kafka::ClusterId::new(settings.kafka_client.clone());
        let herder = Arc::new(Herder {
            settings,
            entries: Mutex::new(BTreeMap::new()),
            changes: tokio::sync::Mutex::new(()),
            writes: tokio::sync::Mutex::new(()),
            fatal: watch::channel(None).0,
            store,
            prebuilt: Mutex::new(BTreeMap::new()),
            plan,
            ready: watch::channel(feed.end_at_start <= 0).0,
            runner,
            cluster_id,
            history: crate::history::History::default(),
            plugins: Mutex::new(None),
        });
        tokio::spawn(herder.clone().follow(feed));
        let weak = Arc::downgrade(&herder);
        tokio::spawn(async move {
            while let Some(e) = ended.recv().await {
                match weak.upgrade() {
                    Some(herder) => herder.ended(e),
                    None => return,
                }
            }
        });
        herder
    }

    /// The id of the Kafka cluster at the workers' `bootstrap.servers`
    /// (read once; `None` while the cluster cannot be reached).
    pub async fn kafka_cluster_id(&self) -> Option<String> {
        self.cluster_id.get().await
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

    /// Whether the herder has read every stored config (else it is starting).
    pub fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    /// Applies the config log's changes, in order, for good.
    async fn follow(self: Arc<Self>, mut feed: ConfigFeed) {
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
                    self.runner.halt(&name).await;
                    self.lock().remove(&name);
                }
                // Restart requests written before this worker started are history.
                // Restarts wait for in-flight batches: on their own task, so
                // the changes after them are applied meanwhile.
                ConfigChange::Restart { name, request } if self.is_ready() => {
                    let herder = self.clone();
                    tokio::spawn(async move {
                        if let Err(e) = herder.restart_here(&name, request.only_failed).await {
                            tracing::debug!(connector = %name, "restart request: {e}");
                        }
                    });
                }
                ConfigChange::RestartTask { name, task } if self.is_ready() => {
                    let herder = self.clone();
                    tokio::spawn(async move { herder.restart_task_here(&name, task).await });
                }
                // Levels written before this worker started are history, as
                // in Connect.
                ConfigChange::LogLevel { namespace, level } if self.is_ready() => {
                    match crate::logging::set(&namespace, &level) {
                        Ok(changed) => tracing::info!(
                            logger = %namespace,
                            %level,
                            ?changed,
                            "log level set for the whole group"
                        ),
                        Err(e) => tracing::warn!(logger = %namespace, "log level not set: {e}"),
                    }
                }
                ConfigChange::Restart { .. }
                | ConfigChange::RestartTask { .. }
                | ConfigChange::LogLevel { .. }
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
            .await
            .map_err(|r| WorkerError::Invalid(r.problems));
        let prebuilt = self
            .prebuilt
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name)
            .filter(|(config, _)| *config == stored.config)
            .map(|(_, built)| built);
        let built = match (&checked, prebuilt) {
            (Ok(_), Some(built)) => Ok(built),
            (Ok((spec, _)), None) => self.runner.build(spec).await.map_err(|e| e.to_string()),
            (Err(e), _) => Err(e.to_string()),
        };
        self.runner.halt(name).await;
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
        let mut entry = Entry::new(Origin::Api, stored.config, spec, target, state, unsupported);
        // A new config keeps the connector's active topics (and recent
        // errors), as Connect's status topic does until they are reset.
        if let Some(previous) = self.lock().get(name) {
            entry.stats = Arc::new(previous.stats.next_run());
        }
        self.lock().insert(name.to_string(), entry);
        if let Ok(b) = built {
            self.apply_target(name, Some(b)).await;
        }
    }

    /// What the worker was started with.
    pub fn settings(&self) -> &WorkerSettings {
        &self.settings
    }

    /// The Wasm runtime plugins are built with.
    pub fn runtime(&self) -> &Runtime {
        self.runner.runtime()
    }

    /// Turns `Some(error)` when a manifest connector fails.
    pub fn fatal(&self) -> watch::Receiver<Option<String>> {
        self.fatal.subscribe()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the connectors of a built manifest.
    /// `sources` holds each connector's section of the manifest, to tell
    /// later which ones a new version of the manifest changed.
    pub async fn add_manifest(
        self: &Arc<Self>,
        manifest: &Manifest,
        built: Vec<BuiltConnector>,
        sources: &BTreeMap<String, String>,
    ) {
        let _serial = self.changes.lock().await;
        for b in built {
            let name = b.spec.name.clone();
            self.lock()
                .insert(name.clone(), manifest_entry(manifest, &b.spec, sources));
            self.launch(&name, Arc::new(b));
        }
    }

    /// Applies a new version of the manifest `manifest` was loaded from:
    /// a connector whose section changed is built, then swapped in at a
    /// commit boundary (in-flight batches finish, offsets are committed,
    /// the new version starts from them); a new one starts; a removed one
    /// stops. A connector whose new version does not build keeps running
    /// as it was, the reason in its status.
    pub async fn apply_manifest(
        self: &Arc<Self>,
        manifest: &Manifest,
        sources: &BTreeMap<String, String>,
    ) {
        let _serial = self.changes.lock().await;
        let path = &manifest.path;
        let gone: Vec<String> = self
            .lock()
            .iter()
            .filter(|(n, e)| {
                matches!(&e.origin, Origin::Manifest(p) if p == path)
                    && !manifest.connectors.iter().any(|c| &c.name == *n)
            })
            .map(|(n, _)| n.clone())
            .collect();
        for name in gone {
            tracing::info!(connector = %name, "removed from the manifest: stopping it");
            self.runner.halt(&name).await;
            self.lock().remove(&name);
        }
        for spec in &manifest.connectors {
            let name = &spec.name;
            let existing = self
                .lock()
                .get(name)
                .map(|e| (e.origin.clone(), e.source.clone()));
            let replacing = match existing {
                Some((Origin::Api, _)) => {
                    tracing::error!(connector = %name, "the manifest names a connector created through the REST API: not applied");
                    continue;
                }
                Some((Origin::Manifest(_), source)) if source.as_ref() == sources.get(name) => {
                    if let Some(e) = self.lock().get_mut(name) {
                        e.manifest_error = None;
                    }
                    continue;
                }
                Some(_) => true,
                None => false,
            };
            let one = Manifest {
                path: manifest.path.clone(),
                plugin_dir: manifest.plugin_dir.clone(),
                cache_dir: manifest.cache_dir.clone(),
                connectors: vec![spec.clone()],
            };
            match crate::config::build(self.runtime(), &one).await {
                Ok(mut built) if !built.is_empty() => {
                    let built = built.remove(0);
                    if replacing {
                        tracing::info!(connector = %name, "changed in the manifest: finishing in-flight batches and committing, then running the new version");
                        self.runner.halt(name).await;
                    } else {
                        tracing::info!(connector = %name, "added to the manifest: starting it");
                    }
                    let mut entry = manifest_entry(manifest, spec, sources);
                    if let Some(previous) = self.lock().get(name) {
                        // `launch` starts its next run.
                        entry.stats = previous.stats.clone();
                    }
                    self.lock().insert(name.clone(), entry);
                    self.launch(name, Arc::new(built));
                }
                Ok(_) => {}
                Err(e) => {
                    let said = format!(
                        "the manifest's new version of this connector was not applied{}: {e}",
                        if replacing {
                            " (the previous one keeps running)"
                        } else {
                            ""
                        }
                    );
                    tracing::error!(connector = %name, "{said}");
                    let mut entries = self.lock();
                    match entries.get_mut(name) {
                        Some(e) => e.manifest_error = Some(said),
                        None => {
                            let mut entry = manifest_entry(manifest, spec, sources);
                            entry.state = ConnectorState::Failed(said);
                            entries.insert(name.clone(), entry);
                        }
                    }
                }
            }
        }
    }

    /// A new version of manifest `path` could not be read or checked: its
    /// connectors keep running as they are, the reason in their status.
    pub fn manifest_not_applied(&self, path: &Path, error: &str) {
        tracing::error!(manifest = %path.display(), "the manifest's new version was not applied (its connectors keep running as they were): {error}");
        for e in self.lock().values_mut() {
            if matches!(&e.origin, Origin::Manifest(p) if p == path) {
                e.manifest_error = Some(format!(
                    "the manifest's new version was not applied (the previous one keeps running): {error}"
                ));
            }
        }
    }

    /// Swaps in the plugins whose `.wasm` file changed under a running
    /// connector: the connector is built again with the new file and, if
    /// that works, swapped at a commit boundary as for a manifest change;
    /// otherwise the running version stays, the reason in its status.
    pub async fn swap_changed_plugins(self: &Arc<Self>) {
        let _serial = self.changes.lock().await;
        let changed: Vec<(String, ConnectorSpec, Origin, Option<PathBuf>)> = {
            let mut entries = self.lock();
            entries
                .iter_mut()
                .filter(|(name, _)| self.runner.is_running(name))
                .filter_map(|(name, e)| {
                    let mut differs = false;
                    for (path, seen) in &mut e.plugin_files {
                        let quick = quick_stamp(path);
                        if quick.is_some() && seen.as_ref().map(|s| (s.len, s.modified)) == quick {
                            continue;
                        }
                        let now = stamp(path);
                        if now.as_ref().map(|s| s.sha256) != seen.as_ref().map(|s| s.sha256) {
                            differs = true;
                        }
                        *seen = now;
                    }
                    differs.then(|| {
                        Some((
                            name.clone(),
                            e.spec.clone()?,
                            e.origin.clone(),
                            e.plugin_dir.clone(),
                        ))
                    })?
                })
                .collect()
        };
        for (name, spec, origin, plugin_dir) in changed {
            let built = match (&origin, plugin_dir) {
                (Origin::Manifest(path), Some(dir)) => {
                    let one = Manifest {
                        path: path.clone(),
                        plugin_dir: dir,
                        cache_dir: None,
                        connectors: vec![spec],
                    };
                    match crate::config::build(self.runtime(), &one).await {
                        Ok(mut b) if !b.is_empty() => Ok(b.remove(0)),
                        Ok(_) => Err("no connector was built".to_string()),
                        Err(e) => Err(e.to_string()),
                    }
                }
                _ => self.runner.build(&spec).await.map_err(|e| e.to_string()),
            };
            match built {
                Ok(b) => {
                    tracing::info!(connector = %name, "a plugin file changed: finishing in-flight batches and committing, then running the new plugin");
                    self.runner.halt(&name).await;
                    if let Some(e) = self.lock().get_mut(&name) {
                        e.plugin_error = None;
                    }
                    self.launch(&name, Arc::new(b));
                }
                Err(e) => {
                    let said = format!(
                        "a plugin file changed, but the new plugin was not applied (the previous one keeps running): {e}"
                    );
                    tracing::error!(connector = %name, "{said}");
                    if let Some(e) = self.lock().get_mut(&name) {
                        e.plugin_error = Some(said);
                    }
                }
            }
        }
    }

    /// The plugins of the plugin directory and the Connect classes they
    /// declare: loaded again when one of its `.wasm` files changed, else
    /// remembered. A plugin that does not load is left out (`sluice
    /// plugins` says why).
    pub async fn plugin_dir(&self) -> Arc<PluginDir> {
        let dir = &self.settings.plugin_dir;
        let files = plugin_files(dir);
        if let Some((seen, loaded)) = &*self.plugins.lock().unwrap_or_else(|p| p.into_inner())
            && *seen == files
        {
            return loaded.clone();
        }
        let plugins = self.runtime().load_dir_ok(dir).await;
        let declared = connect::DeclaredClasses::from_plugins(dir, plugins.iter().map(|p| &**p));
        let loaded = Arc::new(PluginDir { plugins, declared });
        *self.plugins.lock().unwrap_or_else(|p| p.into_inner()) = Some((files, loaded.clone()));
        loaded
    }

    /// The plugin directory as last loaded, without loading it (which
    /// compiles every plugin not in the cache yet): `None` before the first
    /// [`Self::plugin_dir`]. For pages that must answer at once.
    pub fn plugin_dir_loaded(&self) -> Option<Arc<PluginDir>> {
        self.plugins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|(_, loaded)| loaded.clone())
    }

    /// Checks `config` for connector `name` without starting anything: the
    /// spec and the options not applied, or every problem.
    pub async fn check(
        &self,
        name: &str,
        config: &ConnectConfig,
    ) -> Result<(ConnectorSpec, Vec<Problem>), connect::Rejected> {
        // Only a class Sluice lacks needs the plugins loaded.
        let dir = if connect::names_declared_classes(config, &self.settings.defaults) {
            self.plugin_dir().await
        } else {
            Arc::default()
        };
        let declared = &dir.declared;
        let policy = &self.settings.overrides;
        // Whatever the policy, a REST caller's MSK IAM login does not read
        // the worker's AWS config files (a named profile): the worker's own
        // chain, or a role assumed with it, are what it may use.
        let reads_aws_profile = |k: &str, property: &str| {
            crate::config::kafka::property(property) == "sasl.jaas.config"
                && crate::config::kafka::parse_jaas(&config[k])
                    .is_ok_and(|j| j.options.contains_key("awsProfileName"))
        };
        let mut refused: Vec<Problem> = config
            .keys()
            .filter_map(|k| {
                let property = k.strip_prefix("consumer.override.")?;
                match policy.refusal(property) {
                    Some(why) => Some(Problem::new(k, why)),
                    None => reads_aws_profile(k, property).then(|| Problem::new(
                        k,
                        "awsProfileName reads the worker's AWS config files, which a connector created through the REST API may not: set it on the worker (--worker consumer.sasl.jaas.config=…) or in a manifest file",
                    )),
                }
            })
            .collect();
        // Another cluster for the reporter would get the worker's
        // credentials: unless the operator allows other clusters, the
        // reporter writes to the connector's own, saying so.
        let mut config = config.clone();
        let mut redirected = Vec::new();
        let own = self.settings.defaults.get("bootstrap.servers");
        for k in ["reporter.bootstrap.servers"] {
            if let Some(servers) = config.get(k)
                && !same_servers(servers, own.map(String::as_str).unwrap_or_default())
                && let Some(why) = policy.refusal("bootstrap.servers")
            {
                config.remove(k);
                redirected.push(Problem::new(
                    k,
                    format!("the reporter writes to the connector's own cluster: {why}"),
                ));
            }
        }
        let config = &config;
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
        let translation = match connect::translate(name, config, &self.settings.defaults, declared)
        {
            Ok(mut t) if refused.is_empty() => {
                t.unsupported.extend(redirected);
                t
            }
            Ok(mut t) => {
                t.unsupported.extend(redirected);
                return Err(connect::Rejected {
                    problems: refused,
                    unsupported: t.unsupported,
                });
            }
            Err(mut r) => {
                r.problems.extend(refused);
                r.unsupported.extend(redirected);
                return Err(r);
            }
        };
        let rejected = |problems: Vec<Problem>| connect::Rejected {
            problems,
            unsupported: translation.unsupported.clone(),
        };
        let elsewhere = aws_credentials_elsewhere(&translation, policy);
        if !elsewhere.is_empty() {
            return Err(rejected(translation.in_connect_names(elsewhere)));
        }
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
                translation.in_connect_names(manifest_problems(&problems)),
            )),
            Err(e) => Err(rejected(vec![Problem::new("", e.to_string())])),
        }
    }

    /// Sets logger `namespace` to `level` on every worker of the group
    /// (this one alone when there is no group), through the config log.
    pub async fn set_log_level_everywhere(
        &self,
        namespace: &str,
        level: &str,
    ) -> Result<(), WorkerError> {
        Ok(self.store.request_log_level(namespace, level).await?)
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
        // Checked here, written to the log, applied as read back (on every
        // worker of a group).
        let _serial = self.writes.lock().await;
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
            .await
            .map_err(|r| WorkerError::Invalid(r.problems))?;
        // One line each for the first few; a config of thousands of unknown
        // options is one line more, not thousands.
        const LOGGED: usize = 20;
        for p in unsupported.iter().take(LOGGED) {
            tracing::warn!(connector = name, option = %p.key, "option not applied: {}", p.message);
        }
        if unsupported.len() > LOGGED {
            tracing::warn!(
                connector = name,
                "{} more options not applied (PUT /connector-plugins/<class>/config/validate lists every one)",
                unsupported.len() - LOGGED
            );
        }
        let built = self.runner.build(&spec).await?;
        self.prebuilt
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), (config.clone(), built));
        let stored = StoredConnector::new(config, target);
        let written = self.store.write(name, Some(&stored)).await;
        self.prebuilt
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        written?;
        Ok(existing.is_none())
    }

    /// Stops and forgets connector `name`.
    pub async fn delete(self: &Arc<Self>, name: &str) -> Result<(), WorkerError> {
        let _serial = self.writes.lock().await;
        self.api_owned(name)?;
        Ok(self.store.write(name, None).await?)
    }

    /// Sets connector `name`'s target state and brings it there.
    pub async fn set_target(
        self: &Arc<Self>,
        name: &str,
        target: TargetState,
    ) -> Result<(), WorkerError> {
        // An API connector's target is kept in the log, for every worker.
        let config = match self.api_owned(name) {
            Ok(config) => config,
            Err(WorkerError::FromManifest { .. }) => {
                let _serial = self.changes.lock().await;
                if let Some(e) = self.lock().get_mut(name) {
                    e.target = target;
                }
                self.apply_target(name, None).await;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let _serial = self.writes.lock().await;
        let stored = StoredConnector::new(config, target);
        Ok(self.store.write(name, Some(&stored)).await?)
    }

    /// Restarts connector `name` with its tasks (only if it failed, with
    /// `only_failed`), on every worker running it: through the config log.
    pub async fn restart(
        self: &Arc<Self>,
        name: &str,
        request: RestartRequest,
    ) -> Result<(), WorkerError> {
        match self.api_owned(name) {
            Ok(_) => Ok(self.store.request_restart(name, request).await?),
            Err(WorkerError::FromManifest { .. }) => self
                .restart_here(name, request.only_failed)
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        }
    }

    /// Restarts task `id` of connector `name` on the worker running it.
    pub async fn restart_task(self: &Arc<Self>, name: &str, id: u32) -> Result<(), WorkerError> {
        match self.api_owned(name) {
            Ok(_) => Ok(self.store.request_task_restart(name, id).await?),
            Err(WorkerError::FromManifest { .. }) => {
                self.restart_task_here(name, id).await;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Restarts task `id` if it runs or failed here: a running one alone, a
    /// failed one with the whole connector (its failure stopped the others).
    async fn restart_task_here(self: &Arc<Self>, name: &str, id: u32) {
        let running = self.runner.is_running(name);
        let (runs, failed) = match self.lock().get(name) {
            Some(e) => (
                e.board.runs(id),
                matches!(e.board.state(id), Some(ConnectorState::Failed(_)))
                    || (!running && matches!(e.state, ConnectorState::Failed(_))),
            ),
            None => return,
        };
        if runs && self.runner.restart_task(name, id) {
            return;
        }
        if failed {
            let _ = self.restart_here(name, false).await;
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
        self.runner.halt(name).await;
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

    /// Connector `name`'s spec: its plugins and sink, once validated
    /// (`None` for an unknown name or a config that cannot run).
    pub fn spec(&self, name: &str) -> Option<ConnectorSpec> {
        self.lock().get(name).and_then(|e| e.spec.clone())
    }

    /// Connector `name`'s spec, and whether it is stopped.
    fn spec_of(&self, name: &str) -> Result<(ConnectorSpec, bool), WorkerError> {
        let entries = self.lock();
        let e = entries
            .get(name)
            .ok_or_else(|| WorkerError::NotFound(name.into()))?;
        let spec = e.spec.clone().ok_or_else(|| WorkerError::CannotRun {
            name: name.into(),
            why: e.state.trace().unwrap_or("").into(),
        })?;
        let stopped = e.target == TargetState::Stopped;
        drop(entries);
        Ok((spec, stopped && !self.runner.is_running(name)))
    }

    /// The committed offsets of connector `name`'s consumer group.
    pub async fn offsets(&self, name: &str) -> Result<Vec<PartitionOffset>, WorkerError> {
        let (spec, _) = self.spec_of(name)?;
        Ok(blocking(move || offsets::committed(&spec)).await??)
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
        Ok(blocking(move || offsets::alter(&spec, &to)).await??)
    }

    /// Deletes stopped connector `name`'s consumer group and its offsets.
    pub async fn reset_offsets(&self, name: &str) -> Result<(), WorkerError> {
        let (spec, stopped) = self.spec_of(name)?;
        if !stopped {
            return Err(WorkerError::NotStopped(name.into()));
        }
        Ok(offsets::reset(&spec).await?)
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
        let Some((target, spec)) = self
            .lock()
            .get(name)
            .and_then(|e| Some((e.target, e.spec.clone()?)))
        else {
            return;
        };
        let running = self.runner.is_running(name);
        match target {
            TargetState::Running if !running => {
                let built = match built {
                    Some(b) => Ok(b),
                    None => self.runner.build(&spec).await,
                };
                match built {
                    Ok(b) => self.launch(name, Arc::new(b)),
                    Err(e) => self.set_state(name, ConnectorState::Failed(e.to_string())),
                }
            }
            TargetState::Running => {}
            TargetState::Paused | TargetState::Stopped => {
                self.runner.halt(name).await;
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

    /// Starts the built connector `name` with fresh counters.
    fn launch(self: &Arc<Self>, name: &str, built: Arc<BuiltConnector>) {
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(name) else {
            return;
        };
        entry.stats = Arc::new(entry.stats.next_run());
        entry.board = Arc::default();
        entry.plugin_files = built
            .plugin_paths()
            .into_iter()
            .map(|p| {
                let seen = stamp(&p);
                (p, seen)
            })
            .collect();
        // A manifest connector is this process's own, as in standalone mode.
        let plan = match entry.origin {
            Origin::Manifest(_) => TaskPlan::Local,
            Origin::Api => self.plan.clone(),
        };
        self.runner
            .launch(name, built, entry.stats.clone(), entry.board.clone(), plan);
        entry.state = ConnectorState::Running;
    }

    /// What the API shows of connector `name`: its tasks from this
    /// worker's board, else from the status topic.
    fn view(&self, name: &str, e: &Entry) -> ConnectorView {
        let status = match (&e.origin, &self.plan) {
            (Origin::Api, TaskPlan::Shared(s)) => Some(&s.status),
            _ => None,
        };
        view::connector(view::Known {
            name,
            config: &e.config,
            tasks_max: e.spec.as_ref().map_or(1, |s| s.tasks_max.max(1)),
            state: &e.state,
            target: e.target,
            unsupported: &e.unsupported,
            stats: &e.stats,
            origin: &e.origin,
            board: &e.board,
            running: self.runner.is_running(name),
            me: &self.settings.worker_id,
            status,
            update_error: e.update_error(),
        })
    }

    /// A connector's current run ended with an error.
    fn ended(&self, ended: Ended) {
        if !self.runner.forget(&ended) {
            return;
        }
        let Ended { name, error, .. } = ended;
        let mut entries = self.lock();
        let Some(e) = entries.get_mut(&name) else {
            return;
        };
        e.state = ConnectorState::Failed(error.to_string());
        match e.origin {
            // Printed by `sluice run` as it exits.
            Origin::Manifest(_) => {
                self.fatal.send_replace(Some(error.to_string()));
            }
            Origin::Api => tracing::error!(connector = name, "{error}"),
        }
    }

    /// Stops every connector (the process is stopping).
    pub async fn shutdown(&self) {
        let _serial = self.changes.lock().await;
        self.runner.shutdown().await;
    }
}

/// Runs `f` off the async threads (librdkafka's calls block).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, WorkerError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| WorkerError::Internal(e.to_string()))
}

/// The Connect-style config shown for a manifest connector.
/// The entry of manifest connector `spec`, not started yet.
fn manifest_entry(
    manifest: &Manifest,
    spec: &ConnectorSpec,
    sources: &BTreeMap<String, String>,
) -> Entry {
    let mut entry = Entry::new(
        Origin::Manifest(manifest.path.clone()),
        manifest_config(manifest, spec),
        Some(spec.clone()),
        TargetState::Running,
        ConnectorState::Unassigned,
        Vec::new(),
    );
    entry.source = sources.get(&spec.name).cloned();
    entry.plugin_dir = Some(manifest.plugin_dir.clone());
    entry
}

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

/// An S3 connector created through the REST API without its own key pair
/// signs its requests with the worker's AWS credentials (its chain:
/// environment, profile, instance role): those go only to AWS's own
/// endpoints, unless the operator allows everything (policy `All`), as
/// `bootstrap.servers` does for the worker's Kafka credentials. The problems
/// under the sink's keys.
fn aws_credentials_elsewhere(
    translation: &connect::Translation,
    policy: &crate::config::overrides::OverridePolicy,
) -> Vec<Problem> {
    let Some(sink) = translation.section.get("sink").and_then(|s| s.as_table()) else {
        return Vec::new();
    };
    if sink.get("type").and_then(|t| t.as_str()) != Some("s3")
        || sink.contains_key("aws.access.key.id")
    {
        return Vec::new();
    }
    let Some(why) = policy.refusal("bootstrap.servers") else {
        return Vec::new();
    };
    ["store.url", "sts.endpoint"]
        .into_iter()
        .filter_map(|key| {
            let url = sink.get(key)?.as_str()?;
            (!is_aws_endpoint(url)).then(|| {
                Problem::new(
                    key,
                    format!(
                        "{url:?} is not an AWS endpoint: without its own aws.access.key.id and aws.secret.access.key, the connector would sign its requests to it with the worker's AWS credentials; give it a key pair. The worker lets a connector reach other endpoints with its credentials only where it lets it name other brokers with its Kafka credentials, and here {why}"
                    ),
                )
            })
        })
        .collect()
}

/// Whether `url` (with or without a scheme) is one of AWS's own hosts.
fn is_aws_endpoint(url: &str) -> bool {
    let url = url.trim();
    let full = if url.contains("://") {
        url.to_string()
    } else {
        format!("https://{url}")
    };
    reqwest::Url::parse(&full)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|h| {
            ["amazonaws.com", "amazonaws.com.cn"]
                .iter()
                .any(|d| h.ends_with(&format!(".{d}")))
        })
}

fn same_servers(a: &str, b: &str) -> bool {
    let set = |s: &str| {
        let mut v: Vec<String> = s
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        v.sort();
        v
    };
    set(a) == set(b)
}

#[cfg(test)]
mod tests {
    use super::is_aws_endpoint;

    #[test]
    fn only_awss_own_hosts_are_aws_endpoints() {
        for aws in [
            "https://sts.eu-west-1.amazonaws.com",
            "sts.amazonaws.com",
            "https://s3.us-east-1.amazonaws.com/",
            "https://bucket.s3.cn-north-1.amazonaws.com.cn",
        ] {
            assert!(is_aws_endpoint(aws), "{aws}");
        }
        for other in [
            "http://127.0.0.1:9000",
            "https://minio.example.com",
            "https://amazonaws.com.evil.example",
            "https://evilamazonaws.com",
            "not a url at all",
        ] {
            assert!(!is_aws_endpoint(other), "{other}");
        }
    }
}
