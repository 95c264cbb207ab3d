//! `aiven-output` formatter: the files Aiven's S3 sink writes
//! (`format.output.type` csv, json or jsonl), with the record fields
//! `format.output.fields` names (key, value, offset, timestamp, headers),
//! byte for byte as Aiven's writers lay them out: csv lines of Base64 fields
//! without quoting, JSON objects whose members come in Aiven's fixed order
//! (headers, offset, value, key, timestamp), no newline after the last
//! record, a JSON array over lines for `json`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sluice_sdk::{
    Config, ConfigKey, ConfigType, FormatInfo, Formatter, Plugin, PluginInfo, Record, ValueKind,
};

/// A record field Aiven can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    // Declared in the order Aiven's JSON writers put the members.
    Headers,
    Offset,
    Value,
    Key,
    Timestamp,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        Some(match name.to_ascii_lowercase().as_str() {
            "key" => Field::Key,
            "value" => Field::Value,
            "offset" => Field::Offset,
            "timestamp" => Field::Timestamp,
            "headers" => Field::Headers,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Field::Key => "key",
            Field::Value => "value",
            Field::Offset => "offset",
            Field::Timestamp => "timestamp",
            Field::Headers => "headers",
        }
    }
}

/// The file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Output {
    Csv,
    Json,
    Jsonl,
}

/// The formatter, configured.
pub struct AivenOutput {
    output: Output,
    /// In the configured order (csv writes them so).
    fields: Vec<Field>,
    /// The same fields in Aiven's JSON member order.
    json_fields: Vec<Field>,
    /// csv only: the value as Base64 (`base64`) or raw (`none`).
    value_base64: bool,
    envelope: bool,
}

impl Plugin for AivenOutput {
    const INFO: PluginInfo = PluginInfo {
        name: "aiven-output",
        version: env!("CARGO_PKG_VERSION"),
        description: "Files as Aiven's S3 sink writes them: csv, json or jsonl of a record's key, value, offset, timestamp and headers",
        config: &[
            ConfigKey::optional(
                "format.output.type",
                ConfigType::String,
                Some("csv"),
                "csv (a line of comma-separated fields per record), json (a JSON array, a record per line) or jsonl (a JSON object per line)",
            ),
            ConfigKey::optional(
                "format.output.fields",
                ConfigType::List,
                Some("value"),
                "The fields written per record, from key, value, offset, timestamp and headers; csv writes them in this order",
            ),
            ConfigKey::optional(
                "format.output.fields.value.encoding",
                ConfigType::String,
                Some("base64"),
                "csv only: the value as base64 or as its raw bytes (none)",
            ),
            ConfigKey::optional(
                "format.output.envelope",
                ConfigType::Boolean,
                Some("true"),
                "json and jsonl: each record as an object of its fields; false writes the one field alone",
            ),
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let output = match config.get("format.output.type").unwrap_or("csv").trim() {
            "csv" => Output::Csv,
            "json" => Output::Json,
            "jsonl" => Output::Jsonl,
            t @ ("avro" | "parquet") => {
                return Err(format!(
                    "aiven-output: format.output.type {t:?} is not implemented yet: use csv, json or jsonl"
                ));
            }
            other => {
                return Err(format!(
                    "aiven-output: format.output.type {other:?} is not csv, json, jsonl, avro or parquet"
                ));
            }
        };
        let mut fields = Vec::new();
        for name in config.get_list("format.output.fields") {
            let field = Field::parse(name).ok_or_else(|| {
                format!(
                    "aiven-output: format.output.fields: {name:?} is not key, value, offset, timestamp or headers"
                )
            })?;
            fields.push(field);
        }
        if fields.is_empty() {
            return Err(
                "aiven-output: format.output.fields is empty: name one or more of key, value, offset, timestamp, headers".into(),
            );
        }
        let value_base64 = match config
            .get("format.output.fields.value.encoding")
            .unwrap_or("base64")
            .trim()
        {
            "base64" => true,
            "none" => false,
            other => {
                return Err(format!(
                    "aiven-output: format.output.fields.value.encoding {other:?} is not base64 or none"
                ));
            }
        };
        let envelope = config.get_bool("format.output.envelope");
        if !envelope && fields.len() != 1 {
            return Err(format!(
                "aiven-output: format.output.envelope=false writes one field alone, but format.output.fields names {}",
                fields.len()
            ));
        }
        let mut json_fields = fields.clone();
        json_fields.sort();
        json_fields.dedup();
        Ok(AivenOutput {
            output,
            fields,
            json_fields,
            value_base64,
            envelope,
        })
    }
}

impl Formatter for AivenOutput {
    fn info(&self) -> FormatInfo {
        let (content_type, extension, prefix, separator, suffix): (_, _, &[u8], &[u8], &[u8]) =
            match self.output {
                Output::Csv => ("text/csv", ".csv", b"", b"\n", b""),
                Output::Jsonl => ("application/x-ndjson", ".jsonl", b"", b"\n", b""),
                Output::Json => ("application/json", ".json", b"[\n", b",\n", b"\n]"),
            };
        FormatInfo {
            content_type: content_type.into(),
            extension: extension.into(),
            prefix: prefix.to_vec(),
            separator: separator.to_vec(),
            suffix: suffix.to_vec(),
        }
    }

