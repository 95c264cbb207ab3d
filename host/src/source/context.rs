//! The consumer's rdkafka context: on revocation, commits what is finished
//! for the revoked partitions and forgets them; on assignment, starts
//! tracking. The connector loop hears of both through a channel.

use std::sync::{Arc, Mutex};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tokio::sync::mpsc::UnboundedSender;

use super::tracker::{OffsetTracker, TopicPartition};

/// An assignment change, for the connector loop.
#[derive(Debug)]
pub enum AssignmentEvent {
    Assigned(Vec<TopicPartition>),
    Revoked(Vec<TopicPartition>),
}

/// The context shared with librdkafka's callbacks.
pub struct SourceContext {
    pub connector: String,
    pub tracker: Arc<Mutex<OffsetTracker>>,
    pub events: UnboundedSender<AssignmentEvent>,
}

impl ClientContext for SourceContext {}

fn partitions(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| TopicPartition {
            topic: e.topic().to_string(),
            partition: e.partition(),
        })
        .collect()
}

impl ConsumerContext for SourceContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(tpl) = rebalance else {
            return;
        };
        let revoked = partitions(tpl);
        let lost = consumer.assignment_lost();
        let mut commit = TopicPartitionList::new();
        {
            let mut tracker = self.tracker.lock().unwrap_or_else(|p| p.into_inner());
            for tp in &revoked {
                if let Some(offset) = tracker.revoke(tp)
                    && !lost
                {
                    let _ = commit.add_partition_offset(
                        &tp.topic,
                        tp.partition,
                        Offset::Offset(offset),
                    );
                }
            }
        }
        if commit.count() > 0 {
            match consumer.commit(&commit, CommitMode::Sync) {
                Ok(()) => {
                    tracing::info!(connector = %self.connector, offsets = ?commit_list(&commit), "committed on revocation")
                }
                Err(e) => {
                    tracing::warn!(connector = %self.connector, error = %e, "commit on revocation failed")
                }
            }
        }
        tracing::info!(connector = %self.connector, partitions = ?revoked.iter().map(ToString::to_string).collect::<Vec<_>>(), lost, "partitions revoked");
        let _ = self.events.send(AssignmentEvent::Revoked(revoked));
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                let assigned = partitions(tpl);
                {
                    let mut tracker = self.tracker.lock().unwrap_or_else(|p| p.into_inner());
                    for tp in &assigned {
                        tracker.assign(tp.clone());
                    }
                }
                tracing::info!(connector = %self.connector, partitions = ?assigned.iter().map(ToString::to_string).collect::<Vec<_>>(), "partitions assigned");
                let _ = self.events.send(AssignmentEvent::Assigned(assigned));
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => {
                tracing::warn!(connector = %self.connector, error = %e, "rebalance error")
            }
        }
    }

    fn commit_callback(
        &self,
        result: rdkafka::error::KafkaResult<()>,
        offsets: &TopicPartitionList,
    ) {
        match result {
            Ok(()) => {
                tracing::debug!(connector = %self.connector, offsets = ?commit_list(offsets), "offsets committed")
            }
            Err(e) => {
                tracing::warn!(connector = %self.connector, error = %e, "offset commit failed; it is retried")
            }
        }
    }
}

/// `topic-partition=offset` strings, for logs.
pub fn commit_list(tpl: &TopicPartitionList) -> Vec<String> {
    tpl.elements()
        .iter()
        .map(|e| match e.offset() {
            Offset::Offset(o) => format!("{}-{}={o}", e.topic(), e.partition()),
            other => format!("{}-{}={other:?}", e.topic(), e.partition()),
        })
        .collect()
}
