//! The worker, split as Connect's: the [`Herder`] decides which connectors
//! run in this process and applies every change to them; the runner
//! (`runner.rs`) builds and runs them; the config log (`store.rs`, a Kafka
//! topic in a group, in memory standalone) carries API changes; the task
//! claims (`tasks.rs`) and the status topic (`status.rs`) share a
//! connector's tasks among the workers of a group; `view.rs` computes what
//! the API shows of each connector.

mod herder;
mod offsets;
mod runner;
mod state;
mod status;
mod store;
mod tasks;
mod view;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::connect::{ConnectConfig, Problem};
pub use herder::{Herder, PluginDir};
pub use offsets::{OffsetsError, PartitionOffset};
pub use state::{ConnectorState, Origin, TargetState};
pub use status::StatusStore;
pub use store::{ConfigFeed, ConfigStore, RestartRequest, StoreError, StoreSettings};
pub use tasks::{SharedTasks, TaskPlan};
pub use view::{ConnectorView, TaskView};

/// Why a change to the worker's connectors was refused.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("Connector {0} not found")]
    NotFound(String),
    #[error("Connector {0} already exists")]
    Exists(String),
    /// The config has problems: each names its option.
    #[error("{}", invalid_message(.0))]
    Invalid(Vec<Problem>),
    /// The connector's config is stored but cannot run here.
    #[error("connector {name} cannot run on this worker: {why}")]
    CannotRun { name: String, why: String },
    #[error("connector {name} is defined in the manifest {path}: change it there")]
    FromManifest { name: String, path: PathBuf },
    /// The config log could not be written or read back.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Offsets change only while the connector is stopped.
    #[error(
        "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{0}/stop' endpoint"
    )]
    NotStopped(String),
    /// The consumer group's offsets could not be read or changed.
    #[error(transparent)]
    Offsets(#[from] offsets::OffsetsError),
    /// A task of the worker's own died (a bug): the request may be retried.
    #[error("internal error: {0}")]
    Internal(String),
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
    /// The librdkafka properties of the worker's own clients (config log,
    /// cluster id): [`kafka_client`] of `defaults`.
    pub kafka_client: BTreeMap<String, String>,
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
/// `defaults`, `consumer.`-prefixed or not, the Java client's SASL settings
/// translated (`config::kafka::translate_sasl`), Java's key and trust stores
/// read into librdkafka's PEM properties. The error names each property
/// that could not be translated or whose store could not be read.
pub fn kafka_client(defaults: &ConnectConfig) -> Result<BTreeMap<String, String>, String> {
    let mut props = defaults
        .iter()
        .filter_map(|(k, v)| {
            let k = k.strip_prefix("consumer.").unwrap_or(k);
            let shared = k == "bootstrap.servers"
                || ["security.", "sasl.", "ssl."]
                    .iter()
                    .any(|p| k.starts_with(p));
            shared.then(|| (k.to_string(), v.clone()))
        })
        .collect();
    crate::config::kafka::translate_sasl(&mut props).map_err(|found| {
        let said: Vec<String> = found.iter().map(|(k, m)| format!("{k}: {m}")).collect();
        said.join("; ")
    })?;
    crate::stores::kafka_properties(&mut props).map_err(|found| {
        let said: Vec<String> = found.iter().map(|(k, m)| format!("{k}: {m}")).collect();
        said.join("; ")
    })?;
    Ok(props)
}

/// The problems the manifest's validation found in a connector, each
/// under the Connect option it concerns (or the connector as a whole).
pub(crate) fn manifest_problems(problems: &[crate::config::Problem]) -> Vec<Problem> {
    problems
        .iter()
        .map(|p| match &p.option {
            Some(key) => Problem::new(key, p.message.clone()),
            None if p.path.is_empty() => Problem::new("", p.message.clone()),
            None => Problem::new("", format!("{}: {}", p.path, p.message)),
        })
        .collect()
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

impl WorkerError {
    /// The connector's config is invalid as a whole, for `why`.
    pub fn invalid(why: impl Into<String>) -> Self {
        WorkerError::Invalid(vec![Problem::new("", why)])
    }
}
