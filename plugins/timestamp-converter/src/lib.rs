//! `timestamp-converter` transform: Kafka's `TimestampConverter$Key` and
//! `TimestampConverter$Value`. Converts a field (or the whole key or
//! value) between a formatted string (`format`, Java's `SimpleDateFormat`
//! in UTC), a Unix time (`unix.precision`), and Connect's `Date`, `Time`
//! and `Timestamp`. Nulls stay null. A schemaless Date, Time or Timestamp
//! is written as its number (days, ms of the day, ms), as it has no schema
//! to say what it is.

use std::sync::Arc;

use serde_json::{Map, Value};
use sluice_sdk::java_date::DateFormat;
use sluice_sdk::schema::{DATE, Field, Schema, TIME, TIMESTAMP, Type};
use sluice_sdk::smt::{self, Data};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Emitter, Part, Plugin, PluginInfo, Record, Transform,
};

const PURPOSE: &str = "converting timestamp formats";
const DAY_MS: i64 = 86_400_000;

/// A timestamp representation: Kafka's `target.type` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Unix,
    Date,
    Time,
    Timestamp,
}

impl Kind {
    fn schema(self, optional: bool) -> Schema {
        let s = match self {
            Kind::Text => Schema::string(),
            Kind::Unix => Schema::int64(),
            Kind::Date => Schema::date(),
            Kind::Time => Schema::time(),
            Kind::Timestamp => Schema::timestamp(),
        };
        if optional { s.optional() } else { s }
    }

    /// The kind a schema says a value is.
    fn of_schema(schema: &Schema) -> Result<Kind, String> {
        Ok(match (schema.name.as_deref(), &schema.ty) {
            (Some(TIMESTAMP), _) => Kind::Timestamp,
            (Some(DATE), _) => Kind::Date,
            (Some(TIME), _) => Kind::Time,
            (_, Type::String) => Kind::Text,
            (_, Type::Int64) => Kind::Unix,
            _ => {
                return Err(format!(
                    "Schema {} does not correspond to a known timestamp type format",
                    sluice_sdk::schema::text(&Arc::new(schema.clone()))
                ));
            }
        })
    }
}

/// Units of `unix.precision`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Precision {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

/// The transform, configured.
pub struct TimestampConverter {
    part: Part,
    field: String,
    target: Kind,
    format: Option<DateFormat>,
    /// The pattern as given, for messages.
    pattern: String,
    precision: Precision,
    use_default: bool,
    cache: smt::SchemaCache,
}

impl Plugin for TimestampConverter {
    const INFO: PluginInfo = PluginInfo {
        name: "timestamp-converter",
        version: env!("CARGO_PKG_VERSION"),
        description: "Converts timestamps between strings, Unix times and Connect's Date, Time and Timestamp (Kafka's TimestampConverter$Key/$Value)",
        config: &[
            ConfigKey::connect_classes(
                "org.apache.kafka.connect.transforms.TimestampConverter$Key,org.apache.kafka.connect.transforms.TimestampConverter$Value",
            ),
            ConfigKey::optional(
                "field",
                ConfigType::String,
                Some(""),
                "The field holding the timestamp, or empty when the whole value is one",
            ),
            ConfigKey::required(
                "target.type",
                ConfigType::String,
                "The timestamp representation wanted: string, unix, Date, Time or Timestamp",
            ),
            ConfigKey::optional(
                "format",
                ConfigType::String,
                Some(""),
                "A java.text.SimpleDateFormat pattern (in UTC): the output of target.type=string, and how string inputs are read",
            ),
            ConfigKey::optional(
                "unix.precision",
                ConfigType::String,
                Some("milliseconds"),
                "Unix times in seconds, milliseconds, microseconds or nanoseconds",
            ),
            smt::REPLACE_NULL_WITH_DEFAULT,
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let target = match config.require("target.type")? {
            "string" => Kind::Text,
            "unix" => Kind::Unix,
            "Date" => Kind::Date,
            "Time" => Kind::Time,
            "Timestamp" => Kind::Timestamp,
            other => {
                return Err(format!(
                    "Invalid value {other} for configuration target.type: String must be one of: string, unix, Date, Time, Timestamp"
                ));
            }
        };
        let precision = match config.require("unix.precision")? {
            "seconds" => Precision::Seconds,
            "milliseconds" => Precision::Millis,
            "microseconds" => Precision::Micros,
            "nanoseconds" => Precision::Nanos,
            other => {
                return Err(format!(
                    "Invalid value {other} for configuration unix.precision: String must be one of: nanoseconds, microseconds, milliseconds, seconds"
                ));
            }
        };
        let pattern = config.get("format").unwrap_or_default().to_string();
        if target == Kind::Text && pattern.trim().is_empty() {
            return Err("TimestampConverter requires format option to be specified when using string timestamps".into());
        }
        let format = if pattern.trim().is_empty() {
            None
        } else {
            Some(DateFormat::new(&pattern).map_err(|e| {
                format!("TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: {pattern} ({e})")
            })?)
        };
        Ok(TimestampConverter {
            part: smt::part(config),
            field: config.get("field").unwrap_or_default().to_string(),
            target,
            format,
            pattern,
            precision,
            use_default: config.get_bool("replace.null.with.default"),
            cache: smt::SchemaCache::default(),
        })
    }
}

impl TimestampConverter {
    /// The instant `value` (of `kind`) stands for, in ms since the epoch.
    fn to_raw(&self, value: &Value, kind: Kind) -> Result<i64, String> {
        let class = sluice_sdk::smt::java_class(value);
        match kind {
            Kind::Text => {
                let s = value.as_str().ok_or_else(|| {
                    format!("Expected string timestamp to be a String, but found class {class}")
                })?;
                let format = self
                    .format
                    .as_ref()
                    .ok_or("a string timestamp needs `format` to be read")?;
                format.parse(s).map_err(|_| {
                    format!(
                        "Could not parse timestamp: value ({s}) does not match pattern ({})",
                        self.pattern
                    )
                })
            }
            Kind::Unix => {
                let n = value.as_i64().ok_or_else(|| {
                    format!("Expected Unix timestamp to be a Long, but found class {class}")
                })?;
                Ok(match self.precision {
                    Precision::Seconds => n.saturating_mul(1000),
                    Precision::Millis => n,
                    // TimeUnit's conversions truncate toward zero.
                    Precision::Micros => n / 1000,
                    Precision::Nanos => n / 1_000_000,
                })
            }
            Kind::Date => Ok(value.as_i64().ok_or("a Date that is not a number")? * DAY_MS),
            Kind::Time | Kind::Timestamp => value
                .as_i64()
                .ok_or_else(|| "a Time or Timestamp that is not a number".to_string()),
        }
    }

