//! `compare`: Sluice beside its baselines, one scenario after another in
//! one run on the same preloaded topic (8 partitions of 1 KiB JSON events):
//! the consume-only limit, the passthrough and JSON pipelines in Wasm, the
//! JSON pipeline with the same plugin code compiled natively, added latency
//! at 70% of the JSON pipeline's rate, one record per request, S3 archiving,
//! and Kafka Connect doing the same HTTP and S3 jobs. Prints a table, the
//! ratios and the per-stage costs, and writes them as JSON. With `--rounds`
//! the drain scenarios run several times in turn and each ratio is given as
//! the median of its rounds, with their range.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use sluice::stats::StatsSnapshot;

use crate::connect::{self, ConnectJob};
use crate::kafka;
use crate::receiver::{self, Tally};
use crate::sluice_run::{Build, SluiceRun, Usage, write_figures, write_manifest};

#[derive(clap::Args)]
pub struct Args {
    /// Kafka bootstrap servers [default: $SLUICE_TEST_KAFKA; scripts/bench starts a broker].
    #[arg(long)]
    bootstrap: Option<String>,
    /// S3 endpoint [default: $SLUICE_TEST_S3; scripts/bench starts MinIO].
    #[arg(long)]
    endpoint: Option<String>,
    /// Records to preload (1 KiB JSON events): about 10-30 s per scenario here.
    #[arg(long, default_value_t = 1_500_000)]
    records: usize,
    /// Partitions of the topic.
    #[arg(long, default_value_t = 8)]
    partitions: i32,
    /// Records measured in the one-record-per-request scenarios (Kafka
    /// Connect's Camel HTTP sink, Sluice at batch size 1).
    #[arg(long, default_value_t = 20_000)]
    single_records: usize,
    /// Seconds of producing in the latency scenario.
    #[arg(long, default_value_t = 10.0)]
    latency_secs: f64,
    /// `batch.linger.ms` of the latency scenario.
    #[arg(long, default_value_t = 50)]
    linger_ms: u64,
    /// Records/s of the latency scenario [default: 70% of the JSON pipeline's
    /// live maximum, measured first by feeding it faster than it can go].
    #[arg(long)]
    latency_rate: Option<f64>,
    /// Seconds of each feed rate tried when finding the live maximum.
    #[arg(long, default_value_t = 5.0)]
    probe_secs: f64,
    /// Leaves out the Kafka Connect scenarios.
    #[arg(long)]
    no_connect: bool,
    /// Runs only these scenarios (comma list of consume, passthrough, json,
    /// schema, native, latency, single, s3; Kafka Connect's run with single
    /// and s3). `schema` is the JSON pipeline on the same events in
    /// `JsonConverter` envelopes (`schemas.enable=true`), a fifth as many.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Runs the drain scenarios (consume, passthrough, json, schema,
    /// native) this many times in turn, each a ratio's numerator beside its
    /// denominator, and gives each ratio as the median of its rounds with
    /// their range: on a shared machine one round's pair can fall in a busy
    /// and a quiet moment. Latency, single and s3 run once, after them.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=50))]
    rounds: u32,
    /// A short run for CI: small counts; proves every scenario runs.
    #[arg(long)]
    quick: bool,
    /// Where to write the figures as JSON [default: $CARGO_TARGET_DIR/bench/compare.json].
    #[arg(long)]
    json_out: Option<PathBuf>,
}

/// How soon after a feed step ends every record must have arrived for the
/// pipeline to count as keeping up.
const KEPT_UP: Duration = Duration::from_millis(250);

/// How fast the latency scenario feeds its topic.
enum Load {
    Fixed(f64),
    /// 70% of the live maximum, found by a ladder of feed rates up to `ceiling`.
    OfLiveMax {
        ceiling: f64,
        step_secs: f64,
    },
}

/// One scenario's figures.
#[derive(Serialize, Clone, Default)]
struct Row {
    /// Which round of the drain scenarios (`--rounds`) measured it, from 1;
    /// 0 for the scenarios that run once.
    round: u32,
    scenario: String,
    system: String,
    /// Records the rate is measured over.
    records: u64,
    requests: u64,
    records_per_sec: f64,
    mib_per_sec: f64,
    cpu_seconds_per_million: f64,
    peak_rss_mib: f64,
    /// Process start to the first delivered batch.
    start_to_first_ms: Option<f64>,
    /// Of which: process start to the first partition assignment.
    group_join_ms: Option<f64>,
    idle_rss_mib: Option<f64>,
    latency_p50_ms: Option<f64>,
    latency_p99_ms: Option<f64>,
    latency_max_ms: Option<f64>,
    /// What the JSON pipeline sustained on a live topic, producer running.
    live_max_records_per_sec: Option<f64>,
    /// The same feed's latency to a plain consumer (no sink): Kafka's share.
    kafka_p50_ms: Option<f64>,
    kafka_p99_ms: Option<f64>,
}

