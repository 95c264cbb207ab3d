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
//!
//! A batch's bytes are copied once, from librdkafka's messages into one
//! arena per batch ([`BatchBuilder`]), and taken from the worker's memory
//! budget ([`super::budget`]) as the batch fills: a reader whose budget is
//! spent stops reading until batches are finished, and hands on what it
//! holds when it has lingered. Measured (`scripts/bench compare`, perf):
//! per-record allocations and frees were 14% of passthrough CPU and the
//! per-message waker registration of `recv()` 7%; both are gone.

use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use futures_util::{FutureExt, StreamExt};
use rdkafka::bindings as rd;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message};
use tokio::sync::mpsc;

use super::budget::{BatchPermit, MemoryBudget};
use super::context::PartitionQueue;
use super::tracker::{BatchTicket, OffsetTracker, TopicPartition};
use crate::record::{Arena, BatchLimits, Header, Record, ValueKind};
use crate::stats::ConnectorStats;

/// A batch on its way to its partition's worker.
pub struct Batch {
    /// Its place in the partition's offsets.
    pub ticket: BatchTicket,
    pub records: Vec<Record>,
    /// The buffer the records' bytes lie in.
    pub arena: Option<Arena>,
    /// The bytes it holds of the worker's memory budget (given back when
    /// it is dropped).
    pub permit: BatchPermit,
}

/// Where a reader sends its batches: the partition's worker.
pub type BatchSender = mpsc::Sender<Batch>;

/// Reads `queue` (partition `tp`) until the worker is gone or the partition
/// is revoked; the batch it is filling then is dropped unregistered, so it is
/// read again after a restart or by the next owner. Stops with [`Unreadable`]
/// when librdkafka reports records it skipped, the open batch dropped too.
pub async fn read_partition(
    queue: PartitionQueue,
    tp: TopicPartition,
    limits: BatchLimits,
    tracker: Arc<Mutex<OffsetTracker>>,
    stats: Arc<ConnectorStats>,
    budget: Arc<MemoryBudget>,
    worker: BatchSender,
) -> Result<(), Unreadable> {
    let topic: Arc<str> = Arc::from(tp.topic.as_str());
    let counts = stats.partition(&tp.topic, tp.partition);
    let mut used = false;
    let mut batch = BatchBuilder::new(topic);
    // The offset of the last message read, for an error that follows it.
    let mut last_read = None;
    // One stream for the reader's life: `recv()` would register and
    // unregister a waker under a lock for every message.
    let mut messages = queue.stream();
    // The open batch's bytes taken from the budget, in steps of `STEP`.
    let mut held = BatchPermit::default();
    // Fires when the open batch has lingered long enough; armed when it opens.
    let lingering = tokio::time::sleep(Duration::MAX / 4);
    tokio::pin!(lingering);
    loop {
        // Reads on only while the open batch's bytes are covered: when the
        // worker's connectors hold their budget's worth, this partition
        // waits (its librdkafka queue fills and its fetching pauses), and
        // what it holds is handed on when it has lingered.
        let uncovered = batch.size().saturating_sub(held.bytes());
        let due = tokio::select! {
            biased;
            () = &mut lingering, if !batch.is_empty() => true,
            more = budget.take(uncovered.next_multiple_of(STEP)), if uncovered > 0 => {
                held.merge(more);
                false
            }
            received = messages.next(), if uncovered == 0 => match received {
                Some(Ok(m)) => {
                    if !used {
                        stats.topic_used(&tp.topic);
                        used = true;
                    }
                    if batch.is_empty() {
                        lingering
                            .as_mut()
                            .reset(tokio::time::Instant::now() + limits.linger);
                    }
                    let before = batch.len();
                    batch.push(&m);
                    last_read = Some(m.offset());
                    drop(m);
                    let mut failed = None;
                    // Takes what else is ready without waiting, so the
                    // select, the timer and the counters run once per
                    // run of messages, not once per message.
                    while !batch.is_full(&limits) && batch.size() <= held.bytes() {
                        match messages.next().now_or_never() {
                            Some(Some(Ok(m))) => {
                                batch.push(&m);
                                last_read = Some(m.offset());
                            }
                            Some(Some(Err(e))) => {
                                failed = Some(e);
                                break;
                            }
                            _ => break,
                        }
                    }
                    let read = (batch.len() - before) as u64;
                    stats.records_consumed.fetch_add(read, Ordering::Relaxed);
                    counts.records_in.fetch_add(read, Ordering::Relaxed);
                    match failed {
                        Some(e) => consumer_error(&tp, e, last_read)? || batch.is_full(&limits),
                        None => batch.is_full(&limits),
                    }
                }
                Some(Err(e)) => consumer_error(&tp, e, last_read)?,
                None => return Ok(()),
            },
        };
        if due {
            // The last message read may lie beyond what is held: the batch
            // takes the rest if it is there, and goes without it otherwise
            // (waiting here could wait for batches that wait the same way).
            let rest = batch.size().saturating_sub(held.bytes());
            if rest > 0
                && let Some(more) = budget.try_take(rest)
            {
                held.merge(more);
            }
            let permit = std::mem::take(&mut held);
            if !hand_over(&tp, batch.cut(), permit, &tracker, &worker).await {
                return Ok(());
            }
        }
    }
}

