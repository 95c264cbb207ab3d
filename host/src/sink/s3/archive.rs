//! The S3 sink, started, writing a batch: null values by
//! `behavior.on.null.values`, the partitioner, then the partition's open
//! objects, which upload by Confluent's rotation rules. Records in objects
//! not yet uploaded stay held: the batch finishes, but commits stop before
//! them.

use std::sync::Arc;

use super::config::{Compression, OnNull, S3SinkSpec};
use super::store::Store;
use super::writer::{
    Framing as ObjectFraming, PartitionWriter, Payload, Placed, WriteError, Written,
};
use crate::record::Record;
use crate::sink::{Framing, Item, ObjectEncoders, Settle, SinkError, SinkFailure, now_ms};
use crate::stats::ConnectorStats;

/// Connect's name for a record the partitioner cannot place.
const PARTITION_EXCEPTION: &str = "io.confluent.connect.storage.errors.PartitionException";

/// Connect's name for a record a format cannot write.
const DATA_EXCEPTION: &str = "org.apache.kafka.connect.errors.DataException";

/// The S3 sink of one connector: its store client.
pub struct S3Sink {
    spec: S3SinkSpec,
    store: Store,
    /// The formatter's extension, plus `.gz` when compressed.
    extension: String,
    /// A container format's formatter, which encodes each object's records
    /// on an instance of the object's own.
    per_object: Option<Arc<dyn ObjectEncoders>>,
    stats: Arc<ConnectorStats>,
}

/// What wraps each object: `s3.compression.type`, except for a container
/// format's files, which compress inside and are not wrapped, as
/// Confluent's AvroFormat and ParquetFormat ignore it, unless
/// `s3.compression.containers` asks for it (Aiven's `avro` output).
fn object_compression(spec: &S3SinkSpec, container: bool) -> Compression {
    if container && !spec.compress_containers {
        Compression::None
    } else {
        spec.compression
    }
}

impl S3Sink {
    /// Builds the client and checks the bucket; `extension` is the
    /// formatter's; `per_object` the encoders of a container format.
    pub async fn start(
        spec: &S3SinkSpec,
        extension: &str,
        per_object: Option<Arc<dyn ObjectEncoders>>,
        stats: Arc<ConnectorStats>,
    ) -> Result<Self, crate::sink::StartError> {
        let store = Store::new(spec).await.counting_into(stats.clone());
        store
            .check_bucket()
            .await
            .map_err(crate::sink::StartError::Bucket)?;
        let mut spec = spec.clone();
        spec.compression = object_compression(&spec, per_object.is_some());
        let gz = match spec.compression {
            Compression::Gzip { .. } => ".gz",
            Compression::None => "",
        };
        Ok(S3Sink {
            extension: format!("{extension}{gz}"),
            spec,
            store,
            per_object,
            stats,
        })
    }

    /// Whether the sink encodes records itself, on each object's own
    /// formatter instance (a container format), rather than taking the
    /// pipeline's encodings.
    pub fn encodes_records(&self) -> bool {
        self.per_object.is_some()
    }

    /// Null values are written (encoded) with `behavior.on.null.values=write`.
    pub fn encodes_nulls(&self) -> bool {
        self.spec.on_null == OnNull::Write
    }

