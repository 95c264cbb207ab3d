//! One Kafka partition's open objects and Confluent's rotation rules
//! (`TopicPartitionWriter`): one open object per partition path;
//! `flush.size` counts the records of all of them and uploads them all
//! together; `rotate.interval.ms` (record time) and
//! `rotate.schedule.interval.ms` (wall clock) are checked before a record
//! is written, so the record that triggers them opens the next set. With
//! a key template (Aiven's layout) `flush.size` counts the records of one
//! object, which uploads alone. What is open decides the offset that may
//! be committed: the lowest start offset among open objects. A record
//! whose value schema is not its object's closes every open object first,
//! as Confluent's `schema.compatibility=NONE` does; under `BACKWARD`,
//! `FORWARD` and `FULL` the schema versions decide, and a record that does
//! not start new objects is projected onto its object's schema. A record
//! for a new partition path when `open.objects.max` objects are open
//! uploads the set first (Sluice's bound on what one partition holds). A container format's
//! formatter (Avro, Parquet) gets an instance of its own per object, which
//! encodes the object's records in order and writes its header and
//! trailer.

use std::sync::Arc;

use super::compat::{self, Decision};
use super::config::S3SinkSpec;
use super::object::ObjectWriter;
use super::partitioner::{Partitioner, next_scheduled_rotation};
use super::store::{Store, StoreError};
use super::template::KeyTemplate;
use crate::format::FormatInfo;
use crate::record::{Record, Schema};
use crate::sink::{EncodeError, ObjectEncoder, ObjectEncoders};

/// What goes into an object for one record.
pub enum Payload<'a> {
    /// The formatter's encoding, made for the whole batch.
    Encoded(&'a [u8]),
    /// The record itself, for the object's own formatter instance to
    /// encode (a container format).
    Record(&'a Record),
}

/// What [`PartitionWriter::write`] did with a record.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    Written,
    /// The object's formatter failed the record, with its message; nothing
    /// of the record is in the object.
    Rejected(String),
}

/// Why a write stopped: the store, or a formatter call that failed as a
/// whole (the object's state is then unknown and it is not finished).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Formatter(#[from] EncodeError),
}

/// A record on its way into an object.
pub struct Placed<'a> {
    /// The record's topic (after transforms) and its Kafka partition.
    pub topic: &'a str,
    pub partition: i32,
    /// The offset of the consumed record it came from.
    pub offset: i64,
    /// Its partition path, from the partitioner.
    pub encoded: String,
    /// Its time, for time-based partitioners.
    pub timestamp: Option<i64>,
    /// The record's encoding, or the record for its object's formatter.
    pub payload: Payload<'a>,
    /// Its value's schema, if it has one.
    pub schema: Option<&'a Arc<Schema>>,
}

/// Bytes the formatter puts around records.
pub struct Framing<'a> {
    pub info: &'a FormatInfo,
    pub header: &'a [u8],
    pub trailer: &'a [u8],
    /// `info.extension`, plus `.gz` when compressed.
    pub extension: &'a str,
    /// A container format's formatter: each object gets its own instance
    /// (the header and trailer above are then unused).
    pub per_object: Option<&'a dyn ObjectEncoders>,
}

struct Open {
    /// `<topic>/<partition path>`.
    dir: String,
    object: ObjectWriter,
    records: u64,
    /// The value schema of its first record.
    schema: Option<Arc<Schema>>,
    /// Its own formatter instance, for a container format.
    session: Option<Box<dyn ObjectEncoder>>,
}

/// `record` with its value projected onto schema `to` (Connect's
/// `SchemaProjector`), for an object of that schema.
fn projected(record: &Record, to: &Arc<Schema>) -> Result<Record, String> {
    let (Some(from), Some(bytes)) = (record.value_schema.as_ref(), record.value.as_ref()) else {
        return Err("a null value cannot be projected onto the object's schema".into());
    };
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("the value is not the JSON its schema says: {e}"))?;
    let value = compat::project(&from.parsed, &to.parsed, &value).map_err(|e| {
        format!(
            "the value cannot be projected onto the object's schema (schema.compatibility): {e}"
        )
    })?;
    let mut out = record.clone();
    out.value = Some(bytes::Bytes::from(
        serde_json::to_vec(&value).unwrap_or_default(),
    ));
    out.value_schema = Some(to.clone());
    Ok(out)
}