#[derive(Serialize)]
struct Report {
    records: usize,
    partitions: i32,
    record_bytes: f64,
    rows: Vec<Row>,
    /// Each ratio's median over the rounds.
    ratios: Vec<(String, f64)>,
    /// Each ratio as measured in each round, in round order.
    ratio_rounds: Vec<(String, Vec<f64>)>,
    stages: Vec<sluice::stats::StageSnapshot>,
    /// The same for the schema'd JSON pipeline.
    schema_stages: Vec<sluice::stats::StageSnapshot>,
}

/// What every scenario shares.
#[derive(Clone)]
struct Bench {
    target: PathBuf,
    bootstrap: String,
    endpoint: Option<String>,
    topic: String,
    partitions: i32,
    record_bytes: f64,
    addr: std::net::SocketAddr,
    tally: Arc<Tally>,
    scratch: PathBuf,
}

const JSON_CHAIN: &str = r#""value.converter" = { plugin = "json", config = { "schemas.enable" = false } }
transforms = [
  { plugin = "insert-field", config = { "topic.field" = "kafka_topic", "offset.field" = "kafka_offset", "timestamp.field" = "kafka_ts" } },
  { plugin = "drop", config = { predicate = "RecordIsTombstone" } },
]
"#;

/// The JSON pipeline on envelopes (`schemas.enable=true`).
const SCHEMA_SCENARIO: &str = "schema'd JSON pipeline (schemas.enable=true)";

/// [`JSON_CHAIN`] reading `JsonConverter` envelopes: each value carries its
/// schema, which the converter reads and keeps and `insert-field` extends.
const JSON_SCHEMA_CHAIN: &str = r#""value.converter" = { plugin = "json", config = { "schemas.enable" = true } }
transforms = [
  { plugin = "insert-field", config = { "topic.field" = "kafka_topic", "offset.field" = "kafka_offset", "timestamp.field" = "kafka_ts" } },
  { plugin = "drop", config = { predicate = "RecordIsTombstone" } },
]
"#;

pub async fn run(args: Args) -> anyhow::Result<()> {
    let bootstrap = crate::kafka::bootstrap(args.bootstrap)?;
    let endpoint = args
        .endpoint
        .or_else(|| std::env::var("SLUICE_TEST_S3").ok());
    let (n, single, latency_secs) = if args.quick {
        (20_000, 2_000, 3.0)
    } else {
        (args.records, args.single_records, args.latency_secs)
    };
    let target = crate::target_dir();
    let topic = format!("bench-cmp-{}", std::process::id());
    let scratch = std::env::temp_dir().join(format!("sluice-bench-{topic}"));
    std::fs::create_dir_all(&scratch)?;
    precompile(&target).await?;
    let value_bytes = kafka::preload(&bootstrap, &topic, n, args.partitions).await?;
    let (addr, tally) = receiver::start().await?;
    let b = Bench {
        target,
        bootstrap,
        endpoint,
        topic,
        partitions: args.partitions,
        record_bytes: value_bytes as f64 / n as f64,
        addr,
        tally,
        scratch,
    };
    let mut rows = Vec::new();
    let mut stages = Vec::new();
    let mut schema_stages = Vec::new();
    let want = |s: &str| args.only.is_empty() || args.only.iter().any(|o| o == s);
    let connect = !args.no_connect;

    // The same events in JsonConverter envelopes (about 2.6 KiB each),
    // fewer of them: the cost of a schema against the JSON pipeline's row.
    let schema_bench = if want("schema") {
        let m = (n / 5).max(1_000);
        let topic = format!("{}-schema", b.topic);
        let schema = crate::records::event_schema();
        kafka::preload_values(&b.bootstrap, &topic, m, b.partitions, |i| {
            format!(
                r#"{{"schema":{schema},"payload":{}}}"#,
                crate::records::event(i)
            )
        })
        .await?;
        Some((Bench { topic, ..b.clone() }, m))
    } else {
        None
    };
    let mut json_rates = Vec::new();
    for round in 1..=args.rounds {
        if args.rounds > 1 {
            println!("round {round} of {}", args.rounds);
        }
        let from = rows.len();
        if want("consume") {
            rows.push(b.consume_only(n as u64).await?);
        }
        if want("passthrough") {
            let passthrough = b.passthrough(500, 100);
            for build in [Build::Wasm, Build::WasmV0_1] {
                let scenario = "passthrough (bytes -> json-batch string)";
                rows.push(
                    b.sluice_row(scenario, build, &passthrough, n as u64)
                        .await?,
                );
            }
        }
        if want("json") {
            let (row, stats) = b
                .sluice_http(
                    "JSON pipeline",
                    Build::Wasm,
                    &b.json_pipeline(500, 100),
                    n as u64,
                )
                .await?;
            stages = stats.map(|s| s.stages).unwrap_or_default();
            json_rates.push(row.records_per_sec);
            rows.push(row);
        }
        if let Some((s, m)) = &schema_bench {
            let m = *m;
            let json = s.json_pipeline_of(JSON_SCHEMA_CHAIN, 500, 100);
            let (row, stats) = s
                .sluice_http(SCHEMA_SCENARIO, Build::Wasm, &json, m as u64)
                .await?;
            schema_stages = stats.map(|s| s.stages).unwrap_or_default();
            rows.push(row);
        }
        // The same JSON pipeline with contract 0.1's plugins, and native.
        for (wanted, build) in [
            (want("json"), Build::WasmV0_1),
            (want("native"), Build::Native),
        ] {
            if wanted {
                let json = b.json_pipeline(500, 100);
                rows.push(
                    b.sluice_row("JSON pipeline", build, &json, n as u64)
                        .await?,
                );
            }
        }
        for row in &mut rows[from..] {
            row.round = round;
        }
    }
    let json_rate = median(&json_rates);

    if want("latency") {
        let load = match (args.latency_rate, json_rate) {
            (Some(rate), _) => Load::Fixed(rate),
            // The preloaded drain rate bounds the ladder: with the producer
            // and the broker sharing the cores, the live maximum is lower.
            (None, Some(drain)) => Load::OfLiveMax {
                ceiling: drain,
                step_secs: if args.quick { 1.0 } else { args.probe_secs },
            },
            (None, None) => {
                anyhow::bail!("the latency scenario needs the json scenario (or --latency-rate)")
            }
        };
        rows.push(b.latency(load, latency_secs, args.linger_ms).await?);
    }
    if want("single") {
        let json = b.json_pipeline(1, 0);
        let scenario = "one record per request";
        rows.push(
            b.sluice_row(scenario, Build::Wasm, &json, single as u64)
                .await?,
        );
        if connect {
            rows.push(b.connect_http(single as u64).await?);
        }
    }
    if want("s3") {
        if b.endpoint.is_some() {
            let flush = if args.quick { 2_500 } else { 10_000 };
            rows.push(b.sluice_s3(n as u64, flush).await?);
            if connect {
                rows.push(b.connect_s3(n as u64).await?);
            }
        } else {
            println!("no S3 endpoint ($SLUICE_TEST_S3): S3 scenarios left out");
        }
    }

    let ratio_rounds = ratio_rounds(&rows, args.rounds);
    let ratios: Vec<(String, f64)> = ratio_rounds
        .iter()
        .filter_map(|(label, v)| Some((label.clone(), median(v)?)))
        .collect();
    print_report(&rows, &ratio_rounds, &stages, n, b.record_bytes);
    print_stages(SCHEMA_SCENARIO, &schema_stages);
    let _ = std::fs::remove_dir_all(&b.scratch);
    write_figures(
        args.json_out,
        &b.target,
        "compare",
        &Report {
            records: n,
            partitions: args.partitions,
            record_bytes: b.record_bytes,
            rows,
            ratios,
            ratio_rounds,
            stages,
            schema_stages,
        },
    )
}

