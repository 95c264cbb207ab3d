//! The S3 sink's settings, checked: Confluent S3 Sink's names and defaults,
//! turned into types the sink uses without further checks.

use std::time::Duration;

use chrono_tz::Tz;

use super::compat::Compatibility;
use super::partitioner::{Extractor, Partitioner, TimePartitioning};
use super::path_format::PathFormat;
use super::raw::RawS3Sink;
use super::template::{KeyTemplate, TimeSource};

/// Smallest part S3 accepts in a multipart upload (but the last).
pub const MIN_PART_SIZE: u64 = 5 << 20;

/// What to do with null values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnNull {
    /// Stop the connector at the record.
    Fail,
    /// Skip the record (finished, like a written one).
    Ignore,
    /// Hand it to the formatter like any record.
    Write,
}

/// Object compression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip { level: u32 },
}

/// How object keys are built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyLayout {
    /// Empty for none.
    pub topics_dir: String,
    pub directory_delim: String,
    pub file_delim: String,
    pub offset_pad_width: usize,
}

impl KeyLayout {
    /// `[<topics.dir>/]<topic>/<partition path>/<topic>+<p>+<start>` plus `extension`.
    pub fn key(
        &self,
        topic: &str,
        encoded: &str,
        partition: i32,
        start: i64,
        extension: &str,
    ) -> String {
        let (d, f, w) = (
            &self.directory_delim,
            &self.file_delim,
            self.offset_pad_width,
        );
        let suffix =
            format!("{topic}{d}{encoded}{d}{topic}{f}{partition}{f}{start:0w$}{extension}");
        if self.topics_dir.trim().is_empty() {
            suffix
        } else {
            format!("{}{d}{suffix}", self.topics_dir)
        }
    }
}

/// Objects of one Kafka partition open at once unless `open.objects.max`
/// says otherwise.
const DEFAULT_OPEN_OBJECTS: usize = 100;

/// The most `open.objects.max` may be.
const MAX_OPEN_OBJECTS: u64 = 100_000;

/// When open objects are uploaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    pub flush_size: u64,
    pub flush_bytes: Option<u64>,
    /// Objects open at once; a new partition path past them uploads the set.
    pub open_max: usize,
    /// Record-time rotation (time-based partitioners only).
    pub interval_ms: Option<i64>,
    /// Wall-clock rotation.
    pub schedule_ms: Option<i64>,
    pub on_partition_change: bool,
}

/// Retries of S3 requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct S3Retry {
    /// Attempts after the first, inside one request.
    pub retries: u32,
    pub backoff: Duration,
    /// Pause before a request whose retries ran out is tried again.
    pub outage_backoff: Duration,
}

/// Static credentials from the manifest.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StaticCredentials({}, ***)", self.access_key_id)
    }
}

/// An IAM role assumed with STS for every request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: String,
    pub external_id: Option<String>,
    pub duration: Duration,
    /// The STS endpoint, with its scheme; `None`: the SDK's.
    pub endpoint: Option<String>,
}

/// Server-side encryption: the `x-amz-server-side-encryption` algorithm and,
/// for KMS, the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encryption {
    pub algorithm: String,
    pub kms_key_id: Option<String>,
}

/// The S3 sink, checked.
#[derive(Clone, Debug)]
pub struct S3SinkSpec {
    pub bucket: String,
    pub region: Option<String>,
    /// A custom endpoint, with its scheme.
    pub endpoint: Option<String>,
    pub path_style: bool,
    pub credentials: Option<StaticCredentials>,
    /// A role assumed with `credentials` (or the AWS chain) as the base.
    pub assume_role: Option<AssumeRole>,
    pub keys: KeyLayout,
    pub partitioner: Partitioner,
    pub rotation: Rotation,
    /// Time zone of scheduled rotation.
    pub timezone: Option<Tz>,
    pub part_size: u64,
    /// Server-side encryption asked of the store for every object.
    pub encryption: Option<Encryption>,
    pub compression: Compression,
    /// `s3.compression.containers`: container formats' files are wrapped
    /// in `compression` too.
    pub compress_containers: bool,
    pub retry: S3Retry,
    pub on_null: OnNull,
    /// `schema.compatibility`: what a change of value schema does.
    pub compatibility: Compatibility,
}