/// The open objects of one Kafka partition.
#[derive(Default)]
pub struct PartitionWriter {
    open: Vec<Open>,
    /// Records written since the last upload, over all open objects.
    records: u64,
    /// Time of the first record since the last upload.
    base_timestamp: Option<i64>,
    /// Directory of the last record written.
    current_dir: Option<String>,
    next_scheduled: Option<i64>,
    /// While an upload of the set runs (and after it failed): the set's
    /// lowest start offset, still held although objects left `open`.
    closing_from: Option<i64>,
}

impl PartitionWriter {
    /// The lowest start offset of the open objects: the offset to commit,
    /// and to resume from after a crash. `None` when nothing is open.
    pub fn held_from(&self) -> Option<i64> {
        let open = self.open.iter().map(|o| o.object.start_offset).min();
        open.into_iter().chain(self.closing_from).min()
    }

    /// When scheduled rotation is due for records already written, if set.
    pub fn scheduled_rotation(&self) -> Option<i64> {
        self.next_scheduled.filter(|_| self.records > 0)
    }

    /// Called before a batch's records: after an idle spell with nothing
    /// open, the schedule restarts from now (Confluent's
    /// `resetExpiredScheduledRotationIfNoPendingRecords`).
    pub fn begin(&mut self, spec: &S3SinkSpec, now: i64) {
        let expired = self.next_scheduled.is_none_or(|n| now >= n);
        if self.records == 0 && expired {
            self.reschedule(spec, now);
        }
    }

    /// Writes one record, uploading the open objects first or after it
    /// when a rotation rule says so.
    pub async fn write(
        &mut self,
        spec: &S3SinkSpec,
        store: &Store,
        framing: &Framing<'_>,
        record: Placed<'_>,
        now: i64,
    ) -> Result<Written, WriteError> {
        let dir = format!(
            "{}{}{}",
            record.topic, spec.keys.directory_delim, record.encoded
        );
        let mut project_to = None;
        if self.rotate_on_time(spec, &dir, record.timestamp, now) {
            self.close_all(framing).await?;
            self.reschedule(spec, now);
        } else {
            let decision = self.open.iter().find(|o| o.dir == dir).map(|open| {
                let decided =
                    compat::decide(spec.compatibility, open.schema.as_ref(), record.schema);
                (decided, open.schema.clone())
            });
            match decision {
                None | Some((Ok(Decision::Write), _)) => {}
                Some((Ok(Decision::Project), schema)) => project_to = schema,
                Some((Ok(Decision::Rotate), _)) => self.close_all(framing).await?,
                Some((Err(message), _)) => return Ok(Written::Rejected(message)),
            }
        }
        let found = self.open.iter().position(|o| o.dir == dir);
        if found.is_none() && self.open.len() >= spec.rotation.open_max {
            // One more path than may be open: the set goes up first, as at
            // flush.size, so what is held stays bounded whatever the data.
            self.close_all(framing).await?;
        }
        let index = match found {
            Some(i) => i,
            None => {
                let key = match &spec.partitioner {
                    Partitioner::Template(_) => KeyTemplate::key(&record.encoded, record.offset),
                    _ => spec.keys.key(
                        record.topic,
                        &record.encoded,
                        record.partition,
                        record.offset,
                        framing.extension,
                    ),
                };
                let mut object = ObjectWriter::new(
                    store.clone(),
                    key,
                    record.offset,
                    spec.compression,
                    spec.part_size,
                );
                let session = match framing.per_object {
                    Some(f) => Some(f.open().await?),
                    None => {
                        object.append(framing.header).await?;
                        object.append(&framing.info.prefix).await?;
                        None
                    }
                };
                self.open.push(Open {
                    dir: dir.clone(),
                    object,
                    records: 0,
                    schema: record.schema.cloned(),
                    session,
                });
                self.open.len() - 1
            }
        };
        let open = &mut self.open[index];
        match (record.payload, open.session.as_mut()) {
            (Payload::Encoded(bytes), _) => {
                if open.records > 0 {
                    open.object.append(&framing.info.separator).await?;
                }
                open.object.append(bytes).await?;
            }
            (Payload::Record(r), Some(session)) => {
                let projected = match project_to.as_ref().map(|to| projected(r, to)) {
                    None => None,
                    Some(Ok(p)) => Some(p),
                    Some(Err(message)) => return Ok(Written::Rejected(message)),
                };
                let bytes = match session.encode(projected.as_ref().unwrap_or(r)).await? {
                    Ok(bytes) => bytes,
                    Err(message) => {
                        if open.records == 0 {
                            // Nothing is in it: it opens with the next record.
                            self.open.remove(index);
                        }
                        return Ok(Written::Rejected(message));
                    }
                };
                if open.records == 0 {
                    // A container's header may depend on its first record.
                    let header = session.header().await?;
                    open.object.append(&header).await?;
                    open.object.append(&framing.info.prefix).await?;
                } else {
                    open.object.append(&framing.info.separator).await?;
                }
                open.object.append(&bytes).await?;
            }
            (Payload::Record(_), None) => {
                return Ok(Written::Rejected(
                    "a record reached the S3 writer unencoded".into(),
                ));
            }
        }
        open.records += 1;
        let too_big = spec
            .rotation
            .flush_bytes
            .is_some_and(|max| open.object.written >= max);
        let full = open.records >= spec.rotation.flush_size;
        self.records += 1;
        self.current_dir = Some(dir);
        if self.base_timestamp.is_none() {
            self.base_timestamp = record.timestamp;
        }
        if matches!(spec.partitioner, Partitioner::Template(_)) {
            // Aiven's file.max.records counts the records of one file.
            if full || too_big {
                self.close_one(index, framing).await?;
            }
        } else if self.records >= spec.rotation.flush_size || too_big {
            self.close_all(framing).await?;
        }
        Ok(Written::Written)
    }