/// Compiles every plugin into the benchmarks' cache, so each scenario
/// starts with precompiled plugins.
async fn precompile(target: &Path) -> anyhow::Result<()> {
    let rt = sluice::plugin::Runtime::new(&target.join("bench-cache"))?;
    for name in [
        "bytes",
        "json",
        "insert-field",
        "drop",
        "json-batch",
        "jsonl",
    ] {
        rt.load(&target.join(format!("plugins/{name}.wasm")))
            .await?;
    }
    Ok(())
}

impl Bench {
    fn mib_per_sec(&self, records_per_sec: f64) -> f64 {
        records_per_sec * self.record_bytes / 1048576.0
    }

    /// The HTTP sink section posting to the receiver.
    fn http_sink(&self, batch: usize, linger_ms: u64, formatter: &str) -> String {
        format!(
            r#"[connectors.sink]
type = "http"
"http.api.url" = "http://{addr}/ingest"
"batch.max.size" = {batch}
"batch.linger.ms" = {linger_ms}
formatter = {formatter}
"#,
            addr = self.addr
        )
    }

    fn passthrough(&self, batch: usize, linger_ms: u64) -> String {
        format!(
            "\"value.converter\" = {{ plugin = \"bytes\" }}\n{}",
            self.http_sink(
                batch,
                linger_ms,
                r#"{ plugin = "json-batch", config = { "request.body.format" = "string", "batch.prefix" = "[", "batch.suffix" = "]" } }"#
            )
        )
    }

    fn json_pipeline(&self, batch: usize, linger_ms: u64) -> String {
        self.json_pipeline_of(JSON_CHAIN, batch, linger_ms)
    }

    fn json_pipeline_of(&self, chain: &str, batch: usize, linger_ms: u64) -> String {
        format!(
            "{chain}{}",
            self.http_sink(
                batch,
                linger_ms,
                r#"{ plugin = "json-batch", config = { "request.body.format" = "json", "batch.json.as.array" = true } }"#
            )
        )
    }

    /// A connector name (and so a consumer group) of its own.
    fn name(&self, scenario: &str) -> String {
        let slug: String = scenario
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        format!("{}-{slug}-{}", self.topic, rand_suffix())
    }

