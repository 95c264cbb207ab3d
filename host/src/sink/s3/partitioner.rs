//! Partition paths of objects, as Confluent's partitioners encode them:
//! `partition=<p>` (Default), `<field>=<value>` (Field), or a record time
//! floored to `partition.duration.ms` in a time zone and formatted with
//! `path.format` (Hourly, Daily, TimeBased); and the record times that
//! time-based partitioning and `rotate.interval.ms` use.

use chrono::{DateTime, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use serde_json::Value;

use super::path_format::PathFormat;
use super::template::{KeyTemplate, TimeSource};
use crate::record::{Record, ValueKind};

/// Where a record's time comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Extractor {
    /// The time the record is written (not deterministic).
    Wallclock,
    /// The Kafka record's timestamp.
    Record,
    /// A (dotted) field of the JSON value: epoch ms or ISO-8601 text.
    RecordField(String),
}

/// Time-based partitioning.
#[derive(Clone, Debug)]
pub struct TimePartitioning {
    pub duration_ms: i64,
    pub format: PathFormat,
    pub timezone: Tz,
    pub extractor: Extractor,
}

/// How records are spread over partition paths.
#[derive(Clone, Debug)]
pub enum Partitioner {
    /// `partition=<kafka partition>`.
    Default,
    /// `<field>=<value>` per field, joined with `directory.delim`.
    Field(Vec<String>),
    Time(TimePartitioning),
    /// Aiven's `file.name.template`: the rendered key is the group.
    Template(KeyTemplate),
}

impl Partitioner {
    /// The time extractor, for time-based partitioners.
    pub fn extractor(&self) -> Option<&Extractor> {
        match self {
            Partitioner::Time(t) => Some(&t.extractor),
            _ => None,
        }
    }

    /// The record's time, for time-based partitioners; `now` is the wall clock in ms.
    pub fn timestamp(&self, record: &Record, now: i64) -> Result<Option<i64>, PartitionError> {
        if let Partitioner::Template(t) = self {
            return match (t.uses_time(), t.source) {
                (false, _) => Ok(None),
                (true, TimeSource::Wallclock) => Ok(Some(now)),
                (true, TimeSource::Event) => record
                    .timestamp
                    .map(Some)
                    .ok_or(PartitionError::NoEventTime),
            };
        }
        match self.extractor() {
            None => Ok(None),
            Some(Extractor::Wallclock) => Ok(Some(now)),
            Some(Extractor::Record) => record
                .timestamp
                .map(Some)
                .ok_or(PartitionError::NoTimestamp),
            Some(Extractor::RecordField(field)) => {
                let value = json_value(record)?;
                let v = lookup(&value, field)
                    .filter(|v| !v.is_null())
                    .ok_or_else(|| PartitionError::NoTimeField(field.clone()))?;
                timestamp_of(v)
                    .map(Some)
                    .map_err(|reason| PartitionError::BadTime {
                        field: field.clone(),
                        reason,
                    })
            }
        }
    }

    /// The record's partition path; `timestamp` is what [`Self::timestamp`] gave.
    pub fn encode(
        &self,
        record: &Record,
        timestamp: Option<i64>,
        directory_delim: &str,
    ) -> Result<String, PartitionError> {
        match self {
            Partitioner::Default => Ok(format!("partition={}", record.partition)),
            Partitioner::Field(fields) => {
                let value = json_value(record)?;
                let mut parts = Vec::with_capacity(fields.len());
                for field in fields {
                    let rendered = match lookup(&value, field) {
                        None => return Err(PartitionError::NoField(field.clone())),
                        Some(Value::String(s)) => s.clone(),
                        Some(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => {
                            v.to_string()
                        }
                        Some(_) => return Err(PartitionError::NotScalar(field.clone())),
                    };
                    parts.push(format!("{field}={rendered}"));
                }
                Ok(parts.join(directory_delim))
            }
            Partitioner::Time(t) => {
                let ts = timestamp.ok_or(PartitionError::NoTimestamp)?;
                Ok(t.format.format(&floor_local(ts, t.duration_ms, t.timezone)))
            }
            Partitioner::Template(t) => Ok(t.group(&record.topic, record.partition, timestamp)),
        }
    }
}

/// `ts` in `tz`'s local time, floored to a multiple of `duration_ms` of
/// local time, as Confluent's `TimeBasedPartitioner.getPartition` does
/// (Java's division truncates toward zero).
pub fn floor_local(ts: i64, duration_ms: i64, tz: Tz) -> NaiveDateTime {
    let offset_ms = tz
        .offset_from_utc_datetime(&utc(ts).naive_utc())
        .fix()
        .local_minus_utc() as i64
        * 1000;
    let local = ts.saturating_add(offset_ms);
    let floored = (local / duration_ms) * duration_ms;
    utc(floored).naive_utc()
}

fn utc(ms: i64) -> DateTime<chrono::Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The record's value as JSON: the converter must have produced JSON.
fn json_value(record: &Record) -> Result<Value, PartitionError> {
    let bytes = record.value.as_deref().ok_or(PartitionError::NullValue)?;
    if record.value_kind == ValueKind::Text {
        return Err(PartitionError::Text);
    }
    serde_json::from_slice(bytes).map_err(PartitionError::NotJson)
}

/// Why a record has no place in the partitioner's paths; the record goes
/// to the error handling (`errors.tolerance`, the dead letter queue).
#[derive(Debug, thiserror::Error)]
pub enum PartitionError {
    #[error("the record has no timestamp (timestamp.extractor=Record)")]
    NoTimestamp,
    #[error("the record has no timestamp (file.name.timestamp.source=event)")]
    NoEventTime,
    #[error("the value has no field {0:?} (timestamp.field)")]
    NoTimeField(String),
    #[error("timestamp.field {field:?}: {reason}")]
    BadTime { field: String, reason: String },
    #[error("the value has no field {0:?} (partition.field.name)")]
    NoField(String),
    #[error(
        "field {0:?} is an object or array: partition fields must be strings, numbers or booleans"
    )]
    NotScalar(String),
    #[error("the value is null: it has no fields")]
    NullValue,
    #[error("the value is text, not a JSON object: use the json converter")]
    Text,
    #[error("the value is not JSON ({0}): use the json converter")]
    NotJson(serde_json::Error),
}

