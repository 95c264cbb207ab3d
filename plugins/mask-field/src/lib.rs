//! `mask-field` transform: Kafka's `MaskField$Key` and `MaskField$Value`.
//! Replaces the named fields with their type's "empty" value (0, false,
//! "", an empty list or map, the epoch for dates), or with `replacement`
//! for numbers and strings. Nulls stay null; a type that cannot be masked
//! fails the record, as in Kafka.

use serde_json::{Map, Number, Value};
use sluice_sdk::schema::{DATE, DECIMAL, Schema, TIME, TIMESTAMP, Type};
use sluice_sdk::smt::{self, Data};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Emitter, Part, Plugin, PluginInfo, Record, Transform,
};

const PURPOSE: &str = "mask fields";

/// The transform, configured.
pub struct MaskField {
    part: Part,
    fields: Vec<String>,
    replacement: Option<String>,
    use_default: bool,
}

impl Plugin for MaskField {
    const INFO: PluginInfo = PluginInfo {
        name: "mask-field",
        version: env!("CARGO_PKG_VERSION"),
        description: "Masks fields with an empty value of their type or a replacement (Kafka's MaskField$Key/$Value)",
        config: &[
            ConfigKey::connect_classes(
                "org.apache.kafka.connect.transforms.MaskField$Key,org.apache.kafka.connect.transforms.MaskField$Value",
            ),
            ConfigKey::required("fields", ConfigType::List, "Names of fields to mask"),
            ConfigKey::optional(
                "replacement",
                ConfigType::String,
                None,
                "Custom replacement for every masked value (numeric or string fields only)",
            ),
            smt::REPLACE_NULL_WITH_DEFAULT,
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let fields = smt::non_empty_list(config, "fields")?;
        let replacement = config.get("replacement").map(String::from);
        if replacement.as_deref() == Some("") {
            return Err(
                "Invalid value  for configuration replacement: String must be non-empty".into(),
            );
        }
        Ok(MaskField {
            part: smt::part(config),
            fields,
            replacement,
            use_default: config.get_bool("replace.null.with.default"),
        })
    }
}

/// The Java class a value of `schema` is, for Kafka's messages.
fn class_of(schema: &Schema) -> &'static str {
    match (&schema.ty, schema.name.as_deref()) {
        (_, Some(DECIMAL)) => "class java.math.BigDecimal",
        (_, Some(DATE | TIME | TIMESTAMP)) => "class java.util.Date",
        (Type::Int8, _) => "class java.lang.Byte",
        (Type::Int16, _) => "class java.lang.Short",
        (Type::Int32, _) => "class java.lang.Integer",
        (Type::Int64, _) => "class java.lang.Long",
        (Type::Float32, _) => "class java.lang.Float",
        (Type::Float64, _) => "class java.lang.Double",
        (Type::Boolean, _) => "class java.lang.Boolean",
        (Type::String, _) => "class java.lang.String",
        (Type::Bytes, _) => "class [B",
        (Type::Array(_), _) => "class java.util.ArrayList",
        (Type::Map(..), _) => "class java.util.HashMap",
        (Type::Struct(_), _) => "class org.apache.kafka.connect.data.Struct",
    }
}

/// What kind of value is masked: Kafka decides by the value's Java class.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Integer,
    Float,
    Boolean,
    Text,
    List,
    Map,
    /// BigDecimal (a Decimal payload).
    Decimal,
    /// java.util.Date (Date, Time, Timestamp).
    Date,
    Other,
}

fn kind_of_schema(schema: &Schema) -> Kind {
    match (&schema.ty, schema.name.as_deref()) {
        (_, Some(DECIMAL)) => Kind::Decimal,
        (_, Some(DATE | TIME | TIMESTAMP)) => Kind::Date,
        (Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64, _) => Kind::Integer,
        (Type::Float32 | Type::Float64, _) => Kind::Float,
        (Type::Boolean, _) => Kind::Boolean,
        (Type::String, _) => Kind::Text,
        (Type::Array(_), _) => Kind::List,
        (Type::Map(..), _) => Kind::Map,
        _ => Kind::Other,
    }
}

