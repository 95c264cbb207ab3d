//! `sluice demo`: the main job with nothing installed: an embedded
//! Kafka-protocol broker (librdkafka's mock cluster) seeded with sample
//! events, a local HTTP receiver, and a Treasure-Data-style connector run by
//! the same code as `sluice run`, ending with the committed offsets.

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
}

const TOPIC: &str = "events";
const PARTITIONS: i32 = 2;

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
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

    let manifest_text = format!(
        r#"
plugin_dir = "{plugins}"

[[connectors]]
name = "demo"
topics = "{TOPIC}"
kafka = {{ "bootstrap.servers" = "{bootstrap}" }}
"offset.flush.interval.ms" = 500
"value.converter" = {{ plugin = "json", config = {{ "schemas.enable" = false }} }}
transforms = [{{ plugin = "insert-field", config = {{ "topic.field" = "kafka_topic", "offset.field" = "kafka_offset" }} }}]

[connectors.sink]
type = "http"
"http.api.url" = "http://{addr}/my_db/events"
headers = "Authorization: TD1 demo-key|Content-Type: application/vnd.treasuredata.v1+json"
"batch.max.size" = 200
"batch.linger.ms" = 300
formatter = {{ plugin = "json-batch", config = {{ "request.body.format" = "json", "batch.json.as.array" = true, "batch.prefix" = '{{"records":', "batch.suffix" = "}}" }} }}
"#,
        plugins = plugin_dir.display()
    );
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
    let kinds = ["page_view", "add_to_cart", "checkout", "search"];
    for i in 0..events {
        let value = format!(
            r#"{{"user":{},"event":"{}","ts":{}}}"#,
            1000 + i % 37,
            kinds[i % kinds.len()],
            1_700_000_000_000u64 + i as u64
        );
        let key = format!("user-{}", 1000 + i % 37);
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
            received
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((records, first));
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
