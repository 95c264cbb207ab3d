//! Prometheus metrics: the histograms observed as batches finish, kept per
//! connector for the life of the process, and `/metrics`' rendering of
//! them with every connector's counters and the process's memory.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::stats::Snapshot;

type Labels = Vec<(String, String)>;
type Histograms = Family<Labels, Histogram, fn() -> Histogram>;

struct BatchHistograms {
    records: Histograms,
    seconds: Histograms,
}

fn histograms() -> &'static BatchHistograms {
    static H: OnceLock<BatchHistograms> = OnceLock::new();
    H.get_or_init(|| BatchHistograms {
        records: Family::new_with_constructor(|| {
            Histogram::new([1.0, 10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 5000.0])
        }),
        seconds: Family::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.5, 12))
        }),
    })
}

fn connector_label(name: &str) -> Labels {
    vec![("connector".into(), label(name))]
}

/// A label value escaped as the text format requires (prometheus-client
/// writes values as given): a `"` or newline in a name cannot end the
/// label and start another.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Records a finished batch of connector `name`: its consumed records and
/// the time from its hand-over to the pipeline until it was delivered.
pub fn observe_batch(name: &str, records: usize, took: Duration) {
    let h = histograms();
    let labels = connector_label(name);
    h.records.get_or_create(&labels).observe(records as f64);
    h.seconds.get_or_create(&labels).observe(took.as_secs_f64());
}

