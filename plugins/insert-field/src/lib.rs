//! `insert-field` transform: Kafka's `InsertField$Key` and
//! `InsertField$Value`. Adds the record's topic, partition, offset,
//! timestamp and a static value to a map (schemaless) or a struct (whose
//! schema gains the fields: `name?` optional, the default, or `name!`
//! required; the timestamp as Connect's `Timestamp`). Nulls pass
//! unchanged, as in Kafka.
//!
//! The fields are spliced in before the object's closing brace: the value is
//! read only to check it is an object and to find its top-level keys, never
//! rebuilt (a field that already exists, or a key given twice, takes the
//! slow path, which rebuilds the object as Kafka's map put would).

use std::borrow::Cow;

use std::sync::Arc;

use serde_json::{Map, Value};
use sluice_sdk::schema::{Field, Schema, Type};
use sluice_sdk::smt::{self, Data};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Emitter, Part, Plugin, PluginInfo, Record, Transform, ValueKind,
};

const PURPOSE: &str = "field insertion";

/// The transform, configured: each field name is `None` when not wanted.
pub struct InsertField {
    part: Part,
    topic: Option<String>,
    partition: Option<String>,
    offset: Option<String>,
    timestamp: Option<String>,
    static_field: Option<(String, String)>,
    /// Whether each field (topic, partition, offset, timestamp, static) is
    /// optional in a struct's schema: Kafka's `name?` (the default) or `name!`.
    optional: [bool; 5],
    use_default: bool,
    cache: smt::SchemaCache,
    /// Whether the fields' names are distinct (two options may name one
    /// field: the later value wins, which only the slow path does).
    distinct: bool,
}

/// A field name without Kafka's `!` (required) or `?` (optional) suffix.
fn field(config: &Config, key: &str) -> Option<String> {
    config
        .get(key)
        .map(|f| f.trim_end_matches(['!', '?']).to_string())
        .filter(|f| !f.is_empty())
}

/// Whether the field named by `key` is optional: all are but `name!`.
fn optional(config: &Config, key: &str) -> bool {
    !config.get(key).is_some_and(|f| f.ends_with('!'))
}

impl Plugin for InsertField {
    const INFO: PluginInfo = PluginInfo {
        name: "insert-field",
        version: env!("CARGO_PKG_VERSION"),
        description: "Inserts topic, partition, offset, timestamp or a static value into JSON objects (Kafka's InsertField$Value)",
        config: &[
            ConfigKey::connect_classes(
                "org.apache.kafka.connect.transforms.InsertField$Key,org.apache.kafka.connect.transforms.InsertField$Value",
            ),
            ConfigKey::optional(
                "topic.field",
                ConfigType::String,
                None,
                "Field for the topic name",
            ),
            ConfigKey::optional(
                "partition.field",
                ConfigType::String,
                None,
                "Field for the Kafka partition",
            ),
            ConfigKey::optional(
                "offset.field",
                ConfigType::String,
                None,
                "Field for the Kafka offset",
            ),
            ConfigKey::optional(
                "timestamp.field",
                ConfigType::String,
                None,
                "Field for the record timestamp (epoch ms)",
            ),
            ConfigKey::optional(
                "static.field",
                ConfigType::String,
                None,
                "Field for static.value",
            ),
            ConfigKey::optional(
                "static.value",
                ConfigType::String,
                None,
                "Value to put in static.field",
            ),
            smt::REPLACE_NULL_WITH_DEFAULT,
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        // As in Kafka: a static.field needs a value; a value alone is unused.
        let static_field = match (field(config, "static.field"), config.get("static.value")) {
            (Some(f), Some(v)) => Some((f, v.to_string())),
            (Some(f), None) => {
                return Err(format!(
                    "insert-field: static.field {f:?} has no value: set static.value"
                ));
            }
            (None, _) => None,
        };
        let mut t = InsertField {
            part: smt::part(config),
            topic: field(config, "topic.field"),
            partition: field(config, "partition.field"),
            offset: field(config, "offset.field"),
            timestamp: field(config, "timestamp.field"),
            static_field,
            optional: [
                "topic.field",
                "partition.field",
                "offset.field",
                "timestamp.field",
                "static.field",
            ]
            .map(|k| optional(config, k)),
            use_default: config.get_bool("replace.null.with.default"),
            cache: smt::SchemaCache::default(),
            distinct: true,
        };
        let mut names: Vec<&str> = [&t.topic, &t.partition, &t.offset, &t.timestamp]
            .into_iter()
            .flatten()
            .chain(t.static_field.as_ref().map(|(f, _)| f))
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        t.distinct = !names.windows(2).any(|w| w[0] == w[1]);
        if t.topic.is_none()
            && t.partition.is_none()
            && t.offset.is_none()
            && t.timestamp.is_none()
            && t.static_field.is_none()
        {
            return Err("insert-field: nothing to insert: set at least one of topic.field, partition.field, offset.field, timestamp.field, static.field".into());
        }
        Ok(t)
    }
}

impl InsertField {
    /// The fields to insert for `record`, in order: name and value. A
    /// record without a timestamp leaves its field out of a schemaless value,
    /// as Kafka does, and makes it null in a struct (`nulls`).
    fn fields<'r>(
        &'r self,
        record: &Record<'r>,
        nulls: bool,
    ) -> impl Iterator<Item = (&'r str, Inserted<'r>)> {
        let static_field = self.static_field.as_ref();
        let timestamp = self
            .timestamp
            .as_deref()
            .and_then(|f| match record.timestamp {
                Some(ts) => Some((f, Inserted::Int(ts))),
                None => nulls.then_some((f, Inserted::Null)),
            });
        [
            self.topic
                .as_deref()
                .map(|f| (f, Inserted::Str(record.topic))),
            self.partition
                .as_deref()
                .map(|f| (f, Inserted::Int(record.partition.into()))),
            self.offset
                .as_deref()
                .map(|f| (f, Inserted::Int(record.offset))),
            timestamp,
            static_field.map(|(f, v)| (f.as_str(), Inserted::Str(v))),
        ]
        .into_iter()
        .flatten()
    }