/// An endpoint option as a URL: `https://` when it names no scheme, `None`
/// when empty.
fn endpoint_url(given: Option<&str>) -> Option<String> {
    let u = given.map(str::trim).filter(|u| !u.is_empty())?;
    Some(if u.contains("://") {
        u.to_string()
    } else {
        format!("https://{u}")
    })
}

impl S3SinkSpec {
    /// Checks `raw`; problems are pushed with the key they concern.
    pub fn from_raw<F>(
        raw: &RawS3Sink<F>,
        problems: &mut Vec<crate::problem::Problem>,
    ) -> Option<Self> {
        let before = problems.len();
        let mut problem = |key: &str, msg: String| {
            problems.push(crate::problem::Problem::option("sink", key, msg))
        };
        if raw.bucket.trim().is_empty() {
            problem("s3.bucket.name", "must name a bucket".into());
        }
        let endpoint = endpoint_url(raw.store_url.as_deref());
        let credentials = match (&raw.access_key_id, &raw.secret_access_key) {
            (Some(id), Some(secret)) => Some(StaticCredentials {
                access_key_id: id.clone(),
                secret_access_key: secret.clone(),
            }),
            (None, None) => None,
            _ => {
                problem(
                    "aws.access.key.id",
                    "set it together with \"aws.secret.access.key\", or neither (the AWS credential chain)".into(),
                );
                None
            }
        };
        let assume_role = match raw.sts_role_arn.as_deref().map(str::trim) {
            Some(arn) if !arn.is_empty() => {
                let seconds = raw.sts_role_session_duration.unwrap_or(3600);
                if !(900..=43200).contains(&seconds) {
                    problem(
                        "sts.role.session.duration",
                        format!(
                            "{seconds} is out of range: STS gives sessions of 900 to 43200 seconds"
                        ),
                    );
                }
                Some(AssumeRole {
                    role_arn: arn.to_string(),
                    session_name: raw
                        .sts_role_session_name
                        .clone()
                        .filter(|n| !n.trim().is_empty())
                        .unwrap_or_else(|| "sluice".to_string()),
                    external_id: raw.sts_role_external_id.clone().filter(|x| !x.is_empty()),
                    duration: Duration::from_secs(seconds),
                    endpoint: endpoint_url(raw.sts_endpoint.as_deref()),
                })
            }
            _ => {
                for (key, given) in [
                    ("sts.role.session.name", raw.sts_role_session_name.is_some()),
                    ("sts.role.external.id", raw.sts_role_external_id.is_some()),
                    (
                        "sts.role.session.duration",
                        raw.sts_role_session_duration.is_some(),
                    ),
                    ("sts.endpoint", raw.sts_endpoint.is_some()),
                ] {
                    if given {
                        problem(key, "applies only with \"sts.role.arn\": set the role to assume, or remove it".into());
                    }
                }
                None
            }
        };
        let pad = raw.offset_pad_width.unwrap_or(10);
        if pad > 19 {
            problem(
                "filename.offset.zero.pad.width",
                format!("{pad} is more than 19, the digits of the largest offset"),
            );
        }
        let keys = KeyLayout {
            topics_dir: raw.topics_dir.clone().unwrap_or_else(|| "topics".into()),
            directory_delim: raw.directory_delim.clone().unwrap_or_else(|| "/".into()),
            file_delim: raw.file_delim.clone().unwrap_or_else(|| "+".into()),
            offset_pad_width: pad,
        };
        let timezone = match raw
            .timezone
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            None => None,
            Some(t) => match t.parse::<Tz>() {
                Ok(tz) => Some(tz),
                Err(_) => {
                    problem(
                        "timezone",
                        format!(
                            "{t:?} is not a time zone: use an IANA name such as \"UTC\" or \"Europe/Paris\""
                        ),
                    );
                    None
                }
            },
        };
        let partitioner = match &raw.file_name_template {
            Some(text) => template(raw, text, &mut problem).map(Partitioner::Template),
            None => partitioner(raw, timezone, &mut problem),
        };
        let flush_size = match raw.flush_size {
            // No record limit: objects close on the schedule (checked below).
            Some(0) => u64::MAX,
            Some(n) => n,
            None => {
                problem(
                    "flush.size",
                    "required, as in Confluent's S3 Sink: records per object set, e.g. 1000".into(),
                );
                1
            }
        };
        let open_max = match raw.open_objects_max {
            None => DEFAULT_OPEN_OBJECTS,
            Some(n @ 1..=MAX_OPEN_OBJECTS) => n as usize,
            Some(n) => {
                problem(
                    "open.objects.max",
                    format!("{n}: objects open at once must be 1 to {MAX_OPEN_OBJECTS}"),
                );
                DEFAULT_OPEN_OBJECTS
            }
        };
        let positive = |v: Option<i64>| v.filter(|&ms| ms > 0);
        let interval_ms = positive(raw.rotate_interval_ms);
        let schedule_ms = positive(raw.rotate_schedule_interval_ms);
        if flush_size == u64::MAX && schedule_ms.is_none() {
            problem(
                "flush.size",
                "0 (no record limit) needs rotate.schedule.interval.ms, or objects would never close"
                    .into(),
            );
        }
        if schedule_ms.is_some() && timezone.is_none() {
            problem(
                "rotate.schedule.interval.ms",
                "needs timezone, which aligns the schedule to midnight: set timezone = \"UTC\""
                    .into(),
            );
        }
        if interval_ms.is_some() && !matches!(partitioner, Some(Partitioner::Time(_))) {
            tracing::warn!(
                "\"rotate.interval.ms\" is ignored: it applies to time-based partitioners only (as in Confluent's S3 Sink)"
            );
        }
        let part_size = raw.part_size.unwrap_or(25 << 20);
        if part_size < MIN_PART_SIZE {
            problem(
                "s3.part.size",
                format!("{part_size} is below S3's minimum part, 5242880 (5 MiB)"),
            );
        }
        let level = raw.compression_level.unwrap_or(-1);
        if !(-1..=9).contains(&level) {
            problem(
                "s3.compression.level",
                format!("{level} is not -1 (default) or 0-9"),
            );
        }
        let compression = match raw
            .compression_type
            .as_deref()
            .unwrap_or("none")
            .to_ascii_lowercase()
            .as_str()
        {
            "none" => Compression::None,
            "gzip" => Compression::Gzip {
                level: if level < 0 { 6 } else { level as u32 },
            },
            other => {
                problem(
                    "s3.compression.type",
                    format!("{other:?} is not none or gzip"),
                );
                Compression::None
            }
        };
        let encryption = match raw.ssea_name.as_deref().map(str::trim).unwrap_or("") {
            "" => None,
            a if a.eq_ignore_ascii_case("AES256") => Some(Encryption {
                algorithm: "AES256".into(),
                kms_key_id: None,
            }),
            a if ["aws:kms", "aws:kms:dsse"].contains(&a.to_ascii_lowercase().as_str()) => {
                Some(Encryption {
                    algorithm: a.to_ascii_lowercase(),
                    kms_key_id: raw
                        .sse_kms_key_id
                        .as_deref()
                        .map(str::trim)
                        .filter(|k| !k.is_empty())
                        .map(String::from),
                })
            }
            other => {
                problem(
                    "s3.ssea.name",
                    format!("{other:?} is not AES256, aws:kms or aws:kms:dsse"),
                );
                None
            }
        };
        if raw
            .sse_customer_key
            .as_deref()
            .is_some_and(|k| !k.trim().is_empty())
        {
            problem(
                "s3.sse.customer.key",
                "customer-provided keys (SSE-C) are not implemented: use \"s3.ssea.name\" = \"aws:kms\" with \"s3.sse.kms.key.id\"".into(),
            );
        }
        let on_null = match raw
            .behavior_on_null_values
            .as_deref()
            .unwrap_or("fail")
            .to_ascii_lowercase()
            .as_str()
        {
            "fail" => OnNull::Fail,
            "ignore" => OnNull::Ignore,
            "write" => OnNull::Write,
            other => {
                problem(
                    "behavior.on.null.values",
                    format!("{other:?} is not fail, ignore or write"),
                );
                OnNull::Fail
            }
        };
        // The container formats' codecs, checked here so that a config is
        // refused before it runs (the formatters check them again).
        if let Some(codec) = &raw.avro_codec
            && !["null", "deflate", "snappy", "bzip2", "zstandard", "zstd"]
                .contains(&codec.to_ascii_lowercase().as_str())
        {
            problem(
                "avro.codec",
                format!("{codec:?} is not null, deflate, snappy, bzip2 or zstandard"),
            );
        }
        if let Some(codec) = &raw.parquet_codec {
            match codec.to_ascii_lowercase().as_str() {
                "none" | "uncompressed" | "snappy" | "gzip" | "lz4_raw" | "zstd" => {}
                "brotli" | "lzo" | "lz4" => problem(
                    "parquet.codec",
                    format!(
                        "{codec:?} is not available in Sluice yet: use snappy, gzip, lz4_raw, zstd or none"
                    ),
                ),
                _ => problem(
                    "parquet.codec",
                    format!("{codec:?} is not snappy, gzip, lz4_raw, zstd or none"),
                ),
            }
        }
        let compatibility = match raw.schema_compatibility.as_deref() {
            None => Compatibility::None,
            Some(name) => Compatibility::parse(name.trim()).unwrap_or_else(|| {
                problem(
                    "schema.compatibility",
                    format!("{name:?} is not NONE, BACKWARD, FORWARD or FULL"),
                );
                Compatibility::None
            }),
        };
        let ms = Duration::from_millis;
        let spec = S3SinkSpec {
            bucket: raw.bucket.trim().to_string(),
            region: raw.region.clone(),
            endpoint,
            path_style: raw.path_style.unwrap_or(true),
            credentials,
            assume_role,
            keys,
            partitioner: partitioner.unwrap_or(Partitioner::Default),
            rotation: Rotation {
                flush_size,
                flush_bytes: raw.flush_size_bytes.filter(|&b| b > 0),
                open_max,
                interval_ms,
                schedule_ms,
                on_partition_change: raw.rotate_on_partition_change.unwrap_or(true),
            },
            timezone,
            part_size,
            encryption,
            compression,
            compress_containers: raw.compression_containers.unwrap_or(false),
            retry: S3Retry {
                retries: raw.part_retries.unwrap_or(3),
                backoff: ms(raw.retry_backoff_ms.unwrap_or(200)),
                outage_backoff: ms(raw.outage_backoff_ms.unwrap_or(5_000).max(1)),
            },
            on_null,
            compatibility,
        };
        (problems.len() == before).then_some(spec)
    }
}

