//! `json` converter: Kafka's `JsonConverter`. With `schemas.enable` (the
//! default, as in Kafka) the value must be a `{"schema":…,"payload":…}`
//! envelope; the payload is read against its schema as Kafka reads it
//! (`schema`, `value`) and written back as Kafka's JsonConverter writes that
//! Connect value without envelope: fields in schema order, defaults for
//! nulls, Decimals per `decimal.format`. A null schema leaves the payload as
//! it is. Without `schemas.enable` the value is taken as is. Invalid JSON,
//! or a payload that does not match its schema, fails that record only.

mod decimal;
mod raw;
mod schema;
mod value;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::value::RawValue;
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Converted, Converter, Part, Plugin, PluginInfo, Record,
    ValueKind,
};

use schema::Schema;
use value::{DecimalFormat, Options, Val};

/// The converter, configured.
pub struct JsonConverter {
    /// The schema of the null value `convert` just answered.
    null_schema: Option<Arc<sluice_sdk::schema::Schema>>,
    schemas_enable: bool,
    options: Options,
    /// Schemas already read, by their JSON text (`schemas.cache.size`).
    schemas: SchemaCache,
}

/// Read schemas by their exact text, at most `capacity` of them: a full
/// cache is emptied before the next one goes in, so memory stays bounded
/// however many schemas a topic carries.
struct SchemaCache {
    capacity: usize,
    entries: HashMap<String, Read>,
    /// The schema read last: a topic's records mostly carry the same one,
    /// and comparing its text is cheaper than hashing it for the map.
    last: Option<(String, Read)>,
}

/// A schema read: as this converter checks payloads against it, and as the
/// record carries it on (contract 0.2's schema, kept with the value).
#[derive(Clone)]
struct Read {
    schema: Arc<Schema>,
    carried: Arc<sluice_sdk::schema::Schema>,
}

impl SchemaCache {
    fn get(&mut self, text: &str, options: &Options) -> Result<Option<Read>, String> {
        if let Some((last, read)) = &self.last
            && last == text
        {
            return Ok(Some(read.clone()));
        }
        if let Some(s) = self.entries.get(text) {
            let read = s.clone();
            self.remember(text, &read);
            return Ok(Some(read));
        }
        let raw: &RawValue = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let Some(parsed) = schema::parse(raw, options)? else {
            return Ok(None);
        };
        let carried = sluice_sdk::schema::Schema::parse(text).map_err(|e| e.to_string())?;
        let read = Read {
            schema: Arc::new(parsed),
            carried: Arc::new(carried),
        };
        if self.capacity > 0 {
            if self.entries.len() >= self.capacity {
                self.entries.clear();
            }
            self.entries.insert(text.to_owned(), read.clone());
            self.remember(text, &read);
        }
        Ok(Some(read))
    }

    fn remember(&mut self, text: &str, read: &Read) {
        match &mut self.last {
            Some((last, r)) => {
                last.clear();
                last.push_str(text);
                *r = read.clone();
            }
            None => self.last = Some((text.to_owned(), read.clone())),
        }
    }
}

