//! `formats`: what schema'd data costs. The same 1 KiB events as Avro
//! (Confluent's wire format, produced by Confluent's Python serializer
//! against a real registry) and as JSON, each drained by one Sluice process
//! per scenario: Avro → JSON over HTTP and Avro → Parquet in S3, beside the
//! JSON pipeline to HTTP and JSON lines (gzip) in S3 in the same run; the
//! Parquet objects' size against the gzip JSON lines of the same records;
//! and one Parquet object of every record, whose peak memory shows that
//! row groups go up as parts while the file is written.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::kafka;
use crate::receiver::{self, Tally};
use crate::records::event;
use crate::sluice_run::{Build, SluiceRun, Usage, write_figures, write_manifest};

#[derive(clap::Args)]
pub struct Args {
    /// Kafka bootstrap servers [default: $SLUICE_TEST_KAFKA; scripts/bench starts a broker].
    #[arg(long)]
    bootstrap: Option<String>,
    /// S3 endpoint [default: $SLUICE_TEST_S3; scripts/bench starts MinIO].
    #[arg(long)]
    endpoint: Option<String>,
    /// Schema registry URL [default: $SLUICE_TEST_REGISTRY; scripts/bench starts one].
    #[arg(long)]
    registry: Option<String>,
    /// The Python with Confluent's client and serializers
    /// [default: $SLUICE_BENCH_PYTHON; scripts/bench installs it].
    #[arg(long)]
    python: Option<PathBuf>,
    /// Events per topic (about 1 KiB each as JSON).
    #[arg(long, default_value_t = 200_000)]
    records: usize,
    /// `flush.size` of the S3 scenarios (the large-object one takes every record).
    #[arg(long, default_value_t = 20_000)]
    flush_size: usize,
    /// A short run for CI: small counts; proves every scenario runs.
    #[arg(long)]
    quick: bool,
    /// Where to write the figures as JSON [default: $CARGO_TARGET_DIR/bench/formats.json].
    #[arg(long)]
    json_out: Option<PathBuf>,
}

/// One scenario's figures.
#[derive(Serialize, Default)]
struct Row {
    scenario: String,
    records: u64,
    records_per_sec: f64,
    cpu_seconds_per_million: f64,
    peak_rss_mib: f64,
    /// What the bucket holds at the end (S3 scenarios).
    object_bytes: Option<u64>,
    objects: Option<usize>,
}

#[derive(Serialize)]
struct Report {
    records: usize,
    json_bytes: usize,
    rows: Vec<Row>,
    /// Parquet's (snappy) bytes over gzip JSON lines' for the same records.
    parquet_over_gzip_json: Option<f64>,
    /// The same with Parquet's pages in gzip.
    gzip_parquet_over_gzip_json: Option<f64>,
}

/// The Avro schema of [`event`].
fn avro_schema() -> String {
    let record = |name: &str, fields: &[(&str, &str)]| {
        serde_json::json!({
            "type": "record",
            "name": name,
            "fields": fields.iter().map(|(n, t)| serde_json::json!({"name": n, "type": t})).collect::<Vec<_>>(),
        })
    };
    let s = "string";
    serde_json::json!({
        "type": "record", "name": "Event", "namespace": "shop",
        "fields": [
            {"name": "event_id", "type": s},
            {"name": "event_type", "type": s},
            {"name": "user_id", "type": "long"},
            {"name": "session_id", "type": s},
            {"name": "ts", "type": "long"},
            {"name": "page", "type": record("Page", &[("url", s), ("referrer", s), ("title", s)])},
            {"name": "device", "type": record("Device", &[("type", s), ("os", s), ("browser", s), ("screen", s)])},
            {"name": "geo", "type": record("Geo", &[("country", s), ("region", s), ("city", s), ("lat", "double"), ("lon", "double")])},
            {"name": "cart", "type": record("Cart", &[("items", "long"), ("value_cents", "long"), ("currency", s)])},
            {"name": "experiment", "type": record("Experiment", &[("id", s), ("variant", s)])},
            {"name": "padding", "type": s},
        ]
    })
    .to_string()
}

