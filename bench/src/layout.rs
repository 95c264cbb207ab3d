//! The layout benchmark: what one plugin call costs per record, for 1 KiB
//! JSON records at batch sizes 1, 100, 500 and 1000, through each contract
//! version's layout side by side:
//! - `identity`: records in and back out unchanged, the boundary's cost alone:
//!   the `drop` plugin keeping every record built for contract 0.1 (arena
//!   layout, `list<record>` index, every record copied back out) and for 0.2
//!   (flat index, "unchanged" answered without a copy), a nested
//!   `list<record>` layout (a bench-only plugin), and the same `drop` code
//!   compiled natively;
//! - `insert-field`: parse, add fields, serialise, for 0.1, 0.2 and natively
//!   (the same plugin crate), to isolate the Wasm cost;
//! - `after insert`: the identity call on `insert-field`'s output (new
//!   values in its reply), copied into a new buffer (0.2) against sent as
//!   that reply's buffer (0.2 arena), as the next plugin of a chain gets it;
//! - the cost of a schema: the `json` converter on the same events without
//!   a schema (`schemas.enable=false`) and in a `JsonConverter` envelope
//!   (`schemas.enable=true`, the schema kept on the record), and `json-batch`
//!   writing values without and with their schema, at batch 500.

use std::path::PathBuf;
use std::time::Instant;

use bytes::Bytes;
use serde::Serialize;
use sluice::plugin::{ConfiguredPlugin, Limits, ReplyArena, Runtime, TransformOutcome};
use sluice::record::{Arena, Record};

use crate::nested::NestedIdentity;
use crate::records::json_records;

#[derive(clap::Args)]
pub struct Args {
    /// Fewer records, for CI: proves the benchmark runs, measures little.
    #[arg(long)]
    quick: bool,
    /// Records per scenario at batch sizes 100 and 1000 (a tenth at batch size 1).
    #[arg(long, default_value_t = 50_000)]
    records: usize,
    /// Where to write the figures as JSON [default: $CARGO_TARGET_DIR/bench/layout.json].
    #[arg(long)]
    json_out: Option<PathBuf>,
}

#[derive(Serialize)]
struct Figure {
    transform: &'static str,
    path: &'static str,
    batch: usize,
    records: usize,
    micros_per_record: f64,
    records_per_sec: f64,
    mib_per_sec: f64,
}

const ROUNDS: usize = 3;

