//! Building blocks for ports of Kafka Connect's single message transforms
//! (SMTs): the part a `$Key` or `$Value` class works on, a key or value read
//! as Connect data (a schemaless JSON value, or a payload with its schema)
//! and written back, and Connect's `Requirements` checks with its messages.
//!
//! ```
//! use sluice_sdk::smt::{self, Data};
//! use sluice_sdk::{Part, Record, ValueKind};
//!
//! let mut record = Record::new("orders", Some(br#"{"id":7,"note":"hi"}"#));
//! record.value_kind = ValueKind::Json;
//! let data = smt::read(&record, Part::Value).unwrap();
//! let map = smt::require_map(&data.value, "field extraction").unwrap();
//! assert_eq!(map["id"], 7);
//! let mut out = record.to_out();
//! smt::write(&mut out, Part::Value, &Data::schemaless(map["note"].clone()));
//! assert_eq!(out.value.as_deref(), Some(&br#""hi""#[..]));
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::config::Config;
use crate::plugin::Part;
use crate::record::{Record, RecordOut, ValueKind};
use crate::schema::{Schema, Type};

/// The part a transform class works on: the key for a class whose name
/// ends in `$Key` (Kafka's `ExtractField$Key`), else the value. Reads the
/// `connect.class` key, which Sluice sets to the class a connector named;
/// its default (both classes) means the value.
pub fn part(config: &Config) -> Part {
    match config.get("connect.class") {
        Some(c) if !c.contains(',') && c.trim().ends_with("$Key") => Part::Key,
        _ => Part::Value,
    }
}

/// A key or value as Connect data: a schema, or none (schemaless), and the
/// value in the JSON form Kafka's `JsonConverter` writes a payload
/// (`null` for null).
#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    pub schema: Option<Arc<Schema>>,
    pub value: Value,
}

impl Data {
    /// A value without a schema.
    pub fn schemaless(value: Value) -> Self {
        Data {
            schema: None,
            value,
        }
    }

    /// A value with its schema.
    pub fn with_schema(schema: impl Into<Arc<Schema>>, value: Value) -> Self {
        Data {
            schema: Some(schema.into()),
            value,
        }
    }
}

/// `part` of `record` as Connect data. JSON is parsed; text is a string;
/// bytes with a `bytes` schema are base64, as in a payload. Raw bytes
/// without a schema are refused: no converter made them Connect data.
pub fn read(record: &Record<'_>, part: Part) -> Result<Data, String> {
    let (bytes, kind, schema, name) = match part {
        Part::Key => (record.key, record.key_kind, record.key_schema, "key"),
        Part::Value => (
            record.value,
            record.value_kind,
            record.value_schema,
            "value",
        ),
    };
    let schema = schema.cloned();
    let Some(bytes) = bytes else {
        return Ok(Data {
            schema,
            value: Value::Null,
        });
    };
    let value = match kind {
        ValueKind::Json => serde_json::from_slice(bytes)
            .map_err(|e| format!("the {name} is not valid JSON: {e}"))?,
        ValueKind::Text => Value::String(
            std::str::from_utf8(bytes)
                .map_err(|e| format!("the {name} is not UTF-8: {e}"))?
                .to_string(),
        ),
        ValueKind::Binary if schema.is_some() => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        ValueKind::Binary => {
            return Err(format!(
                "the {name} is raw bytes: set {name}.converter (json, string) so that transforms see Connect data"
            ));
        }
    };
    Ok(Data { schema, value })
}

/// Sets `part` of `out` to `data`: JSON (a payload when it has a schema),
/// or null.
pub fn write(out: &mut RecordOut<'_>, part: Part, data: &Data) {
    let bytes =
        (!data.value.is_null()).then(|| Cow::Owned(payload(data.schema.as_deref(), &data.value)));
    match part {
        Part::Key => {
            out.key = bytes;
            out.key_kind = ValueKind::Json;
            out.key_schema = data.schema.clone();
        }
        Part::Value => {
            out.value = bytes;
            out.value_kind = ValueKind::Json;
            out.value_schema = data.schema.clone();
        }
    }
}

/// `value` as JSON, the fields of structs in their schema's order (as Kafka
/// writes a struct); without a schema, as `serde_json` orders it.
pub fn payload(schema: Option<&Schema>, value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write_payload(&mut out, schema, value);
    out
}

