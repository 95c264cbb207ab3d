//! The log of connector changes every API change goes through. In a group
//! it is a compacted Kafka topic, as Connect's `config.storage.topic`: every
//! worker of the group reads the whole topic and applies each record in
//! order, the worker that wrote it included, so all of them run the same
//! connectors and keep them across restarts; Kafka is the only coordinator.
//! A standalone worker keeps the same log in memory (Connect's
//! `MemoryConfigBackingStore`), so both modes change connectors one way. A
//! write is done when the writer has applied it.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::FutureRecord;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use super::TargetState;
use crate::connect::ConnectConfig;

/// Why the config log could not be opened, written or read back.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("config topic {topic}: {message}")]
    Topic { topic: String, message: String },
    #[error("status topic {topic}: {message}")]
    Status { topic: String, message: String },
    #[error("cannot write to the config topic {topic}: {message}")]
    Write { topic: String, message: String },
    /// Written, but not applied in time: the worker is stuck on an earlier
    /// change (a connector slow to stop), or the topic cannot be read.
    #[error("{log} was not applied within {}s: the worker is busy with an earlier change or cannot read the log; retry, and see the worker's log", READ_BACK_TIMEOUT.as_secs())]
    NotReadBack { log: String },
    #[error("the worker stopped applying connector changes")]
    Stopped,
}

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

/// A change read from the config log, to apply in order.
#[derive(Debug, Clone, PartialEq)]
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
    /// Set logger `namespace` (and its children) to `level` on every
    /// worker: `PUT /admin/loggers/{namespace}?scope=cluster`.
    LogLevel {
        namespace: String,
        level: String,
    },
    /// A record that is not a connector's: only its offset counts.
    Skip,
}

/// A `logger-cluster-<namespace>` record, as Connect writes it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct LoggerRecord {
    level: String,
}

impl ConfigChange {
    /// The connector the change is about (empty for [`ConfigChange::Skip`]).
    pub fn name(&self) -> &str {
        match self {
            ConfigChange::Put { name, .. }
            | ConfigChange::Delete { name }
            | ConfigChange::Restart { name, .. }
            | ConfigChange::RestartTask { name, .. } => name,
            ConfigChange::LogLevel { .. } | ConfigChange::Skip => "",
        }
    }

