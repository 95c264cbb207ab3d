//! Kafka Connect schemas as Confluent's `AvroData.fromConnectSchema` makes
//! them Avro schemas, written as Java's `Schema.toString()` writes them.
//! Shared by the formats that store Connect data as Avro (`AvroFormat`) or
//! derive their schema from Avro (`ParquetFormat`, through parquet-avro).
//!
//! ```
//! use sluice_sdk::avro_data::FromConnect;
//! use sluice_sdk::schema::{Field, Schema};
//!
//! let s = Schema::structure([Field::new("id", Schema::int64())]).named("shop.Order");
//! let avro = FromConnect::new(true, true).schema(&s).unwrap();
//! assert_eq!(
//!     avro.to_json(),
//!     r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"}],"connect.name":"shop.Order"}"#
//! );
//! ```

use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::Value as Json;

use std::sync::Arc;

use crate::Record;
use crate::schema::{DATE, DECIMAL, Schema, TIME, TIMESTAMP, Type};

/// The schema name of Connect structs that stand for Avro unions.
pub const UNION: &str = "io.confluent.connect.avro.Union";
/// The parameter that marks a Connect string as an Avro enum (and, with a
/// `.<symbol>` suffix, lists its symbols).
pub const ENUM: &str = "io.confluent.connect.avro.Enum";
const RECORD_DOC: &str = "io.confluent.connect.avro.record.doc";
const FIELD_DOC: &str = "io.confluent.connect.avro.field.doc.";
const FIELD_DEFAULT: &str = "io.confluent.connect.avro.field.default";
const ENUM_DOC: &str = "io.confluent.connect.avro.enum.doc.";
const ENUM_DEFAULT: &str = "io.confluent.connect.avro.enum.default.";
/// The parameter that marks a Connect struct as a general union.
pub const GENERAL_UNION: &str = "org.apache.kafka.connect.data.Union";
/// The namespace of the names `AvroData` makes up.
pub const DEFAULT_NAMESPACE: &str = "io.confluent.connect.avro";
/// The parameter that makes a named bytes schema an Avro `fixed`.
pub const FIXED_SIZE: &str = "connect.fixed.size";
/// The parameter that carries a Decimal's precision.
pub const PRECISION: &str = "connect.decimal.precision";
/// How deep schemas and values may nest.
pub const MAX_DEPTH: usize = 64;

