//! The rows of Aiven's S3 sink's `avro` and `parquet` outputs: a record
//! named `connector_records` whose fields are the parts of the Kafka record
//! that `format.output.fields` names (`key`, `value`, `offset`,
//! `timestamp`), in that order, as Aiven's `SinkSchemaBuilder` makes them.
//! The key and the value keep their own schemas, each converted by
//! Confluent's `AvroData` on its own (so each unnamed struct is a
//! `ConnectDefault`); `offset` and `timestamp` are plain `long`s. With
//! `format.output.envelope=false` and the one field `value`, a value whose
//! schema is a required struct is the row itself. Shared by the
//! `avro-format` and `parquet-format` plugins.

use std::sync::Arc;

use serde_json::Value as Json;

use crate::avro_data::{AvroField, AvroType, FromConnect, clashing_names, is_union, place};
use crate::schema::{Field, Schema, Type};
use crate::{Config, ConfigKey, ConfigType, Part, Record, smt};

/// A part of the Kafka record a row holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputField {
    Key,
    Value,
    Offset,
    Timestamp,
}

impl OutputField {
    fn name(self) -> &'static str {
        match self {
            OutputField::Key => "key",
            OutputField::Value => "value",
            OutputField::Offset => "offset",
            OutputField::Timestamp => "timestamp",
        }
    }
}

/// The config key of the row's fields, for a plugin's `PluginInfo`.
pub const FIELDS_KEY: ConfigKey = ConfigKey::optional(
    "format.output.fields",
    ConfigType::List,
    None,
    "Aiven's layout: each row a connector_records record of these parts of the Kafka record, in order (key, value, offset, timestamp); absent, the row is the value (Confluent's layout)",
);

/// The config key of the envelope, for a plugin's `PluginInfo`.
pub const ENVELOPE_KEY: ConfigKey = ConfigKey::optional(
    "format.output.envelope",
    ConfigType::Boolean,
    Some("true"),
    "With format.output.fields=value: false writes a value whose schema is a required struct as the row itself, as Aiven does",
);

/// The key's and the value's schemas a row holds: `(key, value)`, `None`
/// for a part the row leaves out.
pub type PartSchemas<'a> = (Option<&'a Arc<Schema>>, Option<&'a Arc<Schema>>);

/// What a row is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    fields: Vec<OutputField>,
    wrap: bool,
}

/// A row's schema: the Connect struct it is a value of, and the Avro
/// record Aiven names it with.
#[derive(Clone, Debug)]
pub struct RowSchema {
    pub connect: Schema,
    pub avro: AvroType,
}

