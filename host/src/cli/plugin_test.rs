//! `sluice plugin test`: one plugin over records from a JSON-lines file.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use base64::Engine as _;
use bytes::Bytes;
use clap::{Args, ValueEnum};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{CacheArgs, GrantArgs, LimitArgs, parse_key_value};
use crate::plugin::{ConfiguredPlugin, Part, PluginKind, Sandbox, TransformOutcome};
use crate::predicate::{Predicate, Selector};
use crate::record::{Header, Record, Schema, ValueKind};

#[derive(Args, Debug)]
pub struct TestArgs {
    /// The plugin's .wasm file.
    pub plugin: PathBuf,
    /// A configuration entry, KEY=VALUE; repeat for several.
    #[arg(long = "config", short = 'c', value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub config: Vec<(String, String)>,
    /// JSON-lines file of input records; `-` or nothing reads standard input.
    #[arg(long, short = 'i', value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// For converters: convert the key or the value.
    #[arg(long, value_enum, default_value_t = PartArg::Value)]
    pub part: PartArg,
    /// Records per plugin call; the whole input by default.
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// What to print: one outcome line per input record, or (transforms and
    /// converters) the output records in the input format, so plugins can be
    /// chained: `sluice plugin test a.wasm --emit records | sluice plugin test b.wasm`.
    #[arg(long, value_enum, default_value_t = Emit::Outcomes)]
    pub emit: Emit,
    /// Transforms: run the plugin only on the records a predicate selects,
    /// as a manifest's `predicate` does; the others are kept unchanged.
    /// `TopicNameMatches=REGEX`, `HasHeaderKey=NAME` or `RecordIsTombstone`.
    #[arg(long, value_name = "PREDICATE")]
    pub predicate: Option<String>,
    /// With --predicate: run the plugin on the records it does NOT select.
    #[arg(long, requires = "predicate")]
    pub negate: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub grants: GrantArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    Outcomes,
    Records,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PartArg {
    Key,
    Value,
}

/// One input line.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct InputRecord {
    topic: Option<String>,
    partition: Option<i32>,
    offset: Option<i64>,
    timestamp: Option<i64>,
    #[serde(default)]
    key: Option<Value>,
    /// The key's bytes in base64, for keys that are not UTF-8 text.
    key_base64: Option<String>,
    #[serde(default)]
    value: Option<Value>,
    /// The value's bytes in base64, for values that are not UTF-8 text.
    value_base64: Option<String>,
    #[serde(default)]
    headers: InputHeaders,
    /// `binary`, `text` or `json`: what the key holds (default binary, as
    /// consumed).
    key_kind: Option<String>,
    /// What the value holds; by default binary for a converter, else
    /// binary for base64, text for a string, JSON for anything else.
    value_kind: Option<String>,
    /// The key's Connect schema, in `JsonConverter`'s JSON form.
    key_schema: Option<Value>,
    /// The value's Connect schema, in `JsonConverter`'s JSON form.
    value_schema: Option<Value>,
}

/// A schema of an input line, read as a plugin's reply would be.
fn input_schema(schema: Option<Value>, what: &str) -> anyhow::Result<Option<Arc<Schema>>> {
    match schema {
        None | Some(Value::Null) => Ok(None),
        Some(v) => Schema::parse(&v.to_string())
            .map(|s| Some(Arc::new(s)))
            .with_context(|| format!("{what}_schema is not a Connect schema")),
    }
}

/// Headers as Kafka has them, an ordered list of `[name, value]` pairs
/// where a name may repeat; or, for convenience, an object.
#[derive(Deserialize, Default)]
#[serde(untagged)]
enum InputHeaders {
    #[default]
    None,
    List(Vec<(String, Option<String>)>),
    Object(BTreeMap<String, Option<String>>),
}

impl InputHeaders {
    fn into_headers(self) -> Vec<Header> {
        let pairs: Vec<(String, Option<String>)> = match self {
            InputHeaders::None => Vec::new(),
            InputHeaders::List(l) => l,
            InputHeaders::Object(o) => o.into_iter().collect(),
        };
        pairs
            .into_iter()
            .map(|(name, value)| Header {
                name,
                value: value.map(Bytes::from),
            })
            .collect()
    }
}