    /// The instant `ms` as the target kind, in payload form.
    fn to_target(&self, ms: i64) -> Value {
        match self.target {
            Kind::Text => self
                .format
                .as_ref()
                .map(|f| f.format(ms))
                .unwrap_or_default()
                .into(),
            Kind::Unix => match self.precision {
                Precision::Seconds => (ms / 1000).into(),
                Precision::Millis => ms.into(),
                Precision::Micros => ms.saturating_mul(1000).into(),
                Precision::Nanos => ms.saturating_mul(1_000_000).into(),
            },
            Kind::Date => ms.div_euclid(DAY_MS).into(),
            Kind::Time => ms.rem_euclid(DAY_MS).into(),
            Kind::Timestamp => ms.into(),
        }
    }

    fn convert(&self, value: &Value, kind: Option<Kind>) -> Result<Value, String> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let kind = match kind {
            Some(k) => k,
            None => match value {
                Value::Number(n) if n.as_i64().is_some() => Kind::Unix,
                Value::String(_) => Kind::Text,
                other => {
                    return Err(format!(
                        "TimestampConverter does not support class {} objects as timestamps",
                        sluice_sdk::smt::java_class(other)
                    ));
                }
            },
        };
        Ok(self.to_target(self.to_raw(value, kind)?))
    }

    fn updated_schema(&mut self, schema: &Arc<Schema>) -> Result<Arc<Schema>, String> {
        let (field, target) = (&self.field, self.target);
        self.cache.get_or_make(schema, |s| {
            let fields: Vec<Field> = s
                .fields()
                .iter()
                .map(|f| {
                    if &f.name == field {
                        Field::new(&f.name, target.schema(f.schema.optional))
                    } else {
                        f.clone()
                    }
                })
                .collect();
            let mut u = smt::struct_like(s, fields);
            u.optional = s.optional;
            Ok(u)
        })
    }
}

impl Transform for TimestampConverter {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        let data = smt::read(record, self.part)?;
        let converted = match &data.schema {
            None => {
                if data.value.is_null() || self.field.is_empty() {
                    Data::schemaless(self.convert(&data.value, None)?)
                } else {
                    let mut map = smt::require_map(&data.value, PURPOSE)?.clone();
                    let v = map.get(&self.field).cloned().unwrap_or(Value::Null);
                    let c = self.convert(&v, None)?;
                    map.insert(self.field.clone(), c);
                    Data::schemaless(Value::Object(map))
                }
            }
            Some(schema) if self.field.is_empty() => {
                let kind = Kind::of_schema(schema)?;
                let updated = self.target.schema(schema.optional);
                Data::with_schema(updated, self.convert(&data.value, Some(kind))?)
            }
            Some(schema) => {
                let updated = self.updated_schema(schema)?;
                if data.value.is_null() {
                    Data::with_schema(updated, Value::Null)
                } else {
                    let (schema, value) = smt::require_struct(&data, PURPOSE)?;
                    let mut map = Map::new();
                    for f in schema.fields() {
                        let v = smt::field_value(schema, value, &f.name, self.use_default);
                        let v = if f.name == self.field {
                            self.convert(&v, Some(Kind::of_schema(&f.schema)?))?
                        } else {
                            v
                        };
                        map.insert(f.name.clone(), v);
                    }
                    Data::with_schema(updated, Value::Object(map))
                }
            }
        };
        smt::emit_with(out, record, self.part, &converted);
        Ok(())
    }
}

sluice_sdk::export_transform!(TimestampConverter);