pub async fn run(args: Args) -> anyhow::Result<()> {
    let target = crate::target_dir();
    let plugins = target.join("plugins");
    let plugins_v0_1 = target.join("plugins-v0.1");
    let bench_plugins = target.join("bench-plugins");
    let total = if args.quick { 2_000 } else { args.records };
    let records = json_records(total);
    let bytes_per_record = records
        .iter()
        .map(|r| r.value.as_ref().map_or(0, Bytes::len))
        .sum::<usize>() as f64
        / total as f64;

    let cache = target.join("bench-cache");
    let rt = Runtime::new(&cache)?;
    let keep_all = vec![("predicate".to_string(), "RecordIsTombstone".to_string())];
    let insert_cfg = vec![
        ("topic.field".to_string(), "topic".to_string()),
        ("offset.field".to_string(), "offset".to_string()),
        ("static.field".to_string(), "source".to_string()),
        ("static.value".to_string(), "sluice".to_string()),
    ];
    let wasm = async |dir: &std::path::Path, name: &str, config: &Vec<(String, String)>| {
        let plugin = rt.load(&dir.join(name)).await?;
        anyhow::Ok(
            rt.configure(plugin, config.clone(), Limits::default())
                .await?,
        )
    };
    let drop_v1 = wasm(&plugins_v0_1, "drop.wasm", &keep_all).await?;
    let drop_v2 = wasm(&plugins, "drop.wasm", &keep_all).await?;
    let insert_v1 = wasm(&plugins_v0_1, "insert-field.wasm", &insert_cfg).await?;
    let insert_v2 = wasm(&plugins, "insert-field.wasm", &insert_cfg).await?;
    anyhow::ensure!(
        drop_v1.contract() == sluice::plugin::Contract::V0_1
            && drop_v2.contract() == sluice::plugin::Contract::V0_2,
        "{} holds no 0.1 build of drop: run scripts/build-plugins",
        plugins_v0_1.display()
    );
    let mut nested = NestedIdentity::new(&bench_plugins.join("nested-layout.wasm")).await?;
    crate::native::register_all();
    let native = |name: &str, config: &Vec<(String, String)>| {
        let plugin = sluice::plugin::native::lookup(name)
            .ok_or_else(|| anyhow::anyhow!("no native {name}"))?;
        anyhow::Ok(ConfiguredPlugin::start_native(plugin, config.clone())?)
    };
    let drop_native = native("drop", &keep_all)?;
    let insert_native = native("insert-field", &insert_cfg)?;

    let mut figures = Vec::new();
    for batch in [1usize, 100, 500, 1000] {
        let n = if batch == 1 { total / 10 } else { total };
        let input = &records[..n];
        macro_rules! scenario {
            ($transform:expr, $path:expr, $chunks:expr, |$chunk:ident| $call:expr) => {{
                let mut samples = Vec::with_capacity(ROUNDS);
                for round in 0..=ROUNDS {
                    let started = Instant::now();
                    let mut kept = 0usize;
                    for $chunk in $chunks {
                        let outcomes: Vec<TransformOutcome> = $call;
                        kept += outcomes
                            .iter()
                            .filter(|o| matches!(o, TransformOutcome::Kept(_)))
                            .count();
                    }
                    let elapsed = started.elapsed().as_secs_f64();
                    anyhow::ensure!(
                        kept == n,
                        "{} {}: {kept} of {n} records came back",
                        $transform,
                        $path
                    );
                    if round > 0 {
                        samples.push(elapsed); // round 0 warms up
                    }
                }
                samples.sort_by(f64::total_cmp);
                let secs = samples[ROUNDS / 2];
                figures.push(Figure {
                    transform: $transform,
                    path: $path,
                    batch,
                    records: n,
                    micros_per_record: secs * 1e6 / n as f64,
                    records_per_sec: n as f64 / secs,
                    mib_per_sec: n as f64 * bytes_per_record / secs / (1 << 20) as f64,
                });
            }};
        }
        // The same chunks, each in one buffer as the reader consumes them.
        let arenas: Vec<(Vec<Record>, Arena)> = input.chunks(batch).map(in_arena).collect();
        let chunks = || input.chunks(batch);
        scenario!("identity", "0.1", chunks(), |chunk| drop_v1
            .transform(chunk)
            .await?);
        scenario!("identity", "0.2", chunks(), |chunk| drop_v2
            .transform(chunk)
            .await?);
        scenario!("identity", "0.2 arena", arenas.iter(), |chunk| drop_v2
            .transform_in(&chunk.0, &[&chunk.1], None)
            .await?);
        scenario!("identity", "nested", chunks(), |chunk| nested
            .call(chunk)
            .await?);
        scenario!("identity", "native", chunks(), |chunk| drop_native
            .transform(chunk)
            .await?);
        scenario!("insert-field", "0.1", chunks(), |chunk| insert_v1
            .transform(chunk)
            .await?);
        scenario!("insert-field", "0.2", chunks(), |chunk| insert_v2
            .transform(chunk)
            .await?);
        scenario!("insert-field", "0.2 arena", arenas.iter(), |chunk| {
            insert_v2.transform_in(&chunk.0, &[&chunk.1], None).await?
        });
        scenario!("insert-field", "native", chunks(), |chunk| insert_native
            .transform(chunk)
            .await?);
        // insert-field's output, each chunk with its reply's buffer.
        let mut remade: Vec<(Vec<Record>, Arena)> = Vec::new();
        for (records, arena) in &arenas {
            let made = ReplyArena::default();
            let outcomes = insert_v2
                .transform_in(records, &[arena], Some(&made))
                .await?;
            let out: Vec<Record> = outcomes
                .into_iter()
                .flat_map(|o| match o {
                    TransformOutcome::Kept(rs) => rs,
                    _ => Vec::new(),
                })
                .collect();
            let reply = made
                .into_inner()
                .ok_or_else(|| anyhow::anyhow!("insert-field's reply held no topic"))?;
            remade.push((out, reply));
        }
        scenario!("after insert", "0.2", remade.iter(), |chunk| drop_v2
            .transform_in(&chunk.0, &[], None)
            .await?);
        scenario!("after insert", "0.2 arena", remade.iter(), |chunk| drop_v2
            .transform_in(&chunk.0, &[&chunk.1], None)
            .await?);
    }

    print_table(&figures, bytes_per_record);
    let schema_costs = schema_cost(&rt, &plugins, if args.quick { 1_000 } else { total }).await?;
    let out = args
        .json_out
        .unwrap_or_else(|| target.join("bench/layout.json"));
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&serde_json::json!({
            "calls": figures,
            "schema_cost": schema_costs,
        }))?,
    )?;
    println!("\nfigures written to {}", out.display());
    Ok(())
}