impl Envelope {
    /// The layout a plugin's config asks for: `None` without
    /// `format.output.fields` (the value alone, Confluent's layout).
    pub fn from_config(config: &Config) -> Result<Option<Envelope>, String> {
        let Some(list) = config.get("format.output.fields") else {
            return Ok(None);
        };
        let mut fields = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            // Aiven reads the names whatever their case.
            let field = match name.to_ascii_lowercase().as_str() {
                "key" => OutputField::Key,
                "value" => OutputField::Value,
                "offset" => OutputField::Offset,
                "timestamp" => OutputField::Timestamp,
                "headers" => {
                    return Err(
                        "format.output.fields: headers are not implemented yet in avro and parquet rows: leave them out, or use the json, jsonl or csv output"
                            .into(),
                    );
                }
                other => {
                    return Err(format!(
                        "format.output.fields: {other:?} is not key, value, offset or timestamp"
                    ));
                }
            };
            if fields.contains(&field) {
                return Err(format!("format.output.fields names {name} twice"));
            }
            fields.push(field);
        }
        if fields.is_empty() {
            return Err(
                "format.output.fields is empty: name key, value, offset or timestamp".into(),
            );
        }
        let wrap = config.get_bool("format.output.envelope");
        if !wrap && fields != [OutputField::Value] {
            return Err(
                "format.output.envelope=false takes format.output.fields=value alone".into(),
            );
        }
        Ok(Some(Envelope { fields, wrap }))
    }

    /// Whether the row of a value of schema `value` is the value itself:
    /// envelope off and a required struct, as Aiven writes it.
    fn is_the_value(&self, value: &Schema) -> bool {
        !self.wrap && matches!(value.ty, Type::Struct(_)) && !is_union(value) && !value.optional
    }

    /// The schemas of `record`'s key and value the row holds (`None` where
    /// the row leaves the part out). Aiven's sink needs both schemas
    /// whatever the fields, and so do these rows.
    pub fn schemas<'a>(&self, record: &Record<'a>) -> Result<PartSchemas<'a>, String> {
        let (Some(key), Some(value)) = (record.key_schema, record.value_schema) else {
            let part = if record.key_schema.is_none() {
                "key"
            } else {
                "value"
            };
            return Err(format!(
                "Aiven's avro and parquet outputs need schemas for the key and the value, and the {part} of {} has none: read it with a converter that gives one (StringConverter, ByteArrayConverter, AvroConverter, JsonConverter with schemas.enable=true); a null value has none",
                place(record)
            ));
        };
        let has = |f| self.fields.contains(&f);
        Ok((
            has(OutputField::Key).then_some(key),
            has(OutputField::Value).then_some(value),
        ))
    }

    /// The row's schema for a record whose key and value have the schemas
    /// `key` and `value` (as [`schemas`](Self::schemas) gave them), or
    /// `None` when the row is the value itself.
    pub fn row(
        &self,
        key: Option<&Arc<Schema>>,
        value: Option<&Arc<Schema>>,
        namespace: &str,
        enhanced: bool,
        meta: bool,
    ) -> Result<Option<RowSchema>, String> {
        if value.is_some_and(|v| self.is_the_value(v)) {
            return Ok(None);
        }
        self.schema(
            key.map(|k| &**k),
            value.map(|v| &**v),
            namespace,
            enhanced,
            meta,
        )
        .map(Some)
    }

    /// The row's schema for `record`, whose key and value schemas the row
    /// holds (see [`schemas`](Self::schemas)); `namespace` is the output's
    /// (`io.aiven.avro.output.schema`, `io.aiven.parquet.output.schema`).
    fn schema(
        &self,
        key: Option<&Schema>,
        value: Option<&Schema>,
        namespace: &str,
        enhanced: bool,
        meta: bool,
    ) -> Result<RowSchema, String> {
        if !self.wrap
            && value.is_some_and(|v| {
                !v.optional
                    && matches!(&v.ty, Type::Map(k, _) if k.ty == Type::String && !k.optional)
            })
        {
            // An Avro map: Aiven makes a record of the first map's keys,
            // not implemented. Other maps are unions or arrays in Avro, which
            // Aiven wraps in the envelope as below.
            return Err(
                "format.output.envelope=false with a map value is not implemented: leave the envelope on, or make the value a struct".into(),
            );
        }
        let mut connect = Vec::with_capacity(self.fields.len());
        let mut avro = Vec::with_capacity(self.fields.len());
        for &f in &self.fields {
            let schema = match f {
                OutputField::Key => key
                    .ok_or("the row holds the key, and it has no schema")?
                    .clone(),
                OutputField::Value => value
                    .ok_or("the row holds the value, and it has no schema")?
                    .clone(),
                OutputField::Offset | OutputField::Timestamp => Schema::int64(),
            };
            // Each part on its own, as Aiven converts it.
            let ty = match f {
                OutputField::Offset | OutputField::Timestamp => {
                    AvroType::Primitive("long", Vec::new())
                }
                _ => FromConnect::new(enhanced, meta).schema(&schema)?,
            };
            avro.push(AvroField {
                name: f.name().into(),
                ty,
                doc: None,
                default: None,
            });
            connect.push(Field::new(f.name(), schema));
        }
        clashing_names(
            &avro
                .iter()
                .map(|f| (f.name.as_str(), &f.ty))
                .collect::<Vec<_>>(),
        )?;
        Ok(RowSchema {
            connect: Schema::structure(connect),
            avro: AvroType::Record {
                name: format!("{namespace}.connector_records"),
                doc: None,
                fields: avro,
                props: Vec::new(),
            },
        })
    }

    /// The row of `record`: a JSON object of its parts in payload form.
    pub fn payload(&self, record: &Record<'_>) -> Result<Json, String> {
        let mut row = serde_json::Map::with_capacity(self.fields.len());
        for &f in &self.fields {
            let v = match f {
                OutputField::Key => smt::read(record, Part::Key)?.value,
                OutputField::Value => smt::read(record, Part::Value)?.value,
                OutputField::Offset => record.offset.into(),
                OutputField::Timestamp => record
                    .timestamp
                    .ok_or_else(|| {
                        format!(
                            "the record at {} has no timestamp, and the row's timestamp is a long",
                            place(record)
                        )
                    })?
                    .into(),
            };
            row.insert(f.name().into(), v);
        }
        Ok(Json::Object(row))
    }
}