impl Plugin for JsonConverter {
    const INFO: PluginInfo = PluginInfo {
        name: "json",
        version: env!("CARGO_PKG_VERSION"),
        description: "JSON values, as Kafka's JsonConverter (schema envelope read and unwrapped when schemas.enable)",
        config: &[
            ConfigKey::optional(
                "schemas.enable",
                ConfigType::Boolean,
                Some("true"),
                "Values are {\"schema\":…,\"payload\":…} envelopes; the payload is read against the schema and kept",
            ),
            ConfigKey::optional(
                "schemas.cache.size",
                ConfigType::Integer,
                Some("1000"),
                "How many distinct schemas to keep read (0: none)",
            ),
            ConfigKey::optional(
                "decimal.format",
                ConfigType::String,
                Some("BASE64"),
                "How Decimal values are written: BASE64 (their bytes, Kafka's default) or NUMERIC (a JSON number)",
            ),
            ConfigKey::optional(
                "replace.null.with.default",
                ConfigType::Boolean,
                Some("true"),
                "A null field with a default in its schema takes the default",
            ),
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let decimal_format = match config.get("decimal.format").map(str::to_ascii_uppercase) {
            Some(f) if f == "NUMERIC" => DecimalFormat::Numeric,
            Some(f) if f == "BASE64" => DecimalFormat::Base64,
            other => {
                return Err(format!(
                    "json: decimal.format {:?} is not BASE64 or NUMERIC",
                    other.unwrap_or_default()
                ));
            }
        };
        let capacity = config.get_int("schemas.cache.size").unwrap_or(1000).max(0);
        Ok(JsonConverter {
            null_schema: None,
            schemas_enable: config.get_bool("schemas.enable"),
            options: Options {
                decimal_format,
                replace_null_with_default: config.get_bool("replace.null.with.default"),
            },
            schemas: SchemaCache {
                capacity: usize::try_from(capacity).unwrap_or(usize::MAX),
                entries: HashMap::new(),
                last: None,
            },
        })
    }
}

impl Converter for JsonConverter {
    fn convert<'a>(
        &mut self,
        part: Part,
        record: &Record<'a>,
        input: Option<&'a [u8]>,
    ) -> Result<Option<Converted<'a>>, String> {
        self.null_schema = None;
        let Some(bytes) = input else { return Ok(None) };
        let what = if part == Part::Key { "key" } else { "value" };
        let at = || {
            format!(
                "{} partition {} offset {}",
                record.topic, record.partition, record.offset
            )
        };
        let fail = |e: &dyn std::fmt::Display| format!("{}: {what} is not valid JSON: {e}", at());
        // serde_json skips the strings it ignores without checking their
        // UTF-8, so a value with invalid UTF-8 inside a string would pass.
        let text = std::str::from_utf8(bytes).map_err(|e| fail(&e))?;
        let too_deep = || {
            fail(&format_args!(
                "nesting depth exceeds the maximum allowed ({MAX_NESTING_DEPTH}), as in Jackson"
            ))
        };
        if !self.schemas_enable {
            // Jackson reads nothing (an empty or blank value) as no value.
            if text.trim_ascii().is_empty() {
                return Ok(None);
            }
            // serde_json skips a document it does not keep without
            // recursing, so it is read before its depth is known. A document
            // that reads as JSON nests at most half its length deep: the
            // depth is counted only for one that fails, or is long enough.
            let mut de = serde_json::Deserializer::from_str(text);
            de.disable_recursion_limit();
            let document: Result<&'a RawValue, _> =
                serde::Deserialize::deserialize(&mut de).and_then(|d| de.end().map(|()| d));
            if (document.is_err() || may_nest_past(bytes.len(), MAX_NESTING_DEPTH))
                && exceeds_depth(bytes, MAX_NESTING_DEPTH)
            {
                return Err(too_deep());
            }
            return Ok(json(document.map_err(|e| fail(&e))?.get().as_bytes()));
        }
        if let Some(known) = self.known_envelope(text) {
            return Ok(known);
        }
        let mut de = serde_json::Deserializer::from_str(text);
        de.disable_recursion_limit();
        let envelope_error = || {
            format!(
                "{}: JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields; if the {what} is plain JSON, set schemas.enable=false",
                at()
            )
        };
        // The document checked and its top-level entries read in one pass,
        // without recursing (the values are skipped). The schema and the
        // payload are read recursively after it, so the depth must be known
        // first: a document that reads as JSON nests one deeper than its
        // deepest top-level value, and that at most half its length deep.
        let document: Result<raw::TopLevel<'a>, _> =
            serde::Deserialize::deserialize(&mut de).and_then(|d| de.end().map(|()| d));
        let shallow = match &document {
            Ok(raw::TopLevel(Some(entries))) => entries
                .iter()
                .all(|(_, v)| !may_nest_past(v.get().len(), MAX_NESTING_DEPTH - 1)),
            Ok(raw::TopLevel(None)) => !may_nest_past(bytes.len(), MAX_NESTING_DEPTH),
            Err(_) => false,
        };
        if !shallow && exceeds_depth(bytes, MAX_NESTING_DEPTH) {
            return Err(too_deep());
        }
        let raw::TopLevel(entries) = document.map_err(|e| fail(&e))?;
        let entries = entries.ok_or_else(envelope_error)?;
        let (Some(schema), Some(payload)) = (
            raw::last(&entries, "schema"),
            raw::last(&entries, "payload"),
        ) else {
            return Err(envelope_error());
        };
        if entries.iter().any(|(k, _)| k != "schema" && k != "payload") {
            return Err(envelope_error());
        }
        let schema = self
            .schemas
            .get(schema.get(), &self.options)
            .map_err(|e| format!("{}: {what} schema is invalid: {e}", at()))?;
        // A null schema means a schemaless payload, as in Connect.
        let Some(Read { schema, carried }) = schema else {
            return Ok(json(payload.get().as_bytes()));
        };
        let mismatch = |e: String| format!("{}: {what} does not match its schema: {e}", at());
        let value = value::read(&schema, payload, &self.options).map_err(mismatch)?;
        if value == Val::Null {
            self.null_schema = Some(carried);
            return Ok(None);
        }
        let mut out = Vec::with_capacity(payload.get().len());
        value::write(&value, &schema, &self.options, &mut out).map_err(mismatch)?;
        Ok(Some(Converted {
            bytes: out.into(),
            kind: ValueKind::Json,
            schema: Some(carried),
        }))
    }

    fn null_schema(&mut self, _part: Part) -> Option<Arc<sluice_sdk::schema::Schema>> {
        self.null_schema.take()
    }
}