/// An Avro type as Confluent's `AvroData` makes it, with its properties in
/// Java's order.
#[derive(Clone, Debug)]
pub enum AvroType {
    /// `"null"`, a branch of the unions optional schemas become.
    Null,
    /// `int`, `long`, `float`, `double`, `boolean`, `string` or `bytes`,
    /// with its properties (`logicalType`, `connect.*`, …).
    Primitive(&'static str, Props),
    /// A record: a Connect struct.
    Record {
        /// The full name (`com.acme.Order`, `io.confluent.connect.avro.ConnectDefault`).
        name: String,
        /// The record's doc.
        doc: Option<String>,
        /// The fields, in the struct's order.
        fields: Vec<AvroField>,
        /// The record's properties.
        props: Props,
    },
    /// An enum: a Connect string marked `io.confluent.connect.avro.Enum`.
    Enum {
        /// The full name.
        name: String,
        /// The enum's doc.
        doc: Option<String>,
        /// The symbols, in order.
        symbols: Vec<String>,
        /// The default symbol.
        default: Option<String>,
        /// The enum's properties.
        props: Props,
    },
    /// A fixed: a named Connect bytes schema with `connect.fixed.size`.
    Fixed {
        /// The full name.
        name: String,
        /// The size in bytes.
        size: usize,
        /// The fixed's properties.
        props: Props,
    },
    /// An array of its items' type; also a Connect map whose keys are not
    /// required strings, as an array of `MapEntry` records.
    Array(Box<AvroType>, Props),
    /// A map with string keys, of its values' type.
    Map(Box<AvroType>, Props),
    /// A union of its branches, in order.
    Union(Vec<AvroType>),
}

/// Properties of an Avro type, in the order Java writes them.
pub type Props = Vec<(String, Json)>;

/// A field of a record.
#[derive(Clone, Debug)]
pub struct AvroField {
    /// The field's name, the Connect field's.
    pub name: String,
    /// The field's type.
    pub ty: AvroType,
    /// The field's doc (`io.confluent.connect.avro.field.doc.<name>`).
    pub doc: Option<String>,
    /// The field's default, in the JSON form Avro schemas use.
    pub default: Option<Json>,
}

/// Java's `JsonProperties`: `"name":value` pairs after the type's own keys.
fn write_props(out: &mut String, props: &Props) {
    for (k, v) in props {
        let _ = write!(out, ",{}:{v}", Json::String(k.clone()));
    }
}

fn split(full: &str) -> (Option<&str>, &str) {
    match full.rsplit_once('.') {
        Some((ns, n)) => (Some(ns), n),
        None => (None, full),
    }
}

/// The named types written so far, and how a reference to a name in no
/// namespace is written.
#[derive(Default)]
struct Written {
    names: Vec<String>,
    /// `.Name` rather than Java's `Name`, for parsers that follow the Avro
    /// specification (see [`AvroType::to_parsable_json`]).
    dot_global: bool,
}

/// Opens named type `full` of `kind` (`{"type":…,"name":…,"namespace":…,"doc":…`),
/// or, when it was written before, writes a reference to it and returns
/// false: Java writes a named type once, then refers to it by name (the
/// full name only where the namespace differs).
fn open_named(
    out: &mut String,
    kind: &str,
    full: &str,
    doc: Option<&String>,
    enclosing: Option<&str>,
    written: &mut Written,
) -> bool {
    let (ns, name) = split(full);
    if written.names.iter().any(|w| w == full) {
        let shown = if ns == enclosing {
            name.to_string()
        } else if ns.is_none() && written.dot_global {
            format!(".{name}")
        } else {
            full.to_string()
        };
        let _ = write!(out, "{}", Json::String(shown));
        return false;
    }
    written.names.push(full.to_string());
    let _ = write!(
        out,
        "{{\"type\":\"{kind}\",\"name\":{}",
        Json::String(name.into())
    );
    if ns != enclosing {
        let _ = write!(
            out,
            ",\"namespace\":{}",
            Json::String(ns.unwrap_or("").into())
        );
    }
    if let Some(d) = doc {
        let _ = write!(out, ",\"doc\":{}", Json::String(d.clone()));
    }
    true
}

impl AvroType {
    /// The schema's JSON as Java's `Schema.toString()` writes it.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, None, &mut Written::default());
        out
    }

    /// [`to_json`](Self::to_json), but a reference to a name in no
    /// namespace from within a namespace is written `.Name`: Java writes
    /// `Name`, which its parser finds by a fallback the Avro specification
    /// lacks (a bare name is in the enclosing namespace), so apache-avro
    /// needs the dot to find the same type.
    pub fn to_parsable_json(&self) -> String {
        let mut out = String::new();
        self.write(
            &mut out,
            None,
            &mut Written {
                names: Vec::new(),
                dot_global: true,
            },
        );
        out
    }

