//! One assigned partition's reader: reads the partition's own queue, cuts
//! batches by count, bytes and linger, registers each with the offset tracker
//! and hands it to the partition's worker. While the worker has no room the
//! reader waits, so only this partition stops being read: librdkafka's queue
//! for it fills up to `queued.max.messages.kbytes` and fetching it pauses by
//! itself, with nothing dropped and fetched again.
//!
//! Measured by `scripts/bench compare` (800,000 1 KiB records, 8 partitions):
//! pausing busy partitions through the consumer dropped and refetched their
//! prefetched messages (112k records/s passthrough at 12.0 CPU-seconds per
//! million); one shared queue that stops being read for a busy partition
//! stalled the others behind it (183k, and 35k for the JSON pipeline);
//! per-partition queues let each go at its worker's pace.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rdkafka::message::{BorrowedMessage, Headers, Message};
use tokio::sync::mpsc;

use super::context::PartitionQueue;
use super::tracker::{BatchTicket, OffsetTracker, TopicPartition};
use crate::record::{BatchLimits, Header, Record, ValueKind};
use crate::stats::ConnectorStats;

/// Where a reader sends its batches: the partition's worker.
pub type BatchSender = mpsc::Sender<(BatchTicket, Vec<Record>)>;

/// Reads `queue` (partition `tp`) until the worker is gone or the partition
/// is revoked; the batch it is filling then is dropped unregistered, so it is
/// read again after a restart or by the next owner.
pub async fn read_partition(
    queue: PartitionQueue,
    tp: TopicPartition,
    limits: BatchLimits,
    tracker: Arc<Mutex<OffsetTracker>>,
    stats: Arc<ConnectorStats>,
    worker: BatchSender,
) {
    let topic: Arc<str> = Arc::from(tp.topic.as_str());
    let counts = stats.partition(&tp.topic, tp.partition);
    let mut used = false;
    let mut records: Vec<Record> = Vec::new();
    let mut bytes = 0usize;
    // Fires when the open batch has lingered long enough; armed when it opens.
    let lingering = tokio::time::sleep(Duration::MAX / 4);
    tokio::pin!(lingering);
    loop {
        let due = tokio::select! {
            biased;
            () = &mut lingering, if !records.is_empty() => true,
            received = queue.recv() => match received {
                Ok(m) => {
                    let record = to_record(&m, &topic);
                    stats.records_consumed.fetch_add(1, Ordering::Relaxed);
                    counts.records_in.fetch_add(1, Ordering::Relaxed);
                    if !used {
                        stats.topic_used(&tp.topic);
                        used = true;
                    }
                    bytes += record.value.as_ref().map_or(0, Bytes::len);
                    if records.is_empty() {
                        lingering
                            .as_mut()
                            .reset(tokio::time::Instant::now() + limits.linger);
                    }
                    records.push(record);
                    records.len() >= limits.max_records || bytes >= limits.max_bytes
                }
                Err(e) => {
                    tracing::warn!(partition = %tp, error = %e, "Kafka consumer error");
                    false
                }
            },
        };
        if due {
            bytes = 0;
            if !hand_over(&tp, std::mem::take(&mut records), &tracker, &worker).await {
                return;
            }
        }
    }
}

/// Waits for room at the worker, registers the batch and sends it; false
/// when the worker is gone or the partition was revoked meanwhile.
async fn hand_over(
    tp: &TopicPartition,
    batch: Vec<Record>,
    tracker: &Mutex<OffsetTracker>,
    worker: &BatchSender,
) -> bool {
    let Ok(permit) = worker.reserve().await else {
        return false;
    };
    let (first, last) = (batch[0].offset, batch[batch.len() - 1].offset);
    let ticket = tracker
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .register(tp, first, last);
    match ticket {
        Some(ticket) => {
            permit.send((ticket, batch));
            true
        }
        None => false,
    }
}

/// Copies a consumed message into a [`Record`] (the message's memory belongs
/// to librdkafka).
pub fn to_record(m: &BorrowedMessage<'_>, topic: &Arc<str>) -> Record {
    let headers = m
        .headers()
        .map(|hs| {
            hs.iter()
                .map(|h| Header {
                    name: h.key.to_string(),
                    value: h.value.map(Bytes::copy_from_slice),
                })
                .collect()
        })
        .unwrap_or_default();
    Record {
        topic: topic.clone(),
        partition: m.partition(),
        offset: m.offset(),
        timestamp: m.timestamp().to_millis(),
        key: m.key().map(Bytes::copy_from_slice),
        key_kind: ValueKind::Binary,
        key_schema: None,
        value: m.payload().map(Bytes::copy_from_slice),
        value_kind: ValueKind::Binary,
        value_schema: None,
        headers,
    }
}
