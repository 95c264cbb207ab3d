//! Connector configs kept in a compacted Kafka topic, as Connect's
//! `config.storage.topic`: every worker of a group reads the whole topic and
//! applies each record in order, the worker that wrote it included, so all
//! of them run the same connectors and keep them across restarts. Kafka is
//! the only coordinator: a write is done when the writer has read it back.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use super::TargetState;
use crate::connect::ConnectConfig;

/// How long a write waits to be read back before the request fails.
const READ_BACK_TIMEOUT: Duration = Duration::from_secs(30);

/// One record of the config topic, keyed `connector-<name>`; a tombstone
/// deletes the connector.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredConnector {
    pub config: ConnectConfig,
    /// `RUNNING`, `PAUSED` or `STOPPED`.
    pub target: String,
}

/// A `restart-connector-<name>` record, as Connect writes it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct RestartRequest {
    #[serde(rename = "include-tasks")]
    pub include_tasks: bool,
    #[serde(rename = "only-failed")]
    pub only_failed: bool,
}

/// A `restart-task-<name>-<id>` record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct TaskRestart {
    connector: String,
    task: u32,
}

/// A change read from the config topic, to apply in order.
#[derive(Debug, Clone)]
pub enum ConfigChange {
    Put {
        name: String,
        stored: StoredConnector,
    },
    Delete {
        name: String,
    },
    /// Restart the connector, and its tasks with `include_tasks` (only
    /// failed ones with `only_failed`), on every worker.
    Restart {
        name: String,
        request: RestartRequest,
    },
    /// Restart one task, on the worker running it.
    RestartTask {
        name: String,
        task: u32,
    },
    /// A record that is not a connector's: only its offset counts.
    Skip,
}

impl ConfigChange {
    /// The connector the change is about (empty for [`ConfigChange::Skip`]).
    pub fn name(&self) -> &str {
        match self {
            ConfigChange::Put { name, .. }
            | ConfigChange::Delete { name }
            | ConfigChange::Restart { name, .. }
            | ConfigChange::RestartTask { name, .. } => name,
            ConfigChange::Skip => "",
        }
    }

    /// What kind of change it is, for logs (never the config itself).
    pub fn kind(&self) -> &'static str {
        match self {
            ConfigChange::Put { .. } => "put",
            ConfigChange::Delete { .. } => "delete",
            ConfigChange::Restart { .. } => "restart",
            ConfigChange::RestartTask { .. } => "restart-task",
            ConfigChange::Skip => "skip",
        }
    }
}

/// Where the configs are kept.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// Client properties: `bootstrap.servers` and security settings.
    pub client: BTreeMap<String, String>,
    /// The compacted topic (Connect's `config.storage.topic`).
    pub topic: String,
    /// The compacted topic of task statuses (Connect's `status.storage.topic`).
    pub status_topic: String,
    /// The workers' `--group-id`, which names their task claim groups.
    pub group: String,
}

/// Writes configs and knows how far the worker has applied the topic.
pub struct ConfigStore {
    producer: FutureProducer,
    topic: String,
    /// The offset after the last record applied.
    applied: watch::Receiver<i64>,
}

/// The reader's side: changes to apply, and where to say they were applied.
pub struct ConfigFeed {
    pub changes: mpsc::UnboundedReceiver<(ConfigChange, i64)>,
    pub applied: watch::Sender<i64>,
    /// The topic's end when the worker started: applied up to here, the
    /// worker has caught up.
    pub end_at_start: i64,
}

fn client_config(settings: &StoreSettings) -> ClientConfig {
    crate::kafka::client_config(&settings.client)
}

/// Creates `topic` if it is missing: `partitions` partitions, compacted or
/// not, the broker's default replication.
pub(super) async fn ensure_topic(
    client: &BTreeMap<String, String>,
    topic: &str,
    partitions: i32,
    compacted: bool,
) -> Result<(), String> {
    let spec = crate::kafka::TopicSpec {
        name: topic,
        partitions,
        replication_factor: None,
        compacted,
        replication_key: None,
    };
    crate::kafka::ensure_topic(client, spec)
        .await
        .map_err(|e| format!("topic {topic}: {e}"))
}

/// A consumer reading all of one-partition `topic` from its start, and the
/// topic's end now.
pub(super) fn reader(
    client: &BTreeMap<String, String>,
    topic: &str,
) -> Result<(BaseConsumer, i64), String> {
    let consumer: BaseConsumer = crate::kafka::client_config(client)
        .set(
            "group.id",
            format!("sluice-{topic}-reader-{}", std::process::id()),
        )
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .create()
        .map_err(|e| format!("topic {topic}: {e}"))?;
    let (_, end) = consumer
        .fetch_watermarks(topic, 0, Duration::from_secs(10))
        .map_err(|e| format!("topic {topic}: cannot read its end: {e}"))?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)
        .map_err(|e| e.to_string())?;
    consumer
        .assign(&tpl)
        .map_err(|e| format!("topic {topic}: {e}"))?;
    Ok((consumer, end))
}

