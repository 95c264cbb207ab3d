//! `json` converter: Kafka's `JsonConverter`. With `schemas.enable` (the
//! default, as in Kafka) the value must be a `{"schema":…,"payload":…}`
//! envelope, the payload must match the schema (see `schema`), and the
//! payload is kept; without it the value is taken as is.
//! Invalid JSON fails that record only.

mod schema;

use serde::Deserialize;
use serde_json::value::RawValue;
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Converted, Converter, Part, Plugin, PluginInfo, Record,
    ValueKind,
};

/// The converter, configured.
pub struct JsonConverter {
    schemas_enable: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    #[serde(borrow)]
    schema: &'a RawValue,
    #[serde(borrow)]
    payload: &'a RawValue,
}

impl Plugin for JsonConverter {
    const INFO: PluginInfo = PluginInfo {
        name: "json",
        version: env!("CARGO_PKG_VERSION"),
        description: "JSON values, as Kafka's JsonConverter (schema envelope unwrapped when schemas.enable)",
        config: &[ConfigKey::optional(
            "schemas.enable",
            ConfigType::Boolean,
            Some("true"),
            "Values are {\"schema\":…,\"payload\":…} envelopes; the payload is kept",
        )],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        Ok(JsonConverter {
            schemas_enable: config.get_bool("schemas.enable"),
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
        let Some(bytes) = input else { return Ok(None) };
        let what = if part == Part::Key { "key" } else { "value" };
        let fail = |e: &dyn std::fmt::Display| {
            format!(
                "{} partition {} offset {}: {what} is not valid JSON: {e}",
                record.topic, record.partition, record.offset
            )
        };
        // serde_json skips the strings it ignores without checking their
        // UTF-8, so a value with invalid UTF-8 inside a string would pass.
        let text = std::str::from_utf8(bytes).map_err(|e| fail(&e))?;
        if exceeds_depth(bytes, MAX_NESTING_DEPTH) {
            return Err(fail(&format_args!(
                "nesting depth exceeds the maximum allowed ({MAX_NESTING_DEPTH}), as in Jackson"
            )));
        }
        let json: &'a [u8] = if self.schemas_enable {
            let envelope: Envelope<'a> = serde_json::from_str(text).map_err(|e| {
                if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
                    fail(&e)
                } else {
                    format!(
                        "{} partition {} offset {}: JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields; if the {what} is plain JSON, set schemas.enable=false",
                        record.topic, record.partition, record.offset
                    )
                }
            })?;
            let (schema, payload) = (
                serde_json::from_str(envelope.schema.get()).map_err(|e| fail(&e))?,
                serde_json::from_str(envelope.payload.get()).map_err(|e| fail(&e))?,
            );
            // A null schema means a schemaless payload, as in Connect.
            if !matches!(schema, serde_json::Value::Null) {
                schema::check(&schema, &payload).map_err(|e| {
                    format!(
                        "{} partition {} offset {}: {what} does not match its schema: {e}",
                        record.topic, record.partition, record.offset
                    )
                })?;
            }
            envelope.payload.get().as_bytes()
        } else {
            serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| fail(&e))?;
            bytes
        };
        if json.trim_ascii() == b"null" {
            return Ok(None);
        }
        Ok(Some(Converted {
            bytes: json.trim_ascii().into(),
            kind: ValueKind::Json,
        }))
    }
}

/// Jackson's default limit (Kafka's JsonConverter refuses deeper documents);
/// serde_json skips ignored values without counting their depth.
const MAX_NESTING_DEPTH: usize = 1000;

/// Whether arrays and objects in `json` nest deeper than `max`. Brackets
/// inside strings do not count.
fn exceeds_depth(json: &[u8], max: usize) -> bool {
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
    fn envelope_payload_is_unwrapped() {
        let out = run(
            true,
            &[Some(
                br#"{"schema":{"type":"struct","fields":[{"field":"a","type":"int32"}]},"payload":{"a": 1}}"#,
            )],
        );
        assert_eq!(out[0], Ok(Some((br#"{"a": 1}"#.to_vec(), ValueKind::Json))));
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
        let out2 = run(false, &[Some(deep.as_bytes()), Some(ok.as_bytes())]);
        assert!(
            out2[0].as_ref().unwrap_err().contains("nesting depth"),
            "{out2:?}"
        );
        assert!(out2[1].is_ok(), "brackets in strings do not count");
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
}
