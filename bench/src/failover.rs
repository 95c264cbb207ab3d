//! Failover: three workers sharing a `--group-id` run one connector
//! (`tasks.max=6`, 12 partitions) under a steady feed while one is killed
//! with SIGKILL, a fourth joins, and another leaves with SIGTERM. Every
//! record carries its partition and offset to the receiver, which notes
//! when each arrived: the benchmark prints records/s per second, the
//! longest time any partition went without a delivery after each event, and
//! the duplicates and losses. Targets: a killed worker's partitions deliver
//! again within 15 s, a joining or leaving worker stalls no partition for
//! more than 5 s, nothing lost.

use std::collections::{BTreeMap, HashMap};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use rdkafka::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use serde::Serialize;
use serde_json::{Value, json};

use crate::sluice_run::{SluiceRun, write_figures};

const PARTITIONS: i32 = 12;
const TASKS: u32 = 6;

#[derive(clap::Args)]
pub struct Args {
    /// Kafka bootstrap servers [default: $SLUICE_TEST_KAFKA; scripts/bench starts a broker].
    #[arg(long)]
    bootstrap: Option<String>,
    /// Records produced per second, spread over the 12 partitions.
    #[arg(long, default_value_t = 2000)]
    rate: u64,
    /// Seconds between events (kill, join, leave) [default: 30; 6 with --quick].
    #[arg(long)]
    every: Option<u64>,
    /// A short run for CI: it proves the benchmark runs, its times mean little.
    #[arg(long)]
    quick: bool,
    /// Extra `--worker KEY=VALUE` settings for every worker, e.g.
    /// `consumer.session.timeout.ms=45000` for Kafka's default session.
    #[arg(long = "worker")]
    worker: Vec<String>,
    /// Where to write the figures as JSON [default: $CARGO_TARGET_DIR/bench/failover.json].
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// When each (partition, offset) arrived, and how often.
#[derive(Default)]
struct Arrivals {
    /// Per partition: offset → arrival times (more than one: a duplicate).
    seen: Mutex<HashMap<i64, BTreeMap<i64, Vec<Instant>>>>,
}

impl Arrivals {
    fn receive(&self, body: &[u8]) {
        let now = Instant::now();
        let Ok(Value::Array(records)) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        let mut seen = self.seen.lock().unwrap();
        for r in records {
            if let (Some(p), Some(o)) = (r["p"].as_i64(), r["o"].as_i64()) {
                seen.entry(p).or_default().entry(o).or_default().push(now);
            }
        }
    }
}

/// One event of the run and the longest stall after it.
#[derive(Serialize)]
struct EventFigures {
    event: String,
    at_s: f64,
    /// Longest time a partition went without a delivery, from the event to
    /// the next one (or the end of the feed).
    longest_stall_s: f64,
    partition: i64,
    target_s: f64,
}

#[derive(Serialize)]
struct Figures {
    rate: u64,
    produced: u64,
    delivered_distinct: u64,
    duplicates: u64,
    lost: u64,
    worker_settings: Vec<String>,
    events: Vec<EventFigures>,
    records_per_second: Vec<u64>,
}

/// A worker of the group: its process and REST address.
struct Worker {
    run: SluiceRun,
    addr: String,
}

fn start_worker(
    group: &str,
    bootstrap: &str,
    plugins: &std::path::Path,
    extra: &[String],
) -> anyhow::Result<Worker> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut command = Command::new(crate::bin_dir().join("sluice"));
    command
        .arg("run")
        .args(["--listeners", &format!("http://{addr}")])
        .args(["--bootstrap-servers", bootstrap, "--group-id", group])
        .args(["--config-storage-topic", &format!("{group}-configs")])
        .args(["--status-storage-topic", &format!("{group}-status")])
        .arg("--plugin-dir")
        .arg(plugins)
        .env("SLUICE_LOG", "warn");
    for w in extra {
        command.args(["--worker", w]);
    }
    Ok(Worker {
        run: SluiceRun::spawn(command)?,
        addr,
    })
}

