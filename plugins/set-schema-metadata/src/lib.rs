//! `set-schema-metadata` transform: Kafka's `SetSchemaMetadata$Key` and
//! `SetSchemaMetadata$Value`. Sets the name and/or version of the key's or
//! value's schema; everything else of the schema and the value stays.
//! A schemaless non-null part fails: there is no schema to update. So does
//! a schema that is not a struct, as in Kafka 4.1 (its `SetSchemaMetadata`
//! lists the fields of every schema it copies, which only a struct has).

use std::sync::Arc;

use serde_json::{Map, Value};
use sluice_sdk::schema::{Schema, Type};
use sluice_sdk::smt::{self, Data};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Emitter, Part, Plugin, PluginInfo, Record, Transform,
};

/// The transform, configured.
pub struct SetSchemaMetadata {
    part: Part,
    name: Option<String>,
    version: Option<i32>,
    use_default: bool,
    /// The schemas made of the schemas met.
    cache: smt::SchemaCache,
}

impl Plugin for SetSchemaMetadata {
    const INFO: PluginInfo = PluginInfo {
        name: "set-schema-metadata",
        version: env!("CARGO_PKG_VERSION"),
        description: "Sets the name or version of the key's or value's schema (Kafka's SetSchemaMetadata$Key/$Value)",
        config: &[
            ConfigKey::connect_classes(
                "org.apache.kafka.connect.transforms.SetSchemaMetadata$Key,org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
            ),
            ConfigKey::optional(
                "schema.name",
                ConfigType::String,
                None,
                "Schema name to set",
            ),
            ConfigKey::optional(
                "schema.version",
                ConfigType::Integer,
                None,
                "Schema version to set",
            ),
            smt::REPLACE_NULL_WITH_DEFAULT,
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let name = config.get("schema.name").map(String::from);
        let version = match config.get_int("schema.version") {
            Some(v) => Some(i32::try_from(v).map_err(|_| {
                format!(
                    "Invalid value {v} for configuration schema.version: Not a number of type INT"
                )
            })?),
            None => None,
        };
        if name.is_none() && version.is_none() {
            return Err("Neither schema name nor version configured".into());
        }
        Ok(SetSchemaMetadata {
            part: smt::part(config),
            name,
            version,
            use_default: config.get_bool("replace.null.with.default"),
            cache: smt::SchemaCache::default(),
        })
    }
}

impl SetSchemaMetadata {
    fn updated(&mut self, schema: &Arc<Schema>) -> Result<Arc<Schema>, String> {
        let (name, version) = (&self.name, self.version);
        self.cache.get_or_make(schema, |s| {
            let mut u = s.clone();
            if let Some(n) = name {
                u.name = Some(n.clone());
            }
            if let Some(v) = version {
                u.version = Some(v);
            }
            Ok(u)
        })
    }
}

impl Transform for SetSchemaMetadata {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        let data = smt::read(record, self.part)?;
        if data.value.is_null() && data.schema.is_none() {
            out.keep(record);
            return Ok(());
        }
        let schema = smt::require_schema(&data, "updating schema metadata")?.clone();
        if !matches!(schema.ty, Type::Struct(_)) {
            return Err("Cannot list fields on non-struct type".into());
        }
        let updated = self.updated(&schema)?;
        // A struct is copied field by field, which applies defaults.
        let value = match (&schema.ty, &data.value) {
            (Type::Struct(fields), Value::Object(map)) => Value::Object(
                fields
                    .iter()
                    .map(|f| {
                        (
                            f.name.clone(),
                            smt::field_value(&schema, map, &f.name, self.use_default),
                        )
                    })
                    .collect::<Map<String, Value>>(),
            ),
            (_, v) => v.clone(),
        };
        smt::emit_with(out, record, self.part, &Data::with_schema(updated, value));
        Ok(())
    }
}

sluice_sdk::export_transform!(SetSchemaMetadata);