    /// What kind of change it is, for logs (never the config itself).
    pub fn kind(&self) -> &'static str {
        match self {
            ConfigChange::Put { .. } => "put",
            ConfigChange::Delete { .. } => "delete",
            ConfigChange::Restart { .. } => "restart",
            ConfigChange::RestartTask { .. } => "restart-task",
            ConfigChange::LogLevel { .. } => "log-level",
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

/// Writes connector changes and knows how far the worker has applied them.
pub struct ConfigStore {
    backend: Backend,
    /// The offset after the last record applied.
    applied: watch::Receiver<i64>,
}

/// Where the log is kept.
enum Backend {
    /// The group's compacted topic.
    Topic {
        producer: crate::kafka::Producer,
        topic: String,
    },
    /// This process only: changes go straight to the worker, in order.
    Memory {
        changes: std::sync::Mutex<(i64, mpsc::UnboundedSender<(ConfigChange, i64)>)>,
    },
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
) -> Result<(), crate::kafka::TopicError> {
    let spec = crate::kafka::TopicSpec {
        name: topic,
        partitions,
        replication_factor: None,
        compacted,
        replication_key: None,
    };
    crate::kafka::ensure_topic(client, spec).await
}

/// A consumer reading all of one-partition `topic` from its start, and the
/// topic's end now.
pub(super) fn reader(
    client: &BTreeMap<String, String>,
    topic: &str,
) -> Result<(BaseConsumer<crate::kafka::KafkaContext>, i64), ReaderError> {
    let consumer: BaseConsumer<crate::kafka::KafkaContext> = crate::kafka::client_config(client)
        .set(
            "group.id",
            format!("sluice-{topic}-reader-{}", std::process::id()),
        )
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .create_with_context(crate::kafka::context(client))
        .map_err(ReaderError::Client)?;
    crate::kafka::oauth::prime(consumer.client());
    let (_, end) = consumer
        .fetch_watermarks(topic, 0, Duration::from_secs(10))
        .map_err(ReaderError::End)?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)
        .map_err(ReaderError::Client)?;
    consumer.assign(&tpl).map_err(ReaderError::Client)?;
    Ok((consumer, end))
}

/// Why a topic could not be read from its start.
#[derive(Debug, thiserror::Error)]
pub(super) enum ReaderError {
    #[error("{0}")]
    Client(rdkafka::error::KafkaError),
    #[error("cannot read its end: {0}")]
    End(rdkafka::error::KafkaError),
}

impl ConfigStore {
    /// Creates the topic if it is missing (compacted, one partition, the
    /// broker's default replication) and starts reading it from the start.
    pub async fn open(settings: &StoreSettings) -> Result<(Self, ConfigFeed), StoreError> {
        let topic = settings.topic.clone();
        let failed = |message: String| StoreError::Topic {
            topic: topic.clone(),
            message,
        };
        ensure_topic(&settings.client, &topic, 1, true)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let producer: crate::kafka::Producer = client_config(settings)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .create_with_context(crate::kafka::context(&settings.client))
            .map_err(|e| failed(e.to_string()))?;
        let (consumer, end_at_start) =
            reader(&settings.client, &topic).map_err(|e| failed(e.to_string()))?;
        tracing::info!(topic = %topic, records_before = end_at_start, "reading the connector configs");
        let (tx, changes) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("sluice-configs".into())
            .spawn(move || read(consumer, tx))
            .map_err(|e| failed(format!("cannot start its reader: {e}")))?;
        let (applied_tx, applied) = watch::channel(0);
        Ok((
            ConfigStore {
                backend: Backend::Topic { producer, topic },
                applied,
            },
            ConfigFeed {
                changes,
                applied: applied_tx,
                end_at_start,
            },
        ))
    }

    /// A log kept in this process: a standalone worker's.
    pub fn in_memory() -> (Self, ConfigFeed) {
        let (tx, changes) = mpsc::unbounded_channel();
        let (applied_tx, applied) = watch::channel(0);
        (
            ConfigStore {
                backend: Backend::Memory {
                    changes: std::sync::Mutex::new((0, tx)),
                },
                applied,
            },
            ConfigFeed {
                changes,
                applied: applied_tx,
                end_at_start: 0,
            },
        )
    }

    /// Writes connector `name`'s config (or, with `None`, deletes it) and
    /// waits until this worker has applied it.
    pub async fn write(
        &self,
        name: &str,
        stored: Option<&StoredConnector>,
    ) -> Result<(), StoreError> {
        self.append(match stored {
            Some(s) => ConfigChange::Put {
                name: name.to_string(),
                stored: s.clone(),
            },
            None => ConfigChange::Delete {
                name: name.to_string(),
            },
        })
        .await
    }

