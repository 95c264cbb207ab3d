//! What a running connector counts: records through it, when it joined its
//! group and delivered its first batch, and the time each stage of the
//! pipeline took; written as JSON by `sluice run --stats-file`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::Serialize;

/// What metrics and the history read of one connector: its name, its
/// state's name and its counters, without the worker's own types.
#[derive(Clone)]
pub struct Snapshot {
    pub name: String,
    /// Connect's state name: `RUNNING`, `PAUSED`, `STOPPED`, `FAILED`, `UNASSIGNED`.
    pub state: &'static str,
    pub stats: Arc<ConnectorStats>,
}

/// Counters a connector keeps, readable while it runs.
#[derive(Debug)]
pub struct ConnectorStats {
    pub records_consumed: AtomicU64,
    pub records_finished: AtomicU64,
    pub batches_finished: AtomicU64,
    /// Records that failed and were logged or dead-lettered (`errors.tolerance=all`).
    pub records_failed: AtomicU64,
    /// What the sink did: HTTP answers and retries, S3 uploads.
    pub sink: SinkCounters,
    /// Offset commits: how many the group took or refused, and their time.
    pub commits: CommitCounters,
    /// The latest errors, for the status page, kept across restarts.
    pub recent_errors: Arc<RecentErrors>,
    /// When the connector started (the clock of the `*_ms` figures).
    pub started: Instant,
    /// When the group first assigned partitions to this process.
    pub assigned: OnceLock<Instant>,
    /// When the first batch was finished (delivered and acknowledged).
    pub first_batch: OnceLock<Instant>,
    /// Time spent per pipeline stage.
    pub stages: StageTimes,
    /// Counts per consumed partition, for `/metrics`.
    partitions: Mutex<BTreeMap<(String, i32), Arc<PartitionCounts>>>,
    /// Topics records were consumed from since the last reset (Connect's
    /// active topics), kept across the connector's restarts.
    pub active_topics: Arc<Mutex<std::collections::BTreeSet<String>>>,
}

/// What went through one partition of a connector.
#[derive(Debug, Default)]
pub struct PartitionCounts {
    /// Records consumed.
    pub records_in: AtomicU64,
    /// Records finished: delivered, or deliberately dropped or skipped.
    pub records_finished: AtomicU64,
    /// Records that failed and were logged or dead-lettered.
    pub records_failed: AtomicU64,
    /// Records a transform filtered out, a null value skipped
    /// (`behavior.on.null.values=ignore`) or a failed request left behind
    /// (`behavior.on.error=ignore`): finished without reaching the sink.
    pub records_dropped: AtomicU64,
    /// Failed records written to the dead letter queue.
    pub records_dead_lettered: AtomicU64,
    /// Records the sink took: neither failed nor dropped.
    pub records_delivered: AtomicU64,
    /// Messages between the committed position and the partition's end, as
    /// librdkafka last reported it (-1: not known yet).
    pub lag: AtomicI64,
}

impl Default for ConnectorStats {
    fn default() -> Self {
        ConnectorStats {
            records_consumed: AtomicU64::new(0),
            records_finished: AtomicU64::new(0),
            batches_finished: AtomicU64::new(0),
            records_failed: AtomicU64::new(0),
            sink: SinkCounters::default(),
            commits: CommitCounters::default(),
            recent_errors: Arc::default(),
            started: Instant::now(),
            assigned: OnceLock::new(),
            first_batch: OnceLock::new(),
            stages: StageTimes::default(),
            partitions: Mutex::new(BTreeMap::new()),
            active_topics: Arc::default(),
        }
    }
}

/// What became of a finished batch's consumed records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    /// Consumed records in the batch (all of them are finished).
    pub records: usize,
    /// Records that failed and were reported (logged, dead-lettered).
    pub failed: usize,
    /// Of the failed records, those written to the dead letter queue.
    pub dead_lettered: usize,
    /// Records deliberately dropped before or by the sink.
    pub dropped: usize,
}

impl BatchCounts {
    /// Records the sink took: neither failed nor dropped.
    pub fn delivered(&self) -> usize {
        self.records - self.failed - self.dropped
    }
}

/// What a connector's sink did, for `/metrics`.
#[derive(Debug, Default)]
pub struct SinkCounters {
    /// HTTP answers by status code, retried attempts included.
    http_statuses: Mutex<BTreeMap<u16, u64>>,
    /// HTTP requests that got no answer (connection refused, timeout).
    pub http_transport_errors: AtomicU64,
    /// Requests sent again after a retryable failure (HTTP or S3).
    pub retries: AtomicU64,
    /// S3 objects made visible (single uploads and completed multipart ones).
    pub s3_objects: AtomicU64,
    /// Bytes sent to S3 in objects and parts.
    pub s3_bytes: AtomicU64,
}

