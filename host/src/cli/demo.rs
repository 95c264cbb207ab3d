//! `sluice demo`: the main job with nothing installed: an embedded
//! Kafka-protocol broker (librdkafka's mock cluster) seeded with sample
//! events, a local HTTP receiver, and a Treasure-Data-style connector run by
//! the same code as `sluice run`. By default it keeps going until Ctrl-C: a
//! steady feed with an occasional malformed event (dead-lettered), the REST
//! API and the status page served, and a summary line every few seconds.
//! `--once` delivers the seeded events, prints the requests and the
//! committed offsets, and exits.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::body::Bytes;
use clap::Args;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tokio::sync::watch;

use crate::config;
use crate::connector::{self, ConnectorStats};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Sample events to seed the embedded broker with.
    #[arg(long, default_value_t = 1000)]
    pub events: usize,
    /// The plugin directory [default: $SLUICE_PLUGIN_DIR, else target/plugins].
    #[arg(long)]
    pub plugin_dir: Option<PathBuf>,
    /// Deliver the seeded events, print what was sent and committed, and
    /// exit (for scripts and tests). Without it the demo keeps feeding
    /// events and serves the REST API and the status page until Ctrl-C.
    #[arg(long)]
    pub once: bool,
    /// Events per second fed after the seeded ones; every 50th is
    /// malformed JSON, which the connector dead-letters.
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub rate: u32,
    /// Where the REST API and the status page listen; the next free port
    /// when this one is taken.
    #[arg(long, default_value = "127.0.0.1:8083", value_name = "HOST:PORT")]
    pub listen: String,
    /// Seconds between two summary lines.
    #[arg(long, default_value_t = 5, value_name = "S")]
    pub every: u64,
}