    /// Java's `Schema.toString()`: compact, named types written once and
    /// then referred to by name, a namespace only where it changes.
    fn write(&self, out: &mut String, enclosing: Option<&str>, written: &mut Written) {
        match self {
            AvroType::Null => out.push_str("\"null\""),
            AvroType::Primitive(t, props) if props.is_empty() => {
                let _ = write!(out, "\"{t}\"");
            }
            AvroType::Primitive(t, props) => {
                let _ = write!(out, "{{\"type\":\"{t}\"");
                write_props(out, props);
                out.push('}');
            }
            AvroType::Record {
                name,
                doc,
                fields,
                props,
            } => {
                if !open_named(out, "record", name, doc.as_ref(), enclosing, written) {
                    return;
                }
                out.push_str(",\"fields\":[");
                let inner = split(name).0;
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{{\"name\":{},\"type\":", Json::String(f.name.clone()));
                    f.ty.write(out, inner, written);
                    if let Some(d) = &f.doc {
                        let _ = write!(out, ",\"doc\":{}", Json::String(d.clone()));
                    }
                    if let Some(d) = &f.default {
                        let _ = write!(out, ",\"default\":{d}");
                    }
                    out.push('}');
                }
                out.push(']');
                write_props(out, props);
                out.push('}');
            }
            AvroType::Enum {
                name,
                doc,
                symbols,
                default,
                props,
            } => {
                if !open_named(out, "enum", name, doc.as_ref(), enclosing, written) {
                    return;
                }
                let _ = write!(out, ",\"symbols\":{}", Json::from(symbols.clone()));
                if let Some(d) = default {
                    let _ = write!(out, ",\"default\":{}", Json::String(d.clone()));
                }
                write_props(out, props);
                out.push('}');
            }
            AvroType::Fixed { name, size, props } => {
                if !open_named(out, "fixed", name, None, enclosing, written) {
                    return;
                }
                let _ = write!(out, ",\"size\":{size}");
                write_props(out, props);
                out.push('}');
            }
            AvroType::Array(items, props) => {
                out.push_str("{\"type\":\"array\",\"items\":");
                items.write(out, enclosing, written);
                write_props(out, props);
                out.push('}');
            }
            AvroType::Map(values, props) => {
                out.push_str("{\"type\":\"map\",\"values\":");
                values.write(out, enclosing, written);
                write_props(out, props);
                out.push('}');
            }
            AvroType::Union(branches) => {
                out.push('[');
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    b.write(out, enclosing, written);
                }
                out.push(']');
            }
        }
    }
}

/// `AvroData.fromConnectSchema` with the S3 sink's settings.
pub struct FromConnect {
    /// `enhanced.avro.schema.support`: enum-marked strings become enums.
    enhanced: bool,
    /// `connect.meta.data`: the `connect.*` properties are written.
    meta: bool,
    /// `ConnectDefault` names given so far.
    defaults: usize,
    /// Non-optional Connect schemas already converted: the same Avro type.
    defined: Vec<(Schema, AvroType)>,
}

pub fn is_union(s: &Schema) -> bool {
    s.name.as_deref() == Some(UNION) || s.parameter(GENERAL_UNION).is_some()
}

pub fn is_enum(s: &Schema, enhanced: bool) -> bool {
    enhanced && s.ty == Type::String && s.parameter(ENUM).is_some()
}

impl FromConnect {
    /// A converter with `enhanced.avro.schema.support` and
    /// `connect.meta.data` as given.
    pub fn new(enhanced: bool, meta: bool) -> Self {
        FromConnect {
            enhanced,
            meta,
            defaults: 0,
            defined: Vec::new(),
        }
    }

    /// The Avro type of Connect schema `s`: optional schemas become unions
    /// with null, unnamed structs `ConnectDefault`, `ConnectDefault2`, …
    /// in the order they are met.
    pub fn schema(&mut self, s: &Schema) -> Result<AvroType, String> {
        self.convert(s, 0)
    }

    fn next_default(&mut self) -> String {
        self.defaults += 1;
        if self.defaults == 1 {
            format!("{DEFAULT_NAMESPACE}.ConnectDefault")
        } else {
            format!("{DEFAULT_NAMESPACE}.ConnectDefault{}", self.defaults)
        }
    }

    /// The connect.* properties of `s` (AD 1006-1037), then its `avro*`
    /// parameters.
    fn props(&self, s: &Schema, mut own: Props) -> Props {
        let mut props = Vec::new();
        if self.meta {
            if let Some(d) = &s.doc {
                props.push(("connect.doc".into(), Json::String(d.clone())));
            }
            if let Some(v) = s.version {
                props.push(("connect.version".into(), Json::from(v)));
            }
            let params: serde_json::Map<String, Json> = s
                .parameters
                .iter()
                .flatten()
                .filter(|(k, _)| k != FIELD_DEFAULT)
                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                .collect();
            if !params.is_empty() {
                props.push(("connect.parameters".into(), Json::Object(params)));
            }
            if let Some(d) = &s.default
                && s.parameter(FIELD_DEFAULT).is_none()
            {
                props.push(("connect.default".into(), default_json(s, d)));
            }
            if let Some(n) = &s.name {
                props.push(("connect.name".into(), Json::String(n.clone())));
            }
            match s.ty {
                Type::Int8 => props.push(("connect.type".into(), "int8".into())),
                Type::Int16 => props.push(("connect.type".into(), "int16".into())),
                _ => {}
            }
        }
        props.append(&mut own);
        for (k, v) in s.parameters.iter().flatten() {
            if k.starts_with("avro") {
                props.push((k.clone(), Json::String(v.clone())));
            }
        }
        props
    }