/// Distinct header names a batch's arena holds; records with others are
/// copied for each plugin call.
const MAX_HEADER_NAMES: usize = 64;

/// How much of the budget a reader takes at a time for the batch it fills.
const STEP: usize = 64 << 10;

/// Where a consumed record's key, value and headers are in its batch's arena.
struct Consumed {
    partition: i32,
    offset: i64,
    timestamp: Option<i64>,
    key: Option<Range<usize>>,
    value: Option<Range<usize>>,
    headers: Vec<(String, Option<Range<usize>>)>,
}

/// The batch a reader is filling. Each consumed message's bytes are copied
/// once, into one arena per batch (the message's memory belongs to
/// librdkafka); the records handed on are slices of it, so cloning them,
/// or handing a value on unchanged, never copies and one allocation serves
/// the whole batch.
pub struct BatchBuilder {
    topic: Arc<str>,
    arena: BytesMut,
    consumed: Vec<Consumed>,
    /// Value bytes in the open batch (what `batch.max.bytes` counts).
    pub value_bytes: usize,
    /// Arena bytes the previous batch took: the next one starts with room for as much.
    last_size: usize,
    /// What the open batch's headers hold outside the arena: each name and
    /// the entries for it. The budget counts it with the arena, so records
    /// of many small headers cannot hold far more memory than it says.
    apart: usize,
}

/// The memory one header takes outside the arena besides its name: its
/// entry while the batch fills and its [`Header`] after.
const HEADER_ENTRY: usize =
    std::mem::size_of::<(String, Option<Range<usize>>)>() + std::mem::size_of::<Header>();

impl BatchBuilder {
    /// An empty batch of `topic`'s records.
    pub fn new(topic: Arc<str>) -> Self {
        BatchBuilder {
            topic,
            arena: BytesMut::new(),
            consumed: Vec::new(),
            value_bytes: 0,
            last_size: 0,
            apart: 0,
        }
    }

    /// Records in the open batch.
    pub fn len(&self) -> usize {
        self.consumed.len()
    }

    /// Whether the open batch is due by count or bytes.
    pub fn is_full(&self, limits: &BatchLimits) -> bool {
        self.len() >= limits.max_records || self.value_bytes >= limits.max_bytes
    }

    /// The open batch's bytes: keys, values and header values, and what
    /// its headers hold beside them.
    pub fn size(&self) -> usize {
        self.arena.len() + self.apart
    }

    /// Whether the open batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.consumed.is_empty()
    }

    fn copy(&mut self, bytes: &[u8]) -> Range<usize> {
        let start = self.arena.len();
        self.arena.extend_from_slice(bytes);
        start..self.arena.len()
    }

    /// Copies a consumed message into the open batch.
    pub fn push(&mut self, m: &BorrowedMessage<'_>) {
        if self.consumed.is_empty() {
            // Room for a batch like the last, in one allocation.
            self.arena.reserve(self.last_size.max(4096));
        }
        let key = m.key().map(|k| self.copy(k));
        let value = m.payload().map(|v| self.copy(v));
        self.value_bytes += value.as_ref().map_or(0, ExactSizeIterator::len);
        let mut headers = Vec::new();
        each_header(m, |name, value| {
            self.apart += name.len() + HEADER_ENTRY;
            headers.push((name, value.map(|v| self.copy(v))));
        });
        self.consumed.push(Consumed {
            partition: m.partition(),
            offset: m.offset(),
            timestamp: m.timestamp().to_millis(),
            key,
            value,
            headers,
        });
    }

    /// Hands out the open batch's records, with the arena their bytes lie
    /// in, and starts the next batch.
    pub fn cut(&mut self) -> (Vec<Record>, Option<Arena>) {
        // The topic's name and each distinct header name once, so a
        // plugin's batch can use the arena as its data buffer as it is.
        let topic_at = self.copy(self.topic.clone().as_bytes()).start;
        let mut distinct: Vec<String> = Vec::new();
        for (name, _) in self.consumed.iter().flat_map(|c| &c.headers) {
            if distinct.len() < MAX_HEADER_NAMES && !distinct.contains(name) {
                distinct.push(name.clone());
            }
        }
        let names: Vec<(Box<str>, usize)> = distinct
            .into_iter()
            .map(|n| {
                let at = self.copy(n.as_bytes()).start;
                (n.into_boxed_str(), at)
            })
            .collect();
        self.last_size = self.arena.len();
        self.value_bytes = 0;
        self.apart = 0;
        let arena = self.arena.split().freeze();
        let slice = |r: Option<Range<usize>>| r.map(|r| arena.slice(r));
        let mut records = Vec::with_capacity(self.consumed.len());
        for c in self.consumed.drain(..) {
            records.push(Record {
                topic: self.topic.clone(),
                partition: c.partition,
                offset: c.offset,
                timestamp: c.timestamp,
                key: slice(c.key),
                key_kind: ValueKind::Binary,
                key_schema: None,
                value: slice(c.value),
                value_kind: ValueKind::Binary,
                value_schema: None,
                headers: c
                    .headers
                    .into_iter()
                    .map(|(name, value)| Header {
                        name,
                        value: slice(value),
                    })
                    .collect(),
            });
        }
        let arena = Arena::new(arena, self.topic.clone(), topic_at)
            .and_then(|a| a.with_header_names(names));
        (records, arena)
    }
}

