//! `insert-field` transform: Kafka's `InsertField$Value`. Adds the record's
//! topic, partition, offset, timestamp and a static value to JSON object
//! values. Tombstones pass unchanged, as in Kafka.

use serde_json::{Map, Value};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Emitter, Plugin, PluginInfo, Record, Transform, ValueKind,
};

/// The transform, configured: each field name is `None` when not wanted.
pub struct InsertField {
    topic: Option<String>,
    partition: Option<String>,
    offset: Option<String>,
    timestamp: Option<String>,
    static_field: Option<(String, String)>,
}

/// Kafka allows a `!` (required) or `?` (optional) suffix on field names; it
/// only matters for schemas, so it is dropped here.
fn field(config: &Config, key: &str) -> Option<String> {
    config
        .get(key)
        .map(|f| f.trim_end_matches(['!', '?']).to_string())
        .filter(|f| !f.is_empty())
}

impl Plugin for InsertField {
    const INFO: PluginInfo = PluginInfo {
        name: "insert-field",
        version: env!("CARGO_PKG_VERSION"),
        description: "Inserts topic, partition, offset, timestamp or a static value into JSON objects (Kafka's InsertField$Value)",
        config: &[
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
        let t = InsertField {
            topic: field(config, "topic.field"),
            partition: field(config, "partition.field"),
            offset: field(config, "offset.field"),
            timestamp: field(config, "timestamp.field"),
            static_field,
        };
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
    fn insert(&self, record: &Record<'_>, object: &mut Map<String, Value>) {
        if let Some(f) = &self.topic {
            object.insert(f.clone(), record.topic.into());
        }
        if let Some(f) = &self.partition {
            object.insert(f.clone(), record.partition.into());
        }
        if let Some(f) = &self.offset {
            object.insert(f.clone(), record.offset.into());
        }
        // Kafka leaves the field out of a schemaless value without a timestamp.
        if let (Some(f), Some(ts)) = (&self.timestamp, record.timestamp) {
            object.insert(f.clone(), ts.into());
        }
        if let Some((f, v)) = &self.static_field {
            object.insert(f.clone(), v.as_str().into());
        }
    }
}

impl Transform for InsertField {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        if record.is_tombstone() {
            out.keep(record);
            return Ok(());
        }
        if record.value_kind != ValueKind::Json {
            return Err(format!(
                "offset {}: insert-field needs a JSON value but got a {} value: use the json converter as value converter",
                record.offset, record.value_kind
            ));
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