    /// The Avro type of `s`, optional schemas as unions with null.
    fn convert(&mut self, s: &Schema, depth: usize) -> Result<AvroType, String> {
        if depth > MAX_DEPTH {
            return Err("the schema nests too deep".into());
        }
        if matches!(s.ty, Type::Struct(_)) && s.optional && !is_union(s) {
            let mut required = s.clone();
            required.optional = false;
            return Ok(AvroType::Union(vec![
                AvroType::Null,
                self.convert(&required, depth + 1)?,
            ]));
        }
        if is_union(s) {
            let mut branches = Vec::new();
            if s.optional {
                branches.push(AvroType::Null);
            }
            for f in s.fields() {
                let mut member = f.schema.clone();
                member.optional = false;
                branches.push(self.convert(&member, depth + 1)?);
            }
            return Ok(AvroType::Union(branches));
        }
        let base = self.base(s, depth)?;
        if s.optional {
            return Ok(if s.default.as_ref().is_some_and(|d| !d.is_null()) {
                AvroType::Union(vec![base, AvroType::Null])
            } else {
                AvroType::Union(vec![AvroType::Null, base])
            });
        }
        Ok(base)
    }

    /// The non-union type of `s`, with its properties.
    fn base(&mut self, s: &Schema, depth: usize) -> Result<AvroType, String> {
        let key = {
            let mut k = s.clone();
            k.optional = false;
            k
        };
        if let Some((_, t)) = self.defined.iter().find(|(d, _)| *d == key) {
            return Ok(t.clone());
        }
        let name = s.name.as_deref();
        let t = match &s.ty {
            Type::Int8 | Type::Int16 | Type::Int32 => {
                let mut own = Vec::new();
                match name {
                    Some(DATE) => own.push(("logicalType".into(), "date".into())),
                    Some(TIME) => own.push(("logicalType".into(), "time-millis".into())),
                    _ => {}
                }
                AvroType::Primitive("int", self.props(s, own))
            }
            Type::Int64 => {
                let own = if name == Some(TIMESTAMP) {
                    vec![("logicalType".into(), "timestamp-millis".into())]
                } else {
                    Vec::new()
                };
                AvroType::Primitive("long", self.props(s, own))
            }
            Type::Float32 => AvroType::Primitive("float", self.props(s, Vec::new())),
            Type::Float64 => AvroType::Primitive("double", self.props(s, Vec::new())),
            Type::Boolean => AvroType::Primitive("boolean", self.props(s, Vec::new())),
            Type::String if is_enum(s, self.enhanced) => {
                let full = s.parameter(ENUM).unwrap_or_default().to_string();
                let simple = s
                    .name
                    .as_deref()
                    .map_or(full.as_str(), |n| split(n).1)
                    .to_string();
                let prefix = format!("{ENUM}.");
                let symbols = s
                    .parameters
                    .iter()
                    .flatten()
                    .filter_map(|(k, _)| k.strip_prefix(&prefix).map(String::from))
                    .collect();
                AvroType::Enum {
                    name: full,
                    doc: s
                        .parameter(&format!("{ENUM_DOC}{simple}"))
                        .map(String::from),
                    symbols,
                    default: s
                        .parameter(&format!("{ENUM_DEFAULT}{simple}"))
                        .map(String::from),
                    props: self.props(s, Vec::new()),
                }
            }
            Type::String => AvroType::Primitive("string", self.props(s, Vec::new())),
            Type::Bytes => {
                if let (Some(n), Some(size)) = (name, s.parameter(FIXED_SIZE)) {
                    AvroType::Fixed {
                        name: n.to_string(),
                        size: size
                            .parse()
                            .map_err(|_| format!("{FIXED_SIZE} {size:?} is not a size"))?,
                        props: self.props(s, Vec::new()),
                    }
                } else if name == Some(DECIMAL) {
                    let scale: i64 = s
                        .parameter("scale")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let precision: i64 = s
                        .parameter(PRECISION)
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(64);
                    let mut props = vec![
                        ("scale".to_string(), Json::from(scale)),
                        ("precision".to_string(), Json::from(precision)),
                    ];
                    props
                        .append(&mut self.props(s, vec![("logicalType".into(), "decimal".into())]));
                    AvroType::Primitive("bytes", props)
                } else {
                    AvroType::Primitive("bytes", self.props(s, Vec::new()))
                }
            }
            Type::Array(items) => {
                let items = self.convert(items, depth + 1)?;
                AvroType::Array(Box::new(items), self.props(s, Vec::new()))
            }
            Type::Map(keys, values) if keys.ty == Type::String && !keys.optional => {
                let values = self.convert(values, depth + 1)?;
                AvroType::Map(Box::new(values), self.props(s, Vec::new()))
            }
            Type::Map(keys, values) => {
                let (entry, props) = match name {
                    None => (format!("{DEFAULT_NAMESPACE}.MapEntry"), Vec::new()),
                    Some(n) => (
                        n.to_string(),
                        vec![("connect.internal.type".to_string(), Json::from("MapEntry"))],
                    ),
                };
                let fields = vec![
                    self.field("key", keys, None, depth)?,
                    self.field("value", values, None, depth)?,
                ];
                let record = AvroType::Record {
                    name: entry,
                    doc: None,
                    fields,
                    props,
                };
                AvroType::Array(Box::new(record), self.props(s, Vec::new()))
            }
            Type::Struct(fields) => {
                let full = match name {
                    Some(n) => n.to_string(),
                    None => self.next_default(),
                };
                let mut out = Vec::new();
                for f in fields {
                    let doc = s
                        .parameter(&format!("{FIELD_DOC}{}", f.name))
                        .map(String::from);
                    out.push(self.field(&f.name, &f.schema, doc, depth)?);
                }
                AvroType::Record {
                    name: full,
                    doc: s.parameter(RECORD_DOC).map(String::from),
                    fields: out,
                    props: self.props(s, Vec::new()),
                }
            }
        };
        self.defined.push((key, t.clone()));
        Ok(t)
    }