/// The value at a dotted path of a JSON object.
fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(value, |v, name| v.as_object()?.get(name))
}

/// Epoch ms from a number, a string of digits, or ISO-8601 text (UTC when
/// it has no offset), as Confluent's RecordField extractor reads them.
fn timestamp_of(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .ok_or_else(|| format!("{n} is not a time in ms")),
        Value::String(s) => {
            let digits = s.strip_prefix('-').unwrap_or(s);
            if !digits.is_empty()
                && digits.len() <= 19
                && digits.bytes().all(|b| b.is_ascii_digit())
            {
                return s.parse().map_err(|e| format!("{s:?}: {e}"));
            }
            parse_iso(s).ok_or_else(|| format!("{s:?} is neither epoch ms nor an ISO-8601 time"))
        }
        other => Err(format!("{other} is neither epoch ms nor an ISO-8601 time")),
    }
}

fn parse_iso(s: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| {
            d.and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc()
                .timestamp_millis()
        })
}

/// The next scheduled rotation after `now`: slots of `period_ms` counted
/// from local midnight in `tz`, the last one cut at the next midnight
/// (Confluent's `DateTimeUtils.getNextTimeAdjustedByDay`).
pub fn next_scheduled_rotation(now: i64, period_ms: i64, tz: Tz) -> i64 {
    let local_date = utc(now).with_timezone(&tz).date_naive();
    let midnight = |d: chrono::NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map_or(now, |t| t.timestamp_millis())
    };
    let start = midnight(local_date);
    let end = local_date.succ_opt().map_or(start + 86_400_000, midnight);
    start + (((now - start) / period_ms + 1) * period_ms).min(end - start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn hourly(extractor: Extractor, tz: Tz) -> Partitioner {
        Partitioner::Time(TimePartitioning {
            duration_ms: 3_600_000,
            format: PathFormat::parse("'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH").unwrap(),
            timezone: tz,
            extractor,
        })
    }

    fn json(v: &'static str) -> Record {
        let mut r = Record::new("t", Some(Bytes::from_static(v.as_bytes())));
        r.value_kind = ValueKind::Json;
        r
    }

    #[test]
    fn hourly_paths_use_the_local_hour() {
        // 2022-04-18T10:30:00Z
        let ts = 1_650_277_800_000;
        let p = hourly(Extractor::Record, Tz::UTC);
        assert_eq!(
            p.encode(&json("{}"), Some(ts), "/").unwrap(),
            "year=2022/month=04/day=18/hour=10"
        );
        let paris = hourly(Extractor::Record, chrono_tz::Europe::Paris);
        assert_eq!(
            paris.encode(&json("{}"), Some(ts), "/").unwrap(),
            "year=2022/month=04/day=18/hour=12"
        );
    }

    #[test]
    fn field_paths_and_their_failures() {
        let p = Partitioner::Field(vec!["region".into(), "a.tier".into()]);
        let r = json(r#"{"region":"eu","a":{"tier":3}}"#);
        assert_eq!(p.encode(&r, None, "/").unwrap(), "region=eu/a.tier=3");
        assert!(matches!(
            p.encode(&json(r#"{"a":{"tier":3}}"#), None, "/").unwrap_err(),
            PartitionError::NoField(f) if f == "region"
        ));
        assert!(matches!(
            p.encode(&json("[1"), None, "/").unwrap_err(),
            PartitionError::NotJson(_)
        ));
    }

    #[test]
    fn record_field_times_are_ms_digits_or_iso() {
        let p = hourly(Extractor::RecordField("ts".into()), Tz::UTC);
        for v in [
            r#"{"ts":1650277800000}"#,
            r#"{"ts":"1650277800000"}"#,
            r#"{"ts":"2022-04-18T10:30:00Z"}"#,
            r#"{"ts":"2022-04-18T12:30:00+02:00"}"#,
            r#"{"ts":"2022-04-18T10:30:00"}"#,
        ] {
            assert_eq!(
                p.timestamp(&json(v), 0).unwrap(),
                Some(1_650_277_800_000),
                "{v}"
            );
        }
        assert!(p.timestamp(&json(r#"{"ts":"yesterday"}"#), 0).is_err());
        assert!(matches!(
            p.timestamp(&json(r#"{"x":1}"#), 0).unwrap_err(),
            PartitionError::NoTimeField(f) if f == "ts"
        ));
    }

    #[test]
    fn scheduled_rotation_aligns_to_local_midnight() {
        // 2022-04-18T10:30:00Z; 7 h slots in UTC: 07:00, 14:00, 21:00, then midnight.
        let now = 1_650_277_800_000;
        let day = 1_650_240_000_000; // 2022-04-18T00:00:00Z
        let h = 3_600_000;
        assert_eq!(next_scheduled_rotation(now, 7 * h, Tz::UTC), day + 14 * h);
        assert_eq!(
            next_scheduled_rotation(day + 22 * h, 7 * h, Tz::UTC),
            day + 24 * h
        );
    }
}
