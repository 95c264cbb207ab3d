//! The S3 archive benchmark: the real `sluice` binary draining a preloaded
//! topic (1 KiB JSON events) into the local S3-compatible server as `jsonl`
//! objects with the Default partitioner and `flush.size` 10000, beside the
//! consume-only limit of the same records in the same run (a plain
//! librdkafka consumer with Sluice's consumer settings). Records count as
//! delivered when their offsets are committed, which happens only after
//! their objects are uploaded.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde::Serialize;

use crate::pipeline::preload;
use crate::sluice_run::{SluiceRun, write_figures, write_manifest};

#[derive(clap::Args)]
pub struct Args {
    /// Kafka bootstrap servers [default: $SLUICE_TEST_KAFKA; scripts/bench starts a broker].
    #[arg(long)]
    bootstrap: Option<String>,
    /// S3 endpoint [default: $SLUICE_TEST_S3; scripts/bench starts MinIO].
    #[arg(long)]
    endpoint: Option<String>,
    /// Records to preload.
    #[arg(long, default_value_t = 200_000)]
    records: usize,
    /// Partitions of the topic.
    #[arg(long, default_value_t = 4)]
    partitions: i32,
    /// `flush.size` of the sink.
    #[arg(long, default_value_t = 10_000)]
    flush_size: usize,
    /// A short run for CI.
    #[arg(long)]
    quick: bool,
    /// Where to write the figures as JSON [default: <target>/bench/s3.json].
    #[arg(long)]
    json_out: Option<PathBuf>,
}

#[derive(Serialize)]
struct Figures {
    records: usize,
    partitions: i32,
    value_bytes: usize,
    flush_size: usize,
    consume_only_records_per_sec: f64,
    records_per_sec: f64,
    mib_per_sec: f64,
    cpu_seconds_per_million: f64,
    peak_rss_mib: f64,
    start_to_first_upload_ms: u128,
}

/// The sum of `group`'s committed offsets on `topic`.
fn committed_sum(consumer: &BaseConsumer, topic: &str, partitions: i32) -> i64 {
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let Ok(got) = consumer.committed_offsets(tpl, Duration::from_secs(5)) else {
        return 0;
    };
    got.elements()
        .iter()
        .map(|e| match e.offset() {
            Offset::Offset(o) => o,
            _ => 0,
        })
        .sum()
}

/// Drains `topic` with a plain consumer; returns records/s after the first record.
fn consume_only(bootstrap: &str, topic: &str, n: usize) -> anyhow::Result<f64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", format!("{topic}-consume-only"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()?;
    consumer.subscribe(&[topic])?;
    let (mut seen, mut first) = (0usize, None);
    let deadline = Instant::now() + Duration::from_secs(300);
    while seen < n {
        anyhow::ensure!(Instant::now() < deadline, "consume-only: {seen} of {n}");
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            m?;
            first.get_or_insert_with(Instant::now);
            seen += 1;
        }
    }
    let secs = first.map_or(1e-6, |f| f.elapsed().as_secs_f64().max(1e-6));
    Ok((n - 1) as f64 / secs)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let bootstrap = args
        .bootstrap
        .or_else(|| std::env::var("SLUICE_TEST_KAFKA").ok())
        .ok_or_else(|| {
            anyhow::anyhow!("no broker: pass --bootstrap or run through scripts/bench")
        })?;
    let endpoint = args
        .endpoint
        .or_else(|| std::env::var("SLUICE_TEST_S3").ok())
        .ok_or_else(|| {
            anyhow::anyhow!("no S3 server: pass --endpoint or run through scripts/bench")
        })?;
    let n = if args.quick { 20_000 } else { args.records };
    let flush = if args.quick { 2_500 } else { args.flush_size };
    let topic = format!("bench-s3-{}", std::process::id());
    let target = crate::target_dir();
    let value_bytes = preload(&bootstrap, &topic, n, args.partitions).await?;
    let consume_rate = consume_only(&bootstrap, &topic, n)?;

    let bucket = topic.clone();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(&endpoint)
            .force_path_style(true)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "sluice",
                "sluice-secret",
                None,
                None,
                "bench",
            ))
            .build(),
    );
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("creating bucket {bucket} at {endpoint}: {e:?}"))?;

    let manifest = write_manifest(
        &target,
        &topic,
        &bootstrap,
        &format!(
            r#""offset.flush.interval.ms" = 200
[connectors.sink]
type = "s3"
"s3.bucket.name" = "{bucket}"
"store.url" = "{endpoint}"
"s3.region" = "us-east-1"
"aws.access.key.id" = "sluice"
"aws.secret.access.key" = "sluice-secret"
"flush.size" = {flush}
# Uploads the tail that does not fill an object.
"rotate.schedule.interval.ms" = 2000
timezone = "UTC"
"#,
        ),
    )?;
    let offsets: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", format!("connect-{topic}"))
        .create()?;
    let mut run = SluiceRun::start(&target, &manifest)?;
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut first = None;
    loop {
        let done = committed_sum(&offsets, &topic, args.partitions);
        if done > 0 && first.is_none() {
            first = Some((Instant::now(), done));
        }
        if done >= n as i64 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {done} of {n} uploaded in 10 minutes"
        );
        run.ensure_running()?;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let done_at = Instant::now();
    let started = run.started;
    let usage = run.stop()?;
    let _ = std::fs::remove_dir_all(manifest.parent().expect("a directory"));

    let (first, first_records) = first.expect("an upload was committed");
    let drained = n as i64 - first_records;
    let secs = done_at.duration_since(first).as_secs_f64().max(1e-6);
    let record_bytes = value_bytes as f64 / n as f64;
    let figures = Figures {
        records: n,
        partitions: args.partitions,
        value_bytes,
        flush_size: flush,
        consume_only_records_per_sec: consume_rate,
        records_per_sec: drained as f64 / secs,
        mib_per_sec: drained as f64 * record_bytes / secs / 1048576.0,
        cpu_seconds_per_million: usage.cpu_secs / n as f64 * 1e6,
        peak_rss_mib: usage.peak_rss_kib as f64 / 1024.0,
        start_to_first_upload_ms: first.duration_since(started).as_millis(),
    };
    println!(
        "\nS3 archive (bytes -> jsonl objects, Default partitioner, flush.size {flush}, {} partitions, {:.0} B records)",
        args.partitions, record_bytes
    );
    println!("  records              {:>12}", figures.records);
    println!(
        "  consume-only rec/s   {:>12.0}",
        figures.consume_only_records_per_sec
    );
    println!(
        "  sluice rec/s         {:>12.0}  ({:.0}% of consume-only)",
        figures.records_per_sec,
        100.0 * figures.records_per_sec / consume_rate
    );
    println!("  sluice MiB/s         {:>12.1}", figures.mib_per_sec);
    println!(
        "  CPU s / M records    {:>12.1}",
        figures.cpu_seconds_per_million
    );
    println!("  peak RSS (MiB)       {:>12.1}", figures.peak_rss_mib);
    println!(
        "  start -> 1st commit  {:>9} ms (after the first {flush} records of a partition)",
        figures.start_to_first_upload_ms
    );
    write_figures(args.json_out, &target, "s3", &figures)?;
    Ok(())
}