fn write_payload(out: &mut Vec<u8>, schema: Option<&Schema>, value: &Value) {
    match (schema.map(|s| &s.ty), value) {
        (Some(Type::Struct(fields)), Value::Object(map)) => {
            out.push(b'{');
            let mut first = true;
            for f in fields {
                if !std::mem::take(&mut first) {
                    out.push(b',');
                }
                // Serialising a string into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *out, &f.name);
                out.push(b':');
                write_payload(
                    out,
                    Some(&f.schema),
                    map.get(&f.name).unwrap_or(&Value::Null),
                );
            }
            out.push(b'}');
        }
        (Some(Type::Array(items)), Value::Array(list)) => {
            out.push(b'[');
            for (i, v) in list.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_payload(out, Some(items), v);
            }
            out.push(b']');
        }
        (Some(Type::Map(_, values)), Value::Object(map)) => {
            out.push(b'{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = serde_json::to_writer(&mut *out, k);
                out.push(b':');
                write_payload(out, Some(values), v);
            }
            out.push(b'}');
        }
        _ => {
            // Serialising a serde_json value into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, value);
        }
    }
}

/// The name of the Java class Kafka's JsonConverter would have made of a
/// schemaless `value`, for messages in Connect's words.
pub fn java_class(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Number(n) if n.is_f64() => "java.lang.Double",
        Value::Number(_) => "java.lang.Long",
        Value::String(_) => "java.lang.String",
        Value::Array(_) => "java.util.ArrayList",
        Value::Object(_) => "java.util.HashMap",
    }
}

/// Connect's `requireMap`: a schemaless value must be a map.
pub fn require_map<'v>(value: &'v Value, purpose: &str) -> Result<&'v Map<String, Value>, String> {
    value.as_object().ok_or_else(|| {
        format!(
            "Only Map objects supported in absence of schema for [{purpose}], found: {}",
            java_class(value)
        )
    })
}

/// Connect's `requireStruct`: a schema'd value must be a struct. Gives the
/// schema and the fields.
pub fn require_struct<'d>(
    data: &'d Data,
    purpose: &str,
) -> Result<(&'d Arc<Schema>, &'d Map<String, Value>), String> {
    let found =
        |what: &str| format!("Only Struct objects supported for [{purpose}], found: {what}");
    let schema = data
        .schema
        .as_ref()
        .ok_or_else(|| found(java_class(&data.value)))?;
    match (&schema.ty, &data.value) {
        (Type::Struct(_), Value::Object(map)) => Ok((schema, map)),
        (_, Value::Null) => Err(found("null")),
        (ty, _) => Err(found(java_name(ty))),
    }
}

/// Connect's `requireSchema`.
pub fn require_schema<'d>(data: &'d Data, purpose: &str) -> Result<&'d Arc<Schema>, String> {
    data.schema
        .as_ref()
        .ok_or_else(|| format!("Schema required for [{purpose}]"))
}

/// The Java class of a schema'd value of type `ty`.
fn java_name(ty: &Type) -> &'static str {
    match ty {
        Type::Int8 => "java.lang.Byte",
        Type::Int16 => "java.lang.Short",
        Type::Int32 => "java.lang.Integer",
        Type::Int64 => "java.lang.Long",
        Type::Float32 => "java.lang.Float",
        Type::Float64 => "java.lang.Double",
        Type::Boolean => "java.lang.Boolean",
        Type::String => "java.lang.String",
        Type::Bytes => "[B",
        Type::Array(_) => "java.util.ArrayList",
        Type::Map(..) => "java.util.HashMap",
        Type::Struct(_) => "org.apache.kafka.connect.data.Struct",
    }
}

/// A struct field's value as Connect's `Struct.get` gives it: a null field
/// takes its schema's default when `use_default` (Connect's
/// `replace.null.with.default`, true by default), as `getWithoutDefault`
/// does not.
pub fn field_value(
    schema: &Schema,
    fields: &Map<String, Value>,
    name: &str,
    use_default: bool,
) -> Value {
    let v = fields.get(name).cloned().unwrap_or(Value::Null);
    if v.is_null()
        && use_default
        && let Some(d) = schema.field(name).and_then(|f| f.schema.default.clone())
    {
        return d;
    }
    v
}

/// Connect's `SchemaUtil.copySchemaBasics` onto a struct: name, version,
/// doc and parameters of `schema`, with `fields`; required, no default.
pub fn struct_like(schema: &Schema, fields: Vec<crate::schema::Field>) -> Schema {
    let mut s = Schema::structure(fields);
    s.name = schema.name.clone();
    s.version = schema.version;
    s.doc = schema.doc.clone();
    s.parameters = schema.parameters.clone();
    s
}

/// The `replace.null.with.default` key of Kafka's field SMTs.
pub const REPLACE_NULL_WITH_DEFAULT: crate::config::ConfigKey = crate::config::ConfigKey::optional(
    "replace.null.with.default",
    crate::config::ConfigType::Boolean,
    Some("true"),
    "A null struct field with a default gives the default",
);