    /// Writes `items` into the partition's open objects, in record order.
    pub async fn deliver(
        &self,
        writer: &mut PartitionWriter,
        originals: &[Record],
        items: Vec<Item>,
        framing: &Framing<'_>,
        settle: &mut (dyn Settle + Send),
    ) {
        // One wall-clock time per batch, as Confluent uses one per write() call.
        let now = now_ms();
        writer.begin(&self.spec, now);
        let framing = ObjectFraming {
            info: framing.info,
            header: framing.header,
            trailer: framing.trailer,
            extension: &self.extension,
            per_object: self.per_object.as_deref(),
        };
        // Writing includes the uploads it triggers; timed however it ends.
        let _timer = SinkTimer {
            stats: &self.stats,
            records: items.len(),
            started: std::time::Instant::now(),
        };
        for item in items {
            let origin = item.origin;
            if origin >= settle.cut() {
                break;
            }
            if !settle.keeps(origin) {
                continue;
            }
            // A container format encodes in the writer; a null value is
            // handed over only when it is to be written.
            let unencoded = self.per_object.is_some()
                && (item.record.value.is_some() || self.spec.on_null == OnNull::Write);
            if item.bytes.is_none() && !unencoded {
                match self.spec.on_null {
                    OnNull::Fail => {
                        settle.stop(origin, SinkError::NullValue);
                        break;
                    }
                    // `write` encodes nulls: a null here is one to skip.
                    OnNull::Ignore | OnNull::Write => {
                        settle.dropped(origin);
                        continue;
                    }
                }
            }
            let record = item.record;
            let partitioner = &self.spec.partitioner;
            let placed = partitioner.timestamp(&record, now).and_then(|ts| {
                let dir = partitioner.encode(&record, ts, &self.spec.keys.directory_delim)?;
                Ok((ts, dir))
            });
            let (timestamp, encoded) = match placed {
                Ok(p) => p,
                Err(e) => {
                    settle.rejected(
                        origin,
                        SinkFailure {
                            sink: "s3",
                            class: PARTITION_EXCEPTION,
                            message: e.to_string(),
                        },
                    );
                    continue;
                }
            };
            let consumed = &originals[origin];
            let placed = Placed {
                topic: &record.topic,
                partition: consumed.partition,
                offset: consumed.offset,
                encoded,
                timestamp,
                payload: match &item.bytes {
                    Some(bytes) => Payload::Encoded(bytes),
                    None => Payload::Record(&record),
                },
                schema: record.value_schema.as_ref(),
            };
            match writer
                .write(&self.spec, &self.store, &framing, placed, now)
                .await
            {
                Ok(Written::Written) => {}
                Ok(Written::Rejected(message)) => settle.rejected(
                    origin,
                    SinkFailure {
                        sink: "s3",
                        class: DATA_EXCEPTION,
                        message,
                    },
                ),
                Err(e) => {
                    settle.stop(origin, e.into());
                    return;
                }
            }
        }
    }

    /// Uploads an idle partition's open objects when scheduled rotation is due.
    pub async fn on_idle(
        &self,
        writer: &mut PartitionWriter,
        framing: &Framing<'_>,
    ) -> Result<(), WriteError> {
        let framing = ObjectFraming {
            info: framing.info,
            header: framing.header,
            trailer: framing.trailer,
            extension: &self.extension,
            per_object: self.per_object.as_deref(),
        };
        writer
            .on_schedule(&self.spec, &framing, now_ms())
            .await
            .map(|_| ())
    }
}

/// Adds the S3 sink's time for a batch to the stage totals when dropped.
struct SinkTimer<'a> {
    stats: &'a ConnectorStats,
    records: usize,
    started: std::time::Instant,
}

impl Drop for SinkTimer<'_> {
    fn drop(&mut self) {
        self.stats
            .stages
            .add("sink s3", self.records, self.started.elapsed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(extra: &str) -> S3SinkSpec {
        let text = format!(
            "\"s3.bucket.name\" = \"b\"\n\"flush.size\" = 10\n\"s3.compression.type\" = \"gzip\"\n{extra}"
        );
        let raw: super::super::raw::RawS3Sink<toml::Value> = toml::from_str(&text).unwrap();
        let mut problems = Vec::new();
        let spec = S3SinkSpec::from_raw(&raw, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        spec.expect("a valid sink")
    }

    #[test]
    fn container_files_are_wrapped_only_when_asked() {
        let gzip = |c: Compression| matches!(c, Compression::Gzip { .. });
        // Confluent's layout and a template alike: Avro and Parquet files
        // compress inside, and stay readable under their own extensions.
        for extra in [
            "",
            "\"file.name.template\" = \"{{topic}}/{{partition}}-{{start_offset}}.parquet\"",
        ] {
            let s = spec(extra);
            assert!(!gzip(object_compression(&s, true)), "{extra}");
            assert!(gzip(object_compression(&s, false)), "{extra}");
        }
        let s = spec("\"s3.compression.containers\" = true");
        assert!(gzip(object_compression(&s, true)));
    }
}
