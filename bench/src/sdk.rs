//! The SDK benchmark: what the conformance transform `mask-fields` costs when
//! written in each SDK language, in the real plugin runtime: component size,
//! first compile (empty precompilation cache), cached load, instantiation
//! with configuration, time per record of 1 KiB JSON at batch size 500, and
//! the linear memory one instance grew to. The Rust build is the baseline.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use sluice::plugin::{Limits, Runtime, TransformOutcome};

use crate::records::json_records;

#[derive(clap::Args)]
pub struct Args {
    /// Fewer records, for CI: proves the benchmark runs, measures little.
    #[arg(long)]
    quick: bool,
    /// Records per timed round (in batches of 500).
    #[arg(long, default_value_t = 20_000)]
    records: usize,
    /// `LANG=PATH.wasm` of each build of mask-fields, the baseline (rust) first;
    /// scripts/bench sdk builds them with scripts/sdk/build.
    #[arg(long = "plugin", value_name = "LANG=WASM", required = true)]
    plugins: Vec<String>,
    /// Where to write the figures as JSON [default: $CARGO_TARGET_DIR/bench/sdk.json].
    #[arg(long)]
    json_out: Option<PathBuf>,
}

#[derive(Serialize)]
struct Figure {
    lang: String,
    component_bytes: u64,
    first_compile_ms: f64,
    cached_load_ms: f64,
    instantiate_ms: f64,
    micros_per_record: f64,
    records_per_sec: f64,
    instance_memory_mib: f64,
}

const BATCH: usize = 500;
const ROUNDS: usize = 3;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let total = if args.quick { 2 * BATCH } else { args.records };
    let records = json_records(total);
    let config = vec![
        ("fields".to_string(), "user_id,session_id,geo".to_string()),
        ("replacement".to_string(), "[hidden]".to_string()),
    ];
    let mut figures = Vec::new();
    for spec in &args.plugins {
        let (lang, wasm) = spec
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--plugin {spec}: expected LANG=PATH.wasm"))?;
        figures.push(measure(lang, Path::new(wasm), &config, &records).await?);
    }
    print(&figures);
    let out = args
        .json_out
        .unwrap_or_else(|| crate::target_dir().join("bench").join("sdk.json"));
    std::fs::create_dir_all(out.parent().unwrap_or(Path::new(".")))?;
    std::fs::write(&out, serde_json::to_vec_pretty(&figures)?)?;
    println!("\nfigures written to {}", out.display());
    Ok(())
}

async fn measure(
    lang: &str,
    wasm: &Path,
    config: &[(String, String)],
    records: &[sluice::record::Record],
) -> anyhow::Result<Figure> {
    let component_bytes = std::fs::metadata(wasm)
        .map_err(|e| anyhow::anyhow!("{}: {e}", wasm.display()))?
        .len();
    let cache = tempfile::tempdir()?;
    let started = Instant::now();
    Runtime::new(cache.path())?.load(wasm).await?;
    let first_compile = started.elapsed();
    let rt = Runtime::new(cache.path())?;
    let started = Instant::now();
    let loaded = rt.load(wasm).await?;
    let cached_load = started.elapsed();
    let started = Instant::now();
    let plugin = rt
        .configure(loaded, config.to_vec(), Limits::default())
        .await?;
    let instantiate = started.elapsed();
    let mut samples = Vec::with_capacity(ROUNDS);
    for round in 0..=ROUNDS {
        let started = Instant::now();
        let mut kept = 0;
        for chunk in records.chunks(BATCH) {
            kept += plugin
                .transform(chunk)
                .await?
                .iter()
                .filter(|o| matches!(o, TransformOutcome::Kept(_)))
                .count();
        }
        anyhow::ensure!(
            kept == records.len(),
            "{lang}: {kept} of {} records kept",
            records.len()
        );
        if round > 0 {
            samples.push(started.elapsed().as_secs_f64()); // round 0 warms up
        }
    }
    samples.sort_by(f64::total_cmp);
    let secs = samples[ROUNDS / 2];
    Ok(Figure {
        lang: lang.to_string(),
        component_bytes,
        first_compile_ms: ms(first_compile),
        cached_load_ms: ms(cached_load),
        instantiate_ms: ms(instantiate),
        micros_per_record: secs * 1e6 / records.len() as f64,
        records_per_sec: records.len() as f64 / secs,
        instance_memory_mib: plugin.memory_high_water() as f64 / (1 << 20) as f64,
    })
}

fn print(figures: &[Figure]) {
    println!(
        "mask-fields per SDK language, 1 KiB JSON records, batch {BATCH} (baseline: {})",
        figures.first().map_or("-", |f| f.lang.as_str())
    );
    println!(
        "{:<8} {:>10} {:>12} {:>10} {:>12} {:>10} {:>12} {:>9} {:>11}",
        "lang",
        "size KiB",
        "compile ms",
        "cached ms",
        "instance ms",
        "µs/rec",
        "records/s",
        "vs base",
        "memory MiB"
    );
    let base = figures.first().map_or(1.0, |f| f.micros_per_record);
    for f in figures {
        println!(
            "{:<8} {:>10.0} {:>12.0} {:>10.1} {:>12.1} {:>10.2} {:>12.0} {:>8.1}x {:>11.1}",
            f.lang,
            f.component_bytes as f64 / 1024.0,
            f.first_compile_ms,
            f.cached_load_ms,
            f.instantiate_ms,
            f.micros_per_record,
            f.records_per_sec,
            f.micros_per_record / base,
            f.instance_memory_mib
        );
    }
}
