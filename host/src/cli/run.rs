//! `sluice run`: runs every connector of a manifest, and those created
//! through the REST API it serves, until SIGINT or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use tokio::sync::watch;

use crate::api::{self, AllowedHosts, ApiAuth, ApiPolicy};
use crate::config;
use crate::worker::{Herder, WorkerSettings};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The manifest (TOML) naming the connectors to run; see examples/.
    /// Without one, connectors come only from the REST API.
    pub manifest: Option<PathBuf>,
    /// Writes each connector's figures (records consumed and delivered,
    /// time to the group join and to the first delivered batch, time spent
    /// per pipeline stage) to this file as JSON, every 2 s and at exit.
    #[arg(long, value_name = "PATH")]
    pub stats_file: Option<PathBuf>,
    /// What this worker's connectors together may hold of consumed records,
    /// however many partitions they read: half for librdkafka's prefetch
    /// (each partition's queue shrinks as partitions are added, down to
    /// 64 KiB), half for batches cut and not yet delivered (readers wait for
    /// room). Sizes as `64MiB`, `512KiB`, `1GiB`. The process's resident
    /// memory is this plus about 30 MiB of code and runtime, plus the Wasm
    /// plugins' memories and the S3 objects being written.
    #[arg(
        long,
        env = "SLUICE_MEMORY_BUDGET",
        value_name = "SIZE",
        default_value = "32MiB",
        value_parser = crate::source::budget::parse_size
    )]
    pub memory_budget: usize,
    /// How often the manifest and the plugin files of running connectors
    /// are checked for changes, in seconds; 0 checks only on SIGHUP. A
    /// changed connector or plugin is built and swapped in at a commit
    /// boundary; one that fails to build leaves the running version, the
    /// reason in its status.
    #[arg(
        long,
        env = "SLUICE_WATCH_INTERVAL",
        value_name = "SECONDS",
        default_value_t = 2
    )]
    pub watch_interval: u64,
    #[command(flatten)]
    pub api: ApiArgs,
}

/// The REST API and the worker settings of connectors created through it.
#[derive(Args, Debug)]
pub struct ApiArgs {
    /// Where the REST API (Kafka Connect's endpoints) listens, as Connect's
    /// `listeners`; port 0 picks a free one; `off` serves no API.
    #[arg(
        long,
        env = "SLUICE_LISTENERS",
        value_name = "URL",
        default_value = "http://127.0.0.1:8083"
    )]
    pub listeners: String,
    /// Requests that change state (POST, PUT, PATCH, DELETE) need
    /// `Authorization: Bearer <TOKEN>`. Prefer $SLUICE_API_TOKEN or
    /// --api-token-file: a command line is visible to every local user.
    #[arg(
        long,
        env = "SLUICE_API_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub api_token: Option<String>,
    /// Like --api-token, the token read from this file (trailing newline ignored).
    #[arg(
        long,
        env = "SLUICE_API_TOKEN_FILE",
        value_name = "PATH",
        conflicts_with = "api_token"
    )]
    pub api_token_file: Option<PathBuf>,
    /// Requests that change state need HTTP basic auth with this user and password.
    #[arg(
        long,
        env = "SLUICE_API_BASIC_AUTH",
        value_name = "USER:PASSWORD",
        hide_env_values = true,
        conflicts_with_all = ["api_token", "api_token_file"]
    )]
    pub api_basic_auth: Option<String>,
    /// Require the credentials on reads too (every request but GET /health):
    /// connector configs, statuses and /metrics are then private.
    #[arg(long)]
    pub api_auth_reads: bool,
    /// Serve the API beyond loopback without credentials. Without this, a
    /// worker listening on another address and given no credentials makes a
    /// token, writes it to `<cache dir>/api-token` (mode 0600) and requires it.
    #[arg(long, conflicts_with_all = ["api_token", "api_token_file", "api_basic_auth"])]
    pub api_no_auth: bool,
    /// Host names the API answers to, besides IP addresses and localhost
    /// (which it always answers to), comma-separated: `api.example.com`,
    /// `.example.com` for a whole domain, `*` for any. Other names are
    /// refused, against DNS rebinding.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub api_allowed_hosts: Vec<String>,
    /// Web origins (`https://console.example.com`) besides the API's own
    /// whose pages may send requests that change state; comma-separated.
    #[arg(long, value_name = "ORIGINS", value_delimiter = ',')]
    pub api_allowed_origins: Vec<String>,
    /// The Kafka cluster of connectors created through the API (their JSON
    /// names none, as in Connect, whose default this is too).
    #[arg(long, value_name = "HOSTS", default_value = "localhost:9092")]
    pub bootstrap_servers: String,
    /// A worker setting API connectors inherit, as in a Connect worker's
    /// properties: `value.converter=org.apache.kafka.connect.json.JsonConverter`,
    /// `value.converter.schemas.enable=false`, `consumer.security.protocol=SSL`;
    /// repeat for several.
    #[arg(long = "worker", value_name = "KEY=VALUE", value_parser = super::parse_key_value)]
    pub worker: Vec<(String, String)>,
    /// Share API connectors with every worker started with the same group id
    /// (Connect's distributed `group.id`): their configs are kept in the
    /// compacted topic `--config-storage-topic`, so all the workers run them
    /// and keep them across restarts. Without it they live in this process.
    #[arg(long, value_name = "ID")]
    pub group_id: Option<String>,
    /// The compacted topic holding the group's connector configs (Connect's
    /// `config.storage.topic`); created if missing.
    #[arg(long, value_name = "TOPIC", default_value = "sluice-configs")]
    pub config_storage_topic: String,
    /// The compacted topic holding the group's task statuses (Connect's
    /// `status.storage.topic`), so any worker answers for every task;
    /// created if missing.
    #[arg(long, value_name = "TOPIC", default_value = "sluice-status")]
    pub status_storage_topic: String,
    /// Plugins of API connectors [default: the manifest's plugin_dir, else
    /// $SLUICE_PLUGIN_DIR, else ./plugins].
    #[arg(long, value_name = "DIR")]
    pub plugin_dir: Option<PathBuf>,
}