    async fn consume_only(&self, n: u64) -> anyhow::Result<Row> {
        println!("scenario: consume-only limit");
        let out = std::process::Command::new(crate::bin_dir().join("sluice-bench"))
            .args([
                "drain",
                "--bootstrap",
                &self.bootstrap,
                "--topic",
                &self.topic,
            ])
            .args(["--records", &n.to_string()])
            .args(["--partitions", &self.partitions.to_string()])
            .stderr(std::process::Stdio::inherit())
            .output()?;
        anyhow::ensure!(out.status.success(), "the consume-only process failed");
        let d: kafka::Drained = serde_json::from_slice(&out.stdout)?;
        let rate = (d.records - 1) as f64 / d.seconds.max(1e-6);
        Ok(Row {
            scenario: "consume-only limit".into(),
            system: "librdkafka".into(),
            records: d.records,
            records_per_sec: rate,
            mib_per_sec: d.bytes as f64 / d.seconds.max(1e-6) / 1048576.0,
            cpu_seconds_per_million: d.cpu_secs / d.records as f64 * 1e6,
            peak_rss_mib: d.peak_rss_kib as f64 / 1024.0,
            ..Row::default()
        })
    }

    /// [`Self::sluice_http`]'s row alone.
    async fn sluice_row(
        &self,
        scenario: &str,
        build: Build,
        rest: &str,
        limit: u64,
    ) -> anyhow::Result<Row> {
        Ok(self.sluice_http(scenario, build, rest, limit).await?.0)
    }

    /// Runs `build` of Sluice with `rest` (converters, transforms, sink)
    /// until `limit` events reached the receiver.
    async fn sluice_http(
        &self,
        scenario: &str,
        build: Build,
        rest: &str,
        limit: u64,
    ) -> anyhow::Result<(Row, Option<StatsSnapshot>)> {
        let system = match build {
            Build::Wasm => "sluice",
            Build::WasmV0_1 => "sluice, contract 0.1 plugins",
            Build::Native => "sluice, native plugins",
        };
        println!("scenario: {scenario} ({system})");
        let name = self.name(scenario);
        let plugins = self.target.join(match build {
            Build::WasmV0_1 => "plugins-v0.1",
            _ => "plugins",
        });
        let manifest = write_manifest(
            &self.target,
            &self.scratch,
            &plugins,
            &name,
            &self.topic,
            &self.bootstrap,
            rest,
        )?;
        let stats_path = self.scratch.join(format!("{name}.stats.json"));
        self.tally.reset(false);
        let mut run = SluiceRun::start(build, &manifest, &stats_path)?;
        let usage = self
            .wait_for(&mut run, async || self.tally.delivered(), limit)
            .await?;
        let done = Instant::now();
        let started = run.started;
        run.stop().await?;
        let stats = read_stats(&stats_path);
        let (first, first_events) = self.tally.first().expect("a request arrived");
        let delivered = self.tally.delivered();
        let rate = (delivered - first_events) as f64 / done.duration_since(first).as_secs_f64();
        Ok((
            Row {
                scenario: scenario.into(),
                system: system.into(),
                records: delivered,
                requests: self.tally.requests(),
                records_per_sec: rate,
                mib_per_sec: self.mib_per_sec(rate),
                cpu_seconds_per_million: usage.cpu_secs / delivered as f64 * 1e6,
                peak_rss_mib: usage.peak_rss_kib as f64 / 1024.0,
                start_to_first_ms: Some(first.duration_since(started).as_secs_f64() * 1e3),
                group_join_ms: stats.as_ref().and_then(|s| s.assigned_after_ms),
                ..Row::default()
            },
            stats,
        ))
    }

