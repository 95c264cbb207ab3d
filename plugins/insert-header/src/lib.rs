//! `insert-header` transform: Kafka's `InsertHeader`. Adds a header with a
//! literal value to every record, written as Connect's header converter
//! writes the value `Values.parseString` reads from the literal (a number
//! is written as the number it is; `null` is a null header).

use sluice_sdk::java::{HeaderConverter, literal_header};
use sluice_sdk::{Config, ConfigKey, ConfigType, Emitter, Plugin, PluginInfo, Record, Transform};

/// The transform, configured.
pub struct InsertHeader {
    header: String,
    value: Option<String>,
}

impl Plugin for InsertHeader {
    const INFO: PluginInfo = PluginInfo {
        name: "insert-header",
        version: env!("CARGO_PKG_VERSION"),
        description: "Adds a header with a literal value (Kafka's InsertHeader)",
        config: &[
            ConfigKey::connect_classes("org.apache.kafka.connect.transforms.InsertHeader"),
            ConfigKey::required("header", ConfigType::String, "The name of the header"),
            ConfigKey::required(
                "value.literal",
                ConfigType::String,
                "The literal value set as the header's value on every record",
            ),
            sluice_sdk::java::HEADER_CONVERTER_KEY,
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        // Both converters write the scalar values a literal parses to alike.
        HeaderConverter::from_class(config.get("header.converter").unwrap_or_default())?;
        Ok(InsertHeader {
            header: config.require("header")?.to_string(),
            value: literal_header(config.require("value.literal")?),
        })
    }
}

impl Transform for InsertHeader {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        let mut changed = record.to_out();
        changed.headers.push((
            self.header.as_str().into(),
            self.value.as_deref().map(|v| v.as_bytes().into()),
        ));
        out.emit(&changed);
        Ok(())
    }
}

sluice_sdk::export_transform!(InsertHeader);
