//! What the fuzz targets check, shared with the test that replays the inputs
//! they keep (`fuzz/seeds`, `fuzz/regressions`): the manifest parser, and
//! records through the first-party converters, a transform and the
//! formatter. Any input must return normally; a panic is a bug. Beyond "no
//! panic", the record path checks what the host relies on: one result per
//! record, JSON that parses, text that is UTF-8, bodies that are valid JSON.

use std::path::Path;

use bytes::Bytes;
use sluice::plugin::{
    ConfiguredPlugin, Conversion, Limits, Part, Runtime, TransformOutcome, apply_conversion,
};
use sluice::record::{Header, Record, ValueKind};

/// Parses `data` as a manifest; only a panic fails.
pub fn manifest(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        // A path that does not exist: relative plugin and cache dirs resolve under it.
        let _ = sluice::config::parse(Path::new("/nonexistent/fuzz.toml"), text);
    }
}

/// Splits fuzz input into at most 64 records: `0x1e` separates records;
/// in each, `0x1f` separates key from value, `0x1d` starts `name=value`
/// headers separated by `0x1c`; a record that starts with `0x00` is a tombstone.
pub fn records_from(data: &[u8]) -> Vec<Record> {
    data.split(|b| *b == 0x1e)
        .take(64)
        .enumerate()
        .map(|(i, chunk)| {
            let (body, headers) = match chunk.iter().position(|b| *b == 0x1d) {
                Some(p) => (&chunk[..p], &chunk[p + 1..]),
                None => (chunk, &[][..]),
            };
            let (key, value) = match body.iter().position(|b| *b == 0x1f) {
                Some(p) => (Some(&body[..p]), &body[p + 1..]),
                None => (None, body),
            };
            let mut r = Record::new(
                "fuzz",
                (value.first() != Some(&0)).then(|| Bytes::copy_from_slice(value)),
            );
            r.offset = i as i64;
            r.key = key.map(Bytes::copy_from_slice);
            r.headers = headers
                .split(|b| *b == 0x1c)
                .filter(|h| !h.is_empty())
                .map(|h| {
                    let (name, value) = match h.iter().position(|b| *b == b'=') {
                        Some(p) => (&h[..p], Some(Bytes::copy_from_slice(&h[p + 1..]))),
                        None => (h, None),
                    };
                    Header {
                        name: String::from_utf8_lossy(name).into_owned(),
                        value,
                    }
                })
                .collect();
            r
        })
        .collect()
}

/// The first-party plugins on the record path, configured.
pub struct RecordPath {
    tokio: tokio::runtime::Runtime,
    json: ConfiguredPlugin,
    json_envelope: ConfiguredPlugin,
    string: ConfiguredPlugin,
    insert_field: ConfiguredPlugin,
    formatter: ConfiguredPlugin,
}

impl RecordPath {
    /// Loads the plugins of `plugin_dir`, precompiled into `cache`.
    pub fn start(plugin_dir: &Path, cache: &Path) -> Self {
        let tokio = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("tokio runtime");
        let rt = Runtime::new(cache).expect("engine starts");
        let start = |name: &str, config: &[(&str, &str)]| {
            tokio.block_on(async {
                let loaded = rt
                    .load(&plugin_dir.join(format!("{name}.wasm")))
                    .await
                    .unwrap_or_else(|e| panic!("{name} loads: {e}"));
                let config = config
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                rt.configure(loaded, config, Limits::default())
                    .await
                    .unwrap_or_else(|e| panic!("{name} configures: {e}"))
            })
        };
        RecordPath {
            json: start("json", &[("schemas.enable", "false")]),
            json_envelope: start("json", &[]),
            string: start("string", &[]),
            insert_field: start(
                "insert-field",
                &[("topic.field", "topic"), ("offset.field", "offset")],
            ),
            formatter: start(
                "json-batch",
                &[
                    ("request.body.format", "json"),
                    ("batch.json.as.array", "true"),
                    ("batch.prefix", "{\"records\":"),
                    ("batch.suffix", "}"),
                    ("batch.separator", ","),
                ],
            ),
            tokio,
        }
    }