    /// `object` (a JSON object's text) with `fields` written before its
    /// closing brace; `None` if it does not end in one.
    fn append<'r>(
        object: &[u8],
        empty: bool,
        fields: impl Iterator<Item = (&'r str, Inserted<'r>)>,
    ) -> Option<Vec<u8>> {
        let body = object.trim_ascii_end().strip_suffix(b"}")?;
        let mut out = Vec::with_capacity(object.len() + 64);
        out.extend_from_slice(body);
        let mut first = empty;
        for (name, v) in fields {
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
            // Serialising strings and integers cannot fail.
            let _ = serde_json::to_writer(&mut out, name);
            out.push(b':');
            let _ = match v {
                Inserted::Str(s) => serde_json::to_writer(&mut out, s),
                Inserted::Int(n) => serde_json::to_writer(&mut out, &n),
                Inserted::Null => serde_json::to_writer(&mut out, &()),
            };
        }
        out.push(b'}');
        Some(out)
    }

    /// The value with the fields spliced in before its closing brace, when
    /// it is an object whose keys are distinct and none of the fields';
    /// `None` when the slow path must decide (not an object, a clash).
    ///
    /// Allocation is most of what a record costs in Wasm beside reading it,
    /// so the keys are the only list made: sorted in place, they are checked
    /// for a key given twice and searched for each field.
    fn splice(&self, record: &Record<'_>, value: &[u8]) -> Option<Vec<u8>> {
        if !self.distinct {
            return None;
        }
        let TopLevel(mut keys) = serde_json::from_slice(value).ok()?;
        let empty = keys.is_empty();
        keys.sort_unstable();
        if keys.windows(2).any(|w| w[0].0 == w[1].0)
            || self
                .fields(record, false)
                .any(|(f, _)| keys.binary_search_by(|(k, _)| k.as_ref().cmp(f)).is_ok())
        {
            return None;
        }
        Self::append(value, empty, self.fields(record, false))
    }

    fn insert(&self, record: &Record<'_>, object: &mut Map<String, Value>) {
        for (f, v) in self.fields(record, false) {
            object.insert(f.to_string(), v.into());
        }
    }
}