    fn value_as_is(&self, record: &Record<'_>) -> bool {
        self.output != Output::Csv
            && !self.envelope
            && self.fields == [Field::Value]
            && record.value.is_some()
            && record.value_kind == ValueKind::Json
    }

    fn encode(&mut self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), String> {
        match self.output {
            Output::Csv => {
                for (i, field) in self.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.csv_field(*field, record, out);
                }
                Ok(())
            }
            Output::Json | Output::Jsonl if !self.envelope => {
                json_field(self.fields[0], record, out)
            }
            Output::Json | Output::Jsonl => {
                out.push(b'{');
                for (i, field) in self.json_fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.push(b'"');
                    out.extend_from_slice(field.name().as_bytes());
                    out.extend_from_slice(b"\":");
                    json_field(*field, record, out)?;
                }
                out.push(b'}');
                Ok(())
            }
        }
    }
}

impl AivenOutput {
    /// One csv field (Aiven's `PlainOutputWriter`): nothing for a null.
    fn csv_field(&self, field: Field, record: &Record<'_>, out: &mut Vec<u8>) {
        let b64 = |bytes: &[u8], out: &mut Vec<u8>| {
            let start = out.len();
            out.resize(
                start + base64::encoded_len(bytes.len(), true).unwrap_or(0),
                0,
            );
            let n = BASE64
                .encode_slice(bytes, &mut out[start..])
                .unwrap_or_default();
            out.truncate(start + n);
        };
        match field {
            // Keys are Base64 whatever the value encoding.
            Field::Key => {
                if let Some(k) = record.key {
                    b64(k, out);
                }
            }
            Field::Value => match record.value {
                Some(v) if self.value_base64 => b64(v, out),
                Some(v) => out.extend_from_slice(v),
                None => {}
            },
            Field::Offset => out.extend_from_slice(record.offset.to_string().as_bytes()),
            Field::Timestamp => {
                if let Some(ts) = record.timestamp {
                    out.extend_from_slice(ts.to_string().as_bytes());
                }
            }
            Field::Headers => {
                for h in record.headers {
                    b64(h.name.as_bytes(), out);
                    out.push(b':');
                    b64(h.value.unwrap_or_default(), out);
                    out.push(b';');
                }
            }
        }
    }
}

/// One field as JSON, as Aiven's JSON writers write it (Kafka's
/// JsonConverter without schemas): JSON as it is, text as a string, bytes
/// as a Base64 string, null as `null`; the timestamp as ISO-8601.
fn json_field(field: Field, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    match field {
        Field::Key => json_data(record.key, record.key_kind, "key", record.offset, out),
        Field::Value => json_data(record.value, record.value_kind, "value", record.offset, out),
        Field::Offset => {
            out.extend_from_slice(record.offset.to_string().as_bytes());
            Ok(())
        }
        Field::Timestamp => {
            match record
                .timestamp
                .and_then(chrono::DateTime::from_timestamp_millis)
            {
                Some(t) => {
                    // ISO_INSTANT: seconds always, milliseconds when not zero.
                    let ms = t.timestamp_subsec_millis();
                    let text = if ms == 0 {
                        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
                    } else {
                        format!("{}.{ms:03}Z", t.format("%Y-%m-%dT%H:%M:%S"))
                    };
                    out.push(b'"');
                    out.extend_from_slice(text.as_bytes());
                    out.push(b'"');
                }
                None => out.extend_from_slice(b"null"),
            }
            Ok(())
        }
        Field::Headers => {
            out.push(b'[');
            for (i, h) in record.headers.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"key\":");
                string(h.name, out);
                out.extend_from_slice(b",\"value\":");
                header_value(h.value, out);
                out.push(b'}');
            }
            out.push(b']');
            Ok(())
        }
    }
}

fn json_data(
    data: Option<&[u8]>,
    kind: ValueKind,
    what: &str,
    offset: i64,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    match (data, kind) {
        (None, _) => out.extend_from_slice(b"null"),
        (Some(d), ValueKind::Json) => out.extend_from_slice(d),
        (Some(d), ValueKind::Text) => {
            let text = std::str::from_utf8(d)
                .map_err(|e| format!("offset {offset}: the {what} is text but not UTF-8: {e}"))?;
            string(text, out);
        }
        (Some(d), ValueKind::Binary) => {
            out.push(b'"');
            out.extend_from_slice(BASE64.encode(d).as_bytes());
            out.push(b'"');
        }
    }
    Ok(())
}