impl ConfigStore {
    /// Creates the topic if it is missing (compacted, one partition, the
    /// broker's default replication) and starts reading it from the start.
    pub async fn open(settings: &StoreSettings) -> Result<(Self, ConfigFeed), String> {
        let topic = settings.topic.clone();
        ensure_topic(&settings.client, &topic, 1, true)
            .await
            .map_err(|e| format!("config {e}"))?;
        let producer: FutureProducer = client_config(settings)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .create()
            .map_err(|e| format!("config topic {topic}: {e}"))?;
        let (consumer, end_at_start) =
            reader(&settings.client, &topic).map_err(|e| format!("config {e}"))?;
        tracing::info!(topic = %topic, records_before = end_at_start, "reading the connector configs");
        let (tx, changes) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("sluice-configs".into())
            .spawn(move || read(consumer, tx))
            .map_err(|e| format!("config topic {topic}: cannot start its reader: {e}"))?;
        let (applied_tx, applied) = watch::channel(0);
        Ok((
            ConfigStore {
                producer,
                topic,
                applied,
            },
            ConfigFeed {
                changes,
                applied: applied_tx,
                end_at_start,
            },
        ))
    }

    /// Writes connector `name`'s config (or, with `None`, deletes it) and
    /// waits until this worker has applied it.
    pub async fn write(&self, name: &str, stored: Option<&StoredConnector>) -> Result<(), String> {
        let payload = stored.map(|s| serde_json::to_vec(s).unwrap_or_default());
        self.write_record(&format!("connector-{name}"), payload)
            .await
    }

    /// Asks every worker to restart connector `name` as `request` says.
    pub async fn request_restart(&self, name: &str, request: RestartRequest) -> Result<(), String> {
        let payload = serde_json::to_vec(&request).unwrap_or_default();
        self.write_record(&format!("restart-connector-{name}"), Some(payload))
            .await
    }

    /// Asks the worker running task `task` of connector `name` to restart it.
    pub async fn request_task_restart(&self, name: &str, task: u32) -> Result<(), String> {
        let payload = serde_json::to_vec(&TaskRestart {
            connector: name.to_string(),
            task,
        })
        .unwrap_or_default();
        self.write_record(&format!("restart-task-{name}-{task}"), Some(payload))
            .await
    }

    /// Writes one record and waits until this worker has applied it.
    async fn write_record(&self, key: &str, payload: Option<Vec<u8>>) -> Result<(), String> {
        let mut record: FutureRecord<'_, str, Vec<u8>> = FutureRecord::to(&self.topic).key(key);
        if let Some(p) = &payload {
            record = record.payload(p);
        }
        let delivered = self
            .producer
            .send(record, Duration::from_secs(10))
            .await
            .map_err(|(e, _)| format!("cannot write to the config topic {}: {e}", self.topic))?;
        let wanted = delivered.offset + 1;
        let mut applied = self.applied.clone();
        tokio::time::timeout(READ_BACK_TIMEOUT, applied.wait_for(|a| *a >= wanted))
            .await
            .map_err(|_| {
                format!(
                    "the config topic {} was not read back within 30 s",
                    self.topic
                )
            })?
            .map_err(|_| "the config reader stopped".to_string())?;
        Ok(())
    }
}

impl StoredConnector {
    pub fn new(config: ConnectConfig, target: TargetState) -> Self {
        StoredConnector {
            config,
            target: target.name().to_string(),
        }
    }
}

/// Reads the topic until the worker is gone, sending each change with the
/// offset after it; a thread of its own, as librdkafka's poll blocks.
fn read(consumer: BaseConsumer, tx: mpsc::UnboundedSender<(ConfigChange, i64)>) {
    while !tx.is_closed() {
        let message = match consumer.poll(Duration::from_millis(200)) {
            None => continue,
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                tracing::warn!("reading the config topic: {e}");
                std::thread::sleep(Duration::from_millis(500));
                continue;
            }
        };
        let next = message.offset() + 1;
        tracing::debug!(offset = message.offset(), "config record read");
        let key = message
            .key()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let change = parse(&key, message.payload(), message.offset());
        if tx.send((change, next)).is_err() {
            return;
        }
    }
}

/// The change record `key` with `payload` at `offset` stands for.
fn parse(key: &str, payload: Option<&[u8]>, offset: i64) -> ConfigChange {
    if key.starts_with("restart-connector-") || key.starts_with("restart-task-") {
        let bytes = payload.unwrap_or_default();
        if let Some(name) = key.strip_prefix("restart-connector-")
            && let Ok(request) = serde_json::from_slice::<RestartRequest>(bytes)
        {
            return ConfigChange::Restart {
                name: name.to_string(),
                request,
            };
        }
        if let Ok(t) = serde_json::from_slice::<TaskRestart>(bytes) {
            return ConfigChange::RestartTask {
                name: t.connector,
                task: t.task,
            };
        }
        tracing::warn!(key = %key, offset, "config topic: unreadable restart request skipped");
        return ConfigChange::Skip;
    }
    match (key.strip_prefix("connector-"), payload) {
        (None, _) => {
            tracing::warn!(key = %key, offset, "config topic: a record Sluice did not write; skipped");
            ConfigChange::Skip
        }
        (Some(name), None) => ConfigChange::Delete {
            name: name.to_string(),
        },
        (Some(name), Some(bytes)) => match serde_json::from_slice::<StoredConnector>(bytes) {
            Ok(stored) => ConfigChange::Put {
                name: name.to_string(),
                stored,
            },
            Err(e) => {
                tracing::warn!(connector = %name, offset, "config topic: unreadable record skipped: {e}");
                ConfigChange::Skip
            }
        },
    }
}
