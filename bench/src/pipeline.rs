//! The Treasure Data pipeline benchmark: the real `sluice` binary draining a
//! preloaded topic on a real broker (`json` -> `insert-field` ->
//! `json-batch`, batches of 500) into a local HTTP receiver that answers 200
//! at once. Prints records/s and MiB/s after the first request, CPU seconds
//! per million records and the peak RSS of the `sluice` process.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use serde::Serialize;

use crate::records::event;
use crate::sluice_run::{SluiceRun, write_figures, write_manifest};

#[derive(clap::Args)]
pub struct Args {
    /// Kafka bootstrap servers [default: $SLUICE_TEST_KAFKA; scripts/bench starts a broker].
    #[arg(long)]
    bootstrap: Option<String>,
    /// Records to preload.
    #[arg(long, default_value_t = 200_000)]
    records: usize,
    /// Partitions of the topic.
    #[arg(long, default_value_t = 4)]
    partitions: i32,
    /// `batch.linger.ms` of the connector.
    #[arg(long, default_value_t = 200)]
    linger_ms: u64,
    /// A short run for CI.
    #[arg(long)]
    quick: bool,
    /// Where to write the figures as JSON [default: <target>/bench/pipeline.json].
    #[arg(long)]
    json_out: Option<PathBuf>,
}

#[derive(Serialize)]
struct Figures {
    records: usize,
    partitions: i32,
    value_bytes: usize,
    records_per_sec: f64,
    mib_per_sec: f64,
    cpu_seconds_per_million: f64,
    peak_rss_mib: f64,
    start_to_first_request_ms: u128,
    requests: u64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let bootstrap = args
        .bootstrap
        .or_else(|| std::env::var("SLUICE_TEST_KAFKA").ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no broker: pass --bootstrap or run through scripts/bench, which starts one"
            )
        })?;
    let n = if args.quick { 5_000 } else { args.records };
    let topic = format!("bench-td-{}", std::process::id());
    let target = crate::target_dir();

    let value_bytes = preload(&bootstrap, &topic, n, args.partitions).await?;

    let delivered = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(AtomicU64::new(0));
    let first_at = Arc::new(std::sync::Mutex::new(None::<(Instant, u64)>));
    let app = axum::Router::new().fallback({
        let (delivered, requests, first_at) =
            (delivered.clone(), requests.clone(), first_at.clone());
        move |body: Bytes| {
            let (delivered, requests, first_at) =
                (delivered.clone(), requests.clone(), first_at.clone());
            async move {
                let records = body.windows(10).filter(|w| *w == b"\"event_id\"").count() as u64;
                first_at
                    .lock()
                    .unwrap()
                    .get_or_insert((Instant::now(), records));
                delivered.fetch_add(records, Ordering::Relaxed);
                requests.fetch_add(1, Ordering::Relaxed);
                "ok"
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let manifest = write_manifest(
        &target,
        &topic,
        &bootstrap,
        &format!(
            r#""value.converter" = {{ plugin = "json", config = {{ "schemas.enable" = false }} }}
transforms = [{{ plugin = "insert-field", config = {{ "topic.field" = "kafka_topic", "offset.field" = "kafka_offset" }} }}]
[connectors.sink]
type = "http"
"http.api.url" = "http://{addr}/my_db/events"
headers = "Authorization: TD1 bench|Content-Type: application/vnd.treasuredata.v1+json"
"batch.max.size" = 500
"batch.linger.ms" = {linger}
formatter = {{ plugin = "json-batch", config = {{ "request.body.format" = "json", "batch.json.as.array" = true, "batch.prefix" = '{{"records":', "batch.suffix" = "}}" }} }}
"#,
            linger = args.linger_ms,
        ),
    )?;
    let mut run = SluiceRun::start(&target, &manifest)?;
    let deadline = Instant::now() + Duration::from_secs(600);
    while delivered.load(Ordering::Relaxed) < n as u64 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {} of {n} delivered in 10 minutes",
            delivered.load(Ordering::Relaxed)
        );
        run.ensure_running()?;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let done = Instant::now();
    let run_started = run.started;
    let usage = run.stop()?;
    let _ = std::fs::remove_dir_all(manifest.parent().expect("a directory"));

    let (first, first_records) = first_at.lock().unwrap().expect("a request arrived");
    let drained = n as u64 - first_records;
    let secs = done.duration_since(first).as_secs_f64().max(1e-6);
    let figures = Figures {
        records: n,
        partitions: args.partitions,
        value_bytes,
        records_per_sec: drained as f64 / secs,
        mib_per_sec: drained as f64 * (value_bytes as f64 / n as f64) / secs / 1048576.0,
        cpu_seconds_per_million: usage.cpu_secs / n as f64 * 1e6,
        peak_rss_mib: usage.peak_rss_kib as f64 / 1024.0,
        start_to_first_request_ms: first.duration_since(run_started).as_millis(),
        requests: requests.load(Ordering::Relaxed),
    };
    println!(
        "\nTreasure Data pipeline (json -> insert-field -> json-batch, batches of 500, {} partitions)",
        args.partitions
    );
    println!("  records            {:>12}", figures.records);
    println!("  requests           {:>12}", figures.requests);
    println!("  records/s          {:>12.0}", figures.records_per_sec);
    println!("  MiB/s              {:>12.1}", figures.mib_per_sec);
    println!(
        "  CPU s / M records  {:>12.1}",
        figures.cpu_seconds_per_million
    );
    println!("  peak RSS (MiB)     {:>12.1}", figures.peak_rss_mib);
    println!(
        "  start -> 1st req   {:>9} ms (includes the consumer group join)",
        figures.start_to_first_request_ms
    );
    write_figures(args.json_out, &target, "pipeline", &figures)?;
    Ok(())
}

/// Creates `topic` with `partitions` partitions and fills it with `n` 1 KiB
/// JSON events, spread round robin; returns the bytes of their values.
pub async fn preload(
    bootstrap: &str,
    topic: &str,
    n: usize,
    partitions: i32,
) -> anyhow::Result<usize> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()?;
    for r in admin
        .create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await?
    {
        r.map_err(|(t, e)| anyhow::anyhow!("creating {t}: {e}"))?;
    }
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "20")
        .set("batch.size", "1000000")
        .set("compression.type", "lz4")
        // Every record is queued before the first is awaited: room for all of them
        // (librdkafka's default of 100,000 messages made large runs fail with QueueFull).
        .set("queue.buffering.max.messages", "2000000")
        .set("queue.buffering.max.kbytes", "2097151")
        .create()?;
    let values: Vec<String> = (0..n as u64).map(event).collect();
    let value_bytes = values.iter().map(String::len).sum::<usize>();
    let started = Instant::now();
    let mut pending = Vec::with_capacity(n);
    for (i, v) in values.iter().enumerate() {
        let key = format!("user-{}", i % 1000);
        let record = FutureRecord::to(topic)
            .key(&key)
            .payload(v)
            .partition((i % partitions as usize) as i32);
        pending.push(
            producer
                .send_result(record)
                .map_err(|(e, _)| anyhow::anyhow!("produce: {e}"))?,
        );
    }
    for p in pending {
        p.await?.map_err(|(e, _)| anyhow::anyhow!("produce: {e}"))?;
    }
    producer.flush(Duration::from_secs(30))?;
    println!(
        "preloaded {n} records ({:.1} MiB) into {topic} in {:.1?}",
        value_bytes as f64 / 1048576.0,
        started.elapsed()
    );

    Ok(value_bytes)
}
