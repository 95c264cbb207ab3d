//! The SMT benchmark: what each of Kafka's transforms costs as a Sluice
//! plugin, per record of 1 KiB JSON at batch 500, beside two baselines
//! measured in the same run: the boundary alone (`drop` keeping every
//! record) and the single `insert-field` of the JSON pipeline; then a chain
//! of five SMTs, and a predicate evaluated by the host (no plugin call)
//! against the same predicate evaluated in a plugin (`drop` with
//! `TopicNameMatches`). Debezium's `ExtractNewRecordState` is measured on
//! change events of the same rows, beside Kafka's `ExtractField` of
//! `after` on them.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use sluice::plugin::{ConfiguredPlugin, Limits, Runtime, TransformOutcome};
use sluice::predicate::{Predicate, Selector};
use sluice::record::Record;

use crate::records::{change_events, json_records};

#[derive(clap::Args)]
pub struct Args {
    /// Fewer records, for CI: proves the benchmark runs, measures little.
    #[arg(long)]
    quick: bool,
    /// Records per timed round (in batches of 500).
    #[arg(long, default_value_t = 50_000)]
    records: usize,
    /// Where to write the figures as JSON [default: $CARGO_TARGET_DIR/bench/smt.json].
    #[arg(long)]
    json_out: Option<PathBuf>,
}

#[derive(Serialize)]
struct Figure {
    scenario: String,
    micros_per_record: f64,
    /// Against the single insert-field of the JSON pipeline.
    vs_insert_field: f64,
}

const BATCH: usize = 500;
const ROUNDS: usize = 3;

/// An SMT as measured: plugin, Kafka's class, options.
type Measured = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// Each SMT with the config it is measured with.
const SMTS: &[Measured] = &[
    ("extract-field", "ExtractField$Value", &[("field", "page")]),
    ("hoist-field", "HoistField$Value", &[("field", "event")]),
    (
        "value-to-key",
        "ValueToKey",
        &[("fields", "user_id,session_id")],
    ),
    (
        "replace-field",
        "ReplaceField$Value",
        &[("exclude", "padding,device"), ("renames", "user_id:uid")],
    ),
    (
        "mask-field",
        "MaskField$Value",
        &[("fields", "user_id,session_id")],
    ),
    ("flatten", "Flatten$Value", &[]),
    (
        "cast",
        "Cast$Value",
        &[("spec", "user_id:string,ts:string")],
    ),
    (
        "timestamp-converter",
        "TimestampConverter$Value",
        &[
            ("field", "ts"),
            ("target.type", "string"),
            ("format", "yyyy-MM-dd'T'HH:mm:ss.SSS"),
        ],
    ),
    (
        "regex-router",
        "RegexRouter",
        &[("regex", "(.*)"), ("replacement", "$1-routed")],
    ),
    ("timestamp-router", "TimestampRouter", &[]),
    ("drop-headers", "DropHeaders", &[("headers", "trace")]),
    (
        "insert-field",
        "InsertField$Value",
        &[
            ("topic.field", "topic"),
            ("offset.field", "offset"),
            ("static.field", "source"),
            ("static.value", "sluice"),
        ],
    ),
];

/// Debezium's class.
const UNWRAP: &str = "io.debezium.transforms.ExtractNewRecordState";

/// The chain of five, in order (names from [`SMTS`]).
const CHAIN: [&str; 5] = [
    "replace-field",
    "mask-field",
    "timestamp-converter",
    "cast",
    "timestamp-router",
];

