//! `hoist-field` transform: Kafka's `HoistField$Key` and `HoistField$Value`.
//! Wraps the key or value in a one-field map (schemaless) or struct
//! (schema'd, an unnamed struct whose one field has the value's schema).

use serde_json::{Map, Value};
use sluice_sdk::schema::{Field, Schema};
use sluice_sdk::smt::{self, Data};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Emitter, Part, Plugin, PluginInfo, Record, Transform,
};

/// The transform, configured.
pub struct HoistField {
    part: Part,
    field: String,
    /// The structs made for the schemas wrapped.
    cache: smt::SchemaCache,
}

impl Plugin for HoistField {
    const INFO: PluginInfo = PluginInfo {
        name: "hoist-field",
        version: env!("CARGO_PKG_VERSION"),
        description: "Wraps the key or value in a struct or map with one field (Kafka's HoistField$Key/$Value)",
        config: &[
            ConfigKey::connect_classes(
                "org.apache.kafka.connect.transforms.HoistField$Key,org.apache.kafka.connect.transforms.HoistField$Value",
            ),
            ConfigKey::required(
                "field",
                ConfigType::String,
                "Field name for the single field of the resulting struct or map",
            ),
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        Ok(HoistField {
            part: smt::part(config),
            field: config.require("field")?.to_string(),
            cache: smt::SchemaCache::default(),
        })
    }
}

impl Transform for HoistField {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        let data = smt::read(record, self.part)?;
        let mut map = Map::new();
        let hoisted = match &data.schema {
            None => {
                map.insert(self.field.clone(), data.value);
                Data::schemaless(Value::Object(map))
            }
            Some(schema) => {
                // Struct.put checks the value against a required schema.
                if data.value.is_null() && !schema.optional {
                    return Err(format!(
                        "Invalid value: null used for required field: \"{}\", schema type: {}",
                        self.field,
                        schema.ty.json_name().to_uppercase()
                    ));
                }
                let field = &self.field;
                let wrapper = self.cache.get_or_make(schema, |s| {
                    Ok(Schema::structure([Field::new(field, s.clone())]))
                })?;
                map.insert(self.field.clone(), data.value);
                Data::with_schema(wrapper, Value::Object(map))
            }
        };
        smt::emit_with(out, record, self.part, &hoisted);
        Ok(())
    }
}

sluice_sdk::export_transform!(HoistField);
