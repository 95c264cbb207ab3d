//! `jsonl` formatter: one JSON value per line, each followed by a newline,
//! as Confluent S3 Sink's `JsonFormat` writes objects (extension `.json`).

use sluice_sdk::{Config, FormatInfo, Formatter, Plugin, PluginInfo, Record};

/// The formatter; it has no settings.
pub struct JsonLines;

impl Plugin for JsonLines {
    const INFO: PluginInfo = PluginInfo {
        name: "jsonl",
        version: env!("CARGO_PKG_VERSION"),
        description: "Objects of JSON lines, as Confluent S3 Sink's JsonFormat writes them",
        config: &[],
    };

    fn configure(_config: &Config) -> Result<Self, String> {
        Ok(JsonLines)
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

    fn encode(&mut self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), String> {
        sluice_sdk::json::write_value(record, out)
    }
}

sluice_sdk::export_formatter!(JsonLines);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_sdk::ValueKind;

    #[test]
    fn values_become_json_lines() {
        let mut f = JsonLines;
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