/// `file.name.template` with its time settings, checked; it replaces the
/// partitioner and Confluent's key layout.
fn template<F>(
    raw: &RawS3Sink<F>,
    text: &str,
    problem: &mut impl FnMut(&str, String),
) -> Option<KeyTemplate> {
    if let Some(class) =
        raw.partitioner_class.as_deref().map(str::trim).filter(|c| {
            !c.is_empty() && !c.ends_with("Default") && !c.ends_with("DefaultPartitioner")
        })
    {
        problem(
            "partitioner.class",
            format!("{class:?}: file.name.template names the objects, so no partitioner applies"),
        );
    }
    let timezone = match raw
        .file_name_timezone
        .as_deref()
        .map(str::trim)
        .unwrap_or("UTC")
    {
        "" | "Z" | "UTC" => Tz::UTC,
        t => match t.parse::<Tz>() {
            Ok(tz) => tz,
            Err(_) => {
                problem(
                    "file.name.timestamp.timezone",
                    format!(
                        "{t:?} is not a time zone: use an IANA name such as \"UTC\" or \"Europe/Berlin\""
                    ),
                );
                return None;
            }
        },
    };
    let source = match raw
        .file_name_time_source
        .as_deref()
        .map(|s| s.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("wallclock") => TimeSource::Wallclock,
        Some("event") => TimeSource::Event,
        Some(other) => {
            problem(
                "file.name.timestamp.source",
                format!("{other:?} is not wallclock or event"),
            );
            return None;
        }
    };
    KeyTemplate::parse(text, timezone, source)
        .map_err(|e| problem("file.name.template", format!("{text:?} {e}")))
        .ok()
}