impl InsertField {
    /// The struct schema with the fields appended, as Kafka builds it.
    fn updated_schema(&mut self, schema: &Arc<Schema>) -> Result<Arc<Schema>, String> {
        let names = [
            (&self.topic, Schema::string()),
            (&self.partition, Schema::int32()),
            (&self.offset, Schema::int64()),
            (&self.timestamp, Schema::timestamp()),
            (
                &self.static_field.as_ref().map(|(f, _)| f.clone()),
                Schema::string(),
            ),
        ];
        let optional = self.optional;
        self.cache.get_or_make(schema, |s| {
            let mut fields: Vec<Field> = s.fields().to_vec();
            for ((name, ty), optional) in names.into_iter().zip(optional) {
                if let Some(name) = name {
                    if fields.iter().any(|f| &f.name == name) {
                        return Err(format!(
                            "Cannot create field because of field name duplication {name}"
                        ));
                    }
                    fields.push(Field::new(name, if optional { ty.optional() } else { ty }));
                }
            }
            Ok(smt::struct_like(s, fields))
        })
    }

    /// A struct value with the fields spliced in before its closing brace,
    /// and its updated schema, when the value is an object of exactly the
    /// schema's fields in its order (as the converters and SMTs write a
    /// struct) and no null in it would take a default; `None` when the slow
    /// path must decide. Its bytes are the slow path's for such a value but
    /// for the order of map entries nested in it, which the slow path sorts.
    fn splice_struct(
        &mut self,
        record: &Record<'_>,
        schema: &Arc<Schema>,
        value: &[u8],
    ) -> Result<Option<Spliced>, String> {
        let Type::Struct(fields) = &schema.ty else {
            return Ok(None);
        };
        if !self.distinct {
            return Ok(None);
        }
        let Ok(TopLevel(entries)) = serde_json::from_slice(value) else {
            return Ok(None);
        };
        let in_order = entries.len() == fields.len()
            && entries.iter().zip(fields).all(|((k, null), f)| {
                k.as_ref() == f.name && !(*null && self.use_default && f.schema.default.is_some())
            });
        if !in_order {
            return Ok(None);
        }
        let updated = self.updated_schema(schema)?;
        // In the updated schema's order; a missing timestamp is a null.
        let spliced = Self::append(value, entries.is_empty(), self.fields(record, true));
        Ok(spliced.map(|out| (out, updated)))
    }

    /// A schema'd key or value with the fields inserted.
    fn with_schema(&mut self, record: &Record<'_>, data: &Data) -> Result<Data, String> {
        let (schema, value) = smt::require_struct(data, PURPOSE)?;
        let updated = self.updated_schema(schema)?;
        let mut map: Map<String, Value> = schema
            .fields()
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    smt::field_value(schema, value, &f.name, self.use_default),
                )
            })
            .collect();
        // The timestamp is a Timestamp (its ms) in a struct; a missing one
        // leaves the field null.
        for (f, v) in self.fields(record, true) {
            map.insert(f.to_string(), v.into());
        }
        Ok(Data::with_schema(updated, Value::Object(map)))
    }
}

impl Transform for InsertField {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        let (bytes, kind, schema) = match self.part {
            Part::Key => (record.key, record.key_kind, record.key_schema),
            Part::Value => (record.value, record.value_kind, record.value_schema),
        };
        if bytes.is_none() {
            out.keep(record);
            return Ok(());
        }
        if let (Part::Value, ValueKind::Json, Some(schema), Some(value)) =
            (self.part, kind, schema, bytes)
            && let Some((spliced, updated)) = self.splice_struct(record, schema, value)?
        {
            let mut changed = record.to_out();
            changed.value = Some(Cow::Owned(spliced));
            changed.value_schema = Some(updated);
            out.emit(&changed);
            return Ok(());
        }
        if schema.is_some() || self.part == Part::Key {
            let data = smt::read(record, self.part)?;
            let inserted = match &data.schema {
                Some(_) => self.with_schema(record, &data)?,
                None => {
                    let mut map = smt::require_map(&data.value, PURPOSE)?.clone();
                    self.insert(record, &mut map);
                    Data::schemaless(Value::Object(map))
                }
            };
            smt::emit_with(out, record, self.part, &inserted);
            return Ok(());
        }
        if kind != ValueKind::Json {
            return Err(format!(
                "offset {}: insert-field needs a JSON value but got a {kind} value: use the json converter as value converter",
                record.offset
            ));
        }
        if let Some(spliced) = record.value.and_then(|v| self.splice(record, v)) {
            let mut changed = record.to_out();
            changed.value = Some(Cow::Owned(spliced));
            changed.value_schema = None;
            out.emit(&changed);
            return Ok(());
        }
        let mut value = record.value_json()?;
        let Value::Object(object) = &mut value else {
            return Err(format!(
                "offset {}: insert-field needs a JSON object value, not {}",
                record.offset,
                kind_of(&value)
            ));
        };
        self.insert(record, object);
        let mut changed = record.to_out();
        changed.set_json(&value);
        out.emit(&changed);
        Ok(())
    }
}

