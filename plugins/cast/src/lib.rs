//! `cast` transform: Kafka's `Cast$Key` and `Cast$Value`. Casts fields of a
//! map or struct (`spec` = `field:type,…`), or the whole key or value
//! (`spec` = `type`), to int8, int16, int32, int64, float32, float64,
//! boolean or string, with Java's conversions: numbers narrow as Java's
//! `byteValue()` … do, strings parse as `Long.parseLong` or
//! `Double.parseDouble` do, numbers print as `Double.toString` does, bytes
//! cast to base64 text only, and Date, Time, Timestamp and Decimal values
//! cast as their numbers (to a number) or their ISO text (to a string).
//! Nulls pass unchanged.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Map, Number, Value};
use sluice_sdk::java;
use sluice_sdk::java_date::DateFormat;
use sluice_sdk::schema::{DATE, DECIMAL, Field, Schema, TIME, TIMESTAMP, Type};
use sluice_sdk::smt::{self, Data};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Emitter, Part, Plugin, PluginInfo, Record, Transform,
};

const PURPOSE: &str = "cast types";
const SUPPORTED_IN: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]";
const SUPPORTED_OUT: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]";

/// A type a value can be cast to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    Text,
}

impl Target {
    fn parse(name: &str) -> Result<Target, String> {
        Ok(match name.trim().to_ascii_uppercase().as_str() {
            "INT8" => Target::Int8,
            "INT16" => Target::Int16,
            "INT32" => Target::Int32,
            "INT64" => Target::Int64,
            "FLOAT32" => Target::Float32,
            "FLOAT64" => Target::Float64,
            "BOOLEAN" => Target::Boolean,
            "STRING" => Target::Text,
            "BYTES" | "ARRAY" | "MAP" | "STRUCT" => {
                return Err(format!(
                    "Cast transformation does not support casting to {}; supported types are {SUPPORTED_OUT}",
                    name.trim().to_ascii_uppercase()
                ));
            }
            _ => {
                return Err(format!(
                    "Invalid type found in casting spec: {}",
                    name.trim()
                ));
            }
        })
    }

    fn schema(self) -> Schema {
        match self {
            Target::Int8 => Schema::int8(),
            Target::Int16 => Schema::int16(),
            Target::Int32 => Schema::int32(),
            Target::Int64 => Schema::int64(),
            Target::Float32 => Schema::float32(),
            Target::Float64 => Schema::float64(),
            Target::Boolean => Schema::boolean(),
            Target::Text => Schema::string(),
        }
    }
}

/// A value as Java holds it before a cast.
enum Java {
    Long(i64),
    Double(f64),
    Float(f32),
    Boolean(bool),
    Text(String),
    Bytes(Vec<u8>),
    /// A java.util.Date (Date, Time and Timestamp values): the logical
    /// value's number (days, ms of the day, ms) and its instant in ms.
    Date(i64, i64),
    /// A BigDecimal: unscaled value and scale.
    Decimal(i128, i32),
}

/// The transform, configured.
pub struct Cast {
    part: Part,
    fields: BTreeMap<String, Target>,
    whole: Option<Target>,
    use_default: bool,
    cache: smt::SchemaCache,
}

