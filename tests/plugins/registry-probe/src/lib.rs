//! Test fixture: a converter of values in Confluent's wire format for JSON
//! Schema (magic byte 0, a 4-byte big-endian schema id, the JSON document),
//! which looks each id up through the `schema-registry` capability and
//! answers the document itself (a slice of the input: nothing copied). An
//! id the registry does not know fails the record; a registry that is down
//! makes the host retry the batch.

use sluice_sdk::registry::{self, RegistryError};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Converted, Converter, Part, Plugin, PluginInfo, Record,
    ValueKind,
};

/// The converter; `schema.type` is the registry schema type it accepts.
pub struct RegistryProbe {
    schema_type: String,
}

impl Plugin for RegistryProbe {
    const INFO: PluginInfo = PluginInfo {
        name: "registry-probe",
        version: "0.1.0",
        description: "Confluent-framed JSON, each schema id looked up in the registry (test fixture)",
        config: &[ConfigKey::optional(
            "schema.type",
            ConfigType::String,
            Some("JSON"),
            "The registry schema type the values must have",
        )],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        Ok(RegistryProbe {
            schema_type: config.require("schema.type")?.to_string(),
        })
    }
}

impl Converter for RegistryProbe {
    fn convert<'a>(
        &mut self,
        _part: Part,
        record: &Record<'a>,
        input: Option<&'a [u8]>,
    ) -> Result<Option<Converted<'a>>, String> {
        let Some(bytes) = input else { return Ok(None) };
        let at = format!(
            "{} partition {} offset {}",
            record.topic, record.partition, record.offset
        );
        let (header, json) = match bytes {
            [0, a, b, c, d, rest @ ..] => (u32::from_be_bytes([*a, *b, *c, *d]), rest),
            _ => {
                return Err(format!(
                    "{at}: unknown magic byte: not in Confluent's wire format"
                ));
            }
        };
        let schema = registry::schema_by_id(header).map_err(|e| match e {
            RegistryError::NotFound(m) => format!("{at}: schema id {header}: {m}"),
            RegistryError::Refused(m) | RegistryError::Unavailable(m) => format!("{at}: {m}"),
        })?;
        if schema.schema_type != self.schema_type {
            return Err(format!(
                "{at}: schema id {header} is {}, not {}",
                schema.schema_type, self.schema_type
            ));
        }
        Ok(Some(Converted::new(json, ValueKind::Json)))
    }
}

sluice_sdk::export_converter!(RegistryProbe);