pub async fn run(args: Args) -> anyhow::Result<()> {
    let target = crate::target_dir();
    let plugins = target.join("plugins");
    let total = if args.quick { 2 * BATCH } else { args.records };
    let records = json_records(total);
    let rt = Runtime::new(&target.join("bench-cache"))?;
    let start = async |name: &str, class: &str, config: &[(&str, &str)]| {
        let plugin = rt.load(&plugins.join(format!("{name}.wasm"))).await?;
        let mut c: Vec<(String, String)> = config
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if class.starts_with("io.") {
            c.push(("connect.class".into(), class.to_string()));
        } else if !class.is_empty() {
            c.push((
                "connect.class".into(),
                format!("org.apache.kafka.connect.transforms.{class}"),
            ));
        }
        anyhow::Ok(rt.configure(plugin, c, Limits::default()).await?)
    };
    let identity = start("drop", "", &[("predicate", "RecordIsTombstone")]).await?;
    let in_plugin = start(
        "drop",
        "",
        &[("predicate", "TopicNameMatches"), ("pattern", "nomatch-.*")],
    )
    .await?;
    let mut smts = Vec::new();
    for (name, class, config) in SMTS {
        smts.push((*name, start(name, class, config).await?));
    }

    let changes = change_events(total);
    let unwrap_after = start("extract-field", "ExtractField$Value", &[("field", "after")]).await?;
    let unwrap = start("extract-new-record-state", UNWRAP, &[]).await?;
    let unwrap_rich = start(
        "extract-new-record-state",
        UNWRAP,
        &[
            ("delete.tombstone.handling.mode", "rewrite"),
            ("add.fields", "op,table,source.ts_ms"),
            ("add.headers", "op"),
        ],
    )
    .await?;

    let mut timed: Vec<(String, f64)> = Vec::new();
    timed.push((
        "identity (drop keeping all)".into(),
        per_record(&[&identity], &records).await?,
    ));
    for (name, plugin) in &smts {
        timed.push(((*name).into(), per_record(&[plugin], &records).await?));
    }
    let chain: Vec<&ConfiguredPlugin> = CHAIN
        .iter()
        .map(|n| smts.iter().find(|(m, _)| m == n).map(|(_, p)| p))
        .collect::<Option<_>>()
        .ok_or_else(|| anyhow::anyhow!("chain names a plugin not in SMTS"))?;
    timed.push((
        format!("chain of five: {}", CHAIN.join(" → ")),
        per_record(&chain, &records).await?,
    ));
    timed.push((
        "change events: extract-field of after (Kafka's ExtractField)".into(),
        per_record(&[&unwrap_after], &changes).await?,
    ));
    timed.push((
        "change events: extract-new-record-state (defaults)".into(),
        per_record(&[&unwrap], &changes).await?,
    ));
    timed.push((
        "change events: extract-new-record-state (rewrite, 3 fields, 1 header)".into(),
        per_record(&[&unwrap_rich], &changes).await?,
    ));
    timed.push((
        "predicate in a plugin (drop, TopicNameMatches)".into(),
        per_record(&[&in_plugin], &records).await?,
    ));
    timed.push((
        "predicate in the host (TopicNameMatches)".into(),
        host_predicate(&records),
    ));

    let insert = timed
        .iter()
        .find(|(n, _)| n == "insert-field")
        .map_or(f64::NAN, |(_, t)| *t);
    let figures: Vec<Figure> = timed
        .into_iter()
        .map(|(scenario, micros)| Figure {
            vs_insert_field: micros / insert,
            scenario,
            micros_per_record: micros,
        })
        .collect();
    println!(
        "Kafka's SMTs as Wasm plugins: µs per record of 1 KiB JSON at batch {BATCH} (median of {ROUNDS} runs of {total} records)\n"
    );
    println!(
        "{:<72} {:>9} {:>12}",
        "scenario", "µs/record", "/insert-field"
    );
    for f in &figures {
        println!(
            "{:<72} {:>9.3} {:>11.2}x",
            f.scenario, f.micros_per_record, f.vs_insert_field
        );
    }
    let out = args
        .json_out
        .unwrap_or_else(|| target.join("bench").join("smt.json"));
    std::fs::create_dir_all(out.parent().unwrap_or(std::path::Path::new(".")))?;
    std::fs::write(&out, serde_json::to_vec_pretty(&figures)?)?;
    println!("\nfigures written to {}", out.display());
    Ok(())
}

/// µs per record of `chain` over `records` at batch 500: median of the
/// timed rounds after one warm-up; every record must come out of each step.
async fn per_record(chain: &[&ConfiguredPlugin], records: &[Record]) -> anyhow::Result<f64> {
    let mut samples = Vec::with_capacity(ROUNDS);
    for round in 0..=ROUNDS {
        let started = Instant::now();
        for chunk in records.chunks(BATCH) {
            let mut batch = chunk.to_vec();
            for plugin in chain {
                let outcomes = plugin.transform(&batch).await?;
                let mut next = Vec::with_capacity(batch.len());
                for o in outcomes {
                    match o {
                        TransformOutcome::Kept(r) => next.extend(r),
                        other => anyhow::bail!("{}: {other:?}", plugin.name()),
                    }
                }
                batch = next;
            }
            anyhow::ensure!(batch.len() == chunk.len(), "records lost in the chain");
        }
        if round > 0 {
            samples.push(started.elapsed().as_secs_f64());
        }
    }
    samples.sort_by(f64::total_cmp);
    Ok(samples[ROUNDS / 2] * 1e6 / records.len() as f64)
}

/// µs per record of the host's predicate check alone.
fn host_predicate(records: &[Record]) -> f64 {
    let selector = Selector {
        predicate: Predicate::new("TopicNameMatches", Some("nomatch-.*"), None)
            .expect("a valid predicate"),
        negate: false,
    };
    let mut samples = Vec::with_capacity(ROUNDS);
    for round in 0..=ROUNDS {
        let started = Instant::now();
        let selected = records.iter().filter(|r| selector.selects(r)).count();
        std::hint::black_box(selected);
        if round > 0 {
            samples.push(started.elapsed().as_secs_f64());
        }
    }
    samples.sort_by(f64::total_cmp);
    samples[ROUNDS / 2] * 1e6 / records.len() as f64
}
