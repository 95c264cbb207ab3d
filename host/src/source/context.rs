//! The consumer's rdkafka context: on revocation, stops the revoked
//! partitions' readers, commits what is finished for them and forgets them;
//! on assignment, starts tracking and gives each partition its own message
//! queue. The connector loop hears of both through a channel.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use rdkafka::consumer::stream_consumer::StreamPartitionQueue;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::{ClientContext, TopicPartitionList};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use super::commit::{COMMIT_WAIT, CommitGate, commit, offsets_list};
use super::tracker::{OffsetTracker, TopicPartition};

/// The messages of one assigned partition, apart from the others': a
/// partition whose pipeline is busy stops being read while the others go
/// on, and librdkafka stops fetching it once its queue is full.
pub type PartitionQueue = StreamPartitionQueue<SourceContext>;

/// An assignment change, for the connector loop.
pub enum AssignmentEvent {
    /// Newly assigned partitions, each with its queue (`None` if librdkafka
    /// could not give it one).
    Assigned(Vec<(TopicPartition, Option<PartitionQueue>)>),
    Revoked(Vec<TopicPartition>),
}

/// The context shared with librdkafka's callbacks.
pub struct SourceContext {
    pub connector: String,
    pub tracker: Arc<Mutex<OffsetTracker>>,
    pub events: UnboundedSender<AssignmentEvent>,
    /// The consumer itself, set once it exists, to split partition queues.
    pub consumer: OnceLock<Weak<StreamConsumer<SourceContext>>>,
    /// The running partition readers: stopped inside the revocation
    /// callback, before the partition can be assigned again, so a stale
    /// reader never takes a message of the next assignment.
    pub readers: Arc<Mutex<HashMap<TopicPartition, AbortHandle>>>,
    /// One commit at a time (see [`super::commit`]): the revocation
    /// callback's waits for the periodic one under way.
    pub commits: Arc<CommitGate>,
    /// Where librdkafka's statistics put each partition's consumer lag.
    pub stats: Arc<crate::stats::ConnectorStats>,
    /// Whether the group's assignment is cooperative (incremental).
    pub cooperative: bool,
    /// Where the consumer's SASL/OAUTHBEARER tokens come from.
    pub auth: crate::kafka::oauth::Auth,
}

impl ClientContext for SourceContext {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

    fn generate_oauth_token(
        &self,
        _: Option<&str>,
    ) -> Result<rdkafka::client::OAuthToken, Box<dyn std::error::Error>> {
        self.auth.token()
    }

    /// librdkafka's periodic statistics (`statistics.interval.ms`): keeps
    /// each assigned partition's consumer lag for `/metrics`.
    fn stats(&self, statistics: rdkafka::Statistics) {
        for (topic, t) in &statistics.topics {
            for (partition, p) in &t.partitions {
                if *partition >= 0 && p.consumer_lag >= 0 {
                    self.stats
                        .partition(topic, *partition)
                        .lag
                        .store(p.consumer_lag, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
    }
}

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
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: rdkafka::types::RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        super::rebalance::run(self, consumer, err, tpl, self.cooperative);
    }

    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(tpl) = rebalance else {
            return;
        };
        let revoked = partitions(tpl);
        {
            let mut readers = self.readers.lock().unwrap_or_else(|p| p.into_inner());
            for tp in &revoked {
                if let Some(reader) = readers.remove(tp) {
                    reader.abort();
                }
            }
        }
        let lost = consumer.assignment_lost();
        let mut offsets = Vec::new();
        {
            let mut tracker = self.tracker.lock().unwrap_or_else(|p| p.into_inner());
            for tp in &revoked {
                if let Some(offset) = tracker.revoke(tp)
                    && !lost
                {
                    offsets.push((tp.clone(), offset));
                }
            }
        }
        if !offsets.is_empty() {
            let turn = self.commits.begin_within(COMMIT_WAIT);
            if turn.is_none() {
                tracing::warn!(connector = %self.connector, waited = ?COMMIT_WAIT, "an earlier offset commit is still under way; committing the revoked partitions anyway");
            }
            match commit(consumer, &offsets, &self.stats) {
                Ok(()) => {
                    tracing::info!(connector = %self.connector, offsets = ?offsets_list(&offsets), "committed on revocation")
                }
                Err(e) => {
                    tracing::warn!(connector = %self.connector, error = %e, "commit on revocation failed")
                }
            }
        }
        // Another consumer reports their lag now.
        for tp in &revoked {
            self.stats
                .partition(&tp.topic, tp.partition)
                .lag
                .store(-1, std::sync::atomic::Ordering::Relaxed);
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
                // Split here, before the first fetch of the new assignment can
                // land in the consumer's main queue.
                let consumer = self.consumer.get().and_then(Weak::upgrade);
                let queues = assigned
                    .into_iter()
                    .map(|tp| {
                        let queue = consumer
                            .as_ref()
                            .and_then(|c| c.split_partition_queue(&tp.topic, tp.partition));
                        (tp, queue)
                    })
                    .collect();
                let _ = self.events.send(AssignmentEvent::Assigned(queues));
            }
            Rebalance::Revoke(_) => {}
            // Not reached with librdkafka 2.12: every rebalance it hands the
            // callback is an assignment or a revocation (each
            // `rd_kafka_rebalance_op` call in `rdkafka_cgrp.c`); rust-rdkafka
            // would map any other code here after unassigning.
            Rebalance::Error(e) => {
                tracing::warn!(connector = %self.connector, error = %e, "rebalance error")
            }
        }
    }
}
