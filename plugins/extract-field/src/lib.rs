//! `extract-field` transform: Kafka's `ExtractField$Key` and
//! `ExtractField$Value`. Replaces the key or value with one of its fields:
//! a map entry when schemaless, a struct field (with its schema) when
//! schema'd. Nulls pass unchanged; a missing map entry gives null; a field
//! the schema lacks fails the record.

use sluice_sdk::smt::{self, Data};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Emitter, Part, Plugin, PluginInfo, Record, Transform,
};

const PURPOSE: &str = "field extraction";

/// The transform, configured.
pub struct ExtractField {
    part: Part,
    /// The text of `field`, for messages.
    field: String,
    path: Vec<String>,
    use_default: bool,
    /// The field's schema for each schema met: one `Arc` for a batch's
    /// records, so the host gets it once.
    cache: smt::SchemaCache,
}

impl Plugin for ExtractField {
    const INFO: PluginInfo = PluginInfo {
        name: "extract-field",
        version: env!("CARGO_PKG_VERSION"),
        description: "Replaces the key or value with one of its fields (Kafka's ExtractField$Key/$Value)",
        config: &[
            ConfigKey::connect_classes(
                "org.apache.kafka.connect.transforms.ExtractField$Key,org.apache.kafka.connect.transforms.ExtractField$Value",
            ),
            ConfigKey::required("field", ConfigType::String, "Field name to extract"),
            smt::FIELD_SYNTAX_VERSION,
            smt::REPLACE_NULL_WITH_DEFAULT,
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let field = config.require("field")?.to_string();
        let path = smt::field_path(&field, smt::syntax_v2(config)?)?;
        Ok(ExtractField {
            part: smt::part(config),
            field,
            path,
            use_default: config.get_bool("replace.null.with.default"),
            cache: smt::SchemaCache::default(),
        })
    }
}

impl ExtractField {
    fn extract(&mut self, data: &Data) -> Result<Data, String> {
        match &data.schema {
            None => {
                if data.value.is_null() {
                    return Ok(Data::schemaless(serde_json::Value::Null));
                }
                let map = smt::require_map(&data.value, PURPOSE)?;
                Ok(Data::schemaless(smt::path_value(map, &self.path).clone()))
            }
            Some(schema) => {
                let fields = if data.value.is_null() {
                    None
                } else {
                    Some(smt::require_struct(data, PURPOSE)?.1)
                };
                let (path, field) = (&self.path, &self.field);
                let extracted = self.cache.get_or_make(schema, |s| {
                    smt::path_field(s, path)
                        .map(|f| f.schema.clone())
                        .ok_or_else(|| format!("Unknown field: {field}"))
                })?;
                let value = fields
                    .map(|m| smt::path_struct_value(schema, m, &self.path, self.use_default))
                    .unwrap_or(serde_json::Value::Null);
                Ok(Data::with_schema(extracted, value))
            }
        }
    }
}

impl Transform for ExtractField {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        let data = smt::read(record, self.part)?;
        let extracted = self.extract(&data)?;
        smt::emit_with(out, record, self.part, &extracted);
        Ok(())
    }
}

sluice_sdk::export_transform!(ExtractField);
