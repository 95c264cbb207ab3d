//! Kafka Connect's schema model (`org.apache.kafka.connect.data.Schema`) in
//! the JSON form Kafka's `JsonConverter` writes under `"schema"`: what the
//! contract's schema tables hold. [`Schema::parse`] reads that form,
//! [`Schema::to_json`] writes it with Kafka's field order, and the
//! constructors build one the way Connect's `SchemaBuilder` does:
//!
//! ```
//! use sluice_contract::schema::{Field, Schema};
//!
//! let order = Schema::structure([
//!     Field::new("id", Schema::int64()),
//!     Field::new("note", Schema::string().optional()),
//! ])
//! .named("shop.Order");
//! let text = order.to_json();
//! assert_eq!(
//!     text,
//!     r#"{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":true,"field":"note"}],"optional":false,"name":"shop.Order"}"#
//! );
//! assert_eq!(Schema::parse(&text).unwrap(), order);
//! ```

use serde_json::Value;

/// `Decimal`'s logical type name; its `scale` is a parameter.
pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
/// `Date`'s logical type name (an int32 of days since the epoch).
pub const DATE: &str = "org.apache.kafka.connect.data.Date";
/// `Time`'s logical type name (an int32 of milliseconds since midnight).
pub const TIME: &str = "org.apache.kafka.connect.data.Time";
/// `Timestamp`'s logical type name (an int64 of milliseconds since the epoch).
pub const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";

/// A Connect schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    pub ty: Type,
    pub optional: bool,
    /// The default value, in the JSON form of a payload.
    pub default: Option<Value>,
    /// A name; Connect's logical types are names ([`DECIMAL`], …).
    pub name: Option<String>,
    pub version: Option<i32>,
    pub doc: Option<String>,
    /// Parameters in their order (a Decimal's `scale`, Avro's extras).
    pub parameters: Option<Vec<(String, String)>>,
}

/// A schema's type.
#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array(Box<Schema>),
    Map(Box<Schema>, Box<Schema>),
    Struct(Vec<Field>),
}

impl Type {
    /// Connect's name of the type, as `Schema.Type` spells it (`INT8`,
    /// `STRUCT`): what Connect's error messages say.
    pub fn connect_name(&self) -> &'static str {
        match self {
            Type::Int8 => "INT8",
            Type::Int16 => "INT16",
            Type::Int32 => "INT32",
            Type::Int64 => "INT64",
            Type::Float32 => "FLOAT32",
            Type::Float64 => "FLOAT64",
            Type::Boolean => "BOOLEAN",
            Type::String => "STRING",
            Type::Bytes => "BYTES",
            Type::Array(_) => "ARRAY",
            Type::Map(..) => "MAP",
            Type::Struct(_) => "STRUCT",
        }
    }
}

/// One field of a struct.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: String,
    pub schema: Schema,
}

impl Field {
    /// A field called `name` of `schema`.
    pub fn new(name: impl Into<String>, schema: Schema) -> Self {
        Field {
            name: name.into(),
            schema,
        }
    }
}

impl Type {
    /// The type's name in the JSON form (`int32`, `float`, `struct`, …).
    pub fn json_name(&self) -> &'static str {
        match self {
            Type::Int8 => "int8",
            Type::Int16 => "int16",
            Type::Int32 => "int32",
            Type::Int64 => "int64",
            Type::Float32 => "float",
            Type::Float64 => "double",
            Type::Boolean => "boolean",
            Type::String => "string",
            Type::Bytes => "bytes",
            Type::Array(_) => "array",
            Type::Map(..) => "map",
            Type::Struct(_) => "struct",
        }
    }
}

impl Schema {
    /// A required schema of `ty`, with nothing else set.
    pub fn of(ty: Type) -> Self {
        Schema {
            ty,
            optional: false,
            default: None,
            name: None,
            version: None,
            doc: None,
            parameters: None,
        }
    }