    /// Waits while the process runs until `progress()` reaches `target`;
    /// fails when it stands still for 90 s (a failed task that does not
    /// exit, a stuck pipeline). Returns the process's usage at that moment.
    async fn wait_for(
        &self,
        run: &mut SluiceRun,
        progress: impl AsyncFn() -> u64,
        target: u64,
    ) -> anyhow::Result<Usage> {
        let (mut last, mut moved) = (0, Instant::now());
        loop {
            let now = progress().await;
            if now >= target {
                return run.usage();
            }
            if now != last {
                (last, moved) = (now, Instant::now());
            }
            anyhow::ensure!(
                moved.elapsed() < Duration::from_secs(90),
                "stuck at {now} of {target} records for 90 s (see the process's log under {})",
                self.scratch.display()
            );
            run.ensure_running()?;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The JSON pipeline on a live topic: first, unless the rate is fixed,
    /// its live maximum (what it delivers while fed faster than it can go,
    /// with the producer on the same machine); then, once it caught up, fed
    /// at 70% of that for `secs`: the added latency of each record (its
    /// timestamp to its arrival), and the idle RSS before any feed.
    async fn latency(&self, load: Load, secs: f64, linger_ms: u64) -> anyhow::Result<Row> {
        let topic = format!("{}-live", self.topic);
        kafka::create_topic(&self.bootstrap, &topic, self.partitions).await?;
        let name = self.name("latency");
        let manifest = write_manifest(
            &self.target,
            &self.scratch,
            &self.target.join("plugins"),
            &name,
            &topic,
            &self.bootstrap,
            &self.json_pipeline(500, linger_ms),
        )?;
        let stats_path = self.scratch.join(format!("{name}.stats.json"));
        let mut run = SluiceRun::start(Build::Wasm, &manifest, &stats_path)?;
        let assigned = Instant::now() + Duration::from_secs(60);
        while read_stats(&stats_path)
            .and_then(|s| s.assigned_after_ms)
            .is_none()
        {
            anyhow::ensure!(Instant::now() < assigned, "no partitions assigned in 60 s");
            run.ensure_running()?;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let idle = run.usage()?;
        let (rate, live_max) = match load {
            Load::Fixed(rate) => (rate, None),
            Load::OfLiveMax { ceiling, step_secs } => {
                println!(
                    "scenario: JSON pipeline's live maximum (feed rates up to {ceiling:.0} records/s)"
                );
                let max = self.live_max(&mut run, &topic, ceiling, step_secs).await?;
                (max * 0.7, Some(max))
            }
        };
        let scenario = format!("JSON pipeline at 70% load, linger {linger_ms} ms");
        println!("scenario: {scenario} ({rate:.0} records/s for {secs} s)");
        self.tally.reset(true);
        // Beside Sluice, a plain consumer of the same feed: what Kafka (the
        // producer, the broker, a fetch) adds before any sink sees a record.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let tail = std::thread::spawn({
            let (bootstrap, topic, stop) = (self.bootstrap.clone(), topic.clone(), stop.clone());
            let partitions = self.partitions;
            move || kafka::tail_latencies(&bootstrap, &topic, partitions, stop)
        });
        tokio::time::sleep(Duration::from_secs(2)).await;
        let cpu_before = run.usage()?.cpu_secs;
        let sent = kafka::produce_at(&self.bootstrap, &topic, rate, secs).await?;
        let usage = self
            .wait_for(&mut run, async || self.tally.delivered(), sent)
            .await?;
        run.stop().await?;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut kafka_ages = tail
            .join()
            .map_err(|_| anyhow::anyhow!("the tail consumer panicked"))??;
        kafka_ages.sort_unstable();
        let latencies = self.tally.latencies();
        Ok(Row {
            scenario,
            system: "sluice".into(),
            records: sent,
            requests: self.tally.requests(),
            records_per_sec: rate,
            mib_per_sec: self.mib_per_sec(rate),
            cpu_seconds_per_million: (usage.cpu_secs - cpu_before) / sent as f64 * 1e6,
            peak_rss_mib: usage.peak_rss_kib as f64 / 1024.0,
            idle_rss_mib: Some(idle.rss_kib as f64 / 1024.0),
            latency_p50_ms: receiver::quantile(&latencies, 0.5),
            latency_p99_ms: receiver::quantile(&latencies, 0.99),
            latency_max_ms: receiver::quantile(&latencies, 1.0),
            live_max_records_per_sec: live_max,
            kafka_p50_ms: receiver::quantile(&kafka_ages, 0.5),
            kafka_p99_ms: receiver::quantile(&kafka_ages, 0.99),
            ..Row::default()
        })
    }

    /// The live maximum: the highest rate of a ladder (steps of √2 from
    /// 2,000 records/s up to `ceiling`, `step_secs` each) that `run` keeps
    /// up with, that is delivers every record fed within `KEPT_UP` of the
    /// step's end (a linger and a request: no backlog). Feeding faster than
    /// it can go does not measure it: the producer and the broker then take
    /// the cores Sluice needs.
    async fn live_max(
        &self,
        run: &mut SluiceRun,
        topic: &str,
        ceiling: f64,
        step_secs: f64,
    ) -> anyhow::Result<f64> {
        let mut kept_up = 0.0;
        let mut rate: f64 = 2_000.0;
        while rate <= ceiling {
            self.tally.reset(false);
            let sent = kafka::produce_at(&self.bootstrap, topic, rate, step_secs).await?;
            let deadline = Instant::now() + KEPT_UP;
            while self.tally.delivered() < sent && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let delivered = self.tally.delivered();
            println!(
                "  fed {rate:.0} records/s for {step_secs} s: {delivered} of {sent} delivered within {} ms",
                KEPT_UP.as_millis()
            );
            if delivered < sent {
                // Let it catch up before the measured feed.
                self.wait_for(run, async || self.tally.delivered(), sent)
                    .await?;
                break;
            }
            kept_up = rate;
            rate *= std::f64::consts::SQRT_2;
        }
        anyhow::ensure!(
            kept_up > 0.0,
            "the JSON pipeline kept up with no feed rate of the ladder"
        );
        Ok(kept_up)
    }

    /// Kafka Connect with Camel's HTTP sink: JsonConverter, InsertField,
    /// one POST per record, until `limit` events arrived.
    async fn connect_http(&self, limit: u64) -> anyhow::Result<Row> {
        let scenario = "one record per request";
        println!(
            "scenario: {scenario} (Kafka Connect, {})",
            connect::CAMEL_HTTP
        );
        let name = self.name("connect-http");
        self.tally.reset(false);
        let job = ConnectJob::CamelHttp {
            url: format!("http://{}/ingest", self.addr),
        };
        let mut run = connect::start(
            &self.scratch,
            &self.bootstrap,
            &name,
            &self.topic,
            self.partitions,
            &job,
        )?;
        let usage = self
            .wait_for(&mut run, async || self.tally.delivered(), limit)
            .await?;
        let done = Instant::now();
        let started = run.started;
        run.stop().await?;
        let (first, first_events) = self.tally.first().expect("a request arrived");
        let delivered = self.tally.delivered();
        let rate = (delivered - first_events) as f64 / done.duration_since(first).as_secs_f64();
        Ok(Row {
            scenario: scenario.into(),
            system: format!("Kafka Connect, {}", connect::CAMEL_HTTP),
            records: delivered,
            requests: self.tally.requests(),
            records_per_sec: rate,
            mib_per_sec: self.mib_per_sec(rate),
            cpu_seconds_per_million: usage.cpu_secs / delivered as f64 * 1e6,
            peak_rss_mib: usage.peak_rss_kib as f64 / 1024.0,
            start_to_first_ms: Some(first.duration_since(started).as_secs_f64() * 1e3),
            ..Row::default()
        })
    }

    /// A client of the S3 server, with the credentials of scripts/minio.
    fn s3_client(&self) -> aws_sdk_s3::Client {
        crate::sluice_run::s3_client(self.endpoint.as_deref().expect("checked by the caller"))
    }

    /// Creates a bucket of its own on the S3 server.
    async fn bucket(&self, name: &str) -> anyhow::Result<(String, String)> {
        let endpoint = self.endpoint.clone().expect("checked by the caller");
        let s3 = self.s3_client();
        let bucket: String = name.chars().take(63).collect::<String>().to_lowercase();
        s3.create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("creating bucket {bucket} at {endpoint}: {e:?}"))?;
        Ok((bucket, endpoint))
    }