/// The bytes of a key or value given as JSON or as base64 (not both). A
/// value of kind `json` is the JSON value itself, strings included (as
/// `--emit records` writes it); otherwise a string stands for its text.
fn input_bytes(
    json: Option<Value>,
    base64_text: Option<String>,
    what: &str,
    kind: ValueKind,
) -> anyhow::Result<Option<Bytes>> {
    match (json, base64_text) {
        (Some(v @ Value::String(_)), None) if kind == ValueKind::Json => {
            Ok(Some(Bytes::from(v.to_string())))
        }
        (Some(_), Some(_)) => bail!("give {what} or {what}_base64, not both"),
        (None, Some(b)) => Ok(Some(Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .with_context(|| format!("{what}_base64 is not base64"))?,
        ))),
        (json, None) => Ok(json.and_then(to_bytes)),
    }
}

fn to_bytes(v: Value) -> Option<Bytes> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(Bytes::from(s)),
        other => Some(Bytes::from(other.to_string())),
    }
}

fn parse_kind(s: &str) -> anyhow::Result<ValueKind> {
    Ok(match s {
        "binary" => ValueKind::Binary,
        "text" => ValueKind::Text,
        "json" => ValueKind::Json,
        other => bail!("value_kind {other:?} is not binary, text or json"),
    })
}

fn read_records(args: &TestArgs, kind: PluginKind) -> anyhow::Result<Vec<Record>> {
    let (name, reader): (String, Box<dyn BufRead>) = match &args.input {
        Some(p) if p.as_os_str() != "-" => (
            p.display().to_string(),
            Box::new(std::io::BufReader::new(
                std::fs::File::open(p)
                    .with_context(|| format!("cannot open input file {}", p.display()))?,
            )),
        ),
        _ => ("standard input".into(), Box::new(std::io::stdin().lock())),
    };
    let mut records = Vec::new();
    let mut topics: BTreeMap<String, Arc<str>> = BTreeMap::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("{name}: cannot read line {}", n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let input: InputRecord = serde_json::from_str(&line)
            .with_context(|| format!("{name} line {}: not a valid input record", n + 1))?;
        let value_is_string = matches!(input.value, Some(Value::String(_)));
        let value_kind = match (&input.value_kind, kind) {
            (Some(k), _) => parse_kind(k).with_context(|| format!("{name} line {}", n + 1))?,
            (None, PluginKind::Converter) => ValueKind::Binary,
            (None, _) if input.value_base64.is_some() => ValueKind::Binary,
            (None, _) if value_is_string => ValueKind::Text,
            (None, _) => ValueKind::Json,
        };
        let topic = input.topic.unwrap_or_else(|| "test".into());
        let topic = topics
            .entry(topic.clone())
            .or_insert_with(|| Arc::from(topic))
            .clone();
        let at = || format!("{name} line {}", n + 1);
        let key_kind = match &input.key_kind {
            Some(k) => parse_kind(k).with_context(at)?,
            None => ValueKind::Binary,
        };
        records.push(Record {
            topic,
            partition: input.partition.unwrap_or(0),
            offset: input.offset.unwrap_or(records.len() as i64),
            timestamp: input.timestamp,
            key: input_bytes(input.key, input.key_base64, "key", key_kind).with_context(at)?,
            key_kind,
            key_schema: input_schema(input.key_schema, "key").with_context(at)?,
            value: input_bytes(input.value, input.value_base64, "value", value_kind)
                .with_context(at)?,
            value_kind,
            value_schema: input_schema(input.value_schema, "value").with_context(at)?,
            headers: input.headers.into_headers(),
        });
    }
    Ok(records)
}

fn bytes_json(b: &Option<Bytes>, kind: ValueKind) -> Value {
    match b {
        None => Value::Null,
        Some(b) if kind == ValueKind::Json => serde_json::from_slice(b)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(b).into_owned())),
        Some(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
    }
}

