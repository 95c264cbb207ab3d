//! `replace-field` transform: Kafka's `ReplaceField$Key` and
//! `ReplaceField$Value`. Keeps, drops and renames the top-level fields of a
//! map or struct: `exclude` wins over `include`, then `renames` apply. A
//! struct keeps its schema's name, version, doc and parameters. Nulls pass
//! unchanged. Kafka 3's `whitelist` and `blacklist` (removed in Kafka 4) are
//! read as `include` and `exclude`, so older configs keep their meaning.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value};
use sluice_sdk::schema::{Field, Schema};
use sluice_sdk::smt::{self, Data};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Emitter, Part, Plugin, PluginInfo, Record, Transform,
};

const PURPOSE: &str = "field replacement";

/// The transform, configured.
pub struct ReplaceField {
    part: Part,
    exclude: BTreeSet<String>,
    include: BTreeSet<String>,
    renames: BTreeMap<String, String>,
    /// New name to old name.
    reverse: BTreeMap<String, String>,
    use_default: bool,
    /// The schemas made of the schemas met.
    cache: smt::SchemaCache,
}

impl Plugin for ReplaceField {
    const INFO: PluginInfo = PluginInfo {
        name: "replace-field",
        version: env!("CARGO_PKG_VERSION"),
        description: "Keeps, drops or renames fields of the key or value (Kafka's ReplaceField$Key/$Value)",
        config: &[
            ConfigKey::connect_classes(
                "org.apache.kafka.connect.transforms.ReplaceField$Key,org.apache.kafka.connect.transforms.ReplaceField$Value",
            ),
            ConfigKey::optional(
                "exclude",
                ConfigType::List,
                Some(""),
                "Fields to exclude; this takes precedence over the fields to include",
            ),
            ConfigKey::optional(
                "include",
                ConfigType::List,
                Some(""),
                "Fields to include; if set, only these fields are kept",
            ),
            ConfigKey::optional(
                "renames",
                ConfigType::List,
                Some(""),
                "Field renames as old:new pairs, e.g. foo:bar,abc:xyz",
            ),
            ConfigKey::optional(
                "whitelist",
                ConfigType::List,
                None,
                "Kafka 3's name for include (deprecated)",
            ),
            ConfigKey::optional(
                "blacklist",
                ConfigType::List,
                None,
                "Kafka 3's name for exclude (deprecated)",
            ),
            smt::REPLACE_NULL_WITH_DEFAULT,
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let set = |keys: [&str; 2]| -> BTreeSet<String> {
            keys.iter()
                .flat_map(|k| config.get_list(k))
                .map(String::from)
                .collect()
        };
        let mut renames = BTreeMap::new();
        let given = config.get("renames").unwrap_or_default();
        for mapping in config.get_list("renames") {
            // Java's split(":") drops trailing empty parts: "a:" is one part.
            let parts: Vec<&str> = mapping.split(':').collect();
            let trimmed = parts
                .iter()
                .rposition(|p| !p.is_empty())
                .map_or(0, |i| i + 1);
            if trimmed != 2 || parts.len() != 2 {
                return Err(format!(
                    "Invalid value {given} for configuration renames: Invalid rename mapping: {mapping}"
                ));
            }
            renames.insert(parts[0].to_string(), parts[1].to_string());
        }
        let reverse = renames
            .iter()
            .map(|(k, v)| (v.clone(), k.clone()))
            .collect();
        Ok(ReplaceField {
            part: smt::part(config),
            exclude: set(["exclude", "blacklist"]),
            include: set(["include", "whitelist"]),
            renames,
            reverse,
            use_default: config.get_bool("replace.null.with.default"),
            cache: smt::SchemaCache::default(),
        })
    }
}

impl ReplaceField {
    fn keeps(&self, name: &str) -> bool {
        !self.exclude.contains(name) && (self.include.is_empty() || self.include.contains(name))
    }

    fn renamed<'n>(&'n self, name: &'n str) -> &'n str {
        self.renames.get(name).map_or(name, String::as_str)
    }

    fn updated_schema(&mut self, schema: &Arc<Schema>) -> Result<Arc<Schema>, String> {
        let mut cache = std::mem::take(&mut self.cache);
        let updated = cache.get_or_make(schema, |s| {
            let fields: Vec<Field> = s
                .fields()
                .iter()
                .filter(|f| self.keeps(&f.name))
                .map(|f| Field::new(self.renamed(&f.name), f.schema.clone()))
                .collect();
            Ok(smt::struct_like(s, fields))
        });
        self.cache = cache;
        updated
    }
}

impl Transform for ReplaceField {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        let data = smt::read(record, self.part)?;
        if data.value.is_null() {
            out.keep(record);
            return Ok(());
        }
        let replaced = match &data.schema {
            None => {
                let value = smt::require_map(&data.value, PURPOSE)?;
                let map: Map<String, Value> = value
                    .iter()
                    .filter(|(k, _)| self.keeps(k))
                    .map(|(k, v)| (self.renamed(k).to_string(), v.clone()))
                    .collect();
                Data::schemaless(Value::Object(map))
            }
            Some(_) => {
                let (schema, value) = smt::require_struct(&data, PURPOSE)?;
                let updated = self.updated_schema(schema)?;
                let map: Map<String, Value> = updated
                    .fields()
                    .iter()
                    .map(|f| {
                        let old = self.reverse.get(&f.name).unwrap_or(&f.name);
                        (
                            f.name.clone(),
                            smt::field_value(schema, value, old, self.use_default),
                        )
                    })
                    .collect();
                Data::with_schema(updated, Value::Object(map))
            }
        };
        smt::emit_with(out, record, self.part, &replaced);
        Ok(())
    }
}

sluice_sdk::export_transform!(ReplaceField);