    /// Waits until `stored()` reaches `n` records; the rate is measured
    /// from the first records stored.
    #[allow(clippy::too_many_arguments)]
    async fn s3_row(
        &self,
        mut run: SluiceRun,
        stored: impl AsyncFn() -> i64,
        n: u64,
        scenario: String,
        system: String,
        stats_path: Option<&Path>,
    ) -> anyhow::Result<Row> {
        let first = std::cell::Cell::new(None);
        let progress = async || {
            let done = stored().await.max(0) as u64;
            if done > 0 && first.get().is_none() {
                first.set(Some((Instant::now(), done as i64)));
            }
            done
        };
        let usage = self.wait_for(&mut run, progress, n).await?;
        let done_at = Instant::now();
        let started = run.started;
        run.stop().await?;
        let (first, first_records) = first.get().expect("records were stored");
        // A short run may be stored all at once: then the rate is over the whole run.
        let rate = if (n as i64) > first_records {
            (n as i64 - first_records) as f64 / done_at.duration_since(first).as_secs_f64()
        } else {
            n as f64 / done_at.duration_since(started).as_secs_f64()
        };
        Ok(Row {
            scenario,
            system,
            records: n,
            records_per_sec: rate,
            mib_per_sec: self.mib_per_sec(rate),
            cpu_seconds_per_million: usage.cpu_secs / n as f64 * 1e6,
            peak_rss_mib: usage.peak_rss_kib as f64 / 1024.0,
            start_to_first_ms: Some(first.duration_since(started).as_secs_f64() * 1e3),
            group_join_ms: stats_path
                .and_then(read_stats)
                .and_then(|s| s.assigned_after_ms),
            ..Row::default()
        })
    }

    async fn sluice_s3(&self, n: u64, flush: usize) -> anyhow::Result<Row> {
        let scenario = format!("S3 jsonl objects, flush.size {flush}");
        println!("scenario: {scenario} (sluice)");
        let name = self.name("s3");
        let (bucket, endpoint) = self.bucket(&name).await?;
        let manifest = write_manifest(
            &self.target,
            &self.scratch,
            &self.target.join("plugins"),
            &name,
            &self.topic,
            &self.bootstrap,
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
        let stats_path = self.scratch.join(format!("{name}.stats.json"));
        let run = SluiceRun::start(Build::Wasm, &manifest, &stats_path)?;
        // Sluice commits an offset only once its object is uploaded.
        let group = format!("connect-{name}");
        let committed =
            async || kafka::committed_sum(&self.bootstrap, &group, &self.topic, self.partitions);
        self.s3_row(
            run,
            committed,
            n,
            scenario,
            "sluice".into(),
            Some(&stats_path),
        )
        .await
    }

    async fn connect_s3(&self, n: u64) -> anyhow::Result<Row> {
        let scenario = "S3 jsonl objects".to_string();
        println!(
            "scenario: {scenario} (Kafka Connect, {})",
            connect::CAMEL_S3
        );
        let name = self.name("connect-s3");
        let (bucket, endpoint) = self.bucket(&name).await?;
        let job = ConnectJob::CamelS3 {
            bucket: bucket.clone(),
            endpoint,
        };
        let run = connect::start(
            &self.scratch,
            &self.bootstrap,
            &name,
            &self.topic,
            self.partitions,
            &job,
        )?;
        // Connect commits offsets of records its aggregator has not written
        // yet: progress is what the bucket holds.
        let s3 = self.s3_client();
        let line_bytes = std::cell::Cell::new(None);
        // An estimate: within 0.2% of n counts as all of them.
        let stored = async || {
            let s = stored_records(&s3, &bucket, &line_bytes).await;
            if s as f64 >= n as f64 * 0.998 {
                n as i64
            } else {
                s
            }
        };
        self.s3_row(
            run,
            stored,
            n,
            scenario,
            format!("Kafka Connect, {}", connect::CAMEL_S3),
            None,
        )
        .await
    }
}

/// Records in the JSON-lines objects of `bucket`: their total size over
/// the bytes per line of the first object (read once into `line_bytes`).
async fn stored_records(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    line_bytes: &std::cell::Cell<Option<f64>>,
) -> i64 {
    let Ok(listed) = s3.list_objects_v2().bucket(bucket).send().await else {
        return 0;
    };
    let objects = listed.contents();
    let total: i64 = objects.iter().filter_map(|o| o.size()).sum();
    if line_bytes.get().is_none()
        && let Some(key) = objects.first().and_then(|o| o.key())
        && let Ok(got) = s3.get_object().bucket(bucket).key(key).send().await
        && let Ok(body) = got.body.collect().await
    {
        let body = body.into_bytes();
        let lines = memchr::memchr_iter(b'\n', &body).count() + 1;
        line_bytes.set(Some(body.len() as f64 / lines as f64));
    }
    // Rounded: the last line of each object has no newline.
    line_bytes
        .get()
        .map_or(0, |b| (total as f64 / b).round() as i64)
}

fn rand_suffix() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    )
}

