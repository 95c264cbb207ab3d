//! The S3 sink stage of a batch: null values by `behavior.on.null.values`,
//! the formatter, the partitioner, then the partition's open objects,
//! which upload by Confluent's rotation rules. Records in objects not yet
//! uploaded stay held: the batch finishes, but commits stop before them.

use super::outcome::{Fatal, Outcome, Work};
use super::{BatchError, Pipeline, S3Backend};
use crate::errors::Failure;
use crate::plugin::CallError;
use crate::record::Record;
use crate::sink::s3::config::OnNull;
use crate::sink::s3::writer::{Framing, PartitionWriter, Placed};

/// Connect's name for a record the partitioner cannot place.
const PARTITION_EXCEPTION: &str = "io.confluent.connect.storage.errors.PartitionException";

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Pipeline {
    /// Writes `work` into the partition's open objects, in record order.
    pub(super) async fn archive(
        &self,
        s: &S3Backend,
        writer: &mut PartitionWriter,
        originals: &[Record],
        work: Work,
        out: &mut Outcome,
    ) {
        // One wall-clock time per batch, as Confluent uses one per write() call.
        let now = now_ms();
        writer.begin(&s.spec, now);
        let mut kept = Work::default();
        for (record, origin) in work.records.into_iter().zip(work.origins) {
            if origin >= out.cut() {
                break;
            }
            if record.value.is_none() {
                match s.spec.on_null {
                    OnNull::Ignore => {
                        out.drop_record(origin);
                        continue;
                    }
                    OnNull::Fail => {
                        out.stop(origin, Fatal::NullValue);
                        break;
                    }
                    OnNull::Write => {}
                }
            }
            kept.push(record, origin);
        }
        if kept.is_empty() {
            return;
        }
        let formatter = &self.connector.formatter;
        let ready = self.encode(kept, out).await;
        let Some(origin) = ready.first().map(|r| r.1) else {
            return;
        };
        let (header, trailer) = match self.framing().await {
            Ok(f) => f,
            Err(e) => {
                out.stop(origin, Fatal::Plugin("formatter", e));
                return;
            }
        };
        let info = formatter.format_info().expect("a formatter has framing");
        let framing = Framing {
            info,
            header: &header,
            trailer: &trailer,
            extension: &s.extension,
        };
        // Writing includes the uploads it triggers; timed however it ends.
        let _timer = SinkTimer {
            pipeline: self,
            records: ready.len(),
            started: std::time::Instant::now(),
        };
        for (record, origin, bytes) in ready {
            if origin >= out.cut() {
                break;
            }
            if !out.keeps(origin) {
                continue;
            }
            let placed = s.spec.partitioner.timestamp(&record, now).and_then(|ts| {
                let dir = s
                    .spec
                    .partitioner
                    .encode(&record, ts, &s.spec.keys.directory_delim)?;
                Ok((ts, dir))
            });
            let (timestamp, encoded) = match placed {
                Ok(p) => p,
                Err(m) => {
                    let failure = Failure::sink("s3", PARTITION_EXCEPTION, m);
                    out.reject(&mut Work::default(), vec![(origin, failure)]);
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
            if let Err(e) = writer.write(&s.spec, &s.store, &framing, placed, now).await {
                out.stop(origin, Fatal::Store(e));
                return;
            }
        }
    }

    /// Uploads an idle partition's open objects when scheduled rotation is due.
    pub(super) async fn rotate_idle(
        &self,
        s: &S3Backend,
        writer: &mut PartitionWriter,
    ) -> Result<(), BatchError> {
        let (header, trailer) = self.framing().await.map_err(|source| BatchError::Plugin {
            stage: "formatter",
            source,
        })?;
        let framing = Framing {
            info: self
                .connector
                .formatter
                .format_info()
                .expect("a formatter has framing"),
            header: &header,
            trailer: &trailer,
            extension: &s.extension,
        };
        writer.on_schedule(&s.spec, &framing, now_ms()).await?;
        Ok(())
    }

    /// The formatter's header and trailer bytes.
    async fn framing(&self) -> Result<(Vec<u8>, Vec<u8>), CallError> {
        let f = &self.connector.formatter;
        Ok((f.header().await?.to_vec(), f.trailer().await?.to_vec()))
    }
}

/// Adds the S3 sink's time for a batch to the stage totals when dropped.
struct SinkTimer<'a> {
    pipeline: &'a Pipeline,
    records: usize,
    started: std::time::Instant,
}

impl Drop for SinkTimer<'_> {
    fn drop(&mut self) {
        self.pipeline
            .timed("sink", "s3", self.records, self.started);
    }
}