impl ApiArgs {
    fn auth(&self) -> anyhow::Result<ApiAuth> {
        let from_file = match &self.api_token_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("--api-token-file {}: cannot read it: {e}", path.display())
                })?;
                let token = text.trim_end_matches(['\n', '\r']).to_string();
                if token.is_empty() {
                    anyhow::bail!("--api-token-file {}: the file is empty", path.display());
                }
                Some(token)
            }
            None => None,
        };
        Ok(
            match (
                self.api_token.as_ref().or(from_file.as_ref()),
                &self.api_basic_auth,
            ) {
                (Some(token), _) if token.is_empty() => {
                    anyhow::bail!("--api-token: the token is empty")
                }
                (Some(token), _) => ApiAuth::Bearer(token.clone()),
                (None, Some(pair)) => {
                    let (user, password) = pair.split_once(':').ok_or_else(|| {
                        anyhow::anyhow!("--api-basic-auth: expected USER:PASSWORD")
                    })?;
                    ApiAuth::Basic {
                        user: user.into(),
                        password: password.into(),
                    }
                }
                (None, None) => ApiAuth::None,
            },
        )
    }

    /// The listener's address, or `None` for `off`.
    fn address(&self) -> anyhow::Result<Option<String>> {
        let l = self.listeners.trim();
        if l.eq_ignore_ascii_case("off") || l.is_empty() {
            return Ok(None);
        }
        let rest = l.strip_prefix("http://").ok_or_else(|| {
            anyhow::anyhow!(
                "--listeners {l:?}: expected http://HOST:PORT (TLS is for a proxy in front), or off"
            )
        })?;
        Ok(Some(rest.trim_end_matches('/').to_string()))
    }
}

