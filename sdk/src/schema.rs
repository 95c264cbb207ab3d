//! Schemas of Kafka Connect's data model, and struct values read and built
//! with them.
//!
//! A schema'd value (contract 0.2) is JSON in the form Kafka's
//! `JsonConverter` writes a payload, with its [`Schema`] beside it. A
//! [`Struct`] pairs the two: fields read by name and type, changed, and
//! written back in schema order. A [`StructBuilder`] makes a new schema and
//! value together:
//!
//! ```
//! use sluice_sdk::schema::{Schema, StructBuilder};
//!
//! let value = StructBuilder::new("shop.Order")
//!     .field("id", Schema::int64(), 7.into())
//!     .field("note", Schema::string().optional(), serde_json::Value::Null)
//!     .build();
//! assert_eq!(value.to_json(), br#"{"id":7,"note":null}"#);
//! assert_eq!(value.get_i64("id"), Ok(7));
//! assert!(value.get("price").unwrap_err().contains("no field \"price\""));
//! ```

use std::sync::Arc;

use serde_json::{Map, Value};
pub use sluice_contract::schema::{
    DATE, DECIMAL, Field, Schema, SchemaError, TIME, TIMESTAMP, Type,
};

/// The JSON text of `schema` (`JsonConverter`'s form): remembered for
/// schemas that came in a batch, written once for others.
pub fn text(schema: &Arc<Schema>) -> Arc<str> {
    crate::flat::text_of(schema)
}

/// A struct value with its schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Struct {
    schema: Arc<Schema>,
    fields: Map<String, Value>,
}

impl Struct {
    /// Reads a struct payload (JSON) against its schema.
    pub fn read(schema: Arc<Schema>, json: &[u8]) -> Result<Self, String> {
        if !matches!(schema.ty, Type::Struct(_)) {
            return Err(format!(
                "the value's schema is {}, not a struct",
                schema.ty.json_name()
            ));
        }
        let value: Value =
            serde_json::from_slice(json).map_err(|e| format!("value is not valid JSON: {e}"))?;
        match value {
            Value::Object(fields) => Ok(Struct { schema, fields }),
            other => Err(format!(
                "a struct value is a JSON object, not {}",
                json_type(&other)
            )),
        }
    }

    /// The schema.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// A field's value (JSON `null` when absent from the payload); an error
    /// when the schema has no such field.
    pub fn get(&self, name: &str) -> Result<&Value, String> {
        if self.schema.field(name).is_none() {
            return Err(format!("the schema has no field {name:?}"));
        }
        Ok(self.fields.get(name).unwrap_or(&Value::Null))
    }

    /// An integer field (int8 … int64, Date, Time, Timestamp).
    pub fn get_i64(&self, name: &str) -> Result<i64, String> {
        self.get(name)?
            .as_i64()
            .ok_or_else(|| format!("field {name:?} is not an integer"))
    }

    /// A floating-point field.
    pub fn get_f64(&self, name: &str) -> Result<f64, String> {
        self.get(name)?
            .as_f64()
            .ok_or_else(|| format!("field {name:?} is not a number"))
    }

    /// A string field.
    pub fn get_str(&self, name: &str) -> Result<&str, String> {
        self.get(name)?
            .as_str()
            .ok_or_else(|| format!("field {name:?} is not a string"))
    }

    /// A boolean field.
    pub fn get_bool(&self, name: &str) -> Result<bool, String> {
        self.get(name)?
            .as_bool()
            .ok_or_else(|| format!("field {name:?} is not a boolean"))
    }

    /// Sets a field the schema has.
    pub fn put(&mut self, name: &str, value: Value) -> Result<(), String> {
        if self.schema.field(name).is_none() {
            return Err(format!("the schema has no field {name:?}"));
        }
        self.fields.insert(name.to_string(), value);
        Ok(())
    }

    /// The payload as JSON, fields in schema order (as Kafka writes them).
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.push(b'{');
        for (i, f) in self.schema.fields().iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // Serialising strings and serde_json values into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut out, &f.name);
            out.push(b':');
            let _ =
                serde_json::to_writer(&mut out, self.fields.get(&f.name).unwrap_or(&Value::Null));
        }
        out.push(b'}');
        out
    }
}

/// Builds a struct schema and a value of it together.
#[derive(Debug)]
pub struct StructBuilder {
    name: Option<String>,
    fields: Vec<Field>,
    values: Map<String, Value>,
}

impl StructBuilder {
    /// A struct named `name` (empty: unnamed).
    pub fn new(name: &str) -> Self {
        StructBuilder {
            name: (!name.is_empty()).then(|| name.to_string()),
            fields: Vec::new(),
            values: Map::new(),
        }
    }

    /// Adds a field with its schema and value.
    pub fn field(mut self, name: &str, schema: Schema, value: Value) -> Self {
        self.fields.push(Field::new(name, schema));
        self.values.insert(name.to_string(), value);
        self
    }

    /// The finished struct.
    pub fn build(self) -> Struct {
        let mut schema = Schema::structure(self.fields);
        schema.name = self.name;
        Struct {
            schema: Arc::new(schema),
            fields: self.values,
        }
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