    /// Finishes the open object at `index` alone; while it uploads, and
    /// after it failed, its start offset stays held.
    async fn close_one(&mut self, index: usize, framing: &Framing<'_>) -> Result<(), WriteError> {
        let mut open = self.open.remove(index);
        let start = open.object.start_offset;
        self.closing_from = Some(self.closing_from.map_or(start, |c| c.min(start)));
        open.object.append(&framing.info.suffix).await?;
        match open.session.as_mut() {
            Some(session) => open.object.append(&session.trailer().await?).await?,
            None => open.object.append(framing.trailer).await?,
        }
        open.object.finish().await?;
        self.closing_from = None;
        if self.open.is_empty() {
            self.records = 0;
            self.base_timestamp = None;
        }
        Ok(())
    }

    /// Uploads the open objects if scheduled rotation is due at `now`;
    /// returns whether it did.
    pub async fn on_schedule(
        &mut self,
        spec: &S3SinkSpec,
        framing: &Framing<'_>,
        now: i64,
    ) -> Result<bool, WriteError> {
        if self.scheduled_rotation().is_none_or(|at| now < at) {
            return Ok(false);
        }
        self.close_all(framing).await?;
        self.reschedule(spec, now);
        Ok(true)
    }

    /// Finishes every open object, in the order they were opened, and
    /// starts a new set (Confluent's `commitFiles`). An object that fails
    /// stays held and those after it open, so the held offset stays put.
    async fn close_all(&mut self, framing: &Framing<'_>) -> Result<(), WriteError> {
        while !self.open.is_empty() {
            self.close_one(0, framing).await?;
        }
        self.records = 0;
        self.base_timestamp = None;
        Ok(())
    }

    fn rotate_on_time(
        &self,
        spec: &S3SinkSpec,
        dir: &str,
        timestamp: Option<i64>,
        now: i64,
    ) -> bool {
        if self.records == 0 {
            return false;
        }
        let time_based = spec.partitioner.extractor().is_some();
        let periodic = spec.rotation.interval_ms.is_some_and(|interval| {
            let elapsed = matches!(
                (self.base_timestamp, timestamp),
                (Some(b), Some(t)) if t.saturating_sub(b) >= interval
            );
            let moved =
                spec.rotation.on_partition_change && self.current_dir.as_deref() != Some(dir);
            time_based && (elapsed || moved)
        });
        let scheduled = self.next_scheduled.is_some_and(|at| now >= at);
        periodic || scheduled
    }

    fn reschedule(&mut self, spec: &S3SinkSpec, now: i64) {
        if let (Some(period), Some(tz)) = (spec.rotation.schedule_ms, spec.timezone) {
            self.next_scheduled = Some(next_scheduled_rotation(now, period, tz));
        }
    }
}