impl Plugin for Cast {
    const INFO: PluginInfo = PluginInfo {
        name: "cast",
        version: env!("CARGO_PKG_VERSION"),
        description: "Casts fields or the whole key or value to another type (Kafka's Cast$Key/$Value)",
        config: &[
            ConfigKey::connect_classes(
                "org.apache.kafka.connect.transforms.Cast$Key,org.apache.kafka.connect.transforms.Cast$Value",
            ),
            ConfigKey::required(
                "spec",
                ConfigType::List,
                "field1:type,field2:type to cast fields of maps or structs, or one type to cast the whole value (int8, int16, int32, int64, float32, float64, boolean, string)",
            ),
            smt::REPLACE_NULL_WITH_DEFAULT,
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let spec = config.get_list("spec");
        if spec.is_empty() {
            return Err(
                "Invalid value [] for configuration spec: Must specify at least one field to cast."
                    .into(),
            );
        }
        let mut fields = BTreeMap::new();
        let mut whole = None;
        for mapping in &spec {
            let parts: Vec<&str> = mapping.split(':').collect();
            match parts[..] {
                [ty] => whole = Some(Target::parse(ty)?),
                [field, ty] => {
                    fields.insert(field.trim().to_string(), Target::parse(ty)?);
                }
                _ => {
                    return Err(format!(
                        "Invalid value {} for configuration renames: Invalid rename mapping: {mapping}",
                        spec.join(",")
                    ));
                }
            }
        }
        if whole.is_some() && spec.len() > 1 {
            return Err("Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec".into());
        }
        Ok(Cast {
            part: smt::part(config),
            fields,
            whole,
            use_default: config.get_bool("replace.null.with.default"),
            cache: smt::SchemaCache::default(),
        })
    }
}

/// `value` (a payload, or schemaless JSON when `schema` is `None`) as Java
/// holds it; an error for the types Cast does not take.
fn java_value(schema: Option<&Schema>, value: &Value) -> Result<Java, String> {
    let unsupported = |ty: &str| {
        format!(
            "Cast transformation does not support casting from {ty}; supported types are {SUPPORTED_IN}"
        )
    };
    let Some(schema) = schema else {
        return match value {
            Value::Number(n) => Ok(match n.as_i64() {
                Some(i) => Java::Long(i),
                None => Java::Double(n.as_f64().unwrap_or(f64::NAN)),
            }),
            Value::Bool(b) => Ok(Java::Boolean(*b)),
            Value::String(s) => Ok(Java::Text(s.clone())),
            Value::Array(_) => Err(unsupported("ARRAY")),
            Value::Object(_) => Err(unsupported("MAP")),
            Value::Null => Err("Cast of a null".into()),
        };
    };
    let bad = || format!("a {} value that is not one: {value}", schema.ty.json_name());
    match (&schema.ty, schema.name.as_deref()) {
        (Type::Int32 | Type::Int64, Some(DATE | TIME | TIMESTAMP)) => {
            let n = value.as_i64().ok_or_else(bad)?;
            let ms = if schema.name.as_deref() == Some(DATE) {
                n * 86_400_000
            } else {
                n
            };
            Ok(Java::Date(n, ms))
        }
        (Type::Bytes, Some(DECIMAL)) => {
            let scale = schema
                .parameter("scale")
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            decimal(value, scale)
                .map(|u| Java::Decimal(u, scale))
                .ok_or_else(bad)
        }
        (Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64, _) => {
            value.as_i64().map(Java::Long).ok_or_else(bad)
        }
        (Type::Float32, _) => value
            .as_f64()
            .map(|f| Java::Float(f as f32))
            .ok_or_else(bad),
        (Type::Float64, _) => value.as_f64().map(Java::Double).ok_or_else(bad),
        (Type::Boolean, _) => value.as_bool().map(Java::Boolean).ok_or_else(bad),
        (Type::String, _) => value.as_str().map(|s| Java::Text(s.into())).ok_or_else(bad),
        (Type::Bytes, _) => value
            .as_str()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
            .map(Java::Bytes)
            .ok_or_else(bad),
        (Type::Array(_), _) => Err(unsupported("ARRAY")),
        (Type::Map(..), _) => Err(unsupported("MAP")),
        (Type::Struct(_), _) => Err(unsupported("STRUCT")),
    }
}

/// A Decimal payload's unscaled value: base64 of big-endian two's
/// complement, or a number (`decimal.format` NUMERIC).
fn decimal(value: &Value, scale: i32) -> Option<i128> {
    match value {
        Value::String(s) => {
            let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
            if bytes.is_empty() || bytes.len() > 16 {
                return None;
            }
            let fill = if bytes[0] & 0x80 != 0 { 0xff } else { 0 };
            let mut be = [fill; 16];
            be[16 - bytes.len()..].copy_from_slice(&bytes);
            Some(i128::from_be_bytes(be))
        }
        Value::Number(n) => Some((n.as_f64()? * 10f64.powi(scale)).round() as i128),
        _ => None,
    }
}

fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// A float32 as Kafka writes it: its shortest decimal digits (Java's
/// `Float.toString`), not the digits of the double it widens to.
fn float32(f: f32) -> Value {
    format!("{f}").parse::<f64>().map_or(Value::Null, float)
}

/// Java's `Number.longValue()` of a double: saturating, NaN is 0.
fn long_of(d: f64) -> i64 {
    d as i64
}

/// The cast itself: Java's conversions.
fn cast(value: Java, target: Target) -> Result<Value, String> {
    let out_of_range = |v: &str| format!("Value ({v}) was out of range for requested data type");
    let unexpected = |class: &str| format!("Unexpected type in Cast transformation: class {class}");
    // The number a value stands for: integral (long) and floating views.
    let number = |v: &Java| -> Option<(i64, f64)> {
        match v {
            Java::Long(i) => Some((*i, *i as f64)),
            Java::Double(d) => Some((long_of(*d), *d)),
            Java::Float(f) => Some((long_of(f64::from(*f)), f64::from(*f))),
            Java::Date(n, _) => Some((*n, *n as f64)),
            Java::Decimal(u, s) => {
                let f = *u as f64 / 10f64.powi(*s);
                Some((long_of(f), f))
            }
            Java::Boolean(b) => Some((i64::from(*b), f64::from(u8::from(*b)))),
            _ => None,
        }
    };
    // Integer narrowing of a double goes through int first, as Java's
    // Double.byteValue() = (byte) intValue().
    let int_of = |v: &Java| -> Option<i64> {
        match v {
            Java::Double(_) | Java::Float(_) | Java::Decimal(..) => {
                number(v).map(|(_, f)| i64::from(f as i32))
            }
            _ => number(v).map(|(i, _)| i),
        }
    };
    match (target, value) {
        (Target::Text, Java::Text(s)) => Ok(s.into()),
        (Target::Text, Java::Long(i)) => Ok(i.to_string().into()),
        (Target::Text, Java::Double(d)) => Ok(java::double_to_string(d).into()),
        (Target::Text, Java::Float(f)) => Ok(java::float_to_string(f).into()),
        (Target::Text, Java::Boolean(b)) => Ok(b.to_string().into()),
        (Target::Text, Java::Bytes(b)) => {
            Ok(base64::engine::general_purpose::STANDARD.encode(b).into())
        }
        (Target::Text, Java::Decimal(u, s)) => Ok(java::decimal_to_string(u, s).into()),
        (Target::Text, Java::Date(_, ms)) => Ok(iso(ms).into()),
        (_, Java::Bytes(_)) => Err(unexpected("[B")),
        (Target::Boolean, Java::Text(s)) => Ok(java::parse_boolean(&s).into()),
        (Target::Boolean, Java::Boolean(b)) => Ok(b.into()),
        (Target::Boolean, v) => Ok(number(&v).is_some_and(|(i, _)| i != 0).into()),
        (Target::Float32 | Target::Float64, Java::Text(s)) => {
            let d = java::parse_double(&s).ok_or_else(|| out_of_range(&s))?;
            Ok(if target == Target::Float32 {
                float32(d as f32)
            } else {
                float(d)
            })
        }
        (Target::Float32, v) => Ok(float32(number(&v).map_or(0.0, |(_, f)| f) as f32)),
        (Target::Float64, v) => Ok(float(number(&v).map_or(0.0, |(_, f)| f))),
        (t, Java::Text(s)) => {
            let n = java::parse_long(&s).ok_or_else(|| out_of_range(&s))?;
            let fits = match t {
                Target::Int8 => i8::try_from(n).is_ok(),
                Target::Int16 => i16::try_from(n).is_ok(),
                Target::Int32 => i32::try_from(n).is_ok(),
                _ => true,
            };
            if !fits {
                return Err(out_of_range(&s));
            }
            Ok(n.into())
        }
        (t, v) => {
            let n = if t == Target::Int64 {
                number(&v).map(|(i, _)| i)
            } else {
                int_of(&v)
            }
            .unwrap_or(0);
            Ok(match t {
                Target::Int8 => (n as i8).into(),
                Target::Int16 => (n as i16).into(),
                Target::Int32 => (n as i32).into(),
                _ => n.into(),
            })
        }
    }
}

/// Connect's `Values.dateFormatFor`: a time of day, a date, or a timestamp.
fn iso(ms: i64) -> String {
    let pattern = if ms < 86_400_000 {
        "HH:mm:ss.SSS'Z'"
    } else if ms % 86_400_000 == 0 {
        "yyyy-MM-dd"
    } else {
        "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
    };
    DateFormat::new(pattern)
        .map(|f| f.format(ms))
        .unwrap_or_default()
}

impl Cast {
    fn cast_value(schema: Option<&Schema>, value: &Value, target: Target) -> Result<Value, String> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        cast(java_value(schema, value)?, target)
    }

