//! A JsonConverter envelope's schema, read as Kafka's
//! `JsonConverter.asConnectSchema` reads it: the type names of
//! `org.apache.kafka.connect.json.JsonSchema` (`boolean`, `int8`…`int64`,
//! `float`, `double`, `bytes`, `string`, `array`, `map`, `struct`),
//! `optional`, `name` (which selects the logical types `Decimal`, `Date`,
//! `Time` and `Timestamp`), `parameters` (a Decimal's `scale`) and `default`.
//! `version` and `doc` are checked as Kafka checks them and otherwise not
//! needed to read a payload.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::value::RawValue;

use crate::raw::{self, JsonType};
use crate::value::{self, Options, Val};

/// Logical type names (`org.apache.kafka.connect.data.*`).
pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
pub const DATE: &str = "org.apache.kafka.connect.data.Date";
pub const TIME: &str = "org.apache.kafka.connect.data.Time";
pub const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";

/// A Connect schema.
#[derive(Debug)]
pub struct Schema {
    pub kind: Kind,
    pub optional: bool,
    /// Set by the schema's `name`, whatever its type, as in Kafka.
    pub logical: Option<Logical>,
    /// The default, already converted; used for nulls when
    /// `replace.null.with.default` is true.
    pub default: Option<Val<'static>>,
}

/// A schema's type.
#[derive(Debug)]
pub enum Kind {
    Boolean,
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    String,
    Bytes,
    Array(Box<Schema>),
    Map(Box<Schema>, Box<Schema>),
    Struct(Struct),
}

/// A struct's fields, in order, with an index by name.
#[derive(Debug)]
pub struct Struct {
    pub fields: Vec<Field>,
    index: HashMap<String, usize>,
}

impl Struct {
    /// The position of the field called `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// One field of a struct.
#[derive(Debug)]
pub struct Field {
    pub name: String,
    pub schema: Schema,
}

/// A logical type.
#[derive(Debug)]
pub enum Logical {
    /// The scale parameter, or why it is unusable (an error only when a
    /// value needs it, as in Kafka).
    Decimal(Result<i32, String>),
    Date,
    Time,
    Timestamp,
}

impl Kind {
    /// Kafka's `Schema.Type` name, as its messages show it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Boolean => "BOOLEAN",
            Kind::Int8 => "INT8",
            Kind::Int16 => "INT16",
            Kind::Int32 => "INT32",
            Kind::Int64 => "INT64",
            Kind::Float32 => "FLOAT32",
            Kind::Float64 => "FLOAT64",
            Kind::String => "STRING",
            Kind::Bytes => "BYTES",
            Kind::Array(_) => "ARRAY",
            Kind::Map(..) => "MAP",
            Kind::Struct(_) => "STRUCT",
        }
    }
}

/// Reads a schema; `Ok(None)` for a JSON `null` (a schemaless payload).
pub fn parse(raw: &RawValue, options: &Options) -> Result<Option<Schema>, String> {
    if raw::json_type(raw) == JsonType::Null {
        return Ok(None);
    }
    parse_schema(raw, options).map(Some)
}

fn parse_schema(raw: &RawValue, options: &Options) -> Result<Schema, String> {
    // Anything but an object has no `type` field, as Jackson's `get` answers.
    let entries = raw::object(raw)?.unwrap_or_default();
    let get = |name: &str| raw::last(&entries, name);
    let type_name = match get("type").map(raw::string) {
        Some(Ok(Some(t))) => t,
        Some(Err(e)) => return Err(e),
        _ => return Err("Schema must contain 'type' field".into()),
    };
    let kind = match &*type_name {
        "boolean" => Kind::Boolean,
        "int8" => Kind::Int8,
        "int16" => Kind::Int16,
        "int32" => Kind::Int32,
        "int64" => Kind::Int64,
        "float" => Kind::Float32,
        "double" => Kind::Float64,
        "bytes" => Kind::Bytes,
        "string" => Kind::String,
        "array" => match get("items") {
            Some(items) if raw::json_type(items) != JsonType::Null => {
                Kind::Array(Box::new(parse_schema(items, options)?))
            }
            _ => return Err("Array schema did not specify the element type".into()),
        },
        "map" => {
            let keys = get("keys").ok_or("Map schema did not specify the key type")?;
            let values = get("values").ok_or("Map schema did not specify the value type")?;
            let part = |raw: &RawValue, what: &str| match parse(raw, options)? {
                Some(s) => Ok(Box::new(s)),
                None => Err(format!("{what} cannot be null.")),
            };
            Kind::Map(part(keys, "keySchema")?, part(values, "valueSchema")?)
        }
        "struct" => {
            let fields = match get("fields").map(raw::array) {
                Some(Ok(Some(fields))) => fields,
                Some(Err(e)) => return Err(e),
                _ => return Err("Struct schema's \"fields\" argument is not an array.".into()),
            };
            let mut list = Vec::with_capacity(fields.len());
            let mut index = HashMap::with_capacity(fields.len());
            for field in fields {
                let field_entries = raw::object(field)?.unwrap_or_default();
                let name = match raw::last(&field_entries, "field").map(raw::string) {
                    Some(Ok(Some(n))) => n.into_owned(),
                    Some(Err(e)) => return Err(e),
                    _ => return Err("Struct schema's field name not specified properly".into()),
                };
                if index.contains_key(&name) {
                    return Err(format!(
                        "Cannot create field because of field name duplication {name}"
                    ));
                }
                let schema =
                    parse_schema(field, options).map_err(|e| format!("field {name:?}: {e}"))?;
                index.insert(name.clone(), list.len());
                list.push(Field { name, schema });
            }
            Kind::Struct(Struct {
                fields: list,
                index,
            })
        }
        other => return Err(format!("Unknown schema type: {other}")),
    };
    let optional = get("optional").map(raw::json_type) == Some(JsonType::True);
    let name = match get("name").map(raw::string) {
        Some(Ok(Some(n))) => Some(n),
        Some(Err(e)) => return Err(e),
        _ => None,
    };
    let mut parameters: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::new();
    if let Some(params) = get("parameters").map(raw::object) {
        for (k, v) in params?.unwrap_or_default() {
            match raw::string(v)? {
                Some(v) => match parameters.iter_mut().find(|(pk, _)| *pk == k) {
                    Some(slot) => slot.1 = v,
                    None => parameters.push((k, v)),
                },
                None => return Err("Schema parameters must have string values.".into()),
            }
        }
    }
    let logical = match name.as_deref() {
        Some(DECIMAL) => Some(Logical::Decimal(
            match parameters.iter().find(|(k, _)| k == "scale") {
                None => Err("Invalid Decimal schema: scale parameter not found.".into()),
                Some((_, s)) => s.parse::<i32>().map_err(|e| {
                    format!("Invalid scale parameter found in Decimal schema: {s:?}: {e}")
                }),
            },
        )),
        Some(DATE) => Some(Logical::Date),
        Some(TIME) => Some(Logical::Time),
        Some(TIMESTAMP) => Some(Logical::Timestamp),
        _ => None,
    };
    let mut schema = Schema {
        kind,
        optional,
        logical,
        default: None,
    };
    if let Some(default) = get("default") {
        let value = value::read_default(&schema, default, options)
            .map_err(|e| format!("Invalid default value: {e}"))?;
        if matches!(value, Val::Struct(_)) {
            // Kafka checks a default against the schema being built, whose
            // struct schema is never equal to the finished one.
            return Err("Invalid default value: Struct schemas do not match.".into());
        }
        if !matches!(value, Val::Null) {
            schema.default = Some(value);
        }
    }
    Ok(schema)
}