/// A list key that must name at least one item, as Kafka's
/// `NonEmptyListValidator` wants it.
pub fn non_empty_list(config: &Config, key: &str) -> Result<Vec<String>, String> {
    let items: Vec<String> = config.get_list(key).into_iter().map(String::from).collect();
    if items.is_empty() {
        return Err(format!(
            "Invalid value [] for configuration {key}: empty list is not allowed."
        ));
    }
    Ok(items)
}

/// Emits `record` with `part` replaced by `data`; the other parts stay
/// borrowed from the input (not copied out of the plugin).
pub fn emit_with(
    out: &mut crate::plugin::Emitter<'_>,
    record: &Record<'_>,
    part: Part,
    data: &Data,
) {
    let mut changed = record.to_out();
    write(&mut changed, part, data);
    out.emit(&changed);
}

/// A field path as Connect's `SingleFieldPath` reads it: with
/// `field.syntax.version` V1 the whole text names one top-level field; with
/// V2 dots step into nested structs and maps, and a step in backticks may
/// hold dots (`` `a.b`.c ``, a backtick followed by a dot escaped with a
/// backslash).
pub fn field_path(text: &str, v2: bool) -> Result<Vec<String>, String> {
    if !v2 {
        return Ok(vec![text.to_string()]);
    }
    let incomplete = |at: usize| {
        format!(
            "Incomplete backtick pair in path: [{text}], consider adding a backslash before backtick at position {at} to escape it"
        )
    };
    let b = text.as_bytes();
    let mut steps = Vec::new();
    let mut idx = 0;
    while idx < b.len() {
        if b[idx] != b'`' {
            match text[idx..].find('.') {
                Some(dot) => {
                    steps.push(text[idx..idx + dot].to_string());
                    idx += dot + 1;
                }
                None => {
                    steps.push(text[idx..].to_string());
                    idx = b.len();
                }
            }
            continue;
        }
        let backtick_at = idx;
        idx += 1;
        let mut field = String::new();
        let mut start = idx;
        loop {
            let Some(found) = text[idx..].find('`') else {
                return Err(incomplete(backtick_at));
            };
            idx += found;
            let escaped = b[idx - 1] == b'\\';
            if idx >= b.len() - 1 {
                if escaped {
                    return Err(incomplete(backtick_at));
                }
                field.push_str(&text[start..idx]);
                steps.push(std::mem::take(&mut field));
                idx += 1;
                break;
            }
            if b[idx + 1] != b'.' {
                idx += 1;
                continue;
            }
            if escaped {
                field.push_str(&text[start..idx - 1]);
                field.push('`');
                idx += 1;
                start = idx;
                continue;
            }
            field.push_str(&text[start..idx]);
            steps.push(std::mem::take(&mut field));
            idx += 2;
            break;
        }
    }
    if text.ends_with('.') {
        steps.push(String::new());
    }
    Ok(steps)
}

/// The `field.syntax.version` key every field-path SMT takes.
pub const FIELD_SYNTAX_VERSION: crate::config::ConfigKey = crate::config::ConfigKey::optional(
    "field.syntax.version",
    crate::config::ConfigType::String,
    Some("V1"),
    "V1: field names are top-level names; V2: dots step into nested structs and maps (backticks quote a name with dots)",
);

/// Reads `field.syntax.version` (V1 or V2, any case): true for V2.
pub fn syntax_v2(config: &Config) -> Result<bool, String> {
    match config.get("field.syntax.version").unwrap_or("V1").trim() {
        v if v.eq_ignore_ascii_case("v1") => Ok(false),
        v if v.eq_ignore_ascii_case("v2") => Ok(true),
        v => Err(format!(
            "Invalid value {v} for configuration field.syntax.version: String must be one of (case insensitive): V1, V2"
        )),
    }
}

/// The value at `path` in a schemaless map; `null` when a step is missing
/// or not a map.
pub fn path_value<'v>(map: &'v Map<String, Value>, path: &[String]) -> &'v Value {
    let mut current = map;
    for (i, step) in path.iter().enumerate() {
        let Some(v) = current.get(step) else {
            return &Value::Null;
        };
        if i + 1 == path.len() {
            return v;
        }
        match v {
            Value::Object(m) => current = m,
            _ => return &Value::Null,
        }
    }
    &Value::Null
}

/// The schema of the field at `path` in a struct schema; `None` when a step
/// is missing or not a struct.
pub fn path_field<'s>(schema: &'s Schema, path: &[String]) -> Option<&'s crate::schema::Field> {
    let mut current = schema;
    let mut found = None;
    for step in path {
        let f = current.field(step)?;
        current = &f.schema;
        found = Some(f);
    }
    found
}