    /// A record field: its type, doc and default (AD 1234-1273).
    fn field(
        &mut self,
        name: &str,
        s: &Schema,
        doc: Option<String>,
        depth: usize,
    ) -> Result<AvroField, String> {
        let ty = self.convert(s, depth + 1)?;
        let default = match &s.default {
            // An optional struct's default does not fit its null branch:
            // Java drops it with a warning.
            Some(d) if !(d.is_null() || s.optional && matches!(s.ty, Type::Struct(_))) => {
                Some(default_json(s, d))
            }
            _ if s.optional => Some(Json::Null),
            _ => None,
        };
        Ok(AvroField {
            name: name.to_string(),
            ty,
            doc,
            default,
        })
    }
}

/// A Connect default in the JSON Avro's schemas use: bytes (and decimals)
/// as ISO-8859-1 strings of the raw bytes, non-string-key maps as
/// `[key, value]` pairs.
pub fn default_json(s: &Schema, d: &Json) -> Json {
    match (&s.ty, d) {
        (Type::Bytes, Json::String(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map(|bytes| Json::String(bytes.iter().map(|&b| char::from(b)).collect()))
            .unwrap_or_else(|_| d.clone()),
        _ => d.clone(),
    }
}

/// Refuses named types defined twice, differently, in `parts` (each a part
/// of the row and its type: `("value", …)`, or a row's `key` and `value`):
/// an unnamed key struct and an unnamed value struct are both
/// `ConnectDefault`, two maps of other keys than strings both `MapEntry`.
/// One Avro schema cannot hold both, and Java's Avro 1.11 refuses it too
/// ("Can't redefine"); the same definition twice is written once, then
/// referred to.
pub fn clashing_names(parts: &[(&str, &AvroType)]) -> Result<(), String> {
    fn named(ty: &AvroType, out: &mut Vec<(String, String)>) {
        match ty {
            AvroType::Record { name, fields, .. } => {
                out.push((name.clone(), ty.to_json()));
                for f in fields {
                    named(&f.ty, out);
                }
            }
            AvroType::Enum { name, .. } | AvroType::Fixed { name, .. } => {
                out.push((name.clone(), ty.to_json()))
            }
            AvroType::Array(inner, _) | AvroType::Map(inner, _) => named(inner, out),
            AvroType::Union(branches) => branches.iter().for_each(|b| named(b, out)),
            AvroType::Null | AvroType::Primitive(..) => {}
        }
    }
    let mut seen: Vec<(String, String, &str)> = Vec::new();
    for &(part, ty) in parts {
        let mut names = Vec::new();
        named(ty, &mut names);
        for (name, json) in names {
            if let Some((_, _, first)) = seen.iter().find(|(n, j, _)| *n == name && *j != json) {
                return Err(if *first == part {
                    format!(
                        "the {part}'s schema has two types named {name}, defined differently, which one Avro schema cannot hold: give them names of their own"
                    )
                } else {
                    format!(
                        "the {first} and the {part} both have a schema named {name}, defined differently, which one Avro row cannot hold: give the structs names of their own (a schema name), or leave one part out of format.output.fields"
                    )
                });
            }
            seen.push((name, json, part));
        }
    }
    Ok(())
}

/// Where a record is, as the formats' errors name it:
/// `<topic> partition <p> offset <o>`.
pub fn place(record: &Record<'_>) -> String {
    format!(
        "{} partition {} offset {}",
        record.topic, record.partition, record.offset
    )
}

/// The schema `format` (`AvroFormat`, `ParquetFormat`) writes the value of
/// `record` with; without one, the error that says what to do.
pub fn value_schema<'a>(record: &Record<'a>, format: &str) -> Result<&'a Arc<Schema>, String> {
    record.value_schema.ok_or_else(|| {
        format!(
            "{format} writes values with a schema, and the value of {} has none: read it with a schema-aware converter (AvroConverter, JsonConverter with schemas.enable=true)",
            place(record)
        )
    })
}