/// The one connector's figures from a `--stats-file`.
fn read_stats(path: &Path) -> Option<StatsSnapshot> {
    let text = std::fs::read(path).ok()?;
    let mut all: Vec<StatsSnapshot> = serde_json::from_slice(&text).ok()?;
    all.pop()
}

fn find<'a>(rows: &'a [Row], scenario: &str, system: &str) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.scenario.starts_with(scenario) && r.system.starts_with(system))
}

/// The middle of `v` (the mean of the two middle values when even); `None`
/// when empty.
fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Every ratio of [`ratios`] in each round: that round's drain rows beside
/// the rows measured once. Labels keep their first round's order.
fn ratio_rounds(rows: &[Row], rounds: u32) -> Vec<(String, Vec<f64>)> {
    let mut out: Vec<(String, Vec<f64>)> = Vec::new();
    for round in 1..=rounds {
        let of_round: Vec<Row> = rows
            .iter()
            .filter(|r| r.round == round || r.round == 0)
            .cloned()
            .collect();
        for (label, v) in ratios(&of_round) {
            match out.iter_mut().find(|(l, _)| *l == label) {
                Some((_, all)) => all.push(v),
                None => out.push((label, vec![v])),
            }
        }
    }
    out
}

/// The ratios the targets are stated in.
fn ratios(rows: &[Row]) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let mut ratio = |label: &str, a: Option<f64>, b: Option<f64>| {
        if let (Some(a), Some(b)) = (a, b)
            && b > 0.0
        {
            out.push((label.to_string(), a / b));
        }
    };
    let rate = |s: &str, sys: &str| find(rows, s, sys).map(|r| r.records_per_sec);
    let per_cpu =
        |s: &str, sys: &str| find(rows, s, sys).map(|r| 1e6 / r.cpu_seconds_per_million.max(1e-9));
    let rss = |s: &str, sys: &str| find(rows, s, sys).map(|r| r.peak_rss_mib);
    let first = |s: &str, sys: &str| find(rows, s, sys).and_then(|r| r.start_to_first_ms);
    ratio(
        "passthrough / consume-only (records/s)",
        rate("passthrough", "sluice"),
        rate("consume-only", "librdkafka"),
    );
    ratio(
        "JSON pipeline: live maximum (producer running) / preloaded drain rate",
        find(rows, "JSON pipeline at 70%", "sluice").and_then(|r| r.live_max_records_per_sec),
        rate("JSON pipeline", "sluice"),
    );
    ratio(
        "JSON pipeline Wasm / native (records/s)",
        rate("JSON pipeline", "sluice"),
        rate("JSON pipeline", "sluice, native"),
    );
    ratio(
        "the cost of a schema: JSON pipeline, schemas.enable true / false (records/s)",
        rate(SCHEMA_SCENARIO, "sluice"),
        rate("JSON pipeline", "sluice"),
    );
    ratio(
        "the cost of a schema: JSON pipeline, schemas.enable true / false (CPU s per M records)",
        find(rows, SCHEMA_SCENARIO, "sluice").map(|r| r.cpu_seconds_per_million),
        find(rows, "JSON pipeline", "sluice").map(|r| r.cpu_seconds_per_million),
    );
    ratio(
        "passthrough: contract 0.2 / 0.1 plugins (records/s)",
        rate("passthrough", "sluice"),
        rate("passthrough", "sluice, contract 0.1"),
    );
    ratio(
        "passthrough: contract 0.1 / 0.2 plugins (CPU s per M records)",
        find(rows, "passthrough", "sluice, contract 0.1").map(|r| r.cpu_seconds_per_million),
        find(rows, "passthrough", "sluice").map(|r| r.cpu_seconds_per_million),
    );
    ratio(
        "JSON pipeline: contract 0.2 / 0.1 plugins (records/s)",
        rate("JSON pipeline", "sluice"),
        rate("JSON pipeline", "sluice, contract 0.1"),
    );
    ratio(
        "JSON pipeline: contract 0.1 / 0.2 plugins (CPU s per M records)",
        find(rows, "JSON pipeline", "sluice, contract 0.1").map(|r| r.cpu_seconds_per_million),
        find(rows, "JSON pipeline", "sluice").map(|r| r.cpu_seconds_per_million),
    );
    for (label, s) in [("one record per request", "one record"), ("S3", "S3")] {
        ratio(
            &format!("{label}: Sluice / Kafka Connect (records/s)"),
            rate(s, "sluice"),
            rate(s, "Kafka Connect"),
        );
        ratio(
            &format!("{label}: Sluice / Kafka Connect (records per CPU-second)"),
            per_cpu(s, "sluice"),
            per_cpu(s, "Kafka Connect"),
        );
        ratio(
            &format!("{label}: Sluice / Kafka Connect (peak RSS)"),
            rss(s, "sluice"),
            rss(s, "Kafka Connect"),
        );
        ratio(
            &format!("{label}: Kafka Connect / Sluice (start to first delivery)"),
            first(s, "Kafka Connect"),
            first(s, "sluice"),
        );
    }
    ratio(
        "best batch (JSON pipeline) / Kafka Connect one per request: Sluice records per CPU-second",
        per_cpu("JSON pipeline", "sluice"),
        per_cpu("one record", "Kafka Connect"),
    );
    ratio(
        "best batch (JSON pipeline) / Kafka Connect one per request: records/s",
        rate("JSON pipeline", "sluice"),
        rate("one record", "Kafka Connect"),
    );
    out
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.digits$}"))
}

