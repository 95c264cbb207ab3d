//! `flatten` transform: Kafka's `Flatten$Key` and `Flatten$Value`. Nested
//! maps (schemaless) or structs (schema'd) become top-level fields named
//! by their path joined with `delimiter`. A flattened field is optional
//! when any struct above it is, and takes its default from its own schema
//! or from the default of a struct above it. Nulls pass unchanged.

use std::sync::Arc;

use serde_json::{Map, Value};
use sluice_sdk::schema::{Field, Schema, Type};
use sluice_sdk::smt::{self, Data};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Emitter, Part, Plugin, PluginInfo, Record, Transform,
};

const PURPOSE: &str = "flattening";

/// The transform, configured.
pub struct Flatten {
    part: Part,
    delimiter: String,
    /// The flattened schemas of the schemas met.
    cache: smt::SchemaCache,
}

impl Plugin for Flatten {
    const INFO: PluginInfo = PluginInfo {
        name: "flatten",
        version: env!("CARGO_PKG_VERSION"),
        description: "Flattens nested structs or maps into top-level fields (Kafka's Flatten$Key/$Value)",
        config: &[
            ConfigKey::connect_classes(
                "org.apache.kafka.connect.transforms.Flatten$Key,org.apache.kafka.connect.transforms.Flatten$Value",
            ),
            ConfigKey::optional(
                "delimiter",
                ConfigType::String,
                Some("."),
                "Delimiter between the names of nested fields in the new field names",
            ),
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        Ok(Flatten {
            part: smt::part(config),
            delimiter: config.require("delimiter")?.to_string(),
            cache: smt::SchemaCache::default(),
        })
    }
}

impl Flatten {
    fn name(&self, prefix: &str, field: &str) -> String {
        if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}{}{field}", self.delimiter)
        }
    }

    fn schemaless(&self, map: &Map<String, Value>, prefix: &str, out: &mut Map<String, Value>) {
        for (k, v) in map {
            let name = self.name(prefix, k);
            match v {
                Value::Object(inner) => self.schemaless(inner, &name, out),
                other => {
                    out.insert(name, other.clone());
                }
            }
        }
    }

    fn flat_schema(
        &self,
        schema: &Schema,
        prefix: &str,
        optional: bool,
        parent_default: Option<&Value>,
        out: &mut Vec<Field>,
    ) -> Result<(), String> {
        for f in schema.fields() {
            let name = self.name(prefix, &f.name);
            let field_optional = optional || f.schema.optional;
            let default = f
                .schema
                .default
                .as_ref()
                .or_else(|| parent_default.and_then(|d| d.get(&f.name)))
                .filter(|d| !d.is_null());
            match &f.schema.ty {
                Type::Struct(_) => {
                    self.flat_schema(&f.schema, &name, field_optional, default, out)?
                }
                Type::Map(..) => {
                    return Err(format!(
                        "Flatten transformation does not support MAP for record with schemas (for field {name})."
                    ));
                }
                _ => {
                    let mut s = f.schema.clone();
                    s.optional = field_optional;
                    s.default = default.cloned();
                    out.push(Field::new(name, s));
                }
            }
        }
        Ok(())
    }

    fn flat_value(
        &self,
        schema: &Schema,
        value: &Map<String, Value>,
        prefix: &str,
        out: &mut Map<String, Value>,
    ) {
        for f in schema.fields() {
            let name = self.name(prefix, &f.name);
            match &f.schema.ty {
                Type::Struct(_) => {
                    if let Some(Value::Object(inner)) = value.get(&f.name) {
                        self.flat_value(&f.schema, inner, &name, out);
                    }
                }
                _ => {
                    out.insert(name, smt::field_value(schema, value, &f.name, true));
                }
            }
        }
    }

    fn updated(&mut self, schema: &Arc<Schema>) -> Result<Arc<Schema>, String> {
        let mut cache = std::mem::take(&mut self.cache);
        let updated = cache.get_or_make(schema, |s| {
            let mut fields = Vec::new();
            self.flat_schema(s, "", s.optional, s.default.as_ref(), &mut fields)?;
            Ok(smt::struct_like(s, fields))
        });
        self.cache = cache;
        updated
    }
}

impl Transform for Flatten {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        let data = smt::read(record, self.part)?;
        if data.value.is_null() {
            out.keep(record);
            return Ok(());
        }
        let flat = match &data.schema {
            None => {
                let map = smt::require_map(&data.value, PURPOSE)?;
                let mut flat = Map::new();
                self.schemaless(map, "", &mut flat);
                Data::schemaless(Value::Object(flat))
            }
            Some(_) => {
                let (schema, value) = smt::require_struct(&data, PURPOSE)?;
                let updated = self.updated(schema)?;
                let mut flat = Map::new();
                self.flat_value(schema, value, "", &mut flat);
                // Fields of a null struct take their defaults, as Kafka's
                // Struct.get gives them.
                for f in updated.fields() {
                    let v = flat.entry(f.name.clone()).or_insert(Value::Null);
                    if v.is_null()
                        && let Some(d) = &f.schema.default
                    {
                        *v = d.clone();
                    }
                }
                Data::with_schema(updated, Value::Object(flat))
            }
        };
        smt::emit_with(out, record, self.part, &flat);
        Ok(())
    }
}

sluice_sdk::export_transform!(Flatten);
