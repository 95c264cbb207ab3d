//! `bytearray` formatter: value bytes as they are, each followed by
//! `format.bytearray.separator`, as Confluent S3 Sink's `ByteArrayFormat`
//! writes objects (extension `format.bytearray.extension`, `.bin`).

use sluice_sdk::{
    Config, ConfigKey, ConfigType, FormatInfo, Formatter, Plugin, PluginInfo, Record,
};

/// The formatter, configured.
pub struct ByteArray {
    info: FormatInfo,
}

impl Plugin for ByteArray {
    const INFO: PluginInfo = PluginInfo {
        name: "bytearray",
        version: env!("CARGO_PKG_VERSION"),
        description: "Raw value bytes, as Confluent S3 Sink's ByteArrayFormat writes them",
        config: &[
            ConfigKey::optional(
                "format.bytearray.separator",
                ConfigType::String,
                Some("\n"),
                "Bytes written after every value",
            ),
            ConfigKey::optional(
                "format.bytearray.extension",
                ConfigType::String,
                Some(".bin"),
                "Extension of the objects, with its dot",
            ),
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let separator = config.get("format.bytearray.separator").unwrap_or("\n");
        let extension = config.get("format.bytearray.extension").unwrap_or(".bin");
        if !extension.is_empty() && !extension.starts_with('.') {
            return Err(format!(
                "bytearray: format.bytearray.extension {extension:?} must start with a dot, e.g. \".bin\""
            ));
        }
        Ok(ByteArray {
            info: FormatInfo {
                content_type: "application/octet-stream".into(),
                extension: extension.into(),
                prefix: Vec::new(),
                separator: separator.as_bytes().to_vec(),
                suffix: separator.as_bytes().to_vec(),
            },
        })
    }
}

impl Formatter for ByteArray {
    fn info(&self) -> FormatInfo {
        self.info.clone()
    }

    fn value_as_is(&self, _record: &Record<'_>) -> bool {
        true
    }

    fn values_as_is(&self) -> bool {
        true
    }

    fn encode(&mut self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), String> {
        out.extend_from_slice(record.value.unwrap_or_default());
        Ok(())
    }
}

sluice_sdk::export_formatter!(ByteArray);

#[cfg(test)]
mod tests {
    use super::*;

    fn configured(key: &str, value: &str) -> Result<ByteArray, String> {
        sluice_sdk::configure(vec![(key.to_string(), value.to_string())])
    }

    #[test]
    fn values_as_is_declares_what_encode_does() {
        let records = [
            Record::new("t", Some(&b"\x00\xff"[..])),
            Record::new("t", None),
            Record::new("t", Some(b"")),
        ];
        sluice_sdk::testing::check_values_as_is(
            &mut configured("format.bytearray.extension", ".bin").unwrap(),
            &records,
        );
    }

    #[test]
    fn separator_and_extension_come_from_the_config() {
        let f = configured("format.bytearray.separator", "|").unwrap();
        assert_eq!(
            (f.info.separator.as_slice(), f.info.extension.as_str()),
            (&b"|"[..], ".bin")
        );
        assert!(configured("format.bytearray.extension", "bin").is_err());
    }
}