/// A record as an output line: headers as an ordered list of `[name,
/// value]` pairs (names may repeat), the Connect schemas of a schema'd key
/// or value in `key_schema` and `value_schema`, and, for a key or value that
/// is not UTF-8 text, its exact bytes in `key_base64` or `value_base64`
/// beside the lossy text. The same shape is read back as input, so outputs
/// chain.
fn record_json(r: &Record) -> Value {
    let headers: Vec<Value> = r
        .headers
        .iter()
        .map(|h| {
            json!([
                h.name,
                h.value
                    .as_ref()
                    .map_or(Value::Null, |v| String::from_utf8_lossy(v).into())
            ])
        })
        .collect();
    let mut line = json!({
        "topic": &*r.topic,
        "partition": r.partition,
        "offset": r.offset,
        "timestamp": r.timestamp,
        "key": bytes_json(&r.key, r.key_kind),
        "value": bytes_json(&r.value, r.value_kind),
        "key_kind": r.key_kind,
        "value_kind": r.value_kind,
        "headers": headers,
    });
    for (field, schema) in [
        ("key_schema", &r.key_schema),
        ("value_schema", &r.value_schema),
    ] {
        if let Some(s) = schema {
            // The text was read as JSON when the plugin's reply was checked.
            line[field] = serde_json::from_str(&s.text).unwrap_or(Value::Null);
        }
    }
    for (field, bytes) in [("key", &r.key), ("value", &r.value)] {
        if let Some(b) = bytes
            && std::str::from_utf8(b).is_err()
        {
            // Chained input takes either form, not both.
            line[field] = Value::Null;
            line[format!("{field}_base64")] =
                base64::engine::general_purpose::STANDARD.encode(b).into();
        }
    }
    line
}

#[derive(Default)]
struct Tally {
    kept: usize,
    dropped: usize,
    failed: usize,
}

pub async fn run(args: TestArgs) -> anyhow::Result<ExitCode> {
    let runtime = args.cache.runtime()?;
    let loaded = runtime.load(&args.plugin).await?;
    let kind = loaded.metadata.kind;
    let records = read_records(&args, kind)?;
    let mut config = args.config.clone();
    let grants = args.grants.grants(&mut config)?;
    let plugin = runtime
        .configure(
            loaded,
            config,
            Sandbox {
                limits: args.limits.limits(),
                grants,
            },
        )
        .await?;
    let selector = match &args.predicate {
        None => None,
        Some(_) if kind != PluginKind::Transform => {
            bail!(
                "--predicate applies to transforms only; {} is a {kind}",
                args.plugin.display()
            )
        }
        Some(p) => Some(selector(p, args.negate)?),
    };
    let batch_size = args.batch_size.unwrap_or(records.len()).max(1);
    let mut out = std::io::stdout().lock();
    let mut tally = Tally::default();
    let mut encoded_items = Vec::new();
    for (chunk_index, chunk) in records.chunks(batch_size).enumerate() {
        let first = chunk_index * batch_size;
        let lines = match kind {
            PluginKind::Converter => convert(&plugin, &args, chunk, &mut tally).await?,
            PluginKind::Transform => {
                transform(&plugin, selector.as_ref(), chunk, &mut tally).await?
            }
            PluginKind::Formatter => encode(&plugin, chunk, &mut tally, &mut encoded_items).await?,
        };
        for (i, mut line) in lines.into_iter().enumerate() {
            if args.emit == Emit::Records {
                match line.get("records").and_then(Value::as_array) {
                    Some(records) => records.iter().try_for_each(|r| writeln!(out, "{r}"))?,
                    None if line["outcome"] == "failed" => {
                        eprintln!(
                            "offset {}: failed: {}",
                            chunk[i].offset,
                            line["error"].as_str().unwrap_or("")
                        )
                    }
                    None => {}
                }
                continue;
            }
            line["input"] = json!(first + i);
            line["offset"] = json!(chunk[i].offset);
            writeln!(out, "{line}")?;
        }
    }
    if let Some(info) = plugin.format_info() {
        let header = plugin.header().await?;
        let trailer = plugin.trailer().await?;
        let body = info.frame(
            &header,
            encoded_items.iter().map(|b: &Bytes| &b[..]),
            &trailer,
        );
        if args.emit == Emit::Records {
            out.write_all(&body)?;
            writeln!(out)?;
        } else {
            let line = json!({
                "body": String::from_utf8_lossy(&body),
                "content_type": info.content_type,
                "extension": info.extension,
            });
            writeln!(out, "{line}")?;
        }
    }
    out.flush()?;
    let m = plugin.metadata();
    eprintln!(
        "{} {} ({}): {} records: {} kept, {} dropped, {} failed",
        m.name,
        m.version,
        m.kind,
        records.len(),
        tally.kept,
        tally.dropped,
        tally.failed
    );
    Ok(ExitCode::SUCCESS)
}

