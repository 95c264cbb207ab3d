//! Sinks: where delivered records go. Each sink owns its whole life in its
//! folder: its options as written (`raw`), checked (`config`, pure), and
//! started (`HttpSink`, `S3Sink`: clients, topics, the bucket check), and
//! how it delivers. The pipeline knows a sink only through [`Sink`]: it hands
//! over a batch's encoded records ([`Item`]) with the formatter's framing,
//! and the sink reports what became of each through [`Settle`].

pub mod http;
pub mod lenient;
pub mod s3;

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

use crate::format::FormatInfo;
use crate::record::{BatchLimits, Record};
use crate::stats::ConnectorStats;
use http::HttpSink;
use http::config::HttpSinkSpec;
use s3::S3Sink;
use s3::config::S3SinkSpec;

/// A sink as written; `type` selects which. `F` is how a formatter plugin
/// is written (the manifest's plugin table).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum RawSink<F> {
    /// Confluent HTTP Sink's options. Example: `sink = { type = "http", "http.api.url" = "https://…" }`.
    #[serde(rename = "http")]
    Http(Box<http::RawHttpSink<F>>),
    /// Confluent S3 Sink's options. Example:
    /// `sink = { type = "s3", "s3.bucket.name" = "archive", "flush.size" = 1000 }`.
    #[serde(rename = "s3")]
    S3(Box<s3::RawS3Sink<F>>),
}

/// What checking a raw sink gives: the sink (when it has no problem), the
/// formatter it names, and the formatter it takes when it names none.
pub struct CheckedSink<'a, F> {
    pub spec: Option<SinkSpec>,
    pub formatter: Option<&'a F>,
    pub default_formatter: &'static str,
}

impl<F> RawSink<F> {
    /// Checks the sink of connector `connector` (pure: no I/O, no
    /// environment); problems are pushed with the option they concern.
    pub fn check(
        &self,
        connector: &str,
        problems: &mut Vec<crate::problem::Problem>,
    ) -> CheckedSink<'_, F> {
        match self {
            RawSink::Http(http) => CheckedSink {
                spec: HttpSinkSpec::from_raw(connector, http, problems).map(SinkSpec::Http),
                formatter: http.formatter.as_ref(),
                default_formatter: "json-batch",
            },
            RawSink::S3(raw) => CheckedSink {
                spec: S3SinkSpec::from_raw(raw, problems).map(SinkSpec::S3),
                formatter: raw.formatter.as_ref(),
                default_formatter: s3::config::default_formatter(
                    raw.format_class.as_deref(),
                    problems,
                ),
            },
        }
    }

    /// Options the sink hands to its formatter `formatter` that Confluent
    /// keeps on the connector (the S3 sink's `format.bytearray.*`).
    pub fn formatter_options(&self, formatter: &str) -> Vec<(&'static str, String)> {
        match self {
            RawSink::S3(s3) if formatter == "bytearray" => [
                ("format.bytearray.separator", &s3.bytearray_separator),
                ("format.bytearray.extension", &s3.bytearray_extension),
            ]
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.clone()?)))
            .collect(),
            RawSink::S3(s3) if formatter == "avro-format" || formatter == "parquet-format" => [
                if formatter == "avro-format" {
                    ("avro.codec", s3.avro_codec.clone())
                } else {
                    ("parquet.codec", s3.parquet_codec.clone())
                },
                (
                    "enhanced.avro.schema.support",
                    s3.enhanced_avro_schema_support.map(|b| b.to_string()),
                ),
                (
                    "connect.meta.data",
                    s3.connect_meta_data.map(|b| b.to_string()),
                ),
            ]
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect(),
            _ => Vec::new(),
        }
    }
}

/// The type error of sink table `sink` (without its `type`) of kind
/// `kind`, with the path of the key inside the sink; `None` when its types
/// are right. The sink enum is tagged by `type`, which hides the path from a
/// whole-manifest deserialization, so each sink is deserialized as its own
/// type here.
pub fn type_error<F: serde::de::DeserializeOwned>(
    kind: &str,
    sink: toml::Table,
) -> Option<(serde_path_to_error::Path, String)> {
    fn check<T: serde::de::DeserializeOwned>(
        sink: toml::Table,
    ) -> Option<(serde_path_to_error::Path, String)> {
        serde_path_to_error::deserialize::<_, T>(toml::Value::Table(sink))
            .err()
            .map(|e| (e.path().clone(), e.inner().message().to_string()))
    }
    match kind {
        "http" => check::<http::RawHttpSink<F>>(sink),
        "s3" => check::<s3::RawS3Sink<F>>(sink),
        _ => None,
    }
}