pub async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    crate::source::budget::MemoryBudget::set_global(args.memory_budget);
    // Listening first: a stop that comes while plugins compile is a clean exit.
    let stop_signal = stop_signal();
    // SIGHUP's default action ends the process: registered before anything
    // slow, it asks for the manifest and plugins to be read again instead.
    #[cfg(unix)]
    let hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    #[cfg(not(unix))]
    let hangup: Option<()> = None;
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
    let mut policy = ApiPolicy {
        auth: args.api.auth()?,
        auth_reads: args.api.api_auth_reads,
        hosts: AllowedHosts {
            any: args.api.api_allowed_hosts.iter().any(|h| h == "*"),
            names: args.api.api_allowed_hosts.clone(),
        },
        origins: args.api.api_allowed_origins.clone(),
    };
    let address = args.api.address()?;
    let manifest = args
        .manifest
        .as_deref()
        .map(super::load_manifest)
        .transpose()?;
    let runtime = match &manifest {
        Some(m) => super::runtime_for(m)?,
        None => crate::plugin::Runtime::new(&super::cache_dir()?)?,
    };
    let built = match &manifest {
        Some(m) => config::build(&runtime, m).await?,
        None => Vec::new(),
    };
    if *stop_rx.borrow() {
        return Ok(ExitCode::SUCCESS);
    }
    let listener = match &address {
        Some(addr) => Some(tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot serve the REST API on {addr}: {e}; choose another with --listeners (or $SLUICE_LISTENERS), or --listeners off"
            )
        })?),
        None => None,
    };
    let bound = listener.as_ref().and_then(|l| l.local_addr().ok());
    if let Some(addr) = bound
        && !addr.ip().is_loopback()
        && matches!(policy.auth, ApiAuth::None)
        && !args.api.api_no_auth
    {
        policy.auth = ApiAuth::Bearer(generated_token(
            &super::cache_dir_for(manifest.as_ref())?,
            addr,
        )?);
    }
    let plugin_dir = args
        .api
        .plugin_dir
        .clone()
        .or_else(|| manifest.as_ref().map(|m| m.plugin_dir.clone()))
        .or_else(|| std::env::var_os("SLUICE_PLUGIN_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("plugins"));
    let mut defaults: crate::connect::ConnectConfig = args.api.worker.iter().cloned().collect();
    let providers = config::providers::Providers::from_worker(&defaults)
        .map_err(|e| anyhow::anyhow!("--worker {e}"))?;
    let overrides = config::overrides::OverridePolicy::from_worker(&defaults)
        .map_err(|e| anyhow::anyhow!("--worker {e}"))?;
    defaults
        .entry("bootstrap.servers".into())
        .or_insert_with(|| args.api.bootstrap_servers.clone());
    let worker_id = bound.map_or_else(|| "standalone".to_string(), |a| a.to_string());
    let kafka_client =
        crate::worker::kafka_client(&defaults).map_err(|e| anyhow::anyhow!("--worker {e}"))?;
    let (log, plan) = match &args.api.group_id {
        Some(group) => {
            let mut client = kafka_client.clone();
            client.insert("client.id".into(), format!("sluice-{group}"));
            let settings = crate::worker::StoreSettings {
                client: client.clone(),
                topic: args.api.config_storage_topic.clone(),
                status_topic: args.api.status_storage_topic.clone(),
                group: group.clone(),
            };
            let (store, feed) = crate::worker::ConfigStore::open(&settings)
                .await
                .map_err(|e| anyhow::anyhow!("--group-id {group}: {e}"))?;
            let status = crate::worker::StatusStore::open(&client, &settings.status_topic)
                .await
                .map_err(|e| anyhow::anyhow!("--group-id {group}: {e}"))?;
            let shared = crate::worker::SharedTasks {
                client,
                group: group.clone(),
                worker_id: worker_id.clone(),
                status,
            };
            (
                (store, feed),
                crate::worker::TaskPlan::Shared(std::sync::Arc::new(shared)),
            )
        }
        None => (
            crate::worker::ConfigStore::in_memory(),
            crate::worker::TaskPlan::Local,
        ),
    };
    let worker = Herder::start(
        WorkerSettings {
            plugin_dir: std::path::absolute(&plugin_dir).unwrap_or(plugin_dir),
            worker_id,
            providers,
            overrides,
            allowed_paths: defaults
                .get(crate::worker::ALLOWED_PATHS_KEY)
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(PathBuf::from)
                        .collect()
                })
                .unwrap_or_default(),
            defaults,
            kafka_client,
        },
        runtime,
        log,
        plan,
    );
    let mut fatal = worker.fatal();
    if let Some(m) = &manifest {
        worker
            .add_manifest(m, built, &connector_sources(&m.path))
            .await;
    }
    tokio::spawn(watch_changes(
        worker.clone(),
        args.manifest.clone(),
        std::time::Duration::from_secs(args.watch_interval),
        hangup,
        stop_rx.clone(),
    ));
    if let (Some(listener), Some(bound)) = (listener, bound) {
        tracing::info!("REST API listening on http://{bound}");
        let mut shown = worker.settings().defaults.clone();
        for (k, v) in shown.iter_mut() {
            if api::views::is_secret(k) {
                *v = "[hidden]".into();
            }
        }
        for line in crate::connect::worker_converters(&shown) {
            tracing::info!("{line}");
        }
        let (worker, stop_rx) = (worker.clone(), stop_rx.clone());
        tokio::spawn(async move {
            if let Err(e) = api::serve(listener, worker, policy, stop_rx).await {
                tracing::error!("the REST API stopped: {e}");
            }
        });
    }
    let writer = args.stats_file.clone().map(|path| {
        let worker = worker.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(2));
            loop {
                every.tick().await;
                write_stats(&path, &worker);
            }
        })
    });
    let mut stopping = stop_rx.clone();
    let failure = tokio::select! {
        _ = stopping.wait_for(|s| *s) => None,
        f = fatal.wait_for(Option::is_some) => f.ok().and_then(|f| f.clone()),
    };
    let _ = stop_tx.send(true);
    worker.shutdown().await;
    if let (Some(path), Some(writer)) = (&args.stats_file, writer) {
        writer.abort();
        write_stats(path, &worker);
    }
    Ok(match failure {
        Some(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
        None => ExitCode::SUCCESS,
    })
}