/// The OpenMetrics text of every connector in `connectors`.
pub fn render(connectors: &[Snapshot]) -> String {
    let mut registry = Registry::default();
    let records_in = Family::<Labels, Counter>::default();
    let finished = Family::<Labels, Counter>::default();
    let failed = Family::<Labels, Counter>::default();
    let delivered = Family::<Labels, Counter>::default();
    let dropped = Family::<Labels, Counter>::default();
    let dead_lettered = Family::<Labels, Counter>::default();
    let http_responses = Family::<Labels, Counter>::default();
    let http_transport_errors = Family::<Labels, Counter>::default();
    let retries = Family::<Labels, Counter>::default();
    let s3_objects = Family::<Labels, Counter>::default();
    let s3_bytes = Family::<Labels, Counter>::default();
    let lag = Family::<Labels, Gauge>::default();
    let state = Family::<Labels, Gauge>::default();
    let stage_seconds = Family::<Labels, Counter<f64, std::sync::atomic::AtomicU64>>::default();
    let stage_calls = Family::<Labels, Counter>::default();
    let stage_records = Family::<Labels, Counter>::default();
    let commits = Family::<Labels, Counter>::default();
    let commit_seconds = Family::<Labels, Counter<f64, std::sync::atomic::AtomicU64>>::default();
    use std::sync::atomic::Ordering::Relaxed;
    for c in connectors {
        for ((topic, partition), counts) in c.stats.partitions() {
            let labels = vec![
                ("connector".to_string(), label(&c.name)),
                ("topic".to_string(), label(&topic)),
                ("partition".to_string(), partition.to_string()),
            ];
            for (family, value) in [
                (&records_in, &counts.records_in),
                (&finished, &counts.records_finished),
                (&failed, &counts.records_failed),
                (&delivered, &counts.records_delivered),
                (&dropped, &counts.records_dropped),
                (&dead_lettered, &counts.records_dead_lettered),
            ] {
                family.get_or_create(&labels).inc_by(value.load(Relaxed));
            }
            let l = counts.lag.load(Relaxed);
            if l >= 0 {
                lag.get_or_create(&labels).set(l);
            }
        }
        for s in ["RUNNING", "PAUSED", "STOPPED", "FAILED", "UNASSIGNED"] {
            let labels = vec![
                ("connector".to_string(), label(&c.name)),
                ("state".to_string(), s.to_string()),
            ];
            state.get_or_create(&labels).set(i64::from(c.state == s));
        }
        let sink = &c.stats.sink;
        let labels = connector_label(&c.name);
        for (status, n) in sink.http_statuses() {
            let mut labels = labels.clone();
            labels.push(("status".to_string(), status.to_string()));
            http_responses.get_or_create(&labels).inc_by(n);
        }
        for (family, value) in [
            (&http_transport_errors, &sink.http_transport_errors),
            (&retries, &sink.retries),
            (&s3_objects, &sink.s3_objects),
            (&s3_bytes, &sink.s3_bytes),
        ] {
            let v = value.load(Relaxed);
            if v > 0 {
                family.get_or_create(&labels).inc_by(v);
            }
        }
        let counts = &c.stats.commits;
        for (outcome, n) in [("ok", &counts.ok), ("failed", &counts.failed)] {
            let mut labels = labels.clone();
            labels.push(("outcome".to_string(), outcome.to_string()));
            commits.get_or_create(&labels).inc_by(n.load(Relaxed));
        }
        commit_seconds
            .get_or_create(&labels)
            .inc_by(counts.seconds());
        for s in c.stats.stage_totals() {
            let labels = vec![
                ("connector".to_string(), label(&c.name)),
                ("stage".to_string(), label(&s.stage)),
            ];
            stage_seconds.get_or_create(&labels).inc_by(s.seconds);
            stage_calls.get_or_create(&labels).inc_by(s.calls);
            stage_records.get_or_create(&labels).inc_by(s.records);
        }
    }
    registry.register(
        "sluice_records_in",
        "Records consumed, per connector and partition",
        records_in,
    );
    registry.register(
        "sluice_records_finished",
        "Records finished (delivered, or deliberately dropped or skipped), per connector and partition",
        finished,
    );
    registry.register(
        "sluice_records_failed",
        "Records that failed and were logged or sent to the dead letter queue (errors.tolerance=all)",
        failed,
    );
    registry.register(
        "sluice_records_delivered",
        "Records the sink took (sent in an accepted request, or written to an object)",
        delivered,
    );
    registry.register(
        "sluice_records_dropped",
        "Records deliberately left out: filtered by a transform, a null value skipped, a failed request ignored (behavior.on.error=ignore)",
        dropped,
    );
    registry.register(
        "sluice_records_dead_lettered",
        "Failed records written to the dead letter queue",
        dead_lettered,
    );
    registry.register(
        "sluice_http_responses",
        "HTTP answers the sink got, by status code (retried attempts included)",
        http_responses,
    );
    registry.register(
        "sluice_http_transport_errors",
        "HTTP requests that got no answer (connection refused, timeout)",
        http_transport_errors,
    );
    registry.register(
        "sluice_sink_retries",
        "Requests the sink sent again after a retryable failure (HTTP or S3)",
        retries,
    );
    registry.register(
        "sluice_s3_objects_uploaded",
        "S3 objects made visible",
        s3_objects,
    );
    registry.register(
        "sluice_s3_bytes_uploaded",
        "Bytes sent to S3 in objects and parts",
        s3_bytes,
    );
    registry.register("sluice_consumer_lag", "Messages between the consumer's position and the partition's end, from librdkafka's statistics", lag);
    registry.register(
        "sluice_connector_state",
        "1 for the state each connector is in",
        state,
    );
    registry.register(
        "sluice_stage_seconds",
        "Time spent per pipeline stage: each plugin call, the sink",
        stage_seconds,
    );
    registry.register(
        "sluice_stage_calls",
        "Calls per pipeline stage",
        stage_calls,
    );
    registry.register(
        "sluice_stage_records",
        "Records through each pipeline stage",
        stage_records,
    );
    registry.register(
        "sluice_offset_commits",
        "Offset commits, by outcome: ok (the group took them) or failed (the next commit carries the same offsets or later)",
        commits,
    );
    registry.register(
        "sluice_offset_commit_seconds",
        "Time spent waiting for the group's answer to offset commits",
        commit_seconds,
    );
    let h = histograms();
    registry.register(
        "sluice_batch_records",
        "Consumed records per finished batch",
        h.records.clone(),
    );
    registry.register(
        "sluice_batch_duration_seconds",
        "Time from a batch's hand-over to the pipeline until it was delivered",
        h.seconds.clone(),
    );
    let rss = Gauge::<i64>::default();
    rss.set(resident_bytes());
    registry.register(
        "process_resident_memory_bytes",
        "Resident memory of the sluice process",
        rss,
    );
    let mut out = String::new();
    let _ = encode(&mut out, &registry);
    out
}

/// The process's resident memory (`VmRSS` of /proc/self/status; 0 where
/// there is no /proc).
pub fn resident_bytes() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<i64>().ok()
        })
        .map_or(0, |kib| kib * 1024)
}