    /// An `int8`.
    pub fn int8() -> Self {
        Self::of(Type::Int8)
    }
    /// An `int16`.
    pub fn int16() -> Self {
        Self::of(Type::Int16)
    }
    /// An `int32`.
    pub fn int32() -> Self {
        Self::of(Type::Int32)
    }
    /// An `int64`.
    pub fn int64() -> Self {
        Self::of(Type::Int64)
    }
    /// A `float` (32 bits).
    pub fn float32() -> Self {
        Self::of(Type::Float32)
    }
    /// A `double` (64 bits).
    pub fn float64() -> Self {
        Self::of(Type::Float64)
    }
    /// A `boolean`.
    pub fn boolean() -> Self {
        Self::of(Type::Boolean)
    }
    /// A `string`.
    pub fn string() -> Self {
        Self::of(Type::String)
    }
    /// A `bytes`.
    pub fn bytes() -> Self {
        Self::of(Type::Bytes)
    }
    /// An array of `items`.
    pub fn array(items: Schema) -> Self {
        Self::of(Type::Array(Box::new(items)))
    }
    /// A map from `keys` to `values`.
    pub fn map(keys: Schema, values: Schema) -> Self {
        Self::of(Type::Map(Box::new(keys), Box::new(values)))
    }
    /// A struct of `fields`, in order.
    pub fn structure(fields: impl IntoIterator<Item = Field>) -> Self {
        Self::of(Type::Struct(fields.into_iter().collect()))
    }
    /// Connect's `Decimal` logical type with `scale`.
    pub fn decimal(scale: i32) -> Self {
        Self::bytes()
            .named(DECIMAL)
            .with_version(1)
            .with_parameter("scale", scale.to_string())
    }
    /// Connect's `Date` logical type.
    pub fn date() -> Self {
        Self::int32().named(DATE).with_version(1)
    }
    /// Connect's `Time` logical type.
    pub fn time() -> Self {
        Self::int32().named(TIME).with_version(1)
    }
    /// Connect's `Timestamp` logical type.
    pub fn timestamp() -> Self {
        Self::int64().named(TIMESTAMP).with_version(1)
    }

    /// The same schema, optional.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    /// The same schema with a name.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// The same schema with a version.
    pub fn with_version(mut self, version: i32) -> Self {
        self.version = Some(version);
        self
    }
    /// The same schema with documentation.
    pub fn with_doc(mut self, doc: impl Into<String>) -> Self {
        self.doc = Some(doc.into());
        self
    }
    /// The same schema with a default value (in a payload's JSON form).
    pub fn with_default(mut self, default: Value) -> Self {
        self.default = Some(default);
        self
    }
    /// The same schema with one more parameter.
    pub fn with_parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters
            .get_or_insert_with(Vec::new)
            .push((key.into(), value.into()));
        self
    }

    /// A struct's fields; empty for other types.
    pub fn fields(&self) -> &[Field] {
        match &self.ty {
            Type::Struct(f) => f,
            _ => &[],
        }
    }

    /// A struct's field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields().iter().find(|f| f.name == name)
    }

    /// A parameter's value.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters
            .as_deref()?
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Reads a schema in `JsonConverter`'s JSON form, as Kafka's
    /// `asConnectSchema` reads it: `optional` true only when it is `true`,
    /// `name`, `doc`, `version` and `parameters` ignored when not of their
    /// type.
    /// Parameters come out in key order.
    pub fn parse(text: &str) -> Result<Schema, SchemaError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| SchemaError(format!("the schema is not JSON: {e}")))?;
        Self::from_json(&v)
    }

    /// Reads a schema from its JSON form, already parsed.
    pub fn from_json(v: &Value) -> Result<Schema, SchemaError> {
        read(v, &mut Vec::new())
    }

    /// The schema in `JsonConverter`'s JSON form, fields in Kafka's order
    /// (`type`, `items`/`keys`/`values`/`fields`, `optional`, `name`,
    /// `version`, `doc`, `parameters`, `default`; a field's name last).
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(64);
        write(self, None, &mut out);
        out
    }
}