impl JsonConverter {
    /// An envelope as Kafka's JsonConverter writes it, `{"schema":S,
    /// "payload":P}` with S byte for byte the schema read last, converted
    /// with one reading of P against it: S was read and checked when it was
    /// first met, in a document whose depth was checked. `None` takes the
    /// full path, for any other document and for any failure here, so its
    /// messages are the ones users see.
    fn known_envelope<'a>(&mut self, text: &'a str) -> Option<Option<Converted<'a>>> {
        let (last, read) = self.schemas.last.as_ref()?;
        let payload = text
            .strip_prefix(r#"{"schema":"#)?
            .strip_prefix(last.as_str())?
            .strip_prefix(r#","payload":"#)?
            .trim_ascii_end()
            .strip_suffix('}')?;
        let read = read.clone();
        // The read recurses as deep as the schema does, whatever the text.
        let value = value::read_text(&read.schema, payload, &self.options).ok()?;
        // P read as JSON, so it nests at most half its length deep; the
        // envelope adds one level.
        if may_nest_past(payload.len(), MAX_NESTING_DEPTH - 1)
            && exceeds_depth(payload.as_bytes(), MAX_NESTING_DEPTH - 1)
        {
            return None;
        }
        if value == Val::Null {
            self.null_schema = Some(read.carried);
            return Some(None);
        }
        let mut out = Vec::with_capacity(payload.len());
        value::write(&value, &read.schema, &self.options, &mut out).ok()?;
        Some(Some(Converted {
            bytes: out.into(),
            kind: ValueKind::Json,
            schema: Some(read.carried),
        }))
    }
}

/// JSON text as a converted value; the literal `null` is a null value.
fn json(text: &[u8]) -> Option<Converted<'_>> {
    let text = text.trim_ascii();
    (text != b"null").then(|| Converted::new(text, ValueKind::Json))
}

/// Jackson's default limit (Kafka's JsonConverter refuses deeper documents);
/// serde_json skips ignored values without counting their depth.
const MAX_NESTING_DEPTH: usize = 1000;

/// Whether a text of `len` bytes that reads as JSON could nest deeper than
/// `max`: each level takes an opening and a closing bracket.
fn may_nest_past(len: usize, max: usize) -> bool {
    len >= 2 * (max + 1)
}