/// A struct value with the fields spliced in, and its updated schema.
type Spliced = (Vec<u8>, Arc<Schema>);

/// A value to insert: the topic or static value, a number, or a struct's
/// null timestamp.
enum Inserted<'a> {
    Str(&'a str),
    Int(i64),
    Null,
}

impl From<Inserted<'_>> for Value {
    fn from(v: Inserted<'_>) -> Value {
        match v {
            Inserted::Str(s) => s.into(),
            Inserted::Int(n) => n.into(),
            Inserted::Null => Value::Null,
        }
    }
}

/// A JSON object's top-level keys in order, each with whether its value is
/// null; the values checked and skipped.
///
/// A key borrows from the input unless it has escapes (serde's own `Cow`
/// would allocate every key), and a value is skipped, not kept as a raw
/// slice: a 1 KiB event is read in about two thirds of the time it took with
/// owned keys and raw values.
struct TopLevel<'a>(Vec<(Cow<'a, str>, bool)>);

impl<'de> serde::Deserialize<'de> for TopLevel<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = TopLevel<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some(Key(key)) = map.next_key()? {
                    let value: Option<serde::de::IgnoredAny> = map.next_value()?;
                    out.push((key, value.is_none()));
                }
                Ok(TopLevel(out))
            }
        }
        d.deserialize_map(Entries)
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Str;
        impl<'de> serde::de::Visitor<'de> for Str {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(Str)
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

sluice_sdk::export_transform!(InsertField);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_sdk::testing::{self, Outcome};

    fn json(topic: &'static str, v: &'static str) -> Record<'static> {
        Record {
            value_kind: ValueKind::Json,
            offset: 42,
            partition: 3,
            timestamp: Some(1_650_000_000_000),
            ..Record::new(topic, Some(v.as_bytes()))
        }
    }

    #[test]
    fn inserts_every_configured_field() {
        let cfg = [
            ("topic.field", "t!"),
            ("partition.field", "p"),
            ("offset.field", "o?"),
            ("timestamp.field", "ts"),
            ("static.field", "src"),
            ("static.value", "sluice"),
        ];
        let mut t = sluice_sdk::configure::<InsertField>(
            cfg.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
        .unwrap();
        let out = testing::transform(&mut t, &[json("orders", r#"{"id":7}"#)]);
        let Outcome::Kept(recs) = &out[0] else {
            panic!("{out:?}")
        };
        let v: Value = serde_json::from_slice(recs[0].value.as_deref().unwrap()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id":7,"t":"orders","p":3,"o":42,"ts":1_650_000_000_000_i64,"src":"sluice"})
        );
    }

    #[test]
    fn non_objects_fail_alone_and_tombstones_pass() {
        let mut t =
            sluice_sdk::configure::<InsertField>(vec![("topic.field".into(), "t".into())]).unwrap();
        let tomb = Record {
            value_kind: ValueKind::Json,
            ..Record::new("x", None)
        };
        let out = testing::transform(&mut t, &[json("x", "[1]"), tomb, json("x", "{}")]);
        assert!(
            matches!(&out[0], Outcome::Failed(m) if m.contains("offset 42") && m.contains("not an array")),
            "{out:?}"
        );
        assert!(matches!(&out[1], Outcome::Kept(r) if r[0].value.is_none()));
        assert!(matches!(&out[2], Outcome::Kept(_)));
    }

    #[test]
    fn fields_are_spliced_in_and_clashes_take_the_slow_path() {
        let mut t = sluice_sdk::configure::<InsertField>(vec![
            ("topic.field".into(), "t".into()),
            ("offset.field".into(), "o".into()),
        ])
        .unwrap();
        let values = [
            r#"{"b":1,"a":{"x":[1,2]}}  "#,
            "{ }",
            r#"{"t":"old","z":0}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"escaped":"v"}"#,
            r#"{"\u0074":"old"}"#,
            r#"{"a\"b":[{"c":"}"}]}"#,
        ];
        let records: Vec<_> = values.iter().map(|v| json("orders", v)).collect();
        let out = testing::transform(&mut t, &records);
        let value = |i: usize| match &out[i] {
            Outcome::Kept(r) => String::from_utf8(r[0].value.as_deref().unwrap().to_vec()).unwrap(),
            other => panic!("{other:?}"),
        };
        // The object as it was, the fields appended.
        assert_eq!(value(0), r#"{"b":1,"a":{"x":[1,2]},"t":"orders","o":42}"#);
        assert_eq!(value(1), r#"{ "t":"orders","o":42}"#);
        // A field that exists is replaced, as Kafka's map put does.
        let v: Value = serde_json::from_str(&value(2)).unwrap();
        assert_eq!(v, serde_json::json!({"t":"orders","z":0,"o":42}));
        // A key given twice: the last one wins, as a JSON map reads it.
        let v: Value = serde_json::from_str(&value(3)).unwrap();
        assert_eq!(v, serde_json::json!({"a":2,"t":"orders","o":42}));
        let v: Value = serde_json::from_str(&value(4)).unwrap();
        assert_eq!(v["escaped"], "v");
        // A key written with escapes is compared as the string it reads as.
        let v: Value = serde_json::from_str(&value(5)).unwrap();
        assert_eq!(v, serde_json::json!({"t":"orders","o":42}));
        assert_eq!(value(6), r#"{"a\"b":[{"c":"}"}],"t":"orders","o":42}"#);
    }

    #[test]
    fn two_options_naming_one_field_insert_it_once() {
        let mut t = sluice_sdk::configure::<InsertField>(vec![
            ("topic.field".into(), "f".into()),
            ("offset.field".into(), "f".into()),
        ])
        .unwrap();
        let out = testing::transform(&mut t, &[json("orders", r#"{"a":1}"#)]);
        let Outcome::Kept(r) = &out[0] else {
            panic!("{out:?}")
        };
        // As Kafka's map puts them: once, the later one (the offset) winning.
        let text = std::str::from_utf8(r[0].value.as_deref().unwrap()).unwrap();
        assert_eq!(text.matches(r#""f""#).count(), 1, "{text}");
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(v, serde_json::json!({"a":1,"f":42}));
    }

    #[test]
    fn struct_values_are_spliced_as_the_slow_path_writes_them() {
        let schema = Arc::new(Schema::structure([
            Field::new("id", Schema::int64()),
            Field::new(
                "tier",
                Schema::string().optional().with_default("gold".into()),
            ),
            Field::new(
                "geo",
                Schema::structure([Field::new("lat", Schema::float64())]),
            ),
            Field::new(
                "tags",
                Schema::map(Schema::string(), Schema::int32()).optional(),
            ),
        ]));
        let config = |default: &str| {
            vec![
                ("topic.field".to_string(), "t".to_string()),
                ("partition.field".into(), "p".into()),
                ("timestamp.field".into(), "ts".into()),
                ("static.field".into(), "s".into()),
                ("static.value".into(), "v\"1".into()),
                ("replace.null.with.default".into(), default.into()),
            ]
        };
        let record = |v: &'static str, timestamp: Option<i64>| Record {
            value_kind: ValueKind::Json,
            value_schema: Some(&schema),
            timestamp,
            ..json("orders", v)
        };
        // The slow path's bytes: the value read, the fields put, written.
        let slow = |t: &mut InsertField, r: &Record<'_>| {
            let data = smt::read(r, Part::Value).unwrap();
            let d = t.with_schema(r, &data).unwrap();
            smt::payload(d.schema.as_deref(), &d.value)
        };
        let cases: [(&str, &'static str, Option<i64>, bool); 5] = [
            (
                "all set",
                r#"{"id":7,"tier":"blue","geo":{"lat":35.6618},"tags":{"b":1,"a":2}}"#,
                Some(5),
                true,
            ),
            (
                "no timestamp",
                r#"{"id":7,"tier":"blue","geo":{"lat":1.5},"tags":null}"#,
                None,
                true,
            ),
            (
                "null with a default kept",
                r#"{"id":7,"tier":null,"geo":{"lat":1.5},"tags":null}"#,
                Some(5),
                true,
            ),
            (
                "fields out of order",
                r#"{"tier":"blue","id":7,"geo":{"lat":1.5},"tags":null}"#,
                Some(5),
                false,
            ),
            (
                "a field missing",
                r#"{"id":7,"geo":{"lat":1.5},"tags":null}"#,
                Some(5),
                false,
            ),
        ];
        for (what, v, ts, fast) in cases {
            let mut t = sluice_sdk::configure::<InsertField>(config("false")).unwrap();
            let r = record(v, ts);
            let spliced = t.splice_struct(&r, &schema, v.as_bytes()).unwrap();
            assert_eq!(spliced.is_some(), fast, "{what}");
            let want = slow(&mut t, &r);
            let Outcome::Kept(out) = &testing::transform(&mut t, &[r])[0] else {
                panic!("{what}")
            };
            let got = out[0].value.as_deref().unwrap();
            if fast {
                // Byte for byte, but for the nested map's entries, which
                // the slow path sorts.
                let sorted = |b: &[u8]| {
                    String::from_utf8(b.to_vec())
                        .unwrap()
                        .replace(r#"{"b":1,"a":2}"#, r#"{"a":2,"b":1}"#)
                };
                assert_eq!(sorted(got), sorted(&want), "{what}");
            } else {
                let parse = |b: &[u8]| serde_json::from_slice::<Value>(b).unwrap();
                assert_eq!(parse(got), parse(&want), "{what}");
            }
            assert_eq!(
                out[0].value_schema.as_ref().unwrap().fields().len(),
                8,
                "{what}"
            );
            // A struct's missing timestamp is a null field, not a left-out one.
            let v: Value = serde_json::from_slice(got).unwrap();
            assert_eq!(v["ts"], ts.map_or(Value::Null, Value::from), "{what}");
            assert!(v.as_object().unwrap().contains_key("ts"), "{what}");
        }
        // A null that would take its default is left to the slow path.
        let mut t = sluice_sdk::configure::<InsertField>(config("true")).unwrap();
        let v = r#"{"id":7,"tier":null,"geo":{"lat":1.5},"tags":null}"#;
        let r = record(v, Some(5));
        assert!(
            t.splice_struct(&r, &schema, v.as_bytes())
                .unwrap()
                .is_none()
        );
        let Outcome::Kept(out) = &testing::transform(&mut t, &[r])[0] else {
            panic!()
        };
        let got: Value = serde_json::from_slice(out[0].value.as_deref().unwrap()).unwrap();
        assert_eq!(got["tier"], "gold");
        assert_eq!(got["ts"], 5);
        assert_eq!(got["s"], "v\"1");
    }

    #[test]
    fn config_without_any_field_is_refused() {
        let err = sluice_sdk::configure::<InsertField>(vec![]).err().unwrap();
        assert!(err.contains("nothing to insert"), "{err}");
    }

    #[test]
    fn a_missing_timestamp_leaves_the_field_out_as_in_kafka() {
        let mut t =
            sluice_sdk::configure::<InsertField>(vec![("timestamp.field".into(), "ts".into())])
                .unwrap();
        let out = testing::transform(
            &mut t,
            &[Record {
                timestamp: None,
                ..json("x", r#"{"a":1}"#)
            }],
        );
        let Outcome::Kept(recs) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(recs[0].value.as_deref(), Some(&br#"{"a":1}"#[..]));
    }
}
