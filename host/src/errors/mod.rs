//! What happens to records that fail: Kafka Connect's error tolerance, the
//! error log and the dead letter queue.

pub mod dlq;
pub mod failure;
pub mod policy;

use std::collections::BTreeMap;

use futures_util::future::join_all;

pub use dlq::{DeadLetterError, DeadLetterQueue};
pub use failure::{Failure, Stage};
pub use policy::{DlqSpec, ErrorOptions, ErrorPolicy, Tolerance};

use crate::record::Record;

/// Why a connector's dead letter queue could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("dead letter queue: {0}")]
    Topic(#[from] crate::kafka::TopicError),
    #[error("dead letter queue: cannot create the Kafka producer: {0}")]
    Producer(rdkafka::error::KafkaError),
}

/// Reports a connector's failed records: logs them if asked, writes them to
/// the dead letter queue if there is one.
pub struct ErrorReporter {
    connector: String,
    policy: ErrorPolicy,
    dlq: Option<DeadLetterQueue>,
}

impl ErrorReporter {
    /// Starts the dead letter queue, if the policy has one (creating its topic).
    pub async fn start(
        connector: &str,
        policy: ErrorPolicy,
        connection: &BTreeMap<String, String>,
    ) -> Result<Self, StartError> {
        let dlq = match &policy.dlq {
            Some(spec) => Some(DeadLetterQueue::start(connector, connection, spec.clone()).await?),
            None => None,
        };
        Ok(ErrorReporter {
            connector: connector.to_string(),
            policy,
            dlq,
        })
    }

    /// The policy reported by.
    pub fn policy(&self) -> &ErrorPolicy {
        &self.policy
    }

    /// Whether failed records go to a dead letter queue.
    pub fn dead_letters(&self) -> bool {
        self.dlq.is_some()
    }

    /// Logs and dead-letters `failed` (each original record with why it
    /// failed); returns once every dead letter is acknowledged.
    pub async fn report(&self, failed: &[(&Record, &Failure)]) -> Result<(), DeadLetterError> {
        for (original, failure) in failed {
            if self.policy.log {
                self.log(original, failure);
            }
        }
        let Some(dlq) = &self.dlq else {
            if !self.policy.log
                && let Some((first, failure)) = failed.first()
            {
                // Connect would say nothing; one line per batch keeps skips visible.
                tracing::warn!(
                    connector = %self.connector,
                    records = failed.len(),
                    first_topic = &*first.topic,
                    first_partition = first.partition,
                    first_offset = first.offset,
                    first_error = failure.message,
                    "records failed and were skipped (errors.tolerance=all); set errors.log.enable or a dead letter queue to keep them"
                );
            }
            return Ok(());
        };
        let sends = failed
            .iter()
            .map(|(original, failure)| dlq.send(original, failure));
        join_all(sends)
            .await
            .into_iter()
            .collect::<Result<(), _>>()?;
        tracing::debug!(connector = %self.connector, records = failed.len(), topic = dlq.topic(), "records written to the dead letter queue");
        Ok(())
    }

    /// Connect's `LogReporter` line; the record's coordinates only with
    /// `errors.log.include.messages` (never its key or value, as in Connect).
    fn log(&self, original: &Record, failure: &Failure) {
        let record = if self.policy.log_messages {
            format!(
                ", where consumed record is {{topic='{}', partition={}, offset={}{}}}",
                original.topic,
                original.partition,
                original.offset,
                original
                    .timestamp
                    .map(|t| format!(", timestamp={t}, timestampType=CreateTime"))
                    .unwrap_or_default()
            )
        } else {
            String::new()
        };
        tracing::error!(
            connector = %self.connector,
            error = failure.message,
            "Error encountered in task {}-0. Executing stage '{}' with class '{}'{record}.",
            self.connector,
            failure.stage,
            failure.class_name,
        );
    }
}