fn print_report(
    rows: &[Row],
    ratios: &[(String, Vec<f64>)],
    stages: &[sluice::stats::StageSnapshot],
    n: usize,
    record_bytes: f64,
) {
    println!("\n{n} records of {record_bytes:.0} B JSON, same topic, one scenario after another\n");
    println!(
        "{:<42} {:<34} {:>9} {:>10} {:>7} {:>8} {:>8} {:>9} {:>8} {:>6} {:>6} {:>6}",
        "scenario",
        "system",
        "records",
        "records/s",
        "MiB/s",
        "CPU s/M",
        "RSS MiB",
        "1st ms",
        "join ms",
        "idle",
        "p50",
        "p99"
    );
    let several = rows.iter().any(|r| r.round > 1);
    let mut round = u32::MAX;
    for r in rows {
        if several && r.round != round {
            match r.round {
                0 => println!("run once"),
                n => println!("round {n}"),
            }
        }
        round = r.round;
        println!(
            "{:<42} {:<34} {:>9} {:>10.0} {:>7.1} {:>8.1} {:>8.1} {:>9} {:>8} {:>6} {:>6} {:>6}",
            r.scenario,
            r.system,
            r.records,
            r.records_per_sec,
            r.mib_per_sec,
            r.cpu_seconds_per_million,
            r.peak_rss_mib,
            opt(r.start_to_first_ms, 0),
            opt(r.group_join_ms, 0),
            opt(r.idle_rss_mib, 1),
            opt(r.latency_p50_ms, 0),
            opt(r.latency_p99_ms, 0),
        );
    }
    for r in rows.iter().filter(|r| r.latency_p99_ms.is_some()) {
        println!(
            "\n{}: fed {:.0} records/s{}; added latency p50 {} ms, p99 {} ms, max {} ms; \
             a plain consumer of the same feed (Kafka's share): p50 {} ms, p99 {} ms",
            r.scenario,
            r.records_per_sec,
            r.live_max_records_per_sec
                .map_or(String::new(), |m| format!(
                    " (70% of its live maximum, {m:.0})"
                )),
            opt(r.latency_p50_ms, 0),
            opt(r.latency_p99_ms, 0),
            opt(r.latency_max_ms, 0),
            opt(r.kafka_p50_ms, 0),
            opt(r.kafka_p99_ms, 0),
        );
    }
    let rounds = ratios.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    if rounds > 1 {
        println!("\nratios: median of {rounds} rounds (lowest-highest; each round)");
    } else {
        println!("\nratios");
    }
    for (label, v) in ratios {
        let Some(mid) = median(v) else { continue };
        if v.len() > 1 {
            let (lo, hi) = (
                v.iter().copied().fold(f64::INFINITY, f64::min),
                v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            );
            let each: Vec<String> = v.iter().map(|x| format!("{x:.2}")).collect();
            println!(
                "  {label:<90} {mid:>8.2}  ({lo:.2}-{hi:.2}; {})",
                each.join(" ")
            );
        } else {
            println!("  {label:<90} {mid:>8.2}");
        }
    }
    print_stages("JSON pipeline", stages);
}

/// The per-record cost of each stage of `scenario` in Wasm, if it ran.
fn print_stages(scenario: &str, stages: &[sluice::stats::StageSnapshot]) {
    if stages.is_empty() {
        return;
    }
    println!("\nper-record cost of each stage ({scenario} in Wasm, Sluice's own stats)");
    for s in stages {
        println!(
            "  {:<32} {:>8.2} µs/record  ({} calls, {} records)",
            s.stage, s.micros_per_record, s.calls, s.records
        );
    }
}
