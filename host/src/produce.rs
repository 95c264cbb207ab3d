//! Producing to Kafka for the dead letter queue and the reporter topics: the
//! producer's settings, and creating a topic that does not exist yet.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{BaseProducer, FutureProducer, Producer};
use rdkafka::types::RDKafkaErrorCode;

/// An idempotent producer (acks from every in-sync replica, no duplicates on
/// retry) for the cluster `connection` describes.
pub fn producer(connection: &BTreeMap<String, String>) -> Result<FutureProducer, String> {
    let mut config = ClientConfig::new();
    for (k, v) in connection {
        config.set(k, v);
    }
    config
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        // Dead letters carry the original record, which may be large.
        .set("message.max.bytes", "16777216");
    config
        .create()
        .map_err(|e| format!("cannot create the Kafka producer: {e}"))
}

/// Creates `topic` with `partitions` partitions unless it exists.
/// `replication_key` names the setting to change when the cluster has too
/// few brokers for `replication_factor`.
pub async fn ensure_topic(
    connection: &BTreeMap<String, String>,
    topic: &str,
    partitions: i32,
    replication_factor: i32,
    replication_key: &str,
) -> Result<(), String> {
    let mut config = ClientConfig::new();
    for (k, v) in connection {
        config.set(k, v);
    }
    if exists(&config, topic).await {
        tracing::debug!(topic, "topic exists");
        return Ok(());
    }
    let admin: AdminClient<DefaultClientContext> = config
        .create()
        .map_err(|e| format!("cannot create the Kafka admin client: {e}"))?;
    let new = NewTopic::new(
        topic,
        partitions,
        TopicReplication::Fixed(replication_factor),
    );
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin
        .create_topics([&new], &options)
        .await
        .map_err(|e| format!("cannot create topic {topic:?}: {e}"))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, RDKafkaErrorCode::InvalidReplicationFactor)) => {
                return Err(format!(
                    "cannot create topic {topic:?} with replication factor {replication_factor}: \
                     the cluster has fewer brokers; set \"{replication_key}\" = 1 on a one-broker cluster"
                ));
            }
            Err((_, code)) => return Err(format!("cannot create topic {topic:?}: {code}")),
        }
    }
    tracing::debug!(topic, "topic ready");
    Ok(())
}

/// Whether the cluster already has `topic` (so creating it, which needs the
/// Create permission, is not tried). Any doubt answers false.
async fn exists(config: &ClientConfig, topic: &str) -> bool {
    let (config, topic) = (config.clone(), topic.to_string());
    tokio::task::spawn_blocking(move || {
        let Ok(producer): Result<BaseProducer, _> = config.create() else {
            return false;
        };
        producer
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