/// The partitioner `raw` names, with its settings checked.
fn partitioner<F>(
    raw: &RawS3Sink<F>,
    timezone: Option<Tz>,
    problem: &mut impl FnMut(&str, String),
) -> Option<Partitioner> {
    let class = raw.partitioner_class.as_deref().unwrap_or("Default").trim();
    let short = class
        .rsplit('.')
        .next()
        .unwrap_or(class)
        .trim_end_matches("Partitioner");
    let delim = raw.directory_delim.as_deref().unwrap_or("/");
    let (duration_ms, pattern) = match short {
        "Default" => return Some(Partitioner::Default),
        "Field" => {
            let fields: Vec<String> = raw
                .partition_field_name
                .as_deref()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(String::from)
                .collect();
            if fields.is_empty() || fields.iter().any(|f| f.split('.').any(str::is_empty)) {
                problem("partition.field.name", "the Field partitioner needs value fields, comma separated, e.g. \"region,tier\"".into());
                return None;
            }
            return Some(Partitioner::Field(fields));
        }
        // Hourly and Daily impose their duration and format, as Confluent's do.
        "Hourly" => (
            3_600_000,
            "'year'=YYYY'/month'=MM'/day'=dd'/hour'=HH".replace('/', delim),
        ),
        "Daily" => (
            86_400_000,
            "'year'=YYYY'/month'=MM'/day'=dd".replace('/', delim),
        ),
        "TimeBased" => {
            let d = raw.partition_duration_ms.unwrap_or(-1);
            if d <= 0 {
                problem(
                    "partition.duration.ms",
                    format!(
                        "{d}: the TimeBased partitioner needs a positive duration, e.g. 3600000"
                    ),
                );
            }
            let f = raw.path_format.as_deref().unwrap_or("").trim();
            if f.is_empty() {
                problem(
                    "path.format",
                    "the TimeBased partitioner needs one, e.g. \"'year'=YYYY/'month'=MM/'day'=dd\""
                        .into(),
                );
            }
            (d.max(1), f.trim_end_matches(delim).to_string())
        }
        _ => {
            problem(
                "partitioner.class",
                format!(
                    "{class:?} is not Default, Field, Hourly, Daily or TimeBased (Confluent's io.confluent.connect.storage.partitioner.* names work too)"
                ),
            );
            return None;
        }
    };
    if raw.locale.as_deref().is_none_or(|l| l.trim().is_empty()) {
        problem(
            "locale",
            format!("the {short} partitioner needs a locale, e.g. locale = \"en-US\""),
        );
    }
    let Some(timezone) = timezone else {
        problem(
            "timezone",
            format!("the {short} partitioner needs a time zone, e.g. timezone = \"UTC\""),
        );
        return None;
    };
    let format = match PathFormat::parse(&pattern) {
        Ok(f) => f,
        Err(e) => {
            problem("path.format", e.to_string());
            return None;
        }
    };
    let extractor = match raw
        .timestamp_extractor
        .as_deref()
        .unwrap_or("Wallclock")
        .trim()
    {
        e if e.ends_with("Wallclock") || e.ends_with("WallclockTimestampExtractor") => {
            Extractor::Wallclock
        }
        e if e.ends_with("RecordField") || e.ends_with("RecordFieldTimestampExtractor") => {
            Extractor::RecordField(
                raw.timestamp_field
                    .clone()
                    .unwrap_or_else(|| "timestamp".into()),
            )
        }
        e if e.ends_with("Record") || e.ends_with("RecordTimestampExtractor") => Extractor::Record,
        other => {
            problem(
                "timestamp.extractor",
                format!("{other:?} is not Wallclock, Record or RecordField"),
            );
            return None;
        }
    };
    Some(Partitioner::Time(TimePartitioning {
        duration_ms,
        format,
        timezone,
        extractor,
    }))
}