/// A schema the contract cannot carry, with the path to the bad part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaError(pub String);

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SchemaError {}

/// The deepest nesting read: a bound, so a hostile schema cannot exhaust
/// the stack.
const MAX_DEPTH: usize = 64;

fn read(v: &Value, path: &mut Vec<String>) -> Result<Schema, SchemaError> {
    let at = |path: &[String], m: &str| {
        SchemaError(if path.is_empty() {
            m.to_string()
        } else {
            format!("{}: {m}", path.join("."))
        })
    };
    if path.len() > MAX_DEPTH {
        return Err(at(path, "nested deeper than 64 levels"));
    }
    let o = v
        .as_object()
        .ok_or_else(|| at(path, "a schema is a JSON object"))?;
    let ty = o
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| at(path, "the schema has no \"type\""))?;
    let child = |key: &str, path: &mut Vec<String>| -> Result<Box<Schema>, SchemaError> {
        let v = o
            .get(key)
            .ok_or_else(|| at(path, &format!("a {ty} schema needs \"{key}\"")))?;
        path.push(key.to_string());
        let s = read(v, path)?;
        path.pop();
        Ok(Box::new(s))
    };
    let ty = match ty {
        "int8" => Type::Int8,
        "int16" => Type::Int16,
        "int32" => Type::Int32,
        "int64" => Type::Int64,
        "float" => Type::Float32,
        "double" => Type::Float64,
        "boolean" => Type::Boolean,
        "string" => Type::String,
        "bytes" => Type::Bytes,
        "array" => Type::Array(child("items", path)?),
        "map" => {
            let keys = child("keys", path)?;
            Type::Map(keys, child("values", path)?)
        }
        "struct" => {
            let list = o
                .get("fields")
                .and_then(Value::as_array)
                .ok_or_else(|| at(path, "a struct schema needs a \"fields\" array"))?;
            let mut fields: Vec<Field> = Vec::with_capacity(list.len());
            // A set, not a scan of the fields so far: a schema is input (a
            // record's envelope, a plugin's reply) and may have many.
            let mut names = std::collections::HashSet::with_capacity(list.len());
            for f in list {
                let name = f
                    .get("field")
                    .and_then(Value::as_str)
                    .ok_or_else(|| at(path, "a struct field has no \"field\" name"))?;
                if !names.insert(name) {
                    return Err(at(path, &format!("two fields are called {name:?}")));
                }
                path.push(name.to_string());
                let schema = read(f, path)?;
                path.pop();
                fields.push(Field::new(name, schema));
            }
            Type::Struct(fields)
        }
        other => return Err(at(path, &format!("unknown schema type {other:?}"))),
    };
    let text = |key: &str| o.get(key).and_then(Value::as_str).map(str::to_string);
    let version = o
        .get("version")
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok());
    let parameters = match o.get("parameters") {
        Some(Value::Object(m)) => Some(
            m.iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(at(path, "parameters have string values")),
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        // Kafka ignores parameters that are not an object.
        _ => None,
    };
    Ok(Schema {
        ty,
        optional: o.get("optional") == Some(&Value::Bool(true)),
        default: o.get("default").filter(|d| !d.is_null()).cloned(),
        name: text("name"),
        version,
        doc: text("doc"),
        parameters,
    })
}