/// The value at `path` in a struct, defaults applied to a null last step
/// when `use_default`; `null` where a step is null.
pub fn path_struct_value(
    schema: &Schema,
    map: &Map<String, Value>,
    path: &[String],
    use_default: bool,
) -> Value {
    let (mut s, mut m) = (schema, map);
    for (i, step) in path.iter().enumerate() {
        let Some(f) = s.field(step) else {
            return Value::Null;
        };
        if i + 1 == path.len() {
            return field_value(s, m, step, use_default);
        }
        match m.get(step) {
            Some(Value::Object(next)) => {
                s = &f.schema;
                m = next;
            }
            _ => return Value::Null,
        }
    }
    Value::Null
}

/// The schemas a transform derived from the schemas it met, as Kafka's
/// SMTs keep them (an LRU of 16): a batch repeats its schemas, so each is
/// derived once.
#[derive(Debug, Default)]
pub struct SchemaCache {
    entries: Vec<(Arc<Schema>, Arc<Schema>)>,
}

impl SchemaCache {
    const SIZE: usize = 16;

    /// The schema derived from `schema`, made by `make` the first time.
    pub fn get_or_make(
        &mut self,
        schema: &Arc<Schema>,
        make: impl FnOnce(&Schema) -> Result<Schema, String>,
    ) -> Result<Arc<Schema>, String> {
        if let Some(i) = self
            .entries
            .iter()
            .position(|(s, _)| Arc::ptr_eq(s, schema) || **s == **schema)
        {
            let hit = self.entries.remove(i);
            let derived = hit.1.clone();
            self.entries.push(hit);
            return Ok(derived);
        }
        let derived = Arc::new(make(schema)?);
        if self.entries.len() == Self::SIZE {
            self.entries.remove(0);
        }
        self.entries.push((schema.clone(), derived.clone()));
        Ok(derived)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Field;

    #[test]
    fn the_part_follows_the_class_named() {
        use crate::config::{ConfigKey, PluginInfo};
        const INFO: PluginInfo = PluginInfo {
            name: "t",
            version: "1",
            description: "",
            config: &[ConfigKey::connect_classes("a.B$Key,a.B$Value")],
        };
        let config = |v: Option<&str>| {
            let entries = v
                .map(|v| vec![("connect.class".to_string(), v.to_string())])
                .unwrap_or_default();
            Config::new(INFO, entries).unwrap()
        };
        assert_eq!(part(&config(None)), Part::Value);
        assert_eq!(part(&config(Some("a.B$Key"))), Part::Key);
        assert_eq!(part(&config(Some("a.B$Value"))), Part::Value);
    }

    #[test]
    fn a_payload_keeps_the_schemas_field_order() {
        let schema = Schema::structure([
            Field::new("z", Schema::int32()),
            Field::new(
                "a",
                Schema::structure([
                    Field::new("y", Schema::string()),
                    Field::new("b", Schema::boolean()),
                ]),
            ),
        ]);
        let value = serde_json::json!({"a": {"b": true, "y": "s"}, "z": 1});
        assert_eq!(
            payload(Some(&schema), &value),
            br#"{"z":1,"a":{"y":"s","b":true}}"#
        );
    }

    #[test]
    fn requirements_speak_connects_words() {
        let e = require_map(&Value::String("x".into()), "field extraction").unwrap_err();
        assert_eq!(
            e,
            "Only Map objects supported in absence of schema for [field extraction], found: java.lang.String"
        );
        let e = require_struct(&Data::with_schema(Schema::int32(), 1.into()), "p").unwrap_err();
        assert!(e.ends_with("found: java.lang.Integer"), "{e}");
        assert!(require_schema(&Data::schemaless(Value::Null), "p").is_err());
    }

    #[test]
    fn field_paths_read_as_connect_reads_them() {
        let p = |t: &str| field_path(t, true).unwrap();
        assert_eq!(p("a.b"), ["a", "b"]);
        assert_eq!(p("`a.b`.c"), ["a.b", "c"]);
        assert_eq!(p("a."), ["a", ""]);
        assert_eq!(p("`a\\`.b`"), ["a`.b"]);
        assert_eq!(field_path("a.b", false).unwrap(), ["a.b"]);
        assert!(field_path("`a.b", true).is_err());
    }

    #[test]
    fn a_null_field_takes_its_default_unless_told_not_to() {
        let schema = Schema::structure([Field::new(
            "n",
            Schema::int32().optional().with_default(5.into()),
        )]);
        let fields = serde_json::json!({"n": null});
        let fields = fields.as_object().unwrap();
        assert_eq!(field_value(&schema, fields, "n", true), 5);
        assert_eq!(field_value(&schema, fields, "n", false), Value::Null);
    }
}