/// A connector's sink, checked.
#[derive(Clone, Debug)]
// One per connector, built once: its size costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum SinkSpec {
    Http(HttpSinkSpec),
    S3(S3SinkSpec),
}

/// How the S3 sink cuts consumed records into batches: a processing unit
/// only (objects are cut by the rotation rules, record by record), small
/// enough that buffered batches of many partitions stay within a few MiB.
const S3_BATCHES: BatchLimits = BatchLimits {
    max_records: 1000,
    max_bytes: 1 << 20,
    linger: std::time::Duration::from_millis(100),
};

impl SinkSpec {
    /// When a partition's consumed records are handed to the pipeline.
    pub fn batch(&self) -> BatchLimits {
        match self {
            SinkSpec::Http(h) => h.batch,
            SinkSpec::S3(_) => S3_BATCHES,
        }
    }

    /// Where records go, for people: a URL or `s3://bucket` with its endpoint.
    pub fn destination(&self) -> String {
        match self {
            // The URL's path may come from a config provider too.
            SinkSpec::Http(h) => {
                crate::secrets::scrub(&crate::secrets::scrub_url(&h.url)).into_owned()
            }
            SinkSpec::S3(s) => match &s.endpoint {
                Some(e) => format!("s3://{} at {e}", s.bucket),
                None => format!("s3://{}", s.bucket),
            },
        }
    }
}

/// A record handed to the sink: the record as the transforms left it, the
/// index of the consumed record it came from, and the formatter's encoding
/// (`None` for a null value, which the sink handles by its
/// `behavior.on.null.values`).
pub struct Item {
    pub record: Record,
    pub origin: usize,
    pub bytes: Option<Bytes>,
}

/// The formatter's bytes around records, for this batch.
pub struct Framing<'a> {
    pub info: &'a FormatInfo,
    pub header: &'a [u8],
    pub trailer: &'a [u8],
}

/// A record the sink could not take, as the dead letter queue reports it.
#[derive(Debug, Clone)]
pub struct SinkFailure {
    /// The sink, `http` or `s3`.
    pub sink: &'static str,
    /// Connect's (or Sluice's) exception class for the DLQ header.
    pub class: &'static str,
    pub message: String,
}

/// Why a sink stops its connector.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// `behavior.on.null.values=fail` and a null value came.
    #[error("null value with behavior.on.null.values=fail")]
    NullValue,
    /// `behavior.on.error=fail` and a request failed for good.
    #[error("delivery failed (behavior.on.error=fail): {0}")]
    Delivery(#[from] http::client::DeliveryError),
    /// The store refused an upload for a reason retrying will not fix.
    #[error("{0}")]
    Store(#[from] s3::store::StoreError),
    /// A container format's formatter failed as a whole (a trap, a
    /// timeout) while writing an object, which is then not finished.
    #[error("{0}")]
    Formatter(#[from] EncodeError),
}

/// Why an [`ObjectEncoder`] call failed as a whole: the formatter's error,
/// as the pipeline words it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EncodeError(pub String);

/// One object's encoder for a container format (Avro, Parquet): a formatter
/// instance held for that object alone, so its state (the file's schema, an
/// open block) lasts from the object's first record to its trailer. The
/// pipeline, which owns the plugins, makes them (see [`ObjectEncoders`]).
pub trait ObjectEncoder: Send {
    /// One record's bytes, or the formatter's reason for failing it (the
    /// record then leaves nothing in the object).
    fn encode<'a>(
        &'a mut self,
        record: &'a Record,
    ) -> BoxFuture<'a, Result<Result<Bytes, String>, EncodeError>>;

    /// The bytes that open the object, asked after its first record.
    fn header(&mut self) -> BoxFuture<'_, Result<Bytes, EncodeError>>;

    /// The bytes that close the object.
    fn trailer(&mut self) -> BoxFuture<'_, Result<Bytes, EncodeError>>;
}

/// Opens an [`ObjectEncoder`] for each new object of a container format.
pub trait ObjectEncoders: Send + Sync {
    fn open(&self) -> BoxFuture<'_, Result<Box<dyn ObjectEncoder>, EncodeError>>;
}

/// A boxed future, for the encoder traits' async calls.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

impl From<s3::writer::WriteError> for SinkError {
    fn from(e: s3::writer::WriteError) -> Self {
        match e {
            s3::writer::WriteError::Store(e) => SinkError::Store(e),
            s3::writer::WriteError::Formatter(e) => SinkError::Formatter(e),
        }
    }
}

/// What a sink reports about the records of a batch, by origin (the index
/// of the consumed record); the pipeline keeps the account.
pub trait Settle {
    /// The first origin not to act on: records from it on are left undone.
    fn cut(&self) -> usize;
    /// Whether the records of `origin` still move on.
    fn keeps(&self, origin: usize) -> bool;
    /// The sink deliberately left the record out (finished, not delivered).
    fn dropped(&mut self, origin: usize);
    /// The sink cannot take the record: skipped or fatal by the connector's
    /// `errors.tolerance`, as a converter's failure is.
    fn rejected(&mut self, origin: usize, failure: SinkFailure);
    /// The sink could not deliver the record and moves on
    /// (`behavior.on.error=log`): reported whatever the tolerance.
    fn undelivered(&mut self, origin: usize, failure: SinkFailure);
    /// The batch stops at `origin` (unless it stopped earlier).
    fn stop(&mut self, origin: usize, error: SinkError);
}

/// A started sink.
// One per connector: the size of its variants does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Sink {
    Http(HttpSink),
    S3(S3Sink),
}