/// Produces `n` events as Avro to partition 0 of `topic` with Confluent's
/// Python serializer (`tests/registry/produce.py`).
fn produce_avro(
    python: &Path,
    bootstrap: &str,
    registry: &str,
    topic: &str,
    n: usize,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/registry/produce.py");
    let mut child = Command::new(python)
        .arg(script)
        .args([bootstrap, registry, topic, "avro", &avro_schema()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    {
        let mut stdin = std::io::BufWriter::new(child.stdin.take().expect("piped"));
        for i in 0..n as u64 {
            stdin.write_all(event(i).as_bytes())?;
            stdin.write_all(b"\n")?;
        }
    }
    anyhow::ensure!(child.wait()?.success(), "produce.py failed");
    println!(
        "produced {n} Avro events into {topic} with Confluent's serializer in {:.1?}",
        started.elapsed()
    );
    Ok(())
}

struct Bench {
    target: PathBuf,
    bootstrap: String,
    endpoint: String,
    registry: String,
    scratch: PathBuf,
    addr: std::net::SocketAddr,
    tally: Arc<Tally>,
}

const AVRO: &str = r#"{ plugin = "avro", capabilities = ["schema-registry"], config = { "schema.registry.url" = "REGISTRY" } }"#;
const JSON: &str = r#"{ plugin = "json", config = { "schemas.enable" = false } }"#;

impl Bench {
    fn converter(&self, avro: bool) -> String {
        if avro {
            AVRO.replace("REGISTRY", &self.registry)
        } else {
            JSON.to_string()
        }
    }

    fn name(&self, scenario: &str) -> String {
        let slug: String = scenario
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        format!("fmt-{slug}-{nanos:x}").to_lowercase()
    }

    /// Runs a connector of `topic` with `rest` until `progress` reaches
    /// `n`; the rate is from the first progress seen (or from the start
    /// when everything came at once).
    async fn run(
        &self,
        scenario: &str,
        topic: &str,
        rest: &str,
        n: u64,
        progress: impl AsyncFn(&str) -> u64,
    ) -> anyhow::Result<(Row, String)> {
        println!("scenario: {scenario}");
        let name = self.name(scenario);
        let manifest = write_manifest(
            &self.target,
            &self.scratch,
            &self.target.join("plugins"),
            &name,
            topic,
            &self.bootstrap,
            rest,
        )?;
        let stats = self.scratch.join(format!("{name}.stats.json"));
        let mut run = SluiceRun::start(Build::Wasm, &manifest, &stats)?;
        let (mut first, mut last, mut moved) = (None, 0, Instant::now());
        let usage: Usage = loop {
            let now = progress(&name).await;
            if now > 0 && first.is_none() {
                first = Some((Instant::now(), now));
            }
            if now >= n {
                break run.usage()?;
            }
            if now != last {
                (last, moved) = (now, Instant::now());
            }
            anyhow::ensure!(
                moved.elapsed() < Duration::from_secs(120),
                "{scenario}: stuck at {now} of {n} records for 120 s"
            );
            run.ensure_running()?;
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let done = Instant::now();
        let started = run.started;
        run.stop().await?;
        let (t0, at0) = first.expect("progress was seen");
        let rate = if at0 < n {
            (n - at0) as f64 / done.duration_since(t0).as_secs_f64()
        } else {
            n as f64 / done.duration_since(started).as_secs_f64()
        };
        Ok((
            Row {
                scenario: scenario.into(),
                records: n,
                records_per_sec: rate,
                cpu_seconds_per_million: usage.cpu_secs / n as f64 * 1e6,
                peak_rss_mib: usage.peak_rss_kib as f64 / 1024.0,
                ..Row::default()
            },
            name,
        ))
    }

    async fn http(&self, scenario: &str, topic: &str, avro: bool, n: u64) -> anyhow::Result<Row> {
        let rest = format!(
            r#""value.converter" = {converter}
[connectors.sink]
type = "http"
"http.api.url" = "http://{addr}/ingest"
"batch.max.size" = 500
"batch.linger.ms" = 100
formatter = {{ plugin = "json-batch", config = {{ "request.body.format" = "json", "batch.json.as.array" = true }} }}
"#,
            converter = self.converter(avro),
            addr = self.addr,
        );
        self.tally.reset(false);
        let tally = self.tally.clone();
        Ok(self
            .run(scenario, topic, &rest, n, async |_| tally.delivered())
            .await?
            .0)
    }

    /// An S3 scenario: `format` lines in the sink table, `flush` records
    /// per object; progress is the committed offsets (committed only once
    /// uploaded).
    async fn s3(
        &self,
        scenario: &str,
        topic: &str,
        avro: bool,
        format: &str,
        flush: usize,
        n: u64,
    ) -> anyhow::Result<Row> {
        self.s3_keyed(scenario, topic, avro, "", format, flush, n)
            .await
    }

    /// [`s3`](Self::s3) with `key` lines in the connector table (a key
    /// converter).
    #[allow(clippy::too_many_arguments)]
    async fn s3_keyed(
        &self,
        scenario: &str,
        topic: &str,
        avro: bool,
        key: &str,
        format: &str,
        flush: usize,
        n: u64,
    ) -> anyhow::Result<Row> {
        let bucket = self.name(scenario).chars().take(63).collect::<String>();
        let s3 = crate::sluice_run::s3_client(&self.endpoint);
        s3.create_bucket().bucket(&bucket).send().await?;
        let rest = format!(
            r#""value.converter" = {converter}
{key}
"offset.flush.interval.ms" = 200
[connectors.sink]
type = "s3"
"s3.bucket.name" = "{bucket}"
"store.url" = "{endpoint}"
"s3.region" = "us-east-1"
"aws.access.key.id" = "sluice"
"aws.secret.access.key" = "sluice-secret"
"flush.size" = {flush}
{schedule}
{format}
"#,
            // Uploads the tail that does not fill an object; none when the
            // object is to hold every record.
            schedule = if flush as u64 >= n {
                ""
            } else {
                "\"rotate.schedule.interval.ms\" = 2000\ntimezone = \"UTC\""
            },
            converter = self.converter(avro),
            endpoint = self.endpoint,
        );
        let bootstrap = self.bootstrap.clone();
        let topic_owned = topic.to_string();
        let (mut row, _) = self
            .run(scenario, topic, &rest, n, async |name: &str| {
                kafka::committed_sum(&bootstrap, &format!("connect-{name}"), &topic_owned, 1).max(0)
                    as u64
            })
            .await?;
        let listed = s3.list_objects_v2().bucket(&bucket).send().await?;
        row.objects = Some(listed.contents().len());
        row.object_bytes = Some(
            listed
                .contents()
                .iter()
                .filter_map(|o| o.size())
                .sum::<i64>() as u64,
        );
        Ok(row)
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let bootstrap = kafka::bootstrap(args.bootstrap)?;
    let env = |given: Option<String>, var: &str, what: &str| {
        given
            .or_else(|| std::env::var(var).ok())
            .ok_or_else(|| anyhow::anyhow!("no {what}: pass it or run through scripts/bench"))
    };
    let endpoint = env(args.endpoint, "SLUICE_TEST_S3", "S3 endpoint")?;
    let registry = env(args.registry, "SLUICE_TEST_REGISTRY", "schema registry")?;
    let python = PathBuf::from(env(
        args.python.map(|p| p.display().to_string()),
        "SLUICE_BENCH_PYTHON",
        "Python with confluent-kafka",
    )?);
    let (n, flush) = if args.quick {
        (3_000, 1_000)
    } else {
        (args.records, args.flush_size)
    };
    let target = crate::target_dir();
    let id = std::process::id();
    let (avro_topic, json_topic) = (format!("bench-avro-{id}"), format!("bench-json-{id}"));
    let scratch = std::env::temp_dir().join(format!("sluice-bench-formats-{id}"));
    std::fs::create_dir_all(&scratch)?;
    // Compiled into the benchmarks' cache first: no scenario's CPU time
    // counts a compilation.
    let rt = sluice::plugin::Runtime::new(&target.join("bench-cache"))?;
    for name in [
        "json",
        "avro",
        "string",
        "json-batch",
        "jsonl",
        "parquet-format",
    ] {
        rt.load(&target.join(format!("plugins/{name}.wasm")))
            .await?;
    }
    kafka::create_topic(&bootstrap, &avro_topic, 1).await?;
    produce_avro(&python, &bootstrap, &registry, &avro_topic, n)?;
    let json_bytes = kafka::preload(&bootstrap, &json_topic, n, 1).await?;
    let (addr, tally) = receiver::start().await?;
    let b = Bench {
        target,
        bootstrap,
        endpoint,
        registry,
        scratch,
        addr,
        tally,
    };
    let n64 = n as u64;
    let parquet = r#""format.class" = "io.confluent.connect.s3.format.parquet.ParquetFormat""#;
    let parquet_gzip = r#""format.class" = "io.confluent.connect.s3.format.parquet.ParquetFormat"
"parquet.codec" = "gzip""#;
    let parquet_small_groups = r#""format.class" = "io.confluent.connect.s3.format.parquet.ParquetFormat"
formatter = { plugin = "parquet-format", config = { "parquet.block.size" = 8388608 } }"#;
    let aiven_rows = r#"formatter = { plugin = "parquet-format", config = { "format.output.fields" = "key,value,offset,timestamp", "enhanced.avro.schema.support" = false } }"#;
    let gzip_json = r#""format.class" = "io.confluent.connect.s3.format.json.JsonFormat"
"s3.compression.type" = "gzip""#;
    let rows = vec![
        b.http("JSON -> JSON over HTTP (baseline)", &json_topic, false, n64)
            .await?,
        b.http("Avro -> JSON over HTTP", &avro_topic, true, n64)
            .await?,
        b.s3(
            "JSON -> gzip JSON lines in S3 (baseline)",
            &json_topic,
            false,
            gzip_json,
            flush,
            n64,
        )
        .await?,
        b.s3(
            "Avro -> Parquet (snappy) in S3",
            &avro_topic,
            true,
            parquet,
            flush,
            n64,
        )
        .await?,
        b.s3(
            "Avro -> Parquet (gzip) in S3",
            &avro_topic,
            true,
            parquet_gzip,
            flush,
            n64,
        )
        .await?,
        b.s3(
            "Avro -> one Parquet object of every record",
            &avro_topic,
            true,
            parquet,
            n,
            n64,
        )
        .await?,
        b.s3(
            "the same, parquet.block.size 8 MiB",
            &avro_topic,
            true,
            parquet_small_groups,
            n,
            n64,
        )
        .await?,
        // Aiven's parquet output: rows of the key (StringConverter's
        // optional string), the value, the offset and the timestamp.
        b.s3_keyed(
            "Avro -> Aiven's parquet rows (snappy) in S3",
            &avro_topic,
            true,
            r#""key.converter" = { plugin = "string" }"#,
            aiven_rows,
            flush,
            n64,
        )
        .await?,
    ];
    let over_gzip_json = |row: &Row| match (row.object_bytes, rows[2].object_bytes) {
        (Some(p), Some(g)) if g > 0 => Some(p as f64 / g as f64),
        _ => None,
    };
    let parquet_over_gzip_json = over_gzip_json(&rows[3]);
    let gzip_parquet_over_gzip_json = over_gzip_json(&rows[4]);
    println!(
        "\n{n} events, {:.1} MiB as JSON; S3 objects of {flush} records\n",
        json_bytes as f64 / 1048576.0
    );
    println!(
        "{:<46} {:>10} {:>12} {:>10} {:>9} {:>12}",
        "scenario", "records/s", "CPU s/M rec", "peak RSS", "objects", "object MiB"
    );
    for r in &rows {
        println!(
            "{:<46} {:>10.0} {:>12.1} {:>7.1} MiB {:>9} {:>12}",
            r.scenario,
            r.records_per_sec,
            r.cpu_seconds_per_million,
            r.peak_rss_mib,
            r.objects.map_or("-".into(), |o| o.to_string()),
            r.object_bytes
                .map_or("-".into(), |b| format!("{:.2}", b as f64 / 1048576.0)),
        );
    }
    if let (Some(snappy), Some(gzip)) = (parquet_over_gzip_json, gzip_parquet_over_gzip_json) {
        println!(
            "\nbytes of the same records against gzip JSON lines: Parquet (snappy) {snappy:.3}, Parquet (gzip) {gzip:.3}"
        );
    }
    let _ = std::fs::remove_dir_all(&b.scratch);
    write_figures(
        args.json_out,
        &b.target,
        "formats",
        &Report {
            records: n,
            json_bytes,
            rows,
            parquet_over_gzip_json,
            gzip_parquet_over_gzip_json,
        },
    )
}