    /// Asks every worker to restart connector `name` as `request` says.
    pub async fn request_restart(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> Result<(), StoreError> {
        self.append(ConfigChange::Restart {
            name: name.to_string(),
            request,
        })
        .await
    }

    /// Asks the worker running task `task` of connector `name` to restart it.
    pub async fn request_task_restart(&self, name: &str, task: u32) -> Result<(), StoreError> {
        self.append(ConfigChange::RestartTask {
            name: name.to_string(),
            task,
        })
        .await
    }

    /// Asks every worker to set logger `namespace` to `level`.
    pub async fn request_log_level(&self, namespace: &str, level: &str) -> Result<(), StoreError> {
        self.append(ConfigChange::LogLevel {
            namespace: namespace.to_string(),
            level: level.to_string(),
        })
        .await
    }

    /// Appends one change and waits until this worker has applied it.
    async fn append(&self, change: ConfigChange) -> Result<(), StoreError> {
        let (wanted, described) = match &self.backend {
            Backend::Topic { producer, topic } => {
                let (key, payload) = encode(&change);
                let mut record: FutureRecord<'_, str, Vec<u8>> = FutureRecord::to(topic).key(&key);
                if let Some(p) = &payload {
                    record = record.payload(p);
                }
                let delivered = producer
                    .send(record, Duration::from_secs(10))
                    .await
                    .map_err(|(e, _)| StoreError::Write {
                        topic: topic.clone(),
                        message: e.to_string(),
                    })?;
                (delivered.offset + 1, format!("the config topic {topic}"))
            }
            Backend::Memory { changes } => {
                let mut log = changes.lock().unwrap_or_else(|p| p.into_inner());
                log.0 += 1;
                let next = log.0;
                log.1
                    .send((change, next))
                    .map_err(|_| StoreError::Stopped)?;
                (next, "this worker's config log".to_string())
            }
        };
        let mut applied = self.applied.clone();
        tokio::time::timeout(READ_BACK_TIMEOUT, applied.wait_for(|a| *a >= wanted))
            .await
            .map_err(|_| StoreError::NotReadBack { log: described })?
            .map_err(|_| StoreError::Stopped)?;
        Ok(())
    }
}

/// The key and payload of `change`'s record in the config topic, as
/// Connect writes them (the inverse of [`parse`]).
fn encode(change: &ConfigChange) -> (String, Option<Vec<u8>>) {
    let json = |v: serde_json::Result<Vec<u8>>| v.unwrap_or_default();
    match change {
        ConfigChange::Put { name, stored } => (
            format!("connector-{name}"),
            Some(json(serde_json::to_vec(stored))),
        ),
        ConfigChange::Delete { name } => (format!("connector-{name}"), None),
        ConfigChange::Restart { name, request } => (
            format!("restart-connector-{name}"),
            Some(json(serde_json::to_vec(request))),
        ),
        ConfigChange::RestartTask { name, task } => (
            format!("restart-task-{name}-{task}"),
            Some(json(serde_json::to_vec(&TaskRestart {
                connector: name.clone(),
                task: *task,
            }))),
        ),
        ConfigChange::LogLevel { namespace, level } => (
            format!("logger-cluster-{namespace}"),
            Some(json(serde_json::to_vec(&LoggerRecord {
                level: level.clone(),
            }))),
        ),
        ConfigChange::Skip => (String::new(), None),
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
fn read(
    consumer: BaseConsumer<crate::kafka::KafkaContext>,
    tx: mpsc::UnboundedSender<(ConfigChange, i64)>,
) {
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
    if let Some(namespace) = key.strip_prefix("logger-cluster-") {
        return match payload.map(serde_json::from_slice::<LoggerRecord>) {
            Some(Ok(r)) => ConfigChange::LogLevel {
                namespace: namespace.to_string(),
                level: r.level,
            },
            _ => {
                tracing::warn!(
                    offset,
                    "config topic: an unreadable log level record, skipped"
                );
                ConfigChange::Skip
            }
        };
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_reads_back_as_written() {
        let stored = StoredConnector::new(
            [("topics".to_string(), "t".to_string())].into(),
            TargetState::Paused,
        );
        let changes = [
            ConfigChange::Put {
                name: "a-b".into(),
                stored,
            },
            ConfigChange::Delete { name: "a".into() },
            ConfigChange::Restart {
                name: "restart-task-x".into(),
                request: RestartRequest {
                    include_tasks: true,
                    only_failed: false,
                },
            },
            ConfigChange::RestartTask {
                name: "x-1".into(),
                task: 3,
            },
            ConfigChange::LogLevel {
                namespace: "org.apache.kafka.connect".into(),
                level: "DEBUG".into(),
            },
        ];
        for change in changes {
            let (key, payload) = encode(&change);
            assert_eq!(parse(&key, payload.as_deref(), 0), change, "{key}");
        }
        // Connect's own record for a cluster-wide level reads the same.
        assert_eq!(
            parse(
                "logger-cluster-org.apache.kafka.connect",
                Some(br#"{"level":"DEBUG"}"#),
                0
            ),
            ConfigChange::LogLevel {
                namespace: "org.apache.kafka.connect".into(),
                level: "DEBUG".into(),
            }
        );
    }
}