/// The task states `GET …/status` on `addr` reports: worker id per task.
async fn task_workers(client: &reqwest::Client, addr: &str, name: &str) -> Vec<(String, String)> {
    let Ok(r) = client
        .get(format!("http://{addr}/connectors/{name}/status"))
        .send()
        .await
    else {
        return Vec::new();
    };
    let body = r.bytes().await.unwrap_or_default();
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    v["tasks"]
        .as_array()
        .map(|t| {
            t.iter()
                .map(|t| {
                    (
                        t["state"].as_str().unwrap_or("").to_string(),
                        t["worker_id"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let bootstrap = crate::kafka::bootstrap(args.bootstrap)?;
    let every = Duration::from_secs(args.every.unwrap_or(if args.quick { 6 } else { 30 }));
    let target = crate::target_dir();
    let plugins = target.join("plugins");
    let run_id = format!("{}-{}", std::process::id(), sluice::pipeline::now_ms());
    let topic = format!("bench-failover-{run_id}");
    let group = format!("bench-failover-{run_id}");
    let name = "failover";
    crate::kafka::create_topic(&bootstrap, &topic, PARTITIONS).await?;

    // The receiver: notes each record's arrival.
    let arrivals = Arc::new(Arrivals::default());
    let app = axum::Router::new().fallback({
        let arrivals = arrivals.clone();
        move |body: Bytes| {
            let arrivals = arrivals.clone();
            async move {
                arrivals.receive(&body);
                "ok"
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/in", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let mut workers: Vec<Worker> = (0..3)
        .map(|_| start_worker(&group, &bootstrap, &plugins, &args.worker))
        .collect::<anyhow::Result<_>>()?;
    let client = reqwest::Client::new();
    let first = workers[0].addr.clone();
    let connector = json!({
        "name": name,
        "config": {
            "connector.class": "io.confluent.connect.http.HttpSinkConnector",
            "tasks.max": TASKS.to_string(),
            "topics": topic,
            "http.api.url": url,
            "request.body.format": "json",
            "batch.json.as.array": "true",
            "batch.max.size": "100",
            "batch.linger.ms": "50",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
            "transforms": "coordinates",
            "transforms.coordinates.type": "org.apache.kafka.connect.transforms.InsertField$Value",
            "transforms.coordinates.partition.field": "p",
            "transforms.coordinates.offset.field": "o"
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let created = client
            .post(format!("http://{first}/connectors"))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&connector)?)
            .send()
            .await;
        if let Ok(r) = created
            && r.status().as_u16() == 201
        {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the connector could not be created"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Every task running, spread over the three workers.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let tasks = task_workers(&client, &first, name).await;
        if tasks.len() == TASKS as usize && tasks.iter().all(|(s, _)| s == "RUNNING") {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the tasks did not all run: {tasks:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The feed: `rate` records a second, in 10 ms steps, round-robin.
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("linger.ms", "5")
        .create()?;
    let feeding = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let produced = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let start = Instant::now();
    let feed = {
        let (producer, topic, feeding, produced) = (
            producer.clone(),
            topic.clone(),
            feeding.clone(),
            produced.clone(),
        );
        let per_step = (args.rate / 100).max(1);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            let mut n = 0u64;
            while feeding.load(std::sync::atomic::Ordering::Relaxed) {
                tick.tick().await;
                for _ in 0..per_step {
                    let value = format!(r#"{{"n":{n}}}"#);
                    let record: FutureRecord<'_, (), String> = FutureRecord::to(&topic)
                        .partition((n % PARTITIONS as u64) as i32)
                        .payload(&value);
                    // Queued without waiting; librdkafka delivers in order.
                    if producer.send_result(record).is_ok() {
                        produced.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    n += 1;
                }
            }
        })
    };

    // The events; the first is the feed's start, three workers just joined.
    let mut events: Vec<(String, Instant, f64)> =
        vec![("feed starts (3 workers joined)".into(), start, 5.0)];
    tokio::time::sleep(every).await;
    let me = |w: &Worker| w.addr.clone();
    let holding = task_workers(&client, &first, name).await;
    let victim = workers
        .iter()
        .skip(1)
        .position(|w| holding.iter().any(|(_, id)| *id == me(w)))
        .map_or(2, |i| i + 1);
    let killed = workers.remove(victim);
    killed.run.kill9();
    events.push((format!("kill -9 {}", killed.addr), Instant::now(), 15.0));
    tokio::time::sleep(every).await;
    workers.push(start_worker(&group, &bootstrap, &plugins, &args.worker)?);
    events.push((
        format!("join {}", workers.last().map(me).unwrap_or_default()),
        Instant::now(),
        5.0,
    ));
    tokio::time::sleep(every).await;
    let leaving = workers.remove(1);
    let left = leaving.addr.clone();
    events.push((format!("SIGTERM {left}"), Instant::now(), 5.0));
    let stopping = tokio::spawn(async move { leaving.run.stop().await });
    tokio::time::sleep(every).await;
    feeding.store(false, std::sync::atomic::Ordering::Relaxed);
    feed.await?;
    let feed_end = Instant::now();
    let _ = producer.flush(Duration::from_secs(30));
    let _ = stopping.await;
    let produced = produced.load(std::sync::atomic::Ordering::Relaxed);

    // Drain: until every record arrived, or a minute without progress.
    let mut last = 0u64;
    let mut still = Instant::now();
    loop {
        let distinct: u64 = arrivals
            .seen
            .lock()
            .unwrap()
            .values()
            .map(|m| m.len() as u64)
            .sum();
        if distinct >= produced || still.elapsed() > Duration::from_secs(60) {
            break;
        }
        if distinct != last {
            last = distinct;
            still = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for w in workers {
        let _ = w.run.stop().await;
    }

    let seen = arrivals.seen.lock().unwrap();
    let distinct: u64 = seen.values().map(|m| m.len() as u64).sum();
    let duplicates: u64 = seen
        .values()
        .flat_map(|m| m.values())
        .map(|a| a.len() as u64 - 1)
        .sum();
    // Records/s per second since the feed started (first arrivals only).
    let secs = feed_end.duration_since(start).as_secs() as usize + 1;
    let mut per_second = vec![0u64; secs];
    for at in seen.values().flat_map(|m| m.values()).map(|a| a[0]) {
        if let Some(s) = at.checked_duration_since(start)
            && let Some(slot) = per_second.get_mut(s.as_secs() as usize)
        {
            *slot += 1;
        }
    }
    // For each event: the longest gap between first arrivals of any one
    // partition, among gaps that open from a second before the event until
    // the next event (or the end of the feed): a stall that began earlier is
    // an earlier event's.
    let mut figures_events = Vec::new();
    for (i, (what, at, target)) in events.iter().enumerate() {
        // The next event's window opens a second before it.
        let until = events
            .get(i + 1)
            .map_or(feed_end, |e| e.1 - Duration::from_secs(1));
        let mut worst = (0.0f64, -1i64);
        for (p, offsets) in seen.iter() {
            let mut times: Vec<Instant> = offsets.values().map(|a| a[0]).collect();
            times.sort();
            // The first gap counts from the event (the feed's start).
            let first = times.first().map(|t| vec![*at, *t]).unwrap_or_default();
            for pair in first.windows(2).chain(times.windows(2)) {
                let (a, b) = (pair[0], pair[1]);
                if b > *at && a + Duration::from_secs(1) >= *at && a < until {
                    let gap = b.duration_since(a).as_secs_f64();
                    if gap > worst.0 {
                        worst = (gap, *p);
                    }
                }
            }
        }
        figures_events.push(EventFigures {
            event: what.clone(),
            at_s: at.duration_since(start).as_secs_f64(),
            longest_stall_s: worst.0,
            partition: worst.1,
            target_s: *target,
        });
    }
    drop(seen);

    println!(
        "\nFailover: 3 workers, one connector (tasks.max={TASKS}, {PARTITIONS} partitions), {} records/s{}\n",
        args.rate,
        if args.worker.is_empty() {
            String::new()
        } else {
            format!(", --worker {}", args.worker.join(" --worker "))
        }
    );
    println!("records/s per second since the feed started:");
    for (chunk_start, chunk) in per_second.chunks(10).enumerate() {
        let row: Vec<String> = chunk.iter().map(|n| format!("{n:>5}")).collect();
        println!("  {:>4} s: {}", chunk_start * 10, row.join(" "));
    }
    println!(
        "\n{:<32} {:>8} {:>16} {:>10} {:>8}",
        "event", "at", "longest stall", "partition", "target"
    );
    for e in &figures_events {
        println!(
            "{:<32} {:>7.1}s {:>15.1}s {:>10} {:>7.0}s{}",
            e.event,
            e.at_s,
            e.longest_stall_s,
            e.partition,
            e.target_s,
            if e.longest_stall_s <= e.target_s {
                ""
            } else {
                "  (over)"
            }
        );
    }
    let lost = produced.saturating_sub(distinct);
    println!(
        "\nproduced {produced}, delivered {distinct} distinct, {duplicates} duplicates, {lost} lost"
    );
    let figures = Figures {
        rate: args.rate,
        produced,
        delivered_distinct: distinct,
        duplicates,
        lost,
        worker_settings: args.worker,
        events: figures_events,
        records_per_second: per_second,
    };
    write_figures(args.out, &target, "failover", &figures)?;
    anyhow::ensure!(lost == 0, "{lost} records were lost");
    Ok(())
}