fn kind_of_value(value: &Value) -> Kind {
    match value {
        Value::Number(n) if n.is_f64() => Kind::Float,
        Value::Number(_) => Kind::Integer,
        Value::Bool(_) => Kind::Boolean,
        Value::String(_) => Kind::Text,
        Value::Array(_) => Kind::List,
        Value::Object(_) => Kind::Map,
        Value::Null => Kind::Other,
    }
}

impl MaskField {
    /// The masked `value` of `kind` (`class`: its Java class, for messages).
    fn masked(
        &self,
        value: Value,
        kind: Kind,
        class: &str,
        schema: Option<&Schema>,
    ) -> Result<Value, String> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let Some(r) = &self.replacement else {
            return Ok(match kind {
                Kind::Integer | Kind::Date => 0.into(),
                Kind::Float => Value::Number(Number::from_f64(0.0).unwrap_or(0.into())),
                Kind::Boolean => false.into(),
                Kind::Text => "".into(),
                Kind::List => Value::Array(Vec::new()),
                Kind::Map => Value::Object(Map::new()),
                // BigDecimal.ZERO: an unscaled 0, in a payload's base64 form
                // when the value was written that way.
                Kind::Decimal if value.is_string() => "AA==".into(),
                Kind::Decimal => 0.into(),
                Kind::Other => return Err(format!("Cannot mask value of type: {class}")),
            });
        };
        let not_a_number = || format!("Unable to convert {r} (class java.lang.String) to number");
        match kind {
            Kind::Text => Ok(r.clone().into()),
            Kind::Integer => {
                let n = r
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .or_else(|| {
                        r.trim()
                            .parse::<f64>()
                            .ok()
                            .filter(|f| f.is_finite())
                            .map(|f| f as i64)
                    })
                    .ok_or_else(not_a_number)?;
                Ok(match schema.map(|s| &s.ty) {
                    Some(Type::Int8) => (n as i8).into(),
                    Some(Type::Int16) => (n as i16).into(),
                    Some(Type::Int32) => (n as i32).into(),
                    _ => n.into(),
                })
            }
            Kind::Float => {
                let f = r.trim().parse::<f64>().map_err(|_| not_a_number())?;
                // A float32 as Kafka writes it: its own shortest digits.
                let f = if matches!(schema.map(|s| &s.ty), Some(Type::Float32)) {
                    format!("{}", f as f32)
                        .parse()
                        .map_err(|_| not_a_number())?
                } else {
                    f
                };
                Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(not_a_number)
            }
            _ => Err(format!(
                "Cannot mask value of type {class} with custom replacement."
            )),
        }
    }
}

impl Transform for MaskField {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        let data = smt::read(record, self.part)?;
        let masked = match &data.schema {
            None => {
                let mut map = smt::require_map(&data.value, PURPOSE)?.clone();
                for f in &self.fields {
                    let v = map.get(f).cloned().unwrap_or(Value::Null);
                    let kind = kind_of_value(&v);
                    let class = match kind {
                        Kind::Integer => "class java.lang.Long",
                        Kind::Float => "class java.lang.Double",
                        Kind::Boolean => "class java.lang.Boolean",
                        _ => "class java.lang.Object",
                    };
                    let m = self.masked(v, kind, class, None)?;
                    map.insert(f.clone(), m);
                }
                Data::schemaless(Value::Object(map))
            }
            Some(_) => {
                let (schema, value) = smt::require_struct(&data, PURPOSE)?;
                let mut map = Map::new();
                for f in schema.fields() {
                    let v = smt::field_value(schema, value, &f.name, self.use_default);
                    let v = if self.fields.contains(&f.name) {
                        self.masked(
                            v,
                            kind_of_schema(&f.schema),
                            class_of(&f.schema),
                            Some(&f.schema),
                        )?
                    } else {
                        v
                    };
                    map.insert(f.name.clone(), v);
                }
                Data::with_schema(schema.clone(), Value::Object(map))
            }
        };
        smt::emit_with(out, record, self.part, &masked);
        Ok(())
    }
}

sluice_sdk::export_transform!(MaskField);