fn print_table(figures: &[Figure], bytes_per_record: f64) {
    let get = |t: &str, p: &str, b: usize| {
        figures
            .iter()
            .find(|f| f.transform == t && f.path == p && f.batch == b)
            .map_or(f64::NAN, |f| f.micros_per_record)
    };
    println!(
        "Per-record cost of one plugin call, {bytes_per_record:.0}-byte JSON values, µs/record (median of {ROUNDS} runs)\n"
    );
    println!(
        "{:<13} {:>6} {:>9} {:>9} {:>9} {:>10} {:>9} {:>10} {:>11}",
        "transform",
        "batch",
        "nested",
        "0.1",
        "0.2",
        "0.2 arena",
        "native",
        "0.1/0.2",
        "0.2/native"
    );
    for t in ["identity", "insert-field", "after insert"] {
        for b in [1, 100, 500, 1000] {
            let (nested, v1, v2, arena, native) = (
                get(t, "nested", b),
                get(t, "0.1", b),
                get(t, "0.2", b),
                get(t, "0.2 arena", b),
                get(t, "native", b),
            );
            let fmt = |v: f64| {
                if v.is_nan() {
                    "-".to_string()
                } else {
                    format!("{v:.3}")
                }
            };
            let ratio = |a: f64, b: f64| {
                if a.is_nan() || b.is_nan() {
                    "-".to_string()
                } else {
                    format!("{:.2}x", a / b)
                }
            };
            println!(
                "{:<13} {:>6} {:>9} {:>9} {:>9} {:>10} {:>9} {:>10} {:>11}",
                t,
                b,
                fmt(nested),
                fmt(v1),
                fmt(v2),
                fmt(arena),
                fmt(native),
                ratio(v1, v2),
                ratio(v2, native)
            );
        }
    }
    println!("\nthroughput at batch 1000:");
    for f in figures.iter().filter(|f| f.batch == 1000) {
        println!(
            "  {:<13} {:<9} {:>10.0} records/s {:>8.1} MiB/s",
            f.transform, f.path, f.records_per_sec, f.mib_per_sec
        );
    }
}

/// One step of a schema'd pipeline without and with a schema: µs per record.
#[derive(Serialize)]
struct SchemaCost {
    step: &'static str,
    without_schema: f64,
    with_schema: f64,
}