const TOPIC: &str = "events";
const DLQ: &str = "events-dlq";
const PARTITIONS: i32 = 2;

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    if !args.once {
        return watch(args).await;
    }
    let plugin_dir = args
        .plugin_dir
        .or_else(|| std::env::var_os("SLUICE_PLUGIN_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("target/plugins"));
    let mock = MockCluster::new(1).context("starting the embedded Kafka broker")?;
    mock.create_topic(TOPIC, PARTITIONS, 1)
        .context("creating the demo topic")?;
    let bootstrap = mock.bootstrap_servers();
    seed(&bootstrap, args.events)?;
    println!("embedded Kafka broker (librdkafka mock cluster) at {bootstrap}");
    println!(
        "  topic {TOPIC:?}: {PARTITIONS} partitions, {} sample events",
        args.events
    );

    let received = Arc::new(Mutex::new(Vec::<(usize, String)>::new()));
    let addr = start_receiver(received.clone()).await?;
    println!("local HTTP receiver at http://{addr}/my_db/events\n");

    let manifest_text = manifest_text(&plugin_dir, &bootstrap, &addr.to_string(), false);
    let manifest = config::parse(std::path::Path::new("demo.toml"), &manifest_text)?;
    let runtime = super::runtime_for(&manifest)?;
    let built = config::build(&runtime, &manifest).await.with_context(|| {
        format!(
            "the demo needs the plugins in {}: run scripts/build-plugins",
            plugin_dir.display()
        )
    })?;
    let connector = Arc::new(built.into_iter().next().expect("one connector"));
    println!(
        "running connector \"demo\": json -> insert-field -> json-batch, batches of up to 200 records\n"
    );

    let stats = Arc::new(ConnectorStats::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let task = tokio::spawn(connector::run(connector, stop_rx, stats.clone()));
    let started = Instant::now();
    while stats.records_finished.load(Ordering::Relaxed) < args.events as u64 {
        if task.is_finished() || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop_tx.send(true);
    task.await.context("connector task")??;

    for (i, (records, first)) in received
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .enumerate()
    {
        println!(
            "request {:>2}: POST /my_db/events, {records} records, first: {first}",
            i + 1
        );
    }
    let delivered = stats.records_finished.load(Ordering::Relaxed);
    println!(
        "\n{delivered} of {} events delivered in {:.2?}",
        args.events,
        started.elapsed()
    );
    println!(
        "committed offsets of group connect-demo: {}",
        committed(&bootstrap)?.join(", ")
    );
    Ok(if delivered as usize == args.events {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn seed(bootstrap: &str, events: usize) -> anyhow::Result<()> {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()?;
    for i in 0..events {
        let (key, value) = sample(i, false);
        let record = BaseRecord::to(TOPIC)
            .key(&key)
            .payload(&value)
            .partition((i % PARTITIONS as usize) as i32);
        producer
            .send(record)
            .map_err(|(e, _)| anyhow::anyhow!("seeding the demo topic: {e}"))?;
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(10))?;
    Ok(())
}

async fn start_receiver(
    received: Arc<Mutex<Vec<(usize, String)>>>,
) -> anyhow::Result<std::net::SocketAddr> {
    let app = axum::Router::new().fallback(move |body: Bytes| {
        let received = received.clone();
        async move {
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let records = json["records"].as_array().map_or(0, Vec::len);
            let first = json["records"][0].to_string();
            let mut r = received.lock().unwrap_or_else(|p| p.into_inner());
            // The watched demo runs for hours: only the first requests
            // are kept, with a running count of the records.
            if r.len() < 100 {
                r.push((records, first));
            } else {
                r[99].0 += records;
            }
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}

fn committed(bootstrap: &str) -> anyhow::Result<Vec<String>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "connect-demo")
        .create()?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition(TOPIC, p);
    }
    let got = consumer.committed_offsets(tpl, Duration::from_secs(5))?;
    Ok((0..PARTITIONS)
        .map(|p| match got.find_partition(TOPIC, p).map(|e| e.offset()) {
            Some(Offset::Offset(o)) => format!("{TOPIC}-{p}={o}"),
            _ => format!("{TOPIC}-{p}=none"),
        })
        .collect())
}

/// The demo as one watches it: a steady feed, the REST API and the status
/// page, a summary line every few seconds, until Ctrl-C.
async fn watch(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let plugin_dir = args
        .plugin_dir
        .clone()
        .or_else(|| std::env::var_os("SLUICE_PLUGIN_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("target/plugins"));
    let plugin_dir = std::path::absolute(&plugin_dir).unwrap_or(plugin_dir);
    let mock = MockCluster::new(1).context("starting the embedded Kafka broker")?;
    mock.create_topic(TOPIC, PARTITIONS, 1)
        .context("creating the demo topic")?;
    mock.create_topic(DLQ, 1, 1)
        .context("creating the dead letter topic")?;
    let bootstrap = mock.bootstrap_servers();
    seed(&bootstrap, args.events)?;
    let received = Arc::new(Mutex::new(Vec::<(usize, String)>::new()));
    let receiver = start_receiver(received.clone()).await?;
    // The API's address, found now so that it can be printed: the asked
    // one, else a free port.
    let api = match std::net::TcpListener::bind(&args.listen) {
        Ok(l) => l.local_addr()?,
        Err(_) => std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?,
    };
    let manifest = std::env::temp_dir().join(format!("sluice-demo-{}.toml", std::process::id()));
    std::fs::write(
        &manifest,
        manifest_text(&plugin_dir, &bootstrap, &receiver.to_string(), true),
    )
    .with_context(|| format!("writing the demo's manifest {}", manifest.display()))?;
    println!("embedded Kafka broker (librdkafka mock cluster) at {bootstrap}");
    println!(
        "  topic {TOPIC:?}: {PARTITIONS} partitions, {} sample events, then {} a second (every 50th malformed: dead-lettered to {DLQ:?})",
        args.events, args.rate
    );
    println!("local HTTP receiver at http://{receiver}/my_db/events");
    println!("starting the connector (the plugins compile on the first run)...");

    let (stop_feed, feed_stopped) = watch::channel(false);
    let feeder = tokio::task::spawn_blocking({
        let bootstrap = bootstrap.clone();
        let (rate, start) = (args.rate, args.events);
        move || feed(&bootstrap, rate, start, feed_stopped)
    });
    let summary = tokio::spawn({
        let (bootstrap, received) = (bootstrap.clone(), received.clone());
        let every = Duration::from_secs(args.every.max(1));
        async move {
            // The addresses are shown once the API answers.
            while tokio::net::TcpStream::connect(api).await.is_err() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            println!("status page:  http://{api}/ui   (pause and resume the connector there)");
            println!(
                "REST API:     http://{api}/connectors/demo/status   metrics: http://{api}/metrics"
            );
            println!("Ctrl-C stops the demo.\n");
            let mut last = (Instant::now(), 0usize);
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let delivered = delivered_so_far(&received);
                let now = Instant::now();
                let rate = (delivered - last.1) as f64 / now.duration_since(last.0).as_secs_f64();
                last = (now, delivered);
                let b = bootstrap.clone();
                let (dead, lag) = tokio::task::spawn_blocking(move || progress(&b))
                    .await
                    .unwrap_or((None, None));
                let show = |v: Option<i64>| v.map_or_else(|| "?".to_string(), |v| v.to_string());
                println!(
                    "delivered {delivered} · dead-lettered {} · lag {} · {rate:.0} records/s",
                    show(dead),
                    show(lag)
                );
            }
        }
    });
    let args = <RunWrapper as clap::Parser>::try_parse_from([
        "run",
        &manifest.display().to_string(),
        "--listeners",
        &format!("http://{api}"),
        "--bootstrap-servers",
        &bootstrap,
    ])
    .context("the demo's arguments to `sluice run`")?;
    let code = super::run::run(args.run).await;
    let _ = std::fs::remove_file(&manifest);
    summary.abort();
    let _ = stop_feed.send(true);
    let fed = feeder.await.unwrap_or(Ok(0)).unwrap_or(0);
    let delivered = delivered_so_far(&received);
    println!(
        "\nstopped: {fed} events produced, {delivered} delivered; committed offsets of group connect-demo: {}",
        committed(&bootstrap)?.join(", ")
    );
    drop(mock);
    code
}

/// `sluice run`'s arguments, parsed as the command line would give them.
#[derive(clap::Parser)]
struct RunWrapper {
    #[command(flatten)]
    run: super::run::RunArgs,
}

/// Produces `rate` events a second after the `start` seeded ones, every
/// 50th malformed, until `stop`; the number produced.
fn feed(
    bootstrap: &str,
    rate: u32,
    start: usize,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<u64> {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()?;
    let mut i = start;
    let pause = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    while !*stop.borrow() {
        let (key, value) = sample(i, i % 50 == 49);
        let record = BaseRecord::to(TOPIC)
            .key(&key)
            .payload(&value)
            .partition((i % PARTITIONS as usize) as i32);
        if producer.send(record).is_ok() {
            i += 1;
        }
        producer.poll(Duration::ZERO);
        std::thread::sleep(pause);
    }
    producer.flush(Duration::from_secs(5))?;
    Ok(i as u64)
}

/// The dead letters written so far and the connector's lag (records not
/// yet committed), read from the broker.
fn progress(bootstrap: &str) -> (Option<i64>, Option<i64>) {
    let Ok(consumer) = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "connect-demo")
        .create::<BaseConsumer>()
    else {
        return (None, None);
    };
    let timeout = Duration::from_secs(2);
    let dead = consumer
        .fetch_watermarks(DLQ, 0, timeout)
        .ok()
        .map(|(_, high)| high);
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition(TOPIC, p);
    }
    let lag = consumer.committed_offsets(tpl, timeout).ok().map(|got| {
        (0..PARTITIONS)
            .map(|p| {
                let high = consumer
                    .fetch_watermarks(TOPIC, p, timeout)
                    .map_or(0, |(_, h)| h);
                let done = match got.find_partition(TOPIC, p).map(|e| e.offset()) {
                    Some(Offset::Offset(o)) => o,
                    _ => 0,
                };
                (high - done).max(0)
            })
            .sum()
    });
    (dead, lag)
}

/// The demo's manifest: its connector from the embedded broker to the
/// receiver, with the dead letter queue when `dead_letters`.
fn manifest_text(
    plugin_dir: &std::path::Path,
    bootstrap: &str,
    receiver: &str,
    dead_letters: bool,
) -> String {
    let errors = if dead_letters {
        format!(
            r#""errors.tolerance" = "all"
"errors.deadletterqueue.topic.name" = "{DLQ}"
"errors.deadletterqueue.topic.replication.factor" = 1
"errors.deadletterqueue.context.headers.enable" = true
"#
        )
    } else {
        String::new()
    };
    format!(
        r#"plugin_dir = "{plugins}"

[[connectors]]
name = "demo"
topics = "{TOPIC}"
kafka = {{ "bootstrap.servers" = "{bootstrap}" }}
"offset.flush.interval.ms" = 500
{errors}"value.converter" = {{ plugin = "json", config = {{ "schemas.enable" = false }} }}
transforms = [{{ plugin = "insert-field", config = {{ "topic.field" = "kafka_topic", "offset.field" = "kafka_offset" }} }}]

[connectors.sink]
type = "http"
"http.api.url" = "http://{receiver}/my_db/events"
headers = "Authorization: TD1 demo-key|Content-Type: application/vnd.treasuredata.v1+json"
"batch.max.size" = 200
"batch.linger.ms" = 300
formatter = {{ plugin = "json-batch", config = {{ "request.body.format" = "json", "batch.json.as.array" = true, "batch.prefix" = '{{"records":', "batch.suffix" = "}}" }} }}
"#,
        plugins = plugin_dir.display()
    )
}

/// Sample event `i` (key and JSON value), cut short when `malformed`.
fn sample(i: usize, malformed: bool) -> (String, String) {
    let kinds = ["page_view", "add_to_cart", "checkout", "search"];
    let user = 1000 + i % 37;
    let value = if malformed {
        format!(r#"{{"user":{user},"event":"#)
    } else {
        format!(
            r#"{{"user":{user},"event":"{}","ts":{}}}"#,
            kinds[i % kinds.len()],
            1_700_000_000_000u64 + i as u64
        )
    };
    (format!("user-{user}"), value)
}

/// The records the receiver got so far.
fn delivered_so_far(received: &Mutex<Vec<(usize, String)>>) -> usize {
    received
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(n, _)| n)
        .sum()
}
