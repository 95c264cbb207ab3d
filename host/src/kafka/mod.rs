//! Kafka client plumbing, once for the whole host: the one place that turns
//! a set of librdkafka properties (bootstrap servers, security, tuning)
//! into a client configuration, and the one place that creates a topic that
//! does not exist yet. The consumer, the producers of the dead letter queue
//! and reporter topics, the worker's config, status and claim topics and its
//! offset tools all go through here.

pub mod msk_iam;
pub mod oauth;

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::types::RDKafkaErrorCode;

pub use oauth::{Authenticated, KafkaContext};

/// The producer of Sluice's own topics (dead letters, reports, the
/// worker's configs and statuses).
pub type Producer = rdkafka::producer::FutureProducer<KafkaContext>;

/// A client configuration with every one of `properties` but Sluice's own
/// (`sluice.*`, which [`context`] reads).
pub fn client_config(properties: &BTreeMap<String, String>) -> ClientConfig {
    let mut config = ClientConfig::new();
    for (k, v) in properties {
        if !k.starts_with(oauth::RESERVED_PREFIX) {
            config.set(k, v);
        }
    }
    config
}

/// The context of a client with `properties`: it makes the client's
/// SASL/OAUTHBEARER tokens when Sluice signs them.
pub fn context(properties: &BTreeMap<String, String>) -> KafkaContext {
    KafkaContext::new(properties)
}

/// An admin client for `properties`, with its first token (nothing polls
/// an admin client's token refreshes: see [`oauth::prime`]).
pub fn admin(
    properties: &BTreeMap<String, String>,
) -> Result<AdminClient<KafkaContext>, rdkafka::error::KafkaError> {
    let admin: AdminClient<KafkaContext> =
        client_config(properties).create_with_context(context(properties))?;
    oauth::prime(admin.inner());
    Ok(admin)
}

/// A topic to create if it is missing.
#[derive(Debug, Clone, Copy)]
pub struct TopicSpec<'a> {
    pub name: &'a str,
    pub partitions: i32,
    /// `None`: the broker's default replication.
    pub replication_factor: Option<i32>,
    /// `cleanup.policy=compact` (config and status topics).
    pub compacted: bool,
    /// The option a user changes when the cluster has too few brokers for
    /// `replication_factor`, named in the error.
    pub replication_key: Option<&'a str>,
}

/// A topic that could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum TopicError {
    #[error("cannot create a Kafka admin client: {0}")]
    Client(rdkafka::error::KafkaError),
    #[error("cannot create topic {topic:?}: {reason}")]
    Create { topic: String, reason: String },
    #[error(
        "cannot create topic {topic:?} with replication factor {factor}: the cluster has fewer brokers; set \"{key}\" = 1 on a one-broker cluster"
    )]
    Replication {
        topic: String,
        factor: i32,
        key: String,
    },
}

/// Creates the topic `spec` describes unless it exists (so a topic made by
/// an administrator needs no Create permission).
pub async fn ensure_topic(
    properties: &BTreeMap<String, String>,
    spec: TopicSpec<'_>,
) -> Result<(), TopicError> {
    let topic = spec.name;
    if exists(properties, topic).await {
        tracing::debug!(topic, "topic exists");
        return Ok(());
    }
    let admin = admin(properties).map_err(TopicError::Client)?;
    let replication = TopicReplication::Fixed(spec.replication_factor.unwrap_or(-1));
    let mut new = NewTopic::new(topic, spec.partitions, replication);
    if spec.compacted {
        new = new.set("cleanup.policy", "compact");
    }
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let create = |reason: String| TopicError::Create {
        topic: topic.to_string(),
        reason,
    };
    let results = admin
        .create_topics([&new], &options)
        .await
        .map_err(|e| create(e.to_string()))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, RDKafkaErrorCode::InvalidReplicationFactor)) => {
                return Err(match (spec.replication_factor, spec.replication_key) {
                    (Some(factor), Some(key)) => TopicError::Replication {
                        topic: topic.to_string(),
                        factor,
                        key: key.to_string(),
                    },
                    _ => create(RDKafkaErrorCode::InvalidReplicationFactor.to_string()),
                });
            }
            Err((_, code)) => return Err(create(code.to_string())),
        }
    }
    tracing::debug!(topic, "topic ready");
    Ok(())
}

/// Whether the cluster already has `topic`. Any doubt answers false.
async fn exists(properties: &BTreeMap<String, String>, topic: &str) -> bool {
    let (properties, topic) = (properties.clone(), topic.to_string());
    tokio::task::spawn_blocking(move || {
        let Ok(client): Result<BaseConsumer<KafkaContext>, _> =
            client_config(&properties).create_with_context(context(&properties))
        else {
            return false;
        };
        oauth::prime(client.client());
        client
            .client()
            // All topics: asking for a missing one waits out the whole timeout.
            .fetch_metadata(None, Duration::from_secs(10))
            .is_ok_and(|m| {
                m.topics()
                    .iter()
                    .any(|t| t.name() == topic && t.error().is_none() && !t.partitions().is_empty())
            })
    })
    .await
    .unwrap_or(false)
}

/// The id of the Kafka cluster at a client's `bootstrap.servers`: read once
/// and kept; after a failure not asked again for 30 s, so callers (`GET /`)
/// stay fast while Kafka is away.
pub struct ClusterId {
    client: BTreeMap<String, String>,
    id: std::sync::OnceLock<String>,
    failed: std::sync::Mutex<Option<std::time::Instant>>,
}

impl ClusterId {
    /// Reads the id of the cluster `client` (client properties) names.
    pub fn new(client: BTreeMap<String, String>) -> Self {
        ClusterId {
            client,
            id: std::sync::OnceLock::new(),
            failed: std::sync::Mutex::new(None),
        }
    }

    /// The id, or `None` while the cluster cannot be reached.
    pub async fn get(&self) -> Option<String> {
        if let Some(id) = self.id.get() {
            return Some(id.clone());
        }
        let failed = *self.failed.lock().unwrap_or_else(|p| p.into_inner());
        if failed.is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(30)) {
            return None;
        }
        let client = self.client.clone();
        let id = tokio::task::spawn_blocking(move || {
            admin(&client)
                .ok()?
                .inner()
                .fetch_cluster_id(std::time::Duration::from_secs(2))
        })
        .await
        .ok()
        .flatten();
        match id {
            Some(id) => Some(self.id.get_or_init(|| id).clone()),
            None => {
                *self.failed.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(std::time::Instant::now());
                None
            }
        }
    }
}
