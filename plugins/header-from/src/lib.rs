//! `header-from` transform: Kafka's `HeaderFrom$Key` and `HeaderFrom$Value`.
//! Copies (`operation=copy`) or moves (`move`: removed from the map or the
//! struct and its schema) fields of the key or value into headers, each
//! written as Connect's header converter writes it (`header.converter`:
//! `SimpleHeaderConverter`, the default, or `StringConverter`).

use serde_json::{Map, Value};
use sluice_sdk::java::{HeaderConverter, header_text};
use sluice_sdk::smt::{self, Data};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Emitter, Part, Plugin, PluginInfo, Record, Transform,
};

/// The transform, configured.
pub struct HeaderFrom {
    part: Part,
    fields: Vec<String>,
    headers: Vec<String>,
    moving: bool,
    converter: HeaderConverter,
    use_default: bool,
    cache: smt::SchemaCache,
}

impl Plugin for HeaderFrom {
    const INFO: PluginInfo = PluginInfo {
        name: "header-from",
        version: env!("CARGO_PKG_VERSION"),
        description: "Copies or moves fields of the key or value into headers (Kafka's HeaderFrom$Key/$Value)",
        config: &[
            ConfigKey::connect_classes(
                "org.apache.kafka.connect.transforms.HeaderFrom$Key,org.apache.kafka.connect.transforms.HeaderFrom$Value",
            ),
            ConfigKey::required(
                "fields",
                ConfigType::List,
                "Field names whose values become headers",
            ),
            ConfigKey::required(
                "headers",
                ConfigType::List,
                "Header names, in the order of fields",
            ),
            ConfigKey::required(
                "operation",
                ConfigType::String,
                "move (the fields leave the key or value) or copy (they stay)",
            ),
            smt::REPLACE_NULL_WITH_DEFAULT,
            sluice_sdk::java::HEADER_CONVERTER_KEY,
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let fields = smt::non_empty_list(config, "fields")?;
        let headers = smt::non_empty_list(config, "headers")?;
        if fields.len() != headers.len() {
            return Err(format!(
                "'fields' config must have the same number of elements as 'headers' config ({} against {})",
                fields.len(),
                headers.len()
            ));
        }
        let moving = match config.require("operation")? {
            "move" => true,
            "copy" => false,
            other => {
                return Err(format!(
                    "Invalid value {other} for configuration operation: String must be one of: move, copy"
                ));
            }
        };
        Ok(HeaderFrom {
            part: smt::part(config),
            fields,
            headers,
            moving,
            converter: HeaderConverter::from_class(
                config.get("header.converter").unwrap_or_default(),
            )?,
            use_default: config.get_bool("replace.null.with.default"),
            cache: smt::SchemaCache::default(),
        })
    }
}

impl Transform for HeaderFrom {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        let data = smt::read(record, self.part)?;
        let purpose = if self.moving {
            "header move"
        } else {
            "header copy"
        };
        let mut added = Vec::with_capacity(self.fields.len());
        let updated = match &data.schema {
            None => {
                let value = smt::require_map(&data.value, purpose)?;
                let mut map = value.clone();
                for (f, h) in self.fields.iter().zip(&self.headers) {
                    let v = value.get(f).unwrap_or(&Value::Null);
                    added.push((h.clone(), header_text(self.converter, None, v)));
                    if self.moving {
                        map.remove(f);
                    }
                }
                self.moving.then(|| Data::schemaless(Value::Object(map)))
            }
            Some(_) => {
                let (schema, value) = smt::require_struct(&data, purpose)?;
                for (f, h) in self.fields.iter().zip(&self.headers) {
                    let field = schema
                        .field(f)
                        .ok_or_else(|| format!("{f} is not a valid field name"))?;
                    let v = smt::field_value(schema, value, f, self.use_default);
                    added.push((
                        h.clone(),
                        header_text(self.converter, Some(&field.schema), &v),
                    ));
                }
                if self.moving {
                    let fields = &self.fields;
                    let moved = self.cache.get_or_make(schema, |s| {
                        let kept = s
                            .fields()
                            .iter()
                            .filter(|f| !fields.contains(&f.name))
                            .cloned()
                            .collect();
                        Ok(smt::struct_like(s, kept))
                    })?;
                    let map: Map<String, Value> = moved
                        .fields()
                        .iter()
                        .map(|f| {
                            (
                                f.name.clone(),
                                smt::field_value(schema, value, &f.name, self.use_default),
                            )
                        })
                        .collect();
                    Some(Data::with_schema(moved, Value::Object(map)))
                } else {
                    None
                }
            }
        };
        let mut changed = record.to_out();
        if let Some(d) = &updated {
            smt::write(&mut changed, self.part, d);
        }
        for (h, v) in added {
            changed
                .headers
                .push((h.into(), v.map(|v| v.into_bytes().into())));
        }
        out.emit(&changed);
        Ok(())
    }
}

sluice_sdk::export_transform!(HeaderFrom);