fn write_str(s: &str, out: &mut String) {
    // A String always serialises.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

fn write(s: &Schema, field: Option<&str>, out: &mut String) {
    out.push_str("{\"type\":");
    write_str(s.ty.json_name(), out);
    match &s.ty {
        Type::Array(items) => {
            out.push_str(",\"items\":");
            write(items, None, out);
        }
        Type::Map(k, v) => {
            out.push_str(",\"keys\":");
            write(k, None, out);
            out.push_str(",\"values\":");
            write(v, None, out);
        }
        Type::Struct(fields) => {
            out.push_str(",\"fields\":[");
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(&f.schema, Some(&f.name), out);
            }
            out.push(']');
        }
        _ => {}
    }
    out.push_str(if s.optional {
        ",\"optional\":true"
    } else {
        ",\"optional\":false"
    });
    if let Some(n) = &s.name {
        out.push_str(",\"name\":");
        write_str(n, out);
    }
    if let Some(v) = s.version {
        out.push_str(&format!(",\"version\":{v}"));
    }
    if let Some(d) = &s.doc {
        out.push_str(",\"doc\":");
        write_str(d, out);
    }
    if let Some(p) = &s.parameters {
        out.push_str(",\"parameters\":{");
        for (i, (k, v)) in p.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(k, out);
            out.push(':');
            write_str(v, out);
        }
        out.push('}');
    }
    if let Some(d) = &s.default {
        out.push_str(",\"default\":");
        out.push_str(&d.to_string());
    }
    if let Some(f) = field {
        out.push_str(",\"field\":");
        write_str(f, out);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_struct_names_each_field_once_however_many_it_has() {
        let fields = |names: &mut dyn Iterator<Item = String>| {
            let list: Vec<String> = names
                .map(|n| format!(r#"{{"type":"int32","optional":false,"field":"{n}"}}"#))
                .collect();
            format!(
                r#"{{"type":"struct","optional":false,"fields":[{}]}}"#,
                list.join(",")
            )
        };
        let many = Schema::parse(&fields(&mut (0..100_000).map(|i| format!("f{i}")))).unwrap();
        assert!(many.field("f99999").is_some());
        let twice = Schema::parse(&fields(&mut ["a", "b", "a"].iter().map(|n| n.to_string())))
            .unwrap_err()
            .to_string();
        assert!(twice.contains(r#"two fields are called "a""#), "{twice}");
    }

    #[test]
    fn kafkas_own_schema_json_reads_and_writes_back_byte_for_byte() {
        // Written by Kafka 4.1.1's JsonConverter (tests/kafka-oracle) for a
        // struct with every type, a Decimal and a default.
        let text = r#"{"type":"struct","fields":[{"type":"int8","optional":false,"field":"a"},{"type":"int16","optional":true,"field":"b"},{"type":"float","optional":false,"field":"f"},{"type":"double","optional":false,"field":"d"},{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"price"},{"type":"array","items":{"type":"string","optional":false},"optional":false,"field":"tags"},{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int64","optional":true},"optional":true,"field":"m"},{"type":"boolean","optional":true,"default":true,"field":"ok"}],"optional":false,"name":"x.Y","version":3,"doc":"a doc"}"#;
        let s = Schema::parse(text).unwrap();
        assert_eq!(s.to_json(), text);
        assert_eq!(s.field("price").unwrap().schema, Schema::decimal(2));
        assert_eq!(
            s.field("price").unwrap().schema.parameter("scale"),
            Some("2")
        );
        assert_eq!(s.fields().len(), 8);
    }

    #[test]
    fn bad_schemas_say_where() {
        let e = Schema::parse(r#"{"type":"struct","fields":[{"type":"nope","field":"a"}]}"#)
            .unwrap_err();
        assert_eq!(e.0, "a: unknown schema type \"nope\"");
        assert!(Schema::parse("[]").unwrap_err().0.contains("JSON object"));
        assert!(
            Schema::parse(r#"{"type":"array"}"#)
                .unwrap_err()
                .0
                .contains("needs \"items\"")
        );
        let deep = format!(
            "{}{{\"type\":\"int8\"}}{}",
            r#"{"type":"array","items":"#.repeat(100),
            "}".repeat(100)
        );
        assert!(Schema::parse(&deep).unwrap_err().0.contains("deeper"));
    }
}
