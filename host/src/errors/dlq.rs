//! The dead letter queue: failed records written to a Kafka topic as they
//! were consumed (key, value, headers, timestamp), with Kafka Connect's
//! `__connect.errors.*` context headers when asked for.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::message::{Header as KafkaHeader, OwnedHeaders};
use rdkafka::producer::FutureRecord;

use super::failure::Failure;
use super::policy::DlqSpec;
use crate::produce;
use crate::record::Record;

/// Connect's header names (`DeadLetterQueueReporter`).
pub mod header {
    pub const TOPIC: &str = "__connect.errors.topic";
    pub const PARTITION: &str = "__connect.errors.partition";
    pub const OFFSET: &str = "__connect.errors.offset";
    pub const CONNECTOR_NAME: &str = "__connect.errors.connector.name";
    pub const TASK_ID: &str = "__connect.errors.task.id";
    pub const STAGE: &str = "__connect.errors.stage";
    pub const CLASS_NAME: &str = "__connect.errors.class.name";
    pub const EXCEPTION_CLASS_NAME: &str = "__connect.errors.exception.class.name";
    pub const EXCEPTION_MESSAGE: &str = "__connect.errors.exception.message";
    pub const EXCEPTION_STACKTRACE: &str = "__connect.errors.exception.stacktrace";
}

/// A record the dead letter queue did not take.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot write {topic} partition {partition} offset {offset} to the dead letter queue {dlq:?}: {error}"
)]
pub struct DeadLetterError {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// The dead letter queue's topic.
    pub dlq: String,
    pub error: rdkafka::error::KafkaError,
}

/// A connector's dead letter queue.
pub struct DeadLetterQueue {
    producer: crate::kafka::Producer,
    spec: DlqSpec,
    connector: String,
}

impl DeadLetterQueue {
    /// Creates the topic if missing (one partition, as Connect does) and the producer.
    pub async fn start(
        connector: &str,
        connection: &BTreeMap<String, String>,
        spec: DlqSpec,
    ) -> Result<Self, super::StartError> {
        let topic = crate::kafka::TopicSpec {
            name: &spec.topic,
            partitions: 1,
            replication_factor: Some(spec.replication_factor),
            compacted: false,
            replication_key: Some("errors.deadletterqueue.topic.replication.factor"),
        };
        crate::kafka::ensure_topic(connection, topic).await?;
        Ok(DeadLetterQueue {
            producer: produce::producer(connection).map_err(super::StartError::Producer)?,
            spec,
            connector: connector.to_string(),
        })
    }

    /// The topic dead letters go to.
    pub fn topic(&self) -> &str {
        &self.spec.topic
    }

    /// Writes `original` (the record as consumed) with `failure`'s context;
    /// returns once the broker acknowledged it.
    pub async fn send(&self, original: &Record, failure: &Failure) -> Result<(), DeadLetterError> {
        let mut headers = OwnedHeaders::new_with_capacity(original.headers.len() + 10);
        for h in &original.headers {
            headers = headers.insert(KafkaHeader {
                key: &h.name,
                value: h.value.as_deref(),
            });
        }
        if self.spec.context_headers {
            for (key, value) in context_headers(&self.connector, original, failure) {
                headers = headers.insert(KafkaHeader {
                    key,
                    value: Some(value.as_bytes()),
                });
            }
        }
        let mut record: FutureRecord<'_, [u8], [u8]> =
            FutureRecord::to(&self.spec.topic).headers(headers);
        if let Some(k) = &original.key {
            record = record.key(k);
        }
        if let Some(v) = &original.value {
            record = record.payload(v);
        }
        if let Some(ts) = original.timestamp {
            record = record.timestamp(ts);
        }
        // librdkafka retries on its own until message.timeout.ms (5 minutes).
        self.producer
            .send(record, Duration::from_secs(60))
            .await
            .map(|_| ())
            .map_err(|(error, _)| DeadLetterError {
                topic: original.topic.to_string(),
                partition: original.partition,
                offset: original.offset,
                dlq: self.spec.topic.clone(),
                error,
            })
    }
}

/// Connect's context headers, in its order; the exception ones only when there is an error.
pub fn context_headers(
    connector: &str,
    original: &Record,
    failure: &Failure,
) -> Vec<(&'static str, String)> {
    vec![
        (header::TOPIC, original.topic.to_string()),
        (header::PARTITION, original.partition.to_string()),
        (header::OFFSET, original.offset.to_string()),
        (header::CONNECTOR_NAME, connector.to_string()),
        // One process runs one task per connector.
        (header::TASK_ID, "0".to_string()),
        (header::STAGE, failure.stage.as_str().to_string()),
        (header::CLASS_NAME, failure.class_name.clone()),
        (
            header::EXCEPTION_CLASS_NAME,
            failure.exception_class.to_string(),
        ),
        (header::EXCEPTION_MESSAGE, failure.message.clone()),
        (header::EXCEPTION_STACKTRACE, failure.detail.clone()),
    ]
}