impl SinkCounters {
    /// Counts an HTTP answer.
    pub fn http_answered(&self, status: u16) {
        *self
            .http_statuses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(status)
            .or_default() += 1;
    }

    /// HTTP answers so far, by status.
    pub fn http_statuses(&self) -> Vec<(u16, u64)> {
        self.http_statuses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(s, n)| (*s, *n))
            .collect()
    }

    /// Counts an S3 object made visible.
    pub fn s3_uploaded(&self) {
        self.s3_objects.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts `n` bytes sent to S3.
    pub fn s3_sent(&self, n: usize) {
        self.s3_bytes.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Counts a retried request.
    pub fn retried(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }
}

/// A connector's offset commits, each awaited to its end (the periodic one,
/// the revocation callback's and the final one): what Connect's
/// `offset-commit-success-percentage`, `offset-commit-failure-percentage`
/// and `offset-commit-avg-time-ms` are computed from.
#[derive(Debug, Default)]
pub struct CommitCounters {
    /// Commits the group accepted.
    pub ok: AtomicU64,
    /// Commits that failed; the next one commits the same offsets or later.
    pub failed: AtomicU64,
    /// Time spent waiting for commits' answers, in microseconds.
    micros: AtomicU64,
}

impl CommitCounters {
    /// Counts a commit that succeeded (`ok`) or failed after `took`.
    pub fn record(&self, ok: bool, took: Duration) {
        let count = if ok { &self.ok } else { &self.failed };
        count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Time spent in commits so far, in seconds.
    pub fn seconds(&self) -> f64 {
        self.micros.load(Ordering::Relaxed) as f64 / 1e6
    }
}

/// How many errors a connector keeps for the status page.
pub const RECENT_ERRORS_KEPT: usize = 20;

/// The latest errors of a connector, newest last.
#[derive(Debug, Default)]
pub struct RecentErrors {
    errors: Mutex<std::collections::VecDeque<RecentError>>,
}

/// One error and when it happened.
#[derive(Debug, Clone, Serialize)]
pub struct RecentError {
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub message: String,
}

impl RecentErrors {
    /// Keeps `message`, forgetting the oldest beyond [`RECENT_ERRORS_KEPT`];
    /// a value from a config provider in it is kept as its reference (the
    /// list is served by the REST API and the status page).
    pub fn push(&self, message: String) {
        let message = match crate::secrets::scrub(&message) {
            std::borrow::Cow::Owned(scrubbed) => scrubbed,
            std::borrow::Cow::Borrowed(_) => message,
        };
        let at_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let mut errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        if errors.len() == RECENT_ERRORS_KEPT {
            errors.pop_front();
        }
        errors.push_back(RecentError { at_ms, message });
    }

    /// The kept errors, oldest first.
    pub fn list(&self) -> Vec<RecentError> {
        self.errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

/// Wall-clock time per pipeline stage, summed over all partitions' workers
/// (which run concurrently, so the sum may exceed the elapsed time).
#[derive(Debug, Default)]
pub struct StageTimes {
    stages: Mutex<Vec<StageTotal>>,
}

#[derive(Debug, Clone, Serialize)]
struct StageTotal {
    stage: String,
    calls: u64,
    records: u64,
    nanos: u64,
}

impl StageTimes {
    /// Adds one call of `stage` over `records` records that took `took`.
    pub fn add(&self, stage: &str, records: usize, took: Duration) {
        let mut stages = self.stages.lock().unwrap_or_else(|p| p.into_inner());
        let nanos = took.as_nanos() as u64;
        match stages.iter_mut().find(|s| s.stage == stage) {
            Some(s) => {
                s.calls += 1;
                s.records += records as u64;
                s.nanos += nanos;
            }
            None => stages.push(StageTotal {
                stage: stage.to_string(),
                calls: 1,
                records: records as u64,
                nanos,
            }),
        }
    }

    /// Every stage so far, in the order they first ran.
    pub fn snapshot(&self) -> Vec<StageSnapshot> {
        self.stages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|s| StageSnapshot {
                stage: s.stage.clone(),
                calls: s.calls,
                records: s.records,
                seconds: s.nanos as f64 / 1e9,
                micros_per_record: if s.records == 0 {
                    0.0
                } else {
                    s.nanos as f64 / 1e3 / s.records as f64
                },
            })
            .collect()
    }
}

/// One stage's totals.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct StageSnapshot {
    /// e.g. `value.converter json`, `transform[0] insert-field`, `formatter json-batch`, `http`.
    pub stage: String,
    pub calls: u64,
    pub records: u64,
    pub seconds: f64,
    pub micros_per_record: f64,
}

/// A connector's figures at one moment, as `--stats-file` writes them.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct StatsSnapshot {
    pub connector: String,
    pub records_consumed: u64,
    pub records_finished: u64,
    pub records_failed: u64,
    pub batches_finished: u64,
    /// Milliseconds from the connector's start to its first partition assignment.
    pub assigned_after_ms: Option<f64>,
    /// Milliseconds from the connector's start to its first finished batch.
    pub first_batch_after_ms: Option<f64>,
    pub stages: Vec<StageSnapshot>,
}

impl ConnectorStats {
    /// The counts of partition `partition` of `topic`, created on first use.
    pub fn partition(&self, topic: &str, partition: i32) -> Arc<PartitionCounts> {
        self.partitions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((topic.to_string(), partition))
            .or_insert_with(|| {
                Arc::new(PartitionCounts {
                    lag: AtomicI64::new(-1),
                    ..PartitionCounts::default()
                })
            })
            .clone()
    }

    /// Counts a finished batch of a partition.
    pub fn batch_finished(&self, topic: &str, partition: i32, batch: &BatchCounts) {
        let counts = self.partition(topic, partition);
        for (total, own, n) in [
            (
                &self.records_finished,
                &counts.records_finished,
                batch.records,
            ),
            (&self.records_failed, &counts.records_failed, batch.failed),
        ] {
            total.fetch_add(n as u64, Ordering::Relaxed);
            own.fetch_add(n as u64, Ordering::Relaxed);
        }
        counts
            .records_dropped
            .fetch_add(batch.dropped as u64, Ordering::Relaxed);
        counts
            .records_dead_lettered
            .fetch_add(batch.dead_lettered as u64, Ordering::Relaxed);
        counts
            .records_delivered
            .fetch_add(batch.delivered() as u64, Ordering::Relaxed);
        self.batches_finished.fetch_add(1, Ordering::Relaxed);
    }

    /// Fresh counters for a new run of the same connector, keeping its
    /// active topics and recent errors.
    pub fn next_run(&self) -> Self {
        ConnectorStats {
            active_topics: self.active_topics.clone(),
            recent_errors: self.recent_errors.clone(),
            ..ConnectorStats::default()
        }
    }

    /// Marks `topic` as one records were consumed from.
    pub fn topic_used(&self, topic: &str) {
        let mut topics = self.active_topics.lock().unwrap_or_else(|p| p.into_inner());
        if !topics.contains(topic) {
            topics.insert(topic.to_string());
        }
    }

    /// The active topics, sorted.
    pub fn topics_used(&self) -> Vec<String> {
        self.active_topics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Every partition seen so far, by topic and partition.
    pub fn partitions(&self) -> Vec<((String, i32), Arc<PartitionCounts>)> {
        self.partitions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Every stage's totals: (stage, calls, records, seconds).
    pub fn stage_totals(&self) -> Vec<StageSnapshot> {
        self.stages.snapshot()
    }

    /// The figures now, for the connector `name`.
    pub fn snapshot(&self, name: &str) -> StatsSnapshot {
        let since = |at: &OnceLock<Instant>| {
            at.get()
                .map(|t| t.duration_since(self.started).as_secs_f64() * 1e3)
        };
        StatsSnapshot {
            connector: name.to_string(),
            records_consumed: self.records_consumed.load(Ordering::Relaxed),
            records_finished: self.records_finished.load(Ordering::Relaxed),
            records_failed: self.records_failed.load(Ordering::Relaxed),
            batches_finished: self.batches_finished.load(Ordering::Relaxed),
            assigned_after_ms: since(&self.assigned),
            first_batch_after_ms: since(&self.first_batch),
            stages: self.stages.snapshot(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_times_add_up_per_stage_in_first_seen_order() {
        let t = StageTimes::default();
        t.add("value.converter json", 500, Duration::from_millis(5));
        t.add("sink http", 500, Duration::from_millis(20));
        t.add("value.converter json", 100, Duration::from_millis(1));
        let s = t.snapshot();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].stage, "value.converter json");
        assert_eq!((s[0].calls, s[0].records), (2, 600));
        assert!((s[0].micros_per_record - 10.0).abs() < 1e-9);
        assert!((s[1].seconds - 0.02).abs() < 1e-9);
    }

    #[test]
    fn snapshot_reports_join_and_first_batch_relative_to_start() {
        let stats = ConnectorStats::default();
        let snap = stats.snapshot("c");
        assert_eq!(
            (snap.assigned_after_ms, snap.first_batch_after_ms),
            (None, None)
        );
        let _ = stats
            .assigned
            .set(stats.started + Duration::from_millis(70));
        let _ = stats
            .first_batch
            .set(stats.started + Duration::from_millis(250));
        stats.records_finished.store(500, Ordering::Relaxed);
        let snap = stats.snapshot("c");
        assert_eq!(snap.assigned_after_ms, Some(70.0));
        assert_eq!(snap.first_batch_after_ms, Some(250.0));
        assert_eq!(snap.records_finished, 500);
    }
}
