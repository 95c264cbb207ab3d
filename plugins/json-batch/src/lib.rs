//! `json-batch` formatter: the request bodies of Confluent's HTTP Sink.
//! `batch.prefix`, `batch.separator` and `batch.suffix` frame the records;
//! with `batch.json.as.array` they are a JSON array inside prefix and suffix
//! (Treasure Data's `{"records":[…]}`). `request.body.format` `json` writes
//! each value as JSON (with `schemas.enable`, in Kafka's JsonConverter
//! envelope with its schema); `string` writes value bytes untouched. Values
//! written as they are never leave the host.

use sluice_sdk::{
    Config, ConfigKey, ConfigType, FormatInfo, Formatter, Plugin, PluginInfo, Record, ValueKind,
};

#[derive(PartialEq)]
enum BodyFormat {
    Json,
    String,
}

/// The formatter, configured.
pub struct JsonBatch {
    format: BodyFormat,
    schemas_enable: bool,
    info: FormatInfo,
}

impl Plugin for JsonBatch {
    const INFO: PluginInfo = PluginInfo {
        name: "json-batch",
        version: env!("CARGO_PKG_VERSION"),
        description: "HTTP request bodies as Confluent's HTTP Sink builds them (prefix, separator, suffix, JSON array)",
        config: &[
            ConfigKey::optional(
                "request.body.format",
                ConfigType::String,
                Some("string"),
                "json: values as JSON; string: value bytes as they are",
            ),
            ConfigKey::optional(
                "batch.prefix",
                ConfigType::String,
                Some(""),
                "Bytes before the records",
            ),
            ConfigKey::optional(
                "batch.suffix",
                ConfigType::String,
                Some(""),
                "Bytes after the records",
            ),
            ConfigKey::optional(
                "batch.separator",
                ConfigType::String,
                Some(","),
                "Bytes between records",
            ),
            ConfigKey::optional(
                "schemas.enable",
                ConfigType::Boolean,
                Some("false"),
                "With request.body.format json: each value in a {\"schema\":…,\"payload\":…} envelope, as Kafka's JsonConverter writes it",
            ),
            ConfigKey::optional(
                "batch.json.as.array",
                ConfigType::Boolean,
                Some("false"),
                "Put the records in a JSON array (inside prefix and suffix)",
            ),
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let format = match config
            .get("request.body.format")
            .unwrap_or("string")
            .to_ascii_lowercase()
            .as_str()
        {
            "json" => BodyFormat::Json,
            "string" => BodyFormat::String,
            other => {
                return Err(format!(
                    "json-batch: request.body.format {other:?} is not json or string"
                ));
            }
        };
        let text = |k: &str| config.get(k).unwrap_or("").as_bytes().to_vec();
        let mut info = FormatInfo {
            content_type: if format == BodyFormat::Json {
                "application/json"
            } else {
                "text/plain"
            }
            .into(),
            extension: if format == BodyFormat::Json {
                ".json"
            } else {
                ".txt"
            }
            .into(),
            prefix: text("batch.prefix"),
            separator: text("batch.separator"),
            suffix: text("batch.suffix"),
        };
        if config.get_bool("batch.json.as.array") {
            info.prefix.push(b'[');
            info.separator = b",".to_vec();
            info.suffix.insert(0, b']');
        }
        Ok(JsonBatch {
            format,
            schemas_enable: config.get_bool("schemas.enable"),
            info,
        })
    }
}

impl Formatter for JsonBatch {
    fn info(&self) -> FormatInfo {
        self.info.clone()
    }

    fn value_as_is(&self, record: &Record<'_>) -> bool {
        match self.format {
            BodyFormat::String => true,
            BodyFormat::Json => !self.schemas_enable && record.value_kind == ValueKind::Json,
        }
    }

    fn values_as_is(&self) -> bool {
        self.format == BodyFormat::String
    }

    fn encode(&mut self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), String> {
        match (&self.format, record.value) {
            (BodyFormat::Json, _) if self.schemas_enable => {
                sluice_sdk::json::write_envelope(record, out)
            }
            (BodyFormat::Json, _) => sluice_sdk::json::write_value(record, out),
            (BodyFormat::String, Some(value)) => {
                out.extend_from_slice(value);
                Ok(())
            }
            (BodyFormat::String, None) => Ok(()),
        }
    }
}

sluice_sdk::export_formatter!(JsonBatch);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_sdk::ValueKind;

    fn fmt(cfg: &[(&str, &str)]) -> JsonBatch {
        sluice_sdk::configure(
            cfg.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
        .unwrap()
    }

    fn json(v: &'static str) -> Record<'static> {
        Record {
            value_kind: ValueKind::Json,
            ..Record::new("t", Some(v.as_bytes()))
        }
    }

    #[test]
    fn only_the_string_format_declares_values_as_is() {
        let records = [json(r#"{"a":1}"#), Record::new("t", None), json("")];
        sluice_sdk::testing::check_values_as_is(
            &mut fmt(&[("request.body.format", "string")]),
            &records,
        );
        assert!(!fmt(&[("request.body.format", "json")]).values_as_is());
    }

    #[test]
    fn treasure_data_batch_body() {
        let mut f = fmt(&[
            ("request.body.format", "json"),
            ("batch.prefix", "{\"records\":"),
            ("batch.suffix", "}"),
            ("batch.separator", ","),
            ("batch.json.as.array", "true"),
        ]);
        let (body, failures) =
            sluice_sdk::testing::format(&mut f, &[json(r#"{"a":1}"#), json(r#"{"a":2}"#)]);
        assert!(failures.is_empty());
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"records":[{"a":1},{"a":2}]}"#
        );
    }

    #[test]
    fn string_format_keeps_bytes_and_json_format_checks_binary() {
        let mut f = fmt(&[("batch.separator", "\n")]);
        let (body, _) = sluice_sdk::testing::format(
            &mut f,
            &[Record::new("t", Some(b"a b")), Record::new("t", Some(b"c"))],
        );
        assert_eq!(body, b"a b\nc");
        let mut f = fmt(&[("request.body.format", "json")]);
        let (body, failures) = sluice_sdk::testing::format(
            &mut f,
            &[
                Record::new("t", Some(b"{}")),
                Record::new("t", Some(b"nope")),
            ],
        );
        assert_eq!(body, b"{}");
        assert!(failures[0].contains("not JSON"), "{failures:?}");
    }
}
