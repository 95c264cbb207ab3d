//! `value-to-key` transform: Kafka's `ValueToKey`. Replaces the key with
//! some fields of the value: a map of them (schemaless) or an unnamed
//! struct of them with their schemas (schema'd). The value stays as it is.

use std::sync::Arc;

use serde_json::{Map, Value};
use sluice_sdk::schema::{Field, Schema};
use sluice_sdk::smt::{self, Data};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Emitter, Part, Plugin, PluginInfo, Record, Transform,
};

const PURPOSE: &str = "copying fields from value to key";

/// The transform, configured.
pub struct ValueToKey {
    fields: Vec<String>,
    use_default: bool,
    /// The key schemas made of the value schemas met.
    cache: smt::SchemaCache,
}

impl Plugin for ValueToKey {
    const INFO: PluginInfo = PluginInfo {
        name: "value-to-key",
        version: env!("CARGO_PKG_VERSION"),
        description: "Replaces the key with fields of the value (Kafka's ValueToKey)",
        config: &[
            ConfigKey::connect_classes("org.apache.kafka.connect.transforms.ValueToKey"),
            ConfigKey::required(
                "fields",
                ConfigType::List,
                "Field names of the value to make the key of",
            ),
            smt::REPLACE_NULL_WITH_DEFAULT,
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let fields = smt::non_empty_list(config, "fields")?;
        Ok(ValueToKey {
            fields,
            use_default: config.get_bool("replace.null.with.default"),
            cache: smt::SchemaCache::default(),
        })
    }
}

impl ValueToKey {
    fn key_schema(&mut self, schema: &Arc<Schema>) -> Result<Arc<Schema>, String> {
        let names = &self.fields;
        self.cache.get_or_make(schema, |value| {
            let mut fields = Vec::with_capacity(names.len());
            for name in names {
                let f = value
                    .field(name)
                    .ok_or_else(|| format!("Field does not exist: {name}"))?;
                fields.push(Field::new(name, f.schema.clone()));
            }
            Ok(Schema::structure(fields))
        })
    }
}

impl Transform for ValueToKey {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        let data = smt::read(record, Part::Value)?;
        let key = match &data.schema {
            None => {
                let value = smt::require_map(&data.value, PURPOSE)?;
                let key: Map<String, Value> = self
                    .fields
                    .iter()
                    .map(|f| (f.clone(), value.get(f).cloned().unwrap_or(Value::Null)))
                    .collect();
                Data::schemaless(Value::Object(key))
            }
            Some(_) => {
                let (schema, value) = smt::require_struct(&data, PURPOSE)?;
                let key_schema = self.key_schema(schema)?;
                let key: Map<String, Value> = self
                    .fields
                    .iter()
                    .map(|f| {
                        (
                            f.clone(),
                            smt::field_value(schema, value, f, self.use_default),
                        )
                    })
                    .collect();
                Data::with_schema(key_schema, Value::Object(key))
            }
        };
        smt::emit_with(out, record, Part::Key, &key);
        Ok(())
    }
}

sluice_sdk::export_transform!(ValueToKey);