/// A header's value as Connect's default header converter
/// (`SimpleHeaderConverter`) reads it and JsonConverter writes it: numbers,
/// booleans, arrays and objects as they are, other text as a string, bytes
/// that are not UTF-8 as Base64.
fn header_value(value: Option<&[u8]>, out: &mut Vec<u8>) {
    let Some(v) = value else {
        out.extend_from_slice(b"null");
        return;
    };
    match std::str::from_utf8(v) {
        Ok(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(
                serde_json::Value::Number(_)
                | serde_json::Value::Bool(_)
                | serde_json::Value::Array(_)
                | serde_json::Value::Object(_),
            ) => out.extend_from_slice(text.trim().as_bytes()),
            _ => string(text, out),
        },
        Err(_) => {
            out.push(b'"');
            out.extend_from_slice(BASE64.encode(v).as_bytes());
            out.push(b'"');
        }
    }
}

fn string(s: &str, out: &mut Vec<u8>) {
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

sluice_sdk::export_formatter!(AivenOutput);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_sdk::Header;

    fn configured(entries: &[(&str, &str)]) -> Result<AivenOutput, String> {
        sluice_sdk::configure(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// The bytes of a whole file of `records`, framed as the host frames them.
    fn file(f: &mut AivenOutput, records: &[Record<'_>]) -> String {
        let info = f.info();
        let mut out = info.prefix.clone();
        for (i, r) in records.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(&info.separator);
            }
            f.encode(r, &mut out).unwrap();
        }
        out.extend_from_slice(&info.suffix);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_is_aivens_example_line() {
        // Aiven's README: key,value,offset,timestamp.
        let mut f = configured(&[("format.output.fields", "key,value,offset,timestamp")]).unwrap();
        let mut r = Record::new("t", Some(b"Lorem"));
        r.key = Some(b"key");
        r.offset = 1232155;
        r.timestamp = Some(1554210895000);
        let mut second = r;
        second.key = None;
        second.value = None;
        second.timestamp = None;
        assert_eq!(
            file(&mut f, &[r, second]),
            "a2V5,TG9yZW0=,1232155,1554210895000\n,,1232155,"
        );
    }

    #[test]
    fn csv_headers_and_raw_values() {
        let mut f = configured(&[
            ("format.output.fields", "value,headers"),
            ("format.output.fields.value.encoding", "none"),
        ])
        .unwrap();
        let headers = [
            Header {
                name: "a",
                value: Some(b"1"),
            },
            Header {
                name: "b",
                value: None,
            },
        ];
        let mut r = Record::new("t", Some(b"v,1"));
        r.headers = &headers;
        assert_eq!(file(&mut f, &[r]), "v,1,YQ==:MQ==;Yg==:;");
    }

    #[test]
    fn jsonl_members_follow_aivens_order_whatever_the_config_says() {
        // Aiven's JsonLinesOutputWriterTest expects exactly this line.
        let mut f = configured(&[
            ("format.output.type", "jsonl"),
            ("format.output.fields", "key,value,offset,timestamp,headers"),
        ])
        .unwrap();
        let headers = [Header {
            name: "headerKey",
            value: Some(b"headerValue"),
        }];
        let mut r = Record::new("t", Some(br#"{"name":"John"}"#));
        r.value_kind = ValueKind::Json;
        r.key = Some(b"key0");
        r.key_kind = ValueKind::Text;
        r.offset = 1;
        r.timestamp = Some(1000);
        r.headers = &headers;
        let mut tombstone = Record::new("t", None);
        tombstone.offset = 2;
        tombstone.timestamp = Some(1001);
        assert_eq!(
            file(&mut f, &[r, tombstone]),
            concat!(
                r#"{"headers":[{"key":"headerKey","value":"headerValue"}],"offset":1,"value":{"name":"John"},"key":"key0","timestamp":"1970-01-01T00:00:01Z"}"#,
                "\n",
                r#"{"headers":[],"offset":2,"value":null,"key":null,"timestamp":"1970-01-01T00:00:01.001Z"}"#
            )
        );
    }

    #[test]
    fn json_is_an_array_over_lines_and_bytes_are_base64() {
        let mut f = configured(&[
            ("format.output.type", "json"),
            ("format.output.envelope", "false"),
        ])
        .unwrap();
        let mut r = Record::new("t", Some(br#"{"name":"John"}"#));
        r.value_kind = ValueKind::Json;
        assert!(f.value_as_is(&r));
        let mut bytes = Record::new("t", Some(b"\x00\x01"));
        bytes.value_kind = ValueKind::Binary;
        assert!(!f.value_as_is(&bytes));
        assert_eq!(
            file(&mut f, &[r, bytes]),
            "[\n{\"name\":\"John\"},\n\"AAE=\"\n]"
        );
    }

    #[test]
    fn configurations_aiven_refuses_are_refused() {
        for (entries, says) in [
            (
                vec![
                    ("format.output.envelope", "false"),
                    ("format.output.fields", "key,value"),
                ],
                "one field alone",
            ),
            (
                vec![("format.output.fields", "value,partition")],
                "\"partition\"",
            ),
            (
                vec![("format.output.type", "parquet")],
                "not implemented yet",
            ),
            (vec![("format.output.type", "xml")], "not csv"),
            (
                vec![("format.output.fields.value.encoding", "hex")],
                "base64 or none",
            ),
        ] {
            let e = configured(&entries).err().unwrap();
            assert!(e.contains(says), "{entries:?}: {e}");
        }
    }
}
