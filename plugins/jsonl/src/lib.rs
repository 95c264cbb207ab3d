//! `jsonl` formatter: one JSON value per line, each followed by a newline,
//! as Confluent S3 Sink's `JsonFormat` writes objects (extension `.json`).
//! A schema'd value is written as its payload, as `JsonFormat`'s
//! JsonConverter writes it; with `schemas.enable`, in the envelope with its
//! schema. JSON values written as they are never leave the host.

use sluice_sdk::{
    Config, ConfigKey, ConfigType, FormatInfo, Formatter, Plugin, PluginInfo, Record, ValueKind,
};

/// The formatter.
pub struct JsonLines {
    schemas_enable: bool,
}

impl Plugin for JsonLines {
    const INFO: PluginInfo = PluginInfo {
        name: "jsonl",
        version: env!("CARGO_PKG_VERSION"),
        description: "Objects of JSON lines, as Confluent S3 Sink's JsonFormat writes them",
        config: &[ConfigKey::optional(
            "schemas.enable",
            ConfigType::Boolean,
            Some("false"),
            "Each value in a {\"schema\":…,\"payload\":…} envelope, as Kafka's JsonConverter writes it",
        )],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        Ok(JsonLines {
            schemas_enable: config.get_bool("schemas.enable"),
        })
    }
}

impl Formatter for JsonLines {
    fn info(&self) -> FormatInfo {
        FormatInfo {
            content_type: "application/x-ndjson".into(),
            extension: ".json".into(),
            prefix: Vec::new(),
            separator: b"\n".to_vec(),
            suffix: b"\n".to_vec(),
        }
    }

    fn value_as_is(&self, record: &Record<'_>) -> bool {
        !self.schemas_enable && record.value_kind == ValueKind::Json
    }

    fn encode(&mut self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), String> {
        if self.schemas_enable {
            sluice_sdk::json::write_envelope(record, out)
        } else {
            sluice_sdk::json::write_value(record, out)
        }
    }
}

sluice_sdk::export_formatter!(JsonLines);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_json_lines() {
        let mut f = JsonLines {
            schemas_enable: false,
        };
        let mut out = Vec::new();
        let mut r = Record::new("t", Some(br#"{"a":1}"#));
        f.encode(&r, &mut out).unwrap();
        r.value = Some(b"plain \"text\"");
        r.value_kind = ValueKind::Text;
        out.push(b'\n');
        f.encode(&r, &mut out).unwrap();
        assert_eq!(
            out,
            br#"{"a":1}
"plain \"text\"""#
        );
        r.value = Some(b"not json");
        r.value_kind = ValueKind::Binary;
        assert!(
            f.encode(&r, &mut Vec::new())
                .unwrap_err()
                .contains("not JSON")
        );
    }
}
