//! The S3 sink, started, writing a batch: null values by
//! `behavior.on.null.values`, the partitioner, then the partition's open
//! objects, which upload by Confluent's rotation rules. Records in objects
//! not yet uploaded stay held: the batch finishes, but commits stop before
//! them.

use std::sync::Arc;

use super::config::{Compression, OnNull, S3SinkSpec};
use super::store::{Store, StoreError};
use super::writer::{Framing as ObjectFraming, PartitionWriter, Placed};
use crate::record::Record;
use crate::sink::{Framing, Item, Settle, SinkError, SinkFailure, now_ms};
use crate::stats::ConnectorStats;

/// Connect's name for a record the partitioner cannot place.
const PARTITION_EXCEPTION: &str = "io.confluent.connect.storage.errors.PartitionException";

/// The S3 sink of one connector: its store client.
pub struct S3Sink {
    spec: S3SinkSpec,
    store: Store,
    /// The formatter's extension, plus `.gz` when compressed.
    extension: String,
    stats: Arc<ConnectorStats>,
}

impl S3Sink {
    /// Builds the client and checks the bucket; `extension` is the
    /// formatter's.
    pub async fn start(
        spec: &S3SinkSpec,
        extension: &str,
        stats: Arc<ConnectorStats>,
    ) -> Result<Self, crate::sink::StartError> {
        let store = Store::new(spec).await.counting_into(stats.clone());
        store
            .check_bucket()
            .await
            .map_err(crate::sink::StartError::Bucket)?;
        let gz = match spec.compression {
            Compression::Gzip { .. } => ".gz",
            Compression::None => "",
        };
        Ok(S3Sink {
            extension: format!("{extension}{gz}"),
            spec: spec.clone(),
            store,
            stats,
        })
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
            let Some(bytes) = item.bytes else {
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
            };
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
                bytes: &bytes,
            };
            if let Err(e) = writer
                .write(&self.spec, &self.store, &framing, placed, now)
                .await
            {
                settle.stop(origin, SinkError::Store(e));
                return;
            }
        }
    }

    /// Uploads an idle partition's open objects when scheduled rotation is due.
    pub async fn on_idle(
        &self,
        writer: &mut PartitionWriter,
        framing: &Framing<'_>,
    ) -> Result<(), StoreError> {
        let framing = ObjectFraming {
            info: framing.info,
            header: framing.header,
            trailer: framing.trailer,
            extension: &self.extension,
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