/// The formatter Confluent's `format.class` stands for.
pub fn default_formatter(
    format_class: Option<&str>,
    problems: &mut Vec<crate::problem::Problem>,
) -> &'static str {
    let Some(class) = format_class else {
        return "jsonl";
    };
    match class.rsplit('.').next().unwrap_or(class) {
        "JsonFormat" => "jsonl",
        "ByteArrayFormat" => "bytearray",
        "AvroFormat" => "avro-format",
        "ParquetFormat" => "parquet-format",
        other => {
            problems.push(crate::problem::Problem::option(
                "sink",
                "format.class",
                format!("{other} has no Sluice formatter (JsonFormat → jsonl, ByteArrayFormat → bytearray, AvroFormat → avro-format and ParquetFormat → parquet-format do); name a formatter plugin with sink.formatter"),
            ));
            "jsonl"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_confluents_layout() {
        let mut k = KeyLayout {
            topics_dir: "topics".into(),
            directory_delim: "/".into(),
            file_delim: "+".into(),
            offset_pad_width: 10,
        };
        assert_eq!(
            k.key("sensor", "year=2022/month=04/day=18/hour=10", 0, 0, ".json"),
            "topics/sensor/year=2022/month=04/day=18/hour=10/sensor+0+0000000000.json"
        );
        k.topics_dir = " ".into();
        assert_eq!(
            k.key("t", "partition=3", 3, 1234, ".bin.gz"),
            "t/partition=3/t+3+0000001234.bin.gz"
        );
    }

    /// The spec of a sink with `extra` lines, or its problems.
    fn spec_of(extra: &str) -> Result<S3SinkSpec, String> {
        let text = format!("\"s3.bucket.name\" = \"b\"\n\"flush.size\" = 10\n{extra}");
        let raw: RawS3Sink<toml::Value> = toml::from_str(&text).unwrap();
        let mut problems = Vec::new();
        let spec = S3SinkSpec::from_raw(&raw, &mut problems);
        match spec {
            Some(s) if problems.is_empty() => Ok(s),
            _ => Err(problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")),
        }
    }

    #[test]
    fn a_role_is_checked_and_defaulted() {
        let s = spec_of(
            "\"sts.role.arn\" = \"arn:aws:iam::1:role/r\"\n\"sts.endpoint\" = \"sts.eu-west-1.amazonaws.com\"",
        )
        .unwrap();
        assert_eq!(
            s.assume_role,
            Some(AssumeRole {
                role_arn: "arn:aws:iam::1:role/r".into(),
                session_name: "sluice".into(),
                external_id: None,
                duration: Duration::from_secs(3600),
                endpoint: Some("https://sts.eu-west-1.amazonaws.com".into()),
            })
        );
        let e = spec_of(
            "\"sts.role.arn\" = \"arn:aws:iam::1:role/r\"\n\"sts.role.session.duration\" = 60",
        )
        .unwrap_err();
        assert!(
            e.contains("60 is out of range: STS gives sessions of 900 to 43200 seconds"),
            "{e}"
        );
        let e = spec_of("\"sts.role.external.id\" = \"x\"").unwrap_err();
        assert!(
            e.contains("\"sts.role.external.id\"")
                && e.contains("applies only with \"sts.role.arn\""),
            "{e}"
        );
        assert_eq!(spec_of("").unwrap().assume_role, None);
    }

    #[test]
    fn open_objects_are_bounded_by_default_and_the_bound_is_checked() {
        assert_eq!(spec_of("").unwrap().rotation.open_max, 100);
        assert_eq!(
            spec_of("\"open.objects.max\" = 5000")
                .unwrap()
                .rotation
                .open_max,
            5000
        );
        for bad in ["0", "100001"] {
            let e = spec_of(&format!("\"open.objects.max\" = {bad}")).unwrap_err();
            assert!(
                e.contains("\"open.objects.max\"") && e.contains("must be 1 to 100000"),
                "{e}"
            );
        }
    }
}