async fn convert(
    plugin: &ConfiguredPlugin,
    args: &TestArgs,
    chunk: &[Record],
    tally: &mut Tally,
) -> anyhow::Result<Vec<Value>> {
    let part = match args.part {
        PartArg::Key => Part::Key,
        PartArg::Value => Part::Value,
    };
    let results = plugin.convert_records(part, chunk.to_vec()).await?;
    Ok(results
        .into_iter()
        .map(|r| match r {
            Ok(rec) => {
                tally.kept += 1;
                json!({"outcome": "kept", "records": [record_json(&rec)]})
            }
            Err(e) => {
                tally.failed += 1;
                json!({"outcome": "failed", "error": e})
            }
        })
        .collect())
}

/// `--predicate TYPE[=ARG]` and `--negate`, checked.
fn selector(text: &str, negate: bool) -> anyhow::Result<Selector> {
    let (kind, arg) = match text.split_once('=') {
        Some((k, a)) => (k.trim(), Some(a)),
        None => (text.trim(), None),
    };
    let (pattern, name) = match kind {
        "TopicNameMatches" => (arg, None),
        "HasHeaderKey" => (None, arg),
        _ => (arg, None),
    };
    let predicate = Predicate::new(kind, pattern, name).map_err(|(option, why)| {
        anyhow::anyhow!(
            "--predicate {text:?}: {option}: {why} (write TopicNameMatches=REGEX, HasHeaderKey=NAME or RecordIsTombstone)"
        )
    })?;
    Ok(Selector { predicate, negate })
}

async fn transform(
    plugin: &ConfiguredPlugin,
    selector: Option<&Selector>,
    chunk: &[Record],
    tally: &mut Tally,
) -> anyhow::Result<Vec<Value>> {
    let chosen: Vec<usize> = (0..chunk.len())
        .filter(|&i| selector.is_none_or(|s| s.selects(&chunk[i])))
        .collect();
    let subset: Vec<Record> = chosen.iter().map(|&i| chunk[i].clone()).collect();
    let outcomes = if subset.is_empty() {
        Vec::new()
    } else {
        plugin.transform(&subset).await?
    };
    let mut outcomes = chosen.into_iter().zip(outcomes).peekable();
    Ok((0..chunk.len())
        .map(|i| match outcomes.next_if(|(c, _)| *c == i).map(|(_, o)| o) {
            None => {
                tally.kept += 1;
                json!({"outcome": "kept", "records": [record_json(&chunk[i])]})
            }
            Some(TransformOutcome::Kept(recs)) => {
                tally.kept += 1;
                json!({"outcome": "kept", "records": recs.iter().map(record_json).collect::<Vec<_>>()})
            }
            Some(TransformOutcome::Dropped) => {
                tally.dropped += 1;
                json!({"outcome": "dropped"})
            }
            Some(TransformOutcome::Failed(e)) => {
                tally.failed += 1;
                json!({"outcome": "failed", "error": e})
            }
        })
        .collect())
}

async fn encode(
    plugin: &ConfiguredPlugin,
    chunk: &[Record],
    tally: &mut Tally,
    items: &mut Vec<Bytes>,
) -> anyhow::Result<Vec<Value>> {
    Ok(plugin
        .encode(chunk)
        .await?
        .into_iter()
        .map(|r| match r {
            Ok(bytes) => {
                tally.kept += 1;
                let line =
                    json!({"outcome": "encoded", "encoded": String::from_utf8_lossy(&bytes)});
                items.push(bytes);
                line
            }
            Err(e) => {
                tally.failed += 1;
                json!({"outcome": "failed", "error": e})
            }
        })
        .collect())
}
