//! The layout benchmark: what one plugin call costs per record, for 1 KiB
//! JSON records at batch sizes 1, 100, 500 and 1000:
//! - `identity`: records in and back out unchanged, the boundary's cost alone,
//!   through the contract's arena layout (the `drop` plugin keeping every
//!   record), a nested `list<record>` layout (a bench-only plugin), and the
//!   same `drop` code compiled natively;
//! - `insert-field`: parse, add fields, serialise, through the arena layout
//!   and natively (the same plugin crate), to isolate the Wasm cost.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use serde::Serialize;
use sluice::plugin::{Limits, Runtime, TransformOutcome};
use sluice::record::{Header, Record};
use sluice_sdk::{Transform, batch as sdk_batch, wit as sdk_wit};

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
    let drop_wasm = rt
        .configure(
            rt.load(&plugins.join("drop.wasm")).await?,
            keep_all.clone(),
            Limits::default(),
        )
        .await?;
    let insert_wasm = rt
        .configure(
            rt.load(&plugins.join("insert-field.wasm")).await?,
            insert_cfg.clone(),
            Limits::default(),
        )
        .await?;
    let mut nested = NestedIdentity::new(&bench_plugins.join("nested-layout.wasm")).await?;
    let mut drop_native: sluice_plugin_drop::Drop =
        sluice_sdk::configure(keep_all).map_err(anyhow::Error::msg)?;
    let mut insert_native: sluice_plugin_insert_field::InsertField =
        sluice_sdk::configure(insert_cfg).map_err(anyhow::Error::msg)?;

    let mut figures = Vec::new();
    for batch in [1usize, 100, 500, 1000] {
        let n = if batch == 1 { total / 10 } else { total };
        let input = &records[..n];
        macro_rules! scenario {
            ($transform:expr, $path:expr, |$chunk:ident| $call:expr) => {{
                let mut samples = Vec::with_capacity(ROUNDS);
                for round in 0..=ROUNDS {
                    let started = Instant::now();
                    let mut kept = 0usize;
                    for $chunk in input.chunks(batch) {
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
        scenario!("identity", "arena", |chunk| drop_wasm
            .transform(chunk)
            .await?);
        scenario!("identity", "nested", |chunk| nested.call(chunk).await?);
        scenario!("identity", "native", |chunk| native(
            &mut drop_native,
            chunk
        ));
        scenario!("insert-field", "arena", |chunk| insert_wasm
            .transform(chunk)
            .await?);
        scenario!("insert-field", "native", |chunk| native(
            &mut insert_native,
            chunk
        ));
    }

    print_table(&figures, bytes_per_record);
    let out = args
        .json_out
        .unwrap_or_else(|| target.join("bench/layout.json"));
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&out, serde_json::to_string_pretty(&figures)?)?;
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
        "{:<13} {:>6} {:>9} {:>9} {:>9} {:>14} {:>14}",
        "transform", "batch", "nested", "arena", "native", "nested/arena", "arena/native"
    );
    for t in ["identity", "insert-field"] {
        for b in [1, 100, 500, 1000] {
            let (nested, arena, native) =
                (get(t, "nested", b), get(t, "arena", b), get(t, "native", b));
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
                "{:<13} {:>6} {:>9} {:>9} {:>9} {:>14} {:>14}",
                t,
                b,
                fmt(nested),
                fmt(arena),
                fmt(native),
                ratio(nested, arena),
                ratio(arena, native)
            );
        }
    }
    println!("\nthroughput at batch 1000:");
    for f in figures.iter().filter(|f| f.batch == 1000) {
        println!(
            "  {:<13} {:<7} {:>10.0} records/s {:>8.1} MiB/s",
            f.transform, f.path, f.records_per_sec, f.mib_per_sec
        );
    }
}

/// The same plugin code called natively: host records into the SDK's batch,
/// the SDK's batch loop, and the output back into host records, as the Wasm
/// path does minus the boundary.
fn native<T: Transform>(plugin: &mut T, records: &[Record]) -> Vec<TransformOutcome> {
    let mut writer = sdk_batch::BatchWriter::with_capacity(records.len(), records.len() * 1100);
    let mut headers = Vec::new();
    for r in records {
        headers.clear();
        headers.extend(r.headers.iter().map(|h| sluice_sdk::Header {
            name: &h.name,
            value: h.value.as_deref(),
        }));
        writer.push_record(&sluice_sdk::Record {
            topic: &r.topic,
            partition: r.partition,
            offset: r.offset,
            timestamp: r.timestamp,
            key: r.key.as_deref(),
            key_kind: kind_to_sdk(r.key_kind),
            value: r.value.as_deref(),
            value_kind: kind_to_sdk(r.value_kind),
            headers: &headers,
        });
    }
    let out = sluice_sdk::run_transform(plugin, &writer.finish());
    from_sdk(out, records)
}

fn kind_to_sdk(k: sluice::record::ValueKind) -> sluice_sdk::ValueKind {
    match k {
        sluice::record::ValueKind::Binary => sluice_sdk::ValueKind::Binary,
        sluice::record::ValueKind::Text => sluice_sdk::ValueKind::Text,
        sluice::record::ValueKind::Json => sluice_sdk::ValueKind::Json,
    }
}

fn kind_from_sdk(k: sdk_wit::ValueKind) -> sluice::record::ValueKind {
    match k {
        sdk_wit::ValueKind::Binary => sluice::record::ValueKind::Binary,
        sdk_wit::ValueKind::Text => sluice::record::ValueKind::Text,
        sdk_wit::ValueKind::Json => sluice::record::ValueKind::Json,
    }
}

fn from_sdk(out: sluice_sdk::TransformOutput, inputs: &[Record]) -> Vec<TransformOutcome> {
    let data = Bytes::from(out.output.data);
    let slice = |s: sdk_wit::Span| data.slice(s.start as usize..(s.start + s.len) as usize);
    let mut outcomes = vec![TransformOutcome::Dropped; inputs.len()];
    for (r, origin) in out.output.records.iter().zip(out.origins) {
        let input = &inputs[origin as usize];
        let topic = slice(r.topic);
        let first = r.first_header as usize;
        let record = Record {
            topic: if topic == input.topic.as_bytes() {
                input.topic.clone()
            } else {
                Arc::from(String::from_utf8_lossy(&topic).as_ref())
            },
            partition: r.partition,
            offset: input.offset,
            timestamp: r.timestamp,
            key: r.key.map(slice),
            key_kind: kind_from_sdk(r.key_kind),
            value: r.value.map(slice),
            value_kind: kind_from_sdk(r.value_kind),
            headers: out.output.headers[first..first + r.header_count as usize]
                .iter()
                .map(|h| Header {
                    name: String::from_utf8_lossy(&slice(h.name)).into_owned(),
                    value: h.value.map(slice),
                })
                .collect(),
        };
        match &mut outcomes[origin as usize] {
            TransformOutcome::Kept(v) => v.push(record),
            slot => *slot = TransformOutcome::Kept(vec![record]),
        }
    }
    for f in out.failures {
        outcomes[f.input as usize] = TransformOutcome::Failed(f.message);
    }
    outcomes
}