/// Calls `each` with every header of `m`: its name read as Kafka's Java
/// client reads one (UTF-8, with malformed bytes replaced by U+FFFD) and its
/// value. rust-rdkafka's `Headers::try_get` unwraps the name as UTF-8 and
/// panics on any other, which a librdkafka producer may send; this reads the
/// same librdkafka calls without that step.
fn each_header(m: &BorrowedMessage<'_>, mut each: impl FnMut(String, Option<&[u8]>)) {
    let mut headers: *mut rd::rd_kafka_headers_t = std::ptr::null_mut();
    // SAFETY: `m.ptr()` is a message librdkafka keeps alive for the borrow
    // of `m`; the header list it returns belongs to that message.
    let found = unsafe { rd::rd_kafka_message_headers(m.ptr(), &mut headers) };
    if found != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || headers.is_null() {
        return;
    }
    // SAFETY: `headers` is the message's list (above).
    let count = unsafe { rd::rd_kafka_header_cnt(headers) };
    for i in 0..count {
        let mut name: *const std::ffi::c_char = std::ptr::null();
        let mut value: *const std::ffi::c_void = std::ptr::null();
        let mut size = 0usize;
        // SAFETY: `i` is below the list's count; librdkafka writes a name
        // and a value pointer into the message's list, or an error.
        let got =
            unsafe { rd::rd_kafka_header_get_all(headers, i, &mut name, &mut value, &mut size) };
        if got != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || name.is_null() {
            break;
        }
        // SAFETY: librdkafka stores each header name NUL-terminated, and a
        // value as `size` bytes, both alive as long as the message.
        let (name, value) = unsafe {
            (
                std::ffi::CStr::from_ptr(name)
                    .to_string_lossy()
                    .into_owned(),
                (!value.is_null()).then(|| std::slice::from_raw_parts(value.cast::<u8>(), size)),
            )
        };
        each(name, value);
    }
}

/// A consumer error on the partition's queue: logged and read past, or
/// the reader's end when librdkafka skipped records ([`skips_records`]).
/// `Ok(false)`: no batch is due because of it.
fn consumer_error(
    tp: &TopicPartition,
    error: KafkaError,
    after: Option<i64>,
) -> Result<bool, Unreadable> {
    if skips_records(&error) {
        return Err(Unreadable { after, error });
    }
    tracing::warn!(partition = %tp, %error, "Kafka consumer error");
    Ok(false)
}

/// Whether a consumer error means librdkafka skipped records it could not
/// read: a batch that failed its CRC (`check.crcs=true`), one it could not
/// decompress, or one in a format it does not know. It reports the error and
/// reads on from the next batch, so a reader that went on would let the
/// commit pass records nobody delivered. Kafka's Java consumer throws on
/// these, and Connect fails the task.
pub fn skips_records(e: &KafkaError) -> bool {
    matches!(
        e,
        KafkaError::MessageConsumption(
            RDKafkaErrorCode::BadMessage
                | RDKafkaErrorCode::BadCompression
                | RDKafkaErrorCode::NotImplemented
        )
    )
}

/// Why a reader stopped before its partition was revoked: records of it
/// librdkafka could not read. Nothing from them on is committed.
#[derive(Debug)]
pub struct Unreadable {
    /// The last offset read before them, if any was in this run.
    pub after: Option<i64>,
    pub error: KafkaError,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = match self.after {
            Some(o) => format!("after offset {o}"),
            None => "at the committed offset".to_string(),
        };
        write!(
            f,
            "librdkafka could not read the records {at} ({}); nothing from them on is committed. \
             Find the batch with the broker's kafka-dump-log.sh; to go on without it, reset the \
             group's offset past it (kafka-consumer-groups.sh --reset-offsets) and restart the connector",
            self.error
        )
    }
}

/// Waits for room at the worker, registers the batch and sends it; false
/// when the worker is gone or the partition was revoked meanwhile.
async fn hand_over(
    tp: &TopicPartition,
    (records, arena): (Vec<Record>, Option<Arena>),
    permit: BatchPermit,
    tracker: &Mutex<OffsetTracker>,
    worker: &BatchSender,
) -> bool {
    let Ok(slot) = worker.reserve().await else {
        return false;
    };
    let (first, last) = (records[0].offset, records[records.len() - 1].offset);
    let ticket = tracker
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .register(tp, first, last);
    match ticket {
        Some(ticket) => {
            slot.send(Batch {
                ticket,
                records,
                arena,
                permit,
            });
            true
        }
        None => false,
    }
}
