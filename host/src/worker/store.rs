//! Connector configs kept in a compacted Kafka topic, as Connect's
//! `config.storage.topic`: every worker of a group reads the whole topic and
//! applies each record in order, the worker that wrote it included, so all
//! of them run the same connectors and keep them across restarts. Kafka is
//! the only coordinator: a write is done when the writer has read it back.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
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
    /// A record that is not a connector's: only its offset counts.
    Skip,
}

/// Where the configs are kept.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// Client properties: `bootstrap.servers` and security settings.
    pub client: BTreeMap<String, String>,
    /// The compacted topic (Connect's `config.storage.topic`).
    pub topic: String,
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
    let mut c = ClientConfig::new();
    for (k, v) in &settings.client {
        c.set(k, v);
    }
    c
}

impl ConfigStore {
    /// Creates the topic if it is missing (compacted, one partition, the
    /// broker's default replication) and starts reading it from the start.
    pub async fn open(settings: &StoreSettings) -> Result<(Self, ConfigFeed), String> {
        let topic = settings.topic.clone();
        let admin: AdminClient<DefaultClientContext> = client_config(settings)
            .create()
            .map_err(|e| format!("config topic {topic}: {e}"))?;
        let new =
            NewTopic::new(&topic, 1, TopicReplication::Fixed(-1)).set("cleanup.policy", "compact");
        let created = admin
            .create_topics(
                [&new],
                &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
            )
            .await
            .map_err(|e| format!("config topic {topic}: cannot create it: {e}"))?;
        for r in created {
            if let Err((_, code)) = r
                && code != rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists
            {
                return Err(format!("config topic {topic}: cannot create it: {code}"));
            }
        }
        let producer: FutureProducer = client_config(settings)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .create()
            .map_err(|e| format!("config topic {topic}: {e}"))?;
        let consumer: BaseConsumer = client_config(settings)
            .set(
                "group.id",
                format!("sluice-config-reader-{}", std::process::id()),
            )
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .create()
            .map_err(|e| format!("config topic {topic}: {e}"))?;
        let (_, end_at_start) = consumer
            .fetch_watermarks(&topic, 0, Duration::from_secs(10))
            .map_err(|e| format!("config topic {topic}: cannot read its end: {e}"))?;
        tracing::info!(topic = %topic, records_before = end_at_start, "reading the connector configs");
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&topic, 0, Offset::Beginning)
            .map_err(|e| e.to_string())?;
        consumer
            .assign(&tpl)
            .map_err(|e| format!("config topic {topic}: {e}"))?;
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
        let key = format!("connector-{name}");
        let payload = stored.map(|s| serde_json::to_vec(s).unwrap_or_default());
        let mut record: FutureRecord<'_, String, Vec<u8>> = FutureRecord::to(&self.topic).key(&key);
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
        let change = match (key.strip_prefix("connector-"), message.payload()) {
            (None, _) => {
                tracing::warn!(key = %key, offset = message.offset(), "config topic: a record Sluice did not write; skipped");
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
                    tracing::warn!(connector = %name, offset = message.offset(), "config topic: unreadable record skipped: {e}");
                    ConfigChange::Skip
                }
            },
        };
        if tx.send((change, next)).is_err() {
            return;
        }
    }
}