/// What a partition's worker keeps for the sink between batches: the S3
/// sink's open objects.
#[derive(Default)]
pub struct PartitionState {
    writer: s3::writer::PartitionWriter,
}

impl PartitionState {
    /// The lowest offset the sink still holds in objects not yet uploaded
    /// (`None`: none); commits stop there.
    pub fn held_from(&self) -> Option<i64> {
        self.writer.held_from()
    }
}

/// Why a sink could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Http(http::client::DeliveryError),
    #[error("reporter: {0}")]
    ReporterTopic(crate::kafka::TopicError),
    #[error("reporter: cannot create the Kafka producer: {0}")]
    ReporterProducer(rdkafka::error::KafkaError),
    #[error("{0}")]
    Bucket(s3::store::StoreError),
}

impl Sink {
    /// Starts the sink of connector `name` (the HTTP client and reporter
    /// topics, or the S3 client after checking the bucket). `extension` is
    /// the formatter's file extension; `per_object` the encoders of a
    /// container format (S3 only); `connection` the Kafka client settings
    /// for topics the sink writes.
    pub async fn start(
        name: &str,
        spec: &SinkSpec,
        extension: &str,
        per_object: Option<Arc<dyn ObjectEncoders>>,
        connection: &BTreeMap<String, String>,
        stats: Arc<ConnectorStats>,
    ) -> Result<Sink, StartError> {
        Ok(match spec {
            SinkSpec::Http(h) => Sink::Http(HttpSink::start(name, h, connection, stats).await?),
            SinkSpec::S3(s) => Sink::S3(S3Sink::start(s, extension, per_object, stats).await?),
        })
    }

    /// Whether the sink encodes the records itself (a container format's
    /// formatter, one instance per S3 object) instead of taking the
    /// pipeline's encodings.
    pub fn encodes_records(&self) -> bool {
        match self {
            Sink::Http(_) => false,
            Sink::S3(s) => s.encodes_records(),
        }
    }

    /// Whether null values are encoded for it (the S3 sink's
    /// `behavior.on.null.values=write`); otherwise it gets them unencoded.
    pub fn encodes_nulls(&self) -> bool {
        match self {
            Sink::Http(_) => false,
            Sink::S3(s) => s.encodes_nulls(),
        }
    }

    /// Delivers `items` (one partition, in order), reporting each through
    /// `settle`. `originals` is the consumed batch the origins index.
    pub async fn deliver(
        &self,
        state: &mut PartitionState,
        originals: &[Record],
        items: Vec<Item>,
        framing: &Framing<'_>,
        settle: &mut (dyn Settle + Send),
    ) {
        match self {
            Sink::Http(h) => h.deliver(originals, items, framing, settle).await,
            Sink::S3(s) => {
                s.deliver(&mut state.writer, originals, items, framing, settle)
                    .await
            }
        }
    }

    /// When the partition's open objects are due for scheduled rotation
    /// (wall clock, ms since the epoch), if any.
    pub fn idle_deadline(&self, state: &PartitionState) -> Option<i64> {
        match self {
            Sink::S3(_) => state.writer.scheduled_rotation(),
            Sink::Http(_) => None,
        }
    }

    /// Runs scheduled rotation on an idle partition; returns what the sink
    /// still holds afterwards.
    pub async fn on_idle(
        &self,
        state: &mut PartitionState,
        framing: &Framing<'_>,
    ) -> Result<Option<i64>, SinkError> {
        if let Sink::S3(s) = self {
            s.on_idle(&mut state.writer, framing).await?;
        }
        Ok(state.held_from())
    }

    /// Whether an idle partition needs the formatter's framing (only the S3
    /// sink's scheduled rotation does).
    pub fn rotates_when_idle(&self) -> bool {
        matches!(self, Sink::S3(_))
    }
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
