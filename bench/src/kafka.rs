//! The benchmark's Kafka side: preloading a topic with the standard events,
//! producing at a fixed rate, reading a group's committed offsets, and the
//! consume-only limit (a plain librdkafka consumer, run as its own process
//! so its CPU time and memory are its own).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};
use sluice::source::budget::{DEFAULT_BUDGET, MemoryBudget};

use crate::records::event;

/// The broker given with `--bootstrap`, else `$SLUICE_TEST_KAFKA`.
pub fn bootstrap(given: Option<String>) -> anyhow::Result<String> {
    given
        .or_else(|| std::env::var("SLUICE_TEST_KAFKA").ok())
        .ok_or_else(|| anyhow::anyhow!("no broker: pass --bootstrap or run through scripts/bench"))
}

/// Creates `topic` with `partitions` partitions.
pub async fn create_topic(bootstrap: &str, topic: &str, partitions: i32) -> anyhow::Result<()> {
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
    Ok(())
}

/// Creates `topic` and fills it with `n` 1 KiB JSON events, spread round
/// robin over its partitions; returns the bytes of their values.
pub async fn preload(
    bootstrap: &str,
    topic: &str,
    n: usize,
    partitions: i32,
) -> anyhow::Result<usize> {
    preload_values(bootstrap, topic, n, partitions, event).await
}

/// [`preload`] with the values `value(i)` instead of the events.
pub async fn preload_values(
    bootstrap: &str,
    topic: &str,
    n: usize,
    partitions: i32,
    value: impl Fn(u64) -> String,
) -> anyhow::Result<usize> {
    create_topic(bootstrap, topic, partitions).await?;
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
    let started = Instant::now();
    let mut value_bytes = 0;
    let mut pending = Vec::with_capacity(n);
    for i in 0..n {
        let value = value(i as u64);
        value_bytes += value.len();
        let key = format!("user-{}", i % 1000);
        let record = FutureRecord::to(topic)
            .key(&key)
            .payload(&value)
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
        "preloaded {n} records ({:.1} MiB) into {topic} ({partitions} partitions) in {:.1?}",
        value_bytes as f64 / 1048576.0,
        started.elapsed()
    );
    Ok(value_bytes)
}

/// Produces the standard events to `topic` at `rate` records/s for `secs`
/// seconds, in small bursts every 5 ms, each record stamped when sent.
pub async fn produce_at(bootstrap: &str, topic: &str, rate: f64, secs: f64) -> anyhow::Result<u64> {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "1")
        .set("queue.buffering.max.messages", "1000000")
        .create()?;
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    let mut sent = 0u64;
    while started.elapsed().as_secs_f64() < secs {
        tick.tick().await;
        let due = (started.elapsed().as_secs_f64() * rate) as u64;
        while sent < due {
            let value = event(sent);
            let key = format!("user-{}", sent % 1000);
            producer
                .send_result(FutureRecord::to(topic).key(&key).payload(&value))
                .map_err(|(e, _)| anyhow::anyhow!("produce: {e}"))?;
            sent += 1;
        }
    }
    producer.flush(Duration::from_secs(30))?;
    Ok(sent)
}

/// The sum of `group`'s committed offsets on `topic`.
pub fn committed_sum(bootstrap: &str, group: &str, topic: &str, partitions: i32) -> i64 {
    let Ok(consumer) = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create::<BaseConsumer>()
    else {
        return 0;
    };
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

/// Reads every partition of `topic` from its end with a plain consumer,
/// until `stop` is set, and records each record's age on arrival (now minus
/// its timestamp, in ms): the latency Kafka itself adds to a live feed.
pub fn tail_latencies(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> anyhow::Result<Vec<i64>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", format!("{topic}-tail"))
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "100")
        .create()?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::End)?;
    }
    consumer.assign(&tpl)?;
    let mut ages = Vec::new();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(50))
            && let Some(ts) = m.timestamp().to_millis()
        {
            ages.push(sluice::pipeline::now_ms() - ts);
        }
    }
    Ok(ages)
}

/// What the consume-only process measured of itself.
#[derive(Debug, Serialize, Deserialize)]
pub struct Drained {
    pub records: u64,
    pub bytes: u64,
    /// Seconds from the first record to the last.
    pub seconds: f64,
    pub cpu_secs: f64,
    pub peak_rss_kib: u64,
}

/// Drains `records` records of `topic` with a plain consumer configured as
/// Sluice configures its own (`sluice::config::kafka`), and measures itself.
pub fn drain(
    bootstrap: &str,
    topic: &str,
    records: u64,
    partitions: usize,
) -> anyhow::Result<Drained> {
    let mut raw = BTreeMap::new();
    raw.insert(
        "bootstrap.servers".to_string(),
        toml::Value::String(bootstrap.to_string()),
    );
    let props = sluice::config::kafka::consumer_properties(&format!("{topic}-consume-only"), &raw)
        .map_err(|p| {
            let p: Vec<String> = p.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("consumer properties: {}", p.join("; "))
        })?;
    // The prefetch `sluice run` gives a consumer of `partitions` partitions
    // with the default budget and the scenarios' 500-record batches.
    let budget = std::sync::Arc::new(MemoryBudget::new(DEFAULT_BUDGET));
    let limits = sluice::record::BatchLimits {
        max_records: 500,
        max_bytes: 5 << 20,
        linger: Duration::from_millis(100),
    };
    let registration = budget.register(partitions, &limits);
    let mut props = props;
    registration.prefetch.apply(&mut props);
    let mut config = ClientConfig::new();
    for (k, v) in &props {
        config.set(k, v);
    }
    let consumer: BaseConsumer = config.create()?;
    consumer.subscribe(&[topic])?;
    let (mut seen, mut bytes, mut first) = (0u64, 0u64, None);
    let deadline = Instant::now() + Duration::from_secs(300);
    while seen < records {
        anyhow::ensure!(
            Instant::now() < deadline,
            "consume-only: {seen} of {records}"
        );
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            let m = m?;
            bytes += m.payload().map_or(0, <[u8]>::len) as u64;
            first.get_or_insert_with(Instant::now);
            seen += 1;
        }
    }
    let seconds = first.map_or(0.0, |f| f.elapsed().as_secs_f64());
    let usage = crate::sluice_run::proc_usage(std::process::id())?;
    Ok(Drained {
        records: seen,
        bytes,
        seconds,
        cpu_secs: usage.cpu_secs,
        peak_rss_kib: usage.peak_rss_kib,
    })
}