/// The `json` converter and the `json-batch` formatter on the same events,
/// without a schema and with one, at batch 500 (median of [`ROUNDS`]).
async fn schema_cost(
    rt: &Runtime,
    plugins: &std::path::Path,
    n: usize,
) -> anyhow::Result<Vec<SchemaCost>> {
    use sluice::plugin::Part;
    let start = async |name: &str, config: &[(&str, &str)]| {
        let config = config
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let plugin = rt.load(&plugins.join(format!("{name}.wasm"))).await?;
        anyhow::Ok(rt.configure(plugin, config, Limits::default()).await?)
    };
    let plain = start("json", &[("schemas.enable", "false")]).await?;
    let enveloped = start("json", &[("schemas.enable", "true")]).await?;
    let body = start("json-batch", &[("request.body.format", "json")]).await?;
    let body_schema = start(
        "json-batch",
        &[("request.body.format", "json"), ("schemas.enable", "true")],
    )
    .await?;
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    // Converted records (with their schema, from the envelope) feed the formatter.
    let mut converted = [Vec::new(), Vec::new()];
    let mut convert_cost = [0.0; 2];
    for (k, (plugin, envelope)) in [(&plain, false), (&enveloped, true)]
        .into_iter()
        .enumerate()
    {
        let input = crate::records::raw_records(n, envelope);
        let mut samples = Vec::new();
        for round in 0..=ROUNDS {
            let started = Instant::now();
            let mut out = Vec::with_capacity(n);
            for chunk in input.chunks(500) {
                for r in plugin.convert_records(Part::Value, chunk.to_vec()).await? {
                    out.push(r.map_err(anyhow::Error::msg)?);
                }
            }
            if round > 0 {
                samples.push(started.elapsed().as_secs_f64() * 1e6 / n as f64);
            }
            converted[k] = out;
        }
        convert_cost[k] = median(samples);
    }
    anyhow::ensure!(
        converted[1].iter().all(|r| r.value_schema.is_some())
            && converted[0].iter().all(|r| r.value_schema.is_none()),
        "the envelope's schema is kept on each record, and only there"
    );
    let mut encode_cost = [0.0; 2];
    for (k, (plugin, records)) in [(&body, &converted[0]), (&body_schema, &converted[1])]
        .into_iter()
        .enumerate()
    {
        let mut samples = Vec::new();
        for round in 0..=ROUNDS {
            let started = Instant::now();
            for chunk in records.chunks(500) {
                for e in plugin.encode(chunk).await? {
                    e.map_err(anyhow::Error::msg)?;
                }
            }
            if round > 0 {
                samples.push(started.elapsed().as_secs_f64() * 1e6 / n as f64);
            }
        }
        encode_cost[k] = median(samples);
    }
    let costs = vec![
        SchemaCost {
            step: "json converter",
            without_schema: convert_cost[0],
            with_schema: convert_cost[1],
        },
        SchemaCost {
            step: "json-batch formatter",
            without_schema: encode_cost[0],
            with_schema: encode_cost[1],
        },
    ];
    println!("\nThe cost of a schema, µs/record at batch 500 (median of {ROUNDS} runs)\n");
    println!(
        "{:<22} {:>15} {:>12} {:>8}",
        "step", "without schema", "with schema", "ratio"
    );
    for c in &costs {
        println!(
            "{:<22} {:>15.3} {:>12.3} {:>7.2}x",
            c.step,
            c.without_schema,
            c.with_schema,
            c.with_schema / c.without_schema
        );
    }
    Ok(costs)
}

/// `records` copied into one buffer the way the reader consumes a batch:
/// keys and values, then the topic's name.
fn in_arena(records: &[Record]) -> (Vec<Record>, Arena) {
    let mut buf = Vec::new();
    let mut spans = Vec::with_capacity(records.len());
    let mut copy = |b: &Option<Bytes>| {
        b.as_ref().map(|b| {
            buf.extend_from_slice(b);
            buf.len() - b.len()..buf.len()
        })
    };
    for r in records {
        spans.push((copy(&r.key), copy(&r.value)));
    }
    let topic = records[0].topic.clone();
    let at = buf.len();
    buf.extend_from_slice(topic.as_bytes());
    let arena = Bytes::from(buf);
    let records = records
        .iter()
        .zip(spans)
        .map(|(r, (k, v))| Record {
            key: k.map(|k| arena.slice(k)),
            value: v.map(|v| arena.slice(v)),
            ..r.clone()
        })
        .collect();
    let arena = Arena::new(arena, topic, at).expect("the topic was written at `at`");
    (records, arena)
}