    fn updated_schema(&mut self, schema: &Arc<Schema>) -> Result<Arc<Schema>, String> {
        let (fields, whole) = (&self.fields, self.whole);
        self.cache.get_or_make(schema, |s| {
            let mut updated = match whole {
                Some(t) => {
                    let mut u = t.schema();
                    u.name = s.name.clone();
                    u.version = s.version;
                    u.doc = s.doc.clone();
                    u.parameters = s.parameters.clone();
                    u
                }
                None => {
                    let mut out = Vec::new();
                    for f in s.fields() {
                        match fields.get(&f.name) {
                            Some(t) => {
                                let mut fs = t.schema();
                                fs.optional = f.schema.optional;
                                if let Some(d) = &f.schema.default {
                                    fs.default = Some(Self::cast_value(Some(&f.schema), d, *t)?);
                                }
                                out.push(Field::new(&f.name, fs));
                            }
                            None => out.push(f.clone()),
                        }
                    }
                    smt::struct_like(s, out)
                }
            };
            updated.optional = s.optional;
            if let (Some(d), Some(t)) = (&s.default, whole) {
                updated.default = Some(Self::cast_value(Some(s), d, t)?);
            }
            Ok(updated)
        })
    }
}

impl Transform for Cast {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        let data = smt::read(record, self.part)?;
        if data.value.is_null() {
            out.keep(record);
            return Ok(());
        }
        let cast = match &data.schema {
            None => match self.whole {
                Some(t) => Data::schemaless(Self::cast_value(None, &data.value, t)?),
                None => {
                    let mut map = smt::require_map(&data.value, PURPOSE)?.clone();
                    for (f, t) in &self.fields {
                        let v = map.get(f).cloned().unwrap_or(Value::Null);
                        map.insert(f.clone(), Self::cast_value(None, &v, *t)?);
                    }
                    Data::schemaless(Value::Object(map))
                }
            },
            Some(schema) => {
                let updated = self.updated_schema(schema)?;
                match self.whole {
                    Some(t) => {
                        Data::with_schema(updated, Self::cast_value(Some(schema), &data.value, t)?)
                    }
                    None => {
                        let (schema, value) = smt::require_struct(&data, PURPOSE)?;
                        let mut map = Map::new();
                        for f in schema.fields() {
                            let v = smt::field_value(schema, value, &f.name, self.use_default);
                            let v = match self.fields.get(&f.name) {
                                Some(t) => Self::cast_value(Some(&f.schema), &v, *t)?,
                                None => v,
                            };
                            map.insert(f.name.clone(), v);
                        }
                        Data::with_schema(updated, Value::Object(map))
                    }
                }
            }
        };
        smt::emit_with(out, record, self.part, &cast);
        Ok(())
    }
}

sluice_sdk::export_transform!(Cast);