    /// Runs `data`'s records through every converter, then the JSON ones
    /// through the transform and the formatter, checking each reply.
    pub fn check(&self, data: &[u8]) {
        let records = records_from(data);
        for converter in [&self.json, &self.json_envelope, &self.string] {
            let converted = self.convert(converter, &records);
            if converter.name() == "json" {
                let kept = self.transform(&converted);
                self.format(&kept);
            } else {
                self.format(&converted);
            }
        }
    }

    /// Converts values; returns the records that converted.
    fn convert(&self, plugin: &ConfiguredPlugin, records: &[Record]) -> Vec<Record> {
        let out = self
            .tokio
            .block_on(plugin.convert(Part::Value, records))
            .unwrap_or_else(|e| panic!("{} failed as a whole: {e}", plugin.name()));
        assert_eq!(out.len(), records.len(), "one conversion per record");
        let mut converted = Vec::new();
        for (r, c) in records.iter().zip(out) {
            if let Conversion::Converted { bytes, kind, .. } = &c {
                check_kind(*kind, bytes, plugin.name());
            }
            let mut r = r.clone();
            if apply_conversion(&mut r, Part::Value, c).is_ok() {
                converted.push(r);
            }
        }
        converted
    }

    fn transform(&self, records: &[Record]) -> Vec<Record> {
        let out = self
            .tokio
            .block_on(self.insert_field.transform(records))
            .unwrap_or_else(|e| panic!("insert-field failed as a whole: {e}"));
        assert_eq!(out.len(), records.len(), "one outcome per record");
        let mut kept = Vec::new();
        for o in out {
            if let TransformOutcome::Kept(v) = o {
                for r in &v {
                    if let Some(bytes) = &r.value {
                        check_kind(r.value_kind, bytes, "insert-field");
                    }
                }
                kept.extend(v);
            }
        }
        kept
    }

    /// Encodes the non-null records and frames them: the body must be JSON
    /// with one element per encoded record.
    fn format(&self, records: &[Record]) {
        let records: Vec<Record> = records
            .iter()
            .filter(|r| r.value.is_some())
            .cloned()
            .collect();
        let encoded = self
            .tokio
            .block_on(self.formatter.encode(&records))
            .unwrap_or_else(|e| panic!("json-batch failed as a whole: {e}"));
        assert_eq!(encoded.len(), records.len(), "one encoding per record");
        let items: Vec<Bytes> = encoded.into_iter().filter_map(Result::ok).collect();
        let info = self.formatter.format_info().expect("framing");
        let body = info.frame(b"", items.iter().map(|b| &b[..]), b"");
        let parsed = parse_json(&body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", shown(&body)));
        // Null: a number beyond f64 kept `Value` from holding the body.
        if !parsed.is_null() {
            let n = parsed["records"].as_array().map_or(0, Vec::len);
            assert_eq!(n, items.len(), "one body element per record");
        }
    }
}

fn check_kind(kind: ValueKind, bytes: &[u8], plugin: &str) {
    match kind {
        ValueKind::Json => {
            if let Err(e) = parse_json(bytes) {
                panic!("{plugin} says JSON but it is not ({e}): {}", shown(bytes));
            }
        }
        ValueKind::Text => {
            if let Err(e) = std::str::from_utf8(bytes) {
                panic!(
                    "{plugin} says text but it is not UTF-8 ({e}): {}",
                    shown(bytes)
                );
            }
        }
        ValueKind::Binary => {}
    }
}

/// Parses JSON without serde_json's recursion limit (the converter allows
/// Jackson's depth of 1000). A number beyond `f64` (`1e448`) is valid JSON
/// that `Value` cannot hold: then the syntax alone is checked, and `Null`
/// stands for the document.
fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, serde_json::Error> {
    use serde::Deserialize;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    match serde_json::Value::deserialize(&mut de).and_then(|v| de.end().map(|()| v)) {
        Err(e) if e.to_string().starts_with("number out of range") => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            de.disable_recursion_limit();
            serde::de::IgnoredAny::deserialize(&mut de)?;
            de.end()?;
            std::str::from_utf8(bytes).map_err(serde::de::Error::custom)?;
            Ok(serde_json::Value::Null)
        }
        other => other,
    }
}

fn shown(bytes: &[u8]) -> String {
    format!(
        "{:?}{}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(300)]),
        if bytes.len() > 300 { "…" } else { "" }
    )
}