/// Whether arrays and objects in `json` nest deeper than `max`. Brackets
/// inside strings do not count.
///
/// A document cannot nest deeper than it has opening brackets, so the
/// exact scan (a byte-at-a-time state machine: 1.3 of this converter's
/// 3.6 µs on a 1 KiB event in Wasm) runs only when there are more than
/// `max` of them, counted by memchr. Even the count costs as much as
/// reading the document in Wasm (1.25 µs for a 1 KiB event), which is why
/// a schemaless document that reads as JSON skips it when it is short.
fn exceeds_depth(json: &[u8], max: usize) -> bool {
    if json.len() <= max || memchr::memchr2_iter(b'{', b'[', json).count() <= max {
        return false;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in json {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

sluice_sdk::export_converter!(JsonConverter);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_sdk::testing;

    fn run(schemas: bool, values: &[Option<&[u8]>]) -> Vec<testing::ConvertResult> {
        let mut c = sluice_sdk::configure::<JsonConverter>(vec![(
            "schemas.enable".into(),
            schemas.to_string(),
        )])
        .unwrap();
        let records: Vec<_> = values.iter().map(|v| Record::new("t", *v)).collect();
        testing::convert(&mut c, &records)
    }

    #[test]
    fn schemas_enable_defaults_to_true_as_in_kafka() {
        let mut c = sluice_sdk::configure::<JsonConverter>(vec![]).unwrap();
        let out = testing::convert(&mut c, &[Record::new("t", Some(br#"{"a":1}"#))]);
        assert!(
            out[0]
                .as_ref()
                .unwrap_err()
                .contains("set schemas.enable=false"),
            "{out:?}"
        );
    }

    #[test]
    fn envelope_payload_is_read_against_its_schema() {
        let out = run(
            true,
            &[
                Some(
                    br#"{"schema":{"type":"struct","fields":[{"field":"a","type":"int32"}]},"payload":{"a": 1}}"#,
                ),
                // Kafka's type names for floating point: float and double.
                Some(
                    br#"{"schema":{"type":"struct","fields":[{"field":"price","type":"double"},{"field":"f","type":"float"},{"field":"n","type":"string","optional":true,"default":"none"}]},"payload":{"f":0.123456789,"price":1.5,"extra":true}}"#,
                ),
                Some(br#"{"schema":{"type":"int8"},"payload":300}"#),
            ],
        );
        assert_eq!(out[0], Ok(Some((br#"{"a":1}"#.to_vec(), ValueKind::Json))));
        assert_eq!(
            out[1],
            Ok(Some((
                br#"{"price":1.5,"f":0.12345679,"n":"none"}"#.to_vec(),
                ValueKind::Json
            )))
        );
        let e = out[2].as_ref().unwrap_err();
        assert!(
            e.contains("payload: 300 is not an integer in the range of INT8"),
            "{e}"
        );
    }

    #[test]
    fn envelopes_are_read_in_one_pass_and_schemas_alternate() {
        let int = br#"{"schema":{"type":"int32"},"payload":7}"#;
        let text = br#"{"schema":{"type":"string"},"payload":"7"}"#;
        let out = run(
            true,
            &[
                Some(int),
                Some(int),
                Some(text),
                Some(int),
                Some(br#"[1,{"schema":2}]"#),
                Some(b"\"text\""),
                Some(b"12"),
                Some(b"null"),
                Some(br#"{"schema":{"type":"int32"},"payload":7} x"#),
                Some(br#"[1,}"#),
            ],
        );
        for i in [0, 1, 3] {
            assert_eq!(out[i], Ok(Some((b"7".to_vec(), ValueKind::Json))), "{i}");
        }
        assert_eq!(out[2], Ok(Some((br#""7""#.to_vec(), ValueKind::Json))));
        for (i, o) in out.iter().enumerate().take(8).skip(4) {
            let e = o.as_ref().unwrap_err();
            assert!(
                e.contains("requires \"schema\" and \"payload\""),
                "{i}: {e}"
            );
        }
        for o in &out[8..] {
            let e = o.as_ref().unwrap_err();
            assert!(e.contains("value is not valid JSON"), "{e}");
        }
    }

    #[test]
    fn plain_json_passes_through_and_bad_json_fails_alone() {
        let out = run(
            false,
            &[Some(br#"{"a":1}"#), Some(b"{oops"), None, Some(b"null")],
        );
        assert_eq!(out[0], Ok(Some((br#"{"a":1}"#.to_vec(), ValueKind::Json))));
        let deep = format!("{}1{}", "[".repeat(1001), "]".repeat(1001));
        let ok = format!(
            r#"{{"s":"[[[[{{{{","a":{}1{}}}"#,
            "[".repeat(999),
            "]".repeat(999)
        );
        // More opening brackets than the limit, side by side: shallow.
        let wide = format!("[{}[]]", "[],".repeat(1200));
        // Too deep and never closed: shorter than a valid document that
        // deep could be, and still refused for its depth, as Jackson does.
        let unclosed = "[".repeat(1001);
        let out2 = run(
            false,
            &[
                Some(deep.as_bytes()),
                Some(ok.as_bytes()),
                Some(wide.as_bytes()),
                Some(unclosed.as_bytes()),
            ],
        );
        assert!(
            out2[3].as_ref().unwrap_err().contains("nesting depth"),
            "{out2:?}"
        );
        assert!(
            out2[0].as_ref().unwrap_err().contains("nesting depth"),
            "{out2:?}"
        );
        assert!(out2[1].is_ok(), "brackets in strings do not count");
        assert!(out2[2].is_ok(), "{:?}", out2[2]);
        let invalid_utf8 = run(false, &[Some(b"{\"s\":\"\xc3\x28\"}")]);
        let e = invalid_utf8[0].as_ref().unwrap_err();
        assert!(e.contains("value is not valid JSON: invalid utf-8"), "{e}");
        let err = out[1].as_ref().unwrap_err();
        assert!(
            err.contains("t partition 0 offset 0: value is not valid JSON"),
            "{err}"
        );
        assert_eq!(out[2], Ok(None));
        assert_eq!(out[3], Ok(None));
    }

    #[test]
    fn envelopes_too_deep_anywhere_are_refused_for_their_depth() {
        let nest = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let schema = r#"{"type":"array","items":{"type":"int32"}}"#;
        let deep_payload = format!(r#"{{"schema":{schema},"payload":{}}}"#, nest(1000));
        // Too deep in a key that is neither schema nor payload: the depth
        // is what Jackson meets first, before the envelope's shape.
        let deep_extra = format!(r#"{{"schema":{schema},"payload":[1],"x":{}}}"#, nest(1000));
        let unclosed = format!(r#"{{"schema":{schema},"payload":{}"#, "[".repeat(1000));
        // 999 inside the envelope's own level: 1,000 deep, the limit.
        let at_limit = format!(r#"{{"schema":null,"payload":{}}}"#, nest(999));
        // The same schema read first: the deep ones then start as a known
        // envelope does, and must still be refused.
        let known = format!(r#"{{"schema":{schema},"payload":[1]}}"#);
        let out = run(
            true,
            &[
                Some(known.as_bytes()),
                Some(deep_payload.as_bytes()),
                Some(deep_extra.as_bytes()),
                Some(unclosed.as_bytes()),
                Some(at_limit.as_bytes()),
            ],
        );
        assert!(out[0].is_ok(), "{:?}", out[0]);
        for (i, o) in out.iter().skip(1).take(3).enumerate() {
            let e = o.as_ref().unwrap_err();
            assert!(e.contains("nesting depth exceeds"), "{i}: {e}");
        }
        assert!(out[4].is_ok(), "{:?}", out[4]);
    }

    #[test]
    fn a_known_envelope_reads_as_the_full_path_reads_it() {
        let schema = r#"{"type":"struct","fields":[{"field":"id","type":"int64"},{"field":"tags","type":"map","keys":{"type":"string"},"values":{"type":"int32"},"optional":true},{"field":"n","type":"double","optional":true,"default":1.5}],"optional":true}"#;
        let envelope = |payload: &str| format!(r#"{{"schema":{schema},"payload":{payload}}}"#);
        let payloads = [
            r#"{"id":7,"tags":{"b":2,"a":1},"n":2.5}"#,
            r#"{"n":null,"id":8}"#,
            "null",
            // Not one value: the full path finds the envelope's extra key.
            r#"{"id":1},"x":2"#,
            // Not the schema's shape: the full path's message.
            r#"{"id":"seven"}"#,
        ];
        // A key the schema does not know, nested past Jackson's limit: read
        // without recursing, and still refused for its depth.
        let deep = format!(
            r#"{{"id":1,"junk":{}1{}}}"#,
            "[".repeat(1000),
            "]".repeat(1000)
        );
        let payloads: Vec<&str> = payloads.into_iter().chain([deep.as_str()]).collect();
        let docs: Vec<String> = payloads.iter().map(|p| envelope(p)).collect();
        let mut c = sluice_sdk::configure::<JsonConverter>(vec![]).unwrap();
        let known = |c: &mut JsonConverter, d: &str| {
            c.known_envelope(d)
                .map(|k| k.map(|v| (v.bytes.into_owned(), v.schema.is_some())))
        };
        // Nothing read yet: the full path first.
        assert!(known(&mut c, &docs[0]).is_none());
        let fresh = |d: &str| {
            let mut c = sluice_sdk::configure::<JsonConverter>(vec![]).unwrap();
            testing::convert(&mut c, &[Record::new("t", Some(d.as_bytes()))]).remove(0)
        };
        let full: Vec<_> = docs.iter().map(|d| fresh(d)).collect();
        let records: Vec<_> = docs
            .iter()
            .map(|d| Record::new("t", Some(d.as_bytes())))
            .collect();
        let warm = testing::convert(&mut c, &records);
        assert_eq!(warm, full);
        assert!(
            full[0].is_ok() && full[1].is_ok() && full[2] == Ok(None),
            "{full:?}"
        );
        assert!(
            full[3]
                .as_ref()
                .unwrap_err()
                .contains("requires \"schema\" and \"payload\"")
        );
        assert!(
            full[4]
                .as_ref()
                .unwrap_err()
                .contains("does not match its schema")
        );
        let e = full[5].as_ref().unwrap_err();
        assert!(e.contains("nesting depth exceeds"), "{e}");
        // The first three were read the short way, the others not.
        for (d, fast) in docs.iter().zip([true, true, true, false, false, false]) {
            assert_eq!(known(&mut c, d).is_some(), fast, "{d}");
        }
    }
}