/// A token for an API that listens beyond loopback without credentials:
/// made once (32 random bytes, hex) and kept in `<dir>/api-token`, readable
/// by this user only; its path is logged, never the token.
fn generated_token(dir: &std::path::Path, addr: std::net::SocketAddr) -> anyhow::Result<String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join("api-token");
    let token = match std::fs::read_to_string(&path) {
        Ok(t) if !t.trim().is_empty() => t.trim().to_string(),
        _ => {
            let mut bytes = [0u8; 32];
            getrandom::getrandom(&mut bytes)
                .map_err(|e| anyhow::anyhow!("cannot make an API token: {e}"))?;
            let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            crate::plugin::private_dir(dir).map_err(|e| {
                anyhow::anyhow!("cannot keep an API token in {}: {e}", dir.display())
            })?;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            f.write_all(token.as_bytes())?;
            token
        }
    };
    tracing::warn!(
        "the REST API listens on {addr}, beyond loopback, and was given no credentials: requests that change state need `Authorization: Bearer <token>` with the token in {} (set --api-token-file or --api-basic-auth to choose, --api-no-auth to go without)",
        path.display()
    );
    Ok(token)
}

/// Writes every connector's figures to `path` (through a temporary file,
/// so a reader never sees half of it); a failure is logged, not fatal.
fn write_stats(path: &std::path::Path, worker: &Herder) {
    let snapshots: Vec<_> = worker
        .list()
        .iter()
        .map(|c| c.stats.snapshot(&c.name))
        .collect();
    let tmp = path.with_extension("tmp");
    let written = serde_json::to_vec_pretty(&snapshots)
        .map_err(std::io::Error::other)
        .and_then(|json| std::fs::write(&tmp, json))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), error = %e, "cannot write the stats file");
    }
}

/// Each connector's section of the manifest at `path`, as text: what tells
/// a changed connector from an unchanged one when the manifest is read again.
fn connector_sources(path: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Default::default();
    };
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Default::default();
    };
    // Top-level keys (the plugin directory, defaults) concern every connector.
    let mut shared = doc.clone();
    shared.remove("connectors");
    let shared = shared.to_string();
    doc.get("connectors")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let name = c.get("name")?.as_str()?.to_string();
            Some((name, format!("{shared}\n{c}")))
        })
        .collect()
}

/// Reads the manifest again when it changed (or on SIGHUP) and applies it,
/// and swaps in plugin files that changed under running connectors; every
/// `every` (never, when zero) until the process stops.
#[cfg(unix)]
async fn watch_changes(
    worker: Arc<crate::worker::Herder>,
    manifest: Option<PathBuf>,
    every: std::time::Duration,
    mut hangup: Option<tokio::signal::unix::Signal>,
    mut stop: watch::Receiver<bool>,
) {
    let mut seen = manifest.as_deref().and_then(|p| std::fs::read(p).ok());
    loop {
        let forced = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            Some(()) = async {
                match &mut hangup {
                    Some(h) => h.recv().await,
                    None => std::future::pending().await,
                }
            } => true,
            _ = tokio::time::sleep(every), if !every.is_zero() => false,
        };
        if forced {
            tracing::info!("SIGHUP: reading the manifest and the plugin files again");
        }
        if let Some(path) = &manifest {
            let now = std::fs::read(path).ok();
            if forced || now != seen {
                seen = now;
                match super::load_manifest(path) {
                    Ok(m) => worker.apply_manifest(&m, &connector_sources(path)).await,
                    Err(e) => worker.manifest_not_applied(path, &format!("{e:#}")),
                }
            }
        }
        worker.swap_changed_plugins().await;
    }
}

#[cfg(not(unix))]
async fn watch_changes(
    worker: Arc<crate::worker::Herder>,
    _manifest: Option<PathBuf>,
    every: std::time::Duration,
    _hangup: Option<()>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = tokio::time::sleep(every), if !every.is_zero() => {}
        }
        worker.swap_changed_plugins().await;
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