/// Whether a record's schema is its file's: the same one, or an equal one
/// (both absent where the row leaves the part out).
pub fn same_schema(first: Option<&Arc<Schema>>, this: Option<&Arc<Schema>>) -> bool {
    match (first, this) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(cfg: &[(&str, &str)]) -> Result<Option<Envelope>, String> {
        const INFO: crate::PluginInfo = crate::PluginInfo {
            name: "rows",
            version: "0",
            description: "",
            config: &[FIELDS_KEY, ENVELOPE_KEY],
        };
        let config = Config::new(
            INFO,
            cfg.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )?;
        Envelope::from_config(&config)
    }

    #[test]
    fn fields_are_read_in_order_and_mistakes_named() {
        assert_eq!(envelope(&[]).unwrap(), None);
        let e = envelope(&[("format.output.fields", "timestamp, key,value")])
            .unwrap()
            .unwrap();
        assert_eq!(
            e.fields,
            [OutputField::Timestamp, OutputField::Key, OutputField::Value]
        );
        // Aiven reads the names whatever their case.
        let e = envelope(&[("format.output.fields", "Key,VALUE")])
            .unwrap()
            .unwrap();
        assert_eq!(e.fields, [OutputField::Key, OutputField::Value]);
        assert!(e.wrap);
        for (cfg, want) in [
            (
                vec![("format.output.fields", "key,headers")],
                "headers are not implemented",
            ),
            (
                vec![("format.output.fields", "key,partition")],
                "\"partition\" is not",
            ),
            (vec![("format.output.fields", "key,key")], "names key twice"),
            (vec![("format.output.fields", " ")], "is empty"),
            (
                vec![
                    ("format.output.fields", "key,value"),
                    ("format.output.envelope", "false"),
                ],
                "value alone",
            ),
        ] {
            let e = envelope(&cfg).unwrap_err();
            assert!(e.contains(want), "{cfg:?}: {e}");
        }
    }

    #[test]
    fn the_row_schema_converts_each_part_on_its_own() {
        let e = envelope(&[("format.output.fields", "key,value,offset,timestamp")])
            .unwrap()
            .unwrap();
        let key = Schema::string().optional();
        let unnamed = Schema::structure([Field::new("id", Schema::int32())]);
        let row = e
            .schema(
                Some(&unnamed),
                Some(&unnamed),
                "io.aiven.avro.output.schema",
                false,
                true,
            )
            .unwrap();
        // Both unnamed structs are ConnectDefault: the second is written as
        // a reference, as Java's Schema.toString() writes it.
        assert_eq!(
            row.avro.to_json(),
            r#"{"type":"record","name":"connector_records","namespace":"io.aiven.avro.output.schema","fields":[{"name":"key","type":{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"id","type":"int"}]}},{"name":"value","type":"io.confluent.connect.avro.ConnectDefault"},{"name":"offset","type":"long"},{"name":"timestamp","type":"long"}]}"#
        );
        let row = e
            .schema(
                Some(&key),
                Some(&unnamed),
                "io.aiven.parquet.output.schema",
                false,
                true,
            )
            .unwrap();
        assert!(
            row.avro
                .to_json()
                .contains(r#"{"name":"key","type":["null","string"]}"#),
            "{}",
            row.avro.to_json()
        );
        assert_eq!(row.connect.fields().len(), 4);
    }

    #[test]
    fn parts_that_define_one_name_differently_are_refused() {
        let e = envelope(&[("format.output.fields", "key,value")])
            .unwrap()
            .unwrap();
        let key = Schema::structure([Field::new("id", Schema::int32())]);
        let value = Schema::structure([
            Field::new("id", Schema::int32()),
            Field::new("name", Schema::string()),
        ]);
        let err = e
            .schema(
                Some(&key),
                Some(&value),
                "io.aiven.avro.output.schema",
                false,
                true,
            )
            .unwrap_err();
        assert!(
            err.contains("the key and the value both have a schema named io.confluent.connect.avro.ConnectDefault"),
            "{err}"
        );
        // Named apart, they are two records.
        let named = value.clone().named("shop.Order");
        assert!(
            e.schema(
                Some(&key),
                Some(&named),
                "io.aiven.avro.output.schema",
                false,
                true
            )
            .is_ok()
        );
    }

    #[test]
    fn payloads_hold_the_parts_and_need_schemas_and_a_timestamp() {
        let e = envelope(&[("format.output.fields", "key,value,offset,timestamp")])
            .unwrap()
            .unwrap();
        let key = Arc::new(Schema::string().optional());
        let value = Arc::new(Schema::structure([Field::new("id", Schema::int32())]));
        let mut r = Record::new("orders", Some(br#"{"id":7}"#));
        r.value_kind = crate::ValueKind::Json;
        r.key = Some(b"k1");
        r.key_kind = crate::ValueKind::Text;
        r.offset = 12;
        r.timestamp = Some(1_700_000_000_000);
        let e_schemas = e.schemas(&r).unwrap_err();
        assert!(
            e_schemas.contains("the key of orders partition 0 offset 12 has none"),
            "{e_schemas}"
        );
        r.key_schema = Some(&key);
        r.value_schema = Some(&value);
        assert!(e.schemas(&r).is_ok());
        assert_eq!(
            e.payload(&r).unwrap(),
            serde_json::json!({"key": "k1", "value": {"id": 7}, "offset": 12, "timestamp": 1_700_000_000_000_i64})
        );
        r.timestamp = None;
        assert!(e.payload(&r).unwrap_err().contains("no timestamp"));
        let plain = envelope(&[
            ("format.output.fields", "value"),
            ("format.output.envelope", "false"),
        ])
        .unwrap()
        .unwrap();
        assert!(plain.is_the_value(&value));
        let map = Schema::map(Schema::string(), Schema::int32());
        let e_map = plain
            .schema(None, Some(&map), "io.aiven.avro.output.schema", false, true)
            .unwrap_err();
        assert!(e_map.contains("map value is not implemented"), "{e_map}");
        // An optional map is a union in Avro: the one-field envelope holds it.
        let optional = map.clone().optional();
        let row = plain
            .schema(
                None,
                Some(&optional),
                "io.aiven.avro.output.schema",
                false,
                true,
            )
            .unwrap();
        assert_eq!(row.connect.fields().len(), 1);
        assert!(!plain.is_the_value(&Schema::structure([]).optional()));
        assert!(!e.is_the_value(&value));
    }
}