/// A float from its payload form: a number, or Jackson's `NaN`,
/// `Infinity` and `-Infinity` strings.
pub fn json_float(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Field, Schema};

    fn row(key: &AvroType, value: &AvroType) -> AvroType {
        let field = |name: &str, ty: &AvroType| AvroField {
            name: name.into(),
            ty: ty.clone(),
            doc: None,
            default: None,
        };
        AvroType::Record {
            name: "io.aiven.avro.output.schema.connector_records".into(),
            doc: None,
            fields: vec![field("key", key), field("value", value)],
            props: Vec::new(),
        }
    }

    #[test]
    fn a_name_in_no_namespace_is_referred_to_with_a_dot_for_parsers() {
        let user = FromConnect::new(false, false)
            .schema(&Schema::structure([Field::new("id", Schema::int32())]).named("User"))
            .unwrap();
        let both = row(&user, &user);
        // Java's text: the reference is the bare name.
        assert!(
            both.to_json()
                .ends_with(r#"{"name":"value","type":"User"}]}"#),
            "{}",
            both.to_json()
        );
        // apache-avro reads a bare name in the enclosing namespace, as the
        // specification says: only the dotted one finds the type.
        let parsable = both.to_parsable_json();
        assert!(
            parsable.ends_with(r#"{"name":"value","type":".User"}]}"#),
            "{parsable}"
        );
    }

    #[test]
    fn one_name_defined_twice_differently_is_refused_naming_the_parts() {
        let entries = |key: Schema| Schema::map(key, Schema::string());
        let value = FromConnect::new(false, true)
            .schema(&Schema::structure([
                Field::new("a", entries(Schema::int32())),
                Field::new("b", entries(Schema::int64())),
            ]))
            .unwrap();
        let e = clashing_names(&[("value", &value)]).unwrap_err();
        assert!(
            e.contains("the value's schema has two types named io.confluent.connect.avro.MapEntry"),
            "{e}"
        );
        // The same definition twice is one type, written once.
        let same = FromConnect::new(false, true)
            .schema(&Schema::structure([
                Field::new("a", entries(Schema::int32())),
                Field::new("b", entries(Schema::int32())),
            ]))
            .unwrap();
        assert!(clashing_names(&[("value", &same), ("key", &same)]).is_ok());
    }
}
