//! What a worker costs per connector at rest: the resident memory of
//! `sluice run` before and after `N` connectors are created through the REST
//! API (JSON converter → InsertField → json-batch, one idle topic each), and
//! how long each creation took; standalone, and with `--group-id`, where
//! each connector adds its task claim consumer and statuses go through Kafka.

use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use crate::sluice_run::{SluiceRun, proc_usage, write_figures};

#[derive(clap::Args)]
pub struct Args {
    /// Kafka bootstrap servers [default: $SLUICE_TEST_KAFKA; scripts/bench starts a broker].
    #[arg(long)]
    bootstrap: Option<String>,
    /// Connectors to create [default: 10; 3 with --quick].
    #[arg(long)]
    connectors: Option<usize>,
    /// A short run for CI.
    #[arg(long)]
    quick: bool,
    /// Where to write the figures as JSON [default: $CARGO_TARGET_DIR/bench/workers.json].
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// One mode's figures.
#[derive(Serialize)]
struct Figures {
    mode: &'static str,
    connectors: usize,
    /// The worker with no connector: the baseline.
    idle_rss_mib: f64,
    rss_mib: f64,
    per_connector_mib: f64,
    create_p50_ms: f64,
    create_max_ms: f64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let bootstrap = crate::kafka::bootstrap(args.bootstrap)?;
    let n = args.connectors.unwrap_or(if args.quick { 3 } else { 10 });
    let target = crate::target_dir();
    let (addr, _tally) = crate::receiver::start().await?;
    let url = format!("http://{addr}/in");
    let run_id = format!(
        "{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    );
    let mut all = Vec::new();
    for mode in ["standalone", "group"] {
        let group = format!("bench-workers-{run_id}-{mode}");
        let mut extra: Vec<String> = Vec::new();
        if mode == "group" {
            extra.extend(
                [
                    "--group-id",
                    &group,
                    "--config-storage-topic",
                    &format!("{group}-configs"),
                    "--status-storage-topic",
                    &format!("{group}-status"),
                ]
                .map(String::from),
            );
        }
        let figures = measure(&target, &bootstrap, &url, &group, mode, n, &extra).await?;
        all.push(figures);
    }
    println!(
        "\nA worker at rest with {n} connectors (release build; RSS after each connector's tasks run):\n"
    );
    println!(
        "{:<12} {:>10} {:>14} {:>12} {:>15} {:>12} {:>12}",
        "mode",
        "connectors",
        "idle (base)",
        "with them",
        "per connector",
        "create p50",
        "create max"
    );
    for f in &all {
        println!(
            "{:<12} {:>10} {:>10.1} MiB {:>8.1} MiB {:>11.1} MiB {:>9.1} ms {:>9.1} ms",
            f.mode,
            f.connectors,
            f.idle_rss_mib,
            f.rss_mib,
            f.per_connector_mib,
            f.create_p50_ms,
            f.create_max_ms
        );
    }
    write_figures(args.out, &target, "workers", &all)
}

async fn measure(
    target: &std::path::Path,
    bootstrap: &str,
    url: &str,
    prefix: &str,
    mode: &'static str,
    n: usize,
    extra: &[String],
) -> anyhow::Result<Figures> {
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let mut command = Command::new(crate::bin_dir().join("sluice"));
    command
        .arg("run")
        .args(["--listeners", &base, "--bootstrap-servers", bootstrap])
        .arg("--plugin-dir")
        .arg(target.join("plugins"))
        .args(extra)
        .env("SLUICE_LOG", "warn");
    let process = SluiceRun::spawn(command)?;
    let pid = process.pid();
    let client = reqwest::Client::new();
    wait(&client, &base, "/health", Duration::from_secs(60), |_| true).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = proc_usage(pid)?.rss_kib;
    let mut took = Vec::with_capacity(n);
    for i in 0..n {
        let topic = format!("{prefix}-{i}");
        crate::kafka::create_topic(bootstrap, &topic, 1).await?;
        let body = json!({"name": format!("c{i}"), "config": connector(&topic, url)});
        let started = Instant::now();
        let resp = client
            .post(format!("{base}/connectors"))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body)?)
            .send()
            .await?;
        took.push(started.elapsed().as_secs_f64() * 1e3);
        let status = resp.status();
        anyhow::ensure!(
            status.as_u16() == 201,
            "creating c{i}: {status} {}",
            resp.text().await?
        );
    }
    wait(
        &client,
        &base,
        "/connectors?expand=status",
        Duration::from_secs(60),
        |v| {
            v.as_object().is_some_and(|m| {
                m.len() == n
                    && m.values().all(|c| {
                        c["status"]["tasks"].as_array().is_some_and(|t| {
                            !t.is_empty() && t.iter().all(|t| t["state"] == "RUNNING")
                        })
                    })
            })
        },
    )
    .await?;
    // Settle: consumers joined, first fetches and statistics done.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let usage = process.stop().await?;
    took.sort_by(f64::total_cmp);
    let mib = |kib: u64| kib as f64 / 1024.0;
    Ok(Figures {
        mode,
        connectors: n,
        idle_rss_mib: mib(idle),
        rss_mib: mib(usage.rss_kib),
        per_connector_mib: (mib(usage.rss_kib) - mib(idle)) / n.max(1) as f64,
        create_p50_ms: took.get(took.len() / 2).copied().unwrap_or(0.0),
        create_max_ms: took.last().copied().unwrap_or(0.0),
    })
}

/// Connect's connector JSON for one idle topic.
fn connector(topic: &str, url: &str) -> Value {
    json!({
        "connector.class": "io.confluent.connect.http.HttpSinkConnector",
        "tasks.max": "1",
        "topics": topic,
        "http.api.url": url,
        "request.body.format": "json",
        "batch.json.as.array": "true",
        "batch.max.size": "500",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "transforms": "addSource",
        "transforms.addSource.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.addSource.static.field": "source",
        "transforms.addSource.static.value": "sluice"
    })
}

/// Polls `GET path` until it answers 200 with a body `ok` accepts.
async fn wait(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    limit: Duration,
    ok: impl Fn(&Value) -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(r) = client.get(format!("{base}{path}")).send().await
            && r.status().is_success()
        {
            let v: Value = serde_json::from_slice(&r.bytes().await?).unwrap_or(Value::Null);
            if ok(&v) {
                return Ok(());
            }
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{path} did not answer as expected within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
