//! What happens to one batch of one partition: key and value converters,
//! the transform chain, the formatter, then the sink (through
//! [`crate::sink::Sink`], which it knows by that interface only). Failed
//! records are handled by the connector's error policy; the batch is
//! finished (its offsets may be committed) only once every record is
//! delivered, reported to the dead letter queue, or deliberately dropped.

mod isolate;
mod objects;
mod outcome;

use std::sync::Arc;
use std::time::Instant;

use crate::config::BuiltConnector;
use crate::errors::{ErrorReporter, Failure, Stage};
use crate::plugin::{
    CallError, ConfiguredPlugin, Part, ReplyArena, TransformOutcome, apply_conversion,
};
use crate::predicate::Selector;
use crate::record::{Arena, Record};
use crate::sink::{Framing, Item, Sink, SinkError};
use crate::stats::{BatchCounts, ConnectorStats, RECENT_ERRORS_KEPT};

pub use crate::sink::{PartitionState, now_ms};

/// Why a connector's pipeline could not start: its sink or its dead letter
/// queue.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Sink(#[from] crate::sink::StartError),
    #[error(transparent)]
    Errors(#[from] crate::errors::StartError),
}
use outcome::{Fatal, Outcome, Work};

/// The records that move on, unencoded: the sink encodes them itself.
fn unencoded(work: Work, out: &Outcome) -> Vec<Item> {
    let mut items = Vec::with_capacity(work.records.len());
    for (record, &origin) in work.records.into_iter().zip(&work.origins) {
        if out.keeps(origin) {
            items.push(Item {
                record,
                origin,
                bytes: None,
            });
        }
    }
    items
}

/// Why a batch stops the connector.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(
        "{topic} partition {partition} offset {offset}: {stage} stage, {component} failed the record: {message}"
    )]
    Record {
        topic: String,
        partition: i32,
        offset: i64,
        stage: Stage,
        component: String,
        message: String,
    },
    #[error("{stage}: {source}")]
    Plugin {
        stage: &'static str,
        source: CallError,
    },
    #[error(
        "{topic} partition {partition} offset {offset}: null value with behavior.on.null.values=fail"
    )]
    NullValue {
        topic: String,
        partition: i32,
        offset: i64,
    },
    #[error("{0}")]
    Sink(#[from] SinkError),
    #[error("{0}")]
    DeadLetter(#[from] crate::errors::DeadLetterError),
}

/// A batch that stopped the connector, and how far it got.
#[derive(Debug)]
pub struct BatchFailed {
    pub error: BatchError,
    /// The last offset before the failure whose records are all finished.
    pub finished_through: Option<i64>,
    /// What the sink still holds: the lowest offset not safely stored.
    pub held_from: Option<i64>,
}

/// What became of a finished batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchDone {
    /// What became of its records.
    pub counts: BatchCounts,
    /// The lowest offset the sink still holds in objects not yet uploaded
    /// (`None`: it holds nothing); commits stop there.
    pub held_from: Option<i64>,
}

/// Everything a connector needs to run batches, shared by its partition workers.
pub struct Pipeline {
    connector: Arc<BuiltConnector>,
    sink: Sink,
    errors: ErrorReporter,
    stats: Arc<ConnectorStats>,
}

/// The buffers a call's records may all lie in, to be sent as they are:
/// the consumed batch's arena, then the last transform's reply.
fn arenas<'a>(consumed: &'a Option<Arena>, reply: &'a Option<Arena>) -> Vec<&'a Arena> {
    consumed.iter().chain(reply).collect()
}

impl Pipeline {
    /// Starts the sink and the dead letter queue, creating topics if
    /// needed. Stage times go to `stats`.
    pub async fn start(
        connector: Arc<BuiltConnector>,
        stats: Arc<ConnectorStats>,
    ) -> Result<Self, StartError> {
        let spec = &connector.spec;
        let connection = crate::config::kafka::connection_properties(&spec.kafka);
        let formatter = &connector.formatter;
        let extension = formatter
            .format_info()
            .map(|i| i.extension.clone())
            .unwrap_or_default();
        let per_object = formatter
            .metadata()
            .object_scoped()
            .then(|| objects::encoders(formatter.clone()));
        let sink = Sink::start(
            &spec.name,
            &spec.sink,
            &extension,
            per_object,
            &connection,
            stats.clone(),
        )
        .await?;
        let errors = ErrorReporter::start(&spec.name, spec.errors.clone(), &connection).await?;
        Ok(Pipeline {
            connector,
            sink,
            errors,
            stats,
        })
    }

    /// The connector's name.
    pub fn name(&self) -> &str {
        &self.connector.spec.name
    }

    /// Runs `records` (one partition, in offset order) through the chain;
    /// `state` is the partition's, kept by its worker between batches.
    pub async fn process(
        &self,
        state: &mut PartitionState,
        records: Vec<Record>,
        arena: Option<Arena>,
    ) -> Result<BatchDone, BatchFailed> {
        let c = &self.connector;
        let originals = records.clone(); // reference-counted bytes: no copy
        let mut work = Work::new(records);
        let mut out = Outcome::new(self.errors.policy().tolerance);
        // The last transform's reply, when it made records in it.
        let mut reply: Option<Arena> = None;
        if let Some(converter) = &c.key_converter {
            let arenas = arenas(&arena, &reply);
            self.convert(converter, Part::Key, &mut work, &arenas, &mut out)
                .await;
        }
        if let Some(converter) = &c.value_converter {
            let arenas = arenas(&arena, &reply);
            self.convert(converter, Part::Value, &mut work, &arenas, &mut out)
                .await;
        }
        for (t, spec) in c.transforms.iter().zip(&c.spec.transforms) {
            let arenas = arenas(&arena, &reply);
            let made = self
                .transform(t, spec.selector.as_ref(), &mut work, &arenas, &mut out)
                .await;
            // A transform that kept every record (a filter) leaves them in
            // the buffer they were in.
            if made.is_some() {
                reply = made;
            }
        }
        let mut reached = vec![false; originals.len()];
        for &o in &work.origins {
            reached[o] = true;
        }
        let items = if self.sink.encodes_records() {
            unencoded(work, &out)
        } else {
            self.encode(work, &arenas(&arena, &reply), &mut out).await
        };
        // Not kept while the batch is delivered: the items hold what they need.
        drop(reply);
        let encoded = items.iter().find(|i| i.bytes.is_some()).map(|i| i.origin);
        let (header, trailer) = match encoded {
            Some(first) => match self.framing().await {
                Ok(f) => f,
                Err(e) => {
                    out.stop(first, Fatal::Plugin("formatter", e));
                    (Vec::new(), Vec::new())
                }
            },
            None => (Vec::new(), Vec::new()),
        };
        let info = c.formatter.format_info().expect("a formatter has framing");
        let framing = Framing {
            info,
            header: &header,
            trailer: &trailer,
        };
        self.sink
            .deliver(state, &originals, items, &framing, &mut out)
            .await;
        let held_from = state.held_from();
        self.finish(&originals, &reached, out, held_from).await
    }

    /// When the partition's open objects are due for scheduled rotation
    /// (wall clock, ms since the epoch), if any.
    pub fn idle_deadline(&self, state: &PartitionState) -> Option<i64> {
        self.sink.idle_deadline(state)
    }

    /// Runs scheduled rotation on an idle partition; returns what the sink
    /// still holds afterwards.
    pub async fn on_idle(&self, state: &mut PartitionState) -> Result<Option<i64>, BatchError> {
        if !self.sink.rotates_when_idle() {
            return Ok(state.held_from());
        }
        let (header, trailer) = if self.sink.encodes_records() {
            // Each object's own formatter instance writes its framing.
            (Vec::new(), Vec::new())
        } else {
            self.framing().await.map_err(|source| BatchError::Plugin {
                stage: "formatter",
                source,
            })?
        };
        let info = self
            .connector
            .formatter
            .format_info()
            .expect("a formatter has framing");
        let framing = Framing {
            info,
            header: &header,
            trailer: &trailer,
        };
        Ok(self.sink.on_idle(state, &framing).await?)
    }

    /// The formatter's header and trailer bytes.
    async fn framing(&self) -> Result<(Vec<u8>, Vec<u8>), CallError> {
        let f = &self.connector.formatter;
        Ok((f.header().await?.to_vec(), f.trailer().await?.to_vec()))
    }

    /// Encodes `work` with the formatter, one record at a time, isolating
    /// the records it fails (a `TASK_PUT` failure each): the records that
    /// still move on, in order, as the sink's items. Null values are
    /// encoded only when the sink asks for them.
    async fn encode(&self, work: Work, arenas: &[&Arena], out: &mut Outcome) -> Vec<Item> {
        let formatter = &self.connector.formatter;
        let encodes_nulls = self.sink.encodes_nulls();
        let records = &work.records;
        let to_encode: Vec<usize> = (0..records.len())
            .filter(|&i| records[i].value.is_some() || encodes_nulls)
            .collect();
        let started = Instant::now();
        // Usually every record; otherwise the non-null ones (cheap clones:
        // their bytes are shared).
        let subset: std::borrow::Cow<'_, [Record]> = if to_encode.len() == records.len() {
            std::borrow::Cow::Borrowed(records.as_slice())
        } else {
            to_encode.iter().map(|&i| records[i].clone()).collect()
        };
        let subset = &subset;
        let encoded = isolate::isolate(self.policy(), formatter.name(), subset.len(), move |r| {
            formatter.encode_in(&subset[r], arenas)
        })
        .await;
        self.timed("formatter", formatter.name(), to_encode.len(), started);
        let mut bytes: Vec<Option<bytes::Bytes>> = vec![None; records.len()];
        let mut failures = Vec::new();
        for (e, &i) in encoded.into_iter().zip(&to_encode) {
            let origin = work.origins[i];
            match e {
                Ok(Ok(b)) => bytes[i] = Some(b),
                Ok(Err(m)) => {
                    failures.push((origin, Failure::rejected(Stage::TaskPut, formatter, m)))
                }
                Err(e) => failures.push((origin, Failure::call(Stage::TaskPut, formatter, &e))),
            }
        }
        out.reject(&mut Work::default(), failures);
        // A loop, not a chain of adapters: each adapter moved the whole
        // record (some 150 bytes) once more (`perf`: 1.8% of passthrough).
        let mut items = Vec::with_capacity(work.records.len());
        let mut bytes = bytes.into_iter();
        for (record, &origin) in work.records.into_iter().zip(&work.origins) {
            let bytes = bytes.next().flatten();
            if out.keeps(origin) {
                items.push(Item {
                    record,
                    origin,
                    bytes,
                });
            }
        }
        items
    }

    /// Reports the failed records before the cut; then the batch is done,
    /// or failed with how far it got. `reached[o]`: whether consumed record
    /// `o` got to the sink.
    async fn finish(
        &self,
        originals: &[Record],
        reached: &[bool],
        out: Outcome,
        held_from: Option<i64>,
    ) -> Result<BatchDone, BatchFailed> {
        let cut = out.cut();
        let failed: Vec<(&Record, &Failure)> = out
            .failed
            .range(..cut)
            .map(|(&o, f)| (&originals[o], f))
            .collect();
        for (r, f) in failed.iter().rev().take(RECENT_ERRORS_KEPT).rev() {
            let at = format!("{} partition {} offset {}", r.topic, r.partition, r.offset);
            self.stats.recent_errors.push(if f.message.contains(&at) {
                format!("{}: {}", f.component, f.message)
            } else {
                format!("{at}: {}: {}", f.component, f.message)
            });
        }
        if let Err(e) = self.errors.report(&failed).await {
            return Err(BatchFailed {
                error: BatchError::DeadLetter(e),
                finished_through: None,
                held_from,
            });
        }
        let Some((origin, fatal)) = out.fatal else {
            return Ok(BatchDone {
                counts: BatchCounts {
                    records: originals.len(),
                    failed: failed.len(),
                    dead_lettered: if self.errors.dead_letters() {
                        failed.len()
                    } else {
                        0
                    },
                    dropped: out.dropped_of(originals.len(), reached),
                },
                held_from,
            });
        };
        let r = &originals[origin];
        let error = match fatal {
            Fatal::Record(f) => BatchError::Record {
                topic: r.topic.to_string(),
                partition: r.partition,
                offset: r.offset,
                stage: f.stage,
                component: f.component,
                message: f.message,
            },
            Fatal::Sink(SinkError::NullValue) => BatchError::NullValue {
                topic: r.topic.to_string(),
                partition: r.partition,
                offset: r.offset,
            },
            Fatal::Sink(e) => BatchError::Sink(e),
            Fatal::Plugin(stage, source) => BatchError::Plugin { stage, source },
        };
        Err(BatchFailed {
            error,
            finished_through: origin.checked_sub(1).map(|i| originals[i].offset),
            held_from,
        })
    }

    /// Adds the time since `started` to the stage `kind` of `component`.
    fn timed(&self, kind: &str, component: &str, records: usize, started: Instant) {
        self.stats
            .stages
            .add(&format!("{kind} {component}"), records, started.elapsed());
    }

    fn policy(&self) -> &crate::errors::ErrorPolicy {
        self.errors.policy()
    }

    async fn convert(
        &self,
        plugin: &ConfiguredPlugin,
        part: Part,
        work: &mut Work,
        arenas: &[&Arena],
        out: &mut Outcome,
    ) {
        if work.is_empty() {
            return;
        }
        let stage = match part {
            Part::Key => Stage::KeyConverter,
            Part::Value => Stage::ValueConverter,
        };
        let records = &work.records;
        let started = Instant::now();
        let results = isolate::isolate(self.policy(), plugin.name(), records.len(), move |r| {
            plugin.convert_in(part, &records[r], arenas)
        })
        .await;
        let label = match part {
            Part::Key => "key.converter",
            Part::Value => "value.converter",
        };
        self.timed(label, plugin.name(), records.len(), started);
        let mut failures = Vec::new();
        for (i, result) in results.into_iter().enumerate() {
            let origin = work.origins[i];
            match result {
                Ok(c) => {
                    if let Err(m) = apply_conversion(&mut work.records[i], part, c) {
                        failures.push((origin, Failure::rejected(stage, plugin, m)));
                    }
                }
                Err(e) => failures.push((origin, Failure::call(stage, plugin, &e))),
            }
        }
        out.reject(work, failures);
    }

    /// Runs one transform over `work`: every record, or those `selector`
    /// selects while the others pass unchanged (no plugin call for them).
    /// Returns the reply's data buffer, when the plugin made records in it.
    async fn transform(
        &self,
        plugin: &ConfiguredPlugin,
        selector: Option<&Selector>,
        work: &mut Work,
        arenas: &[&Arena],
        out: &mut Outcome,
    ) -> Option<Arena> {
        if work.is_empty() {
            return None;
        }
        // The records the transform applies to, by index in `work`.
        let chosen: Vec<usize> = match selector {
            None => (0..work.records.len()).collect(),
            Some(s) => (0..work.records.len())
                .filter(|&i| s.selects(&work.records[i]))
                .collect(),
        };
        let all = chosen.len() == work.records.len();
        let subset: std::borrow::Cow<'_, [Record]> = if all {
            std::borrow::Cow::Borrowed(work.records.as_slice())
        } else {
            // Cheap clones: the bytes are shared.
            chosen.iter().map(|&i| work.records[i].clone()).collect()
        };
        let records = &subset;
        let started = Instant::now();
        let reply = ReplyArena::default();
        let results = if records.is_empty() {
            Vec::new()
        } else {
            let slot = &reply;
            let results = isolate::isolate(self.policy(), plugin.name(), records.len(), move |r| {
                plugin.transform_in(&records[r], arenas, Some(slot))
            })
            .await;
            self.timed("transform", plugin.name(), records.len(), started);
            results
        };
        let mut results = chosen.into_iter().zip(results).peekable();
        let mut next = Work::default();
        let mut failures = Vec::new();
        let old = std::mem::take(work);
        for (i, (record, origin)) in old.records.into_iter().zip(old.origins).enumerate() {
            let Some((_, result)) = results.next_if(|(c, _)| *c == i) else {
                next.push(record, origin);
                continue;
            };
            match result {
                Ok(TransformOutcome::Kept(outputs)) => {
                    for r in outputs {
                        next.push(r, origin);
                    }
                }
                Ok(TransformOutcome::Dropped) => {}
                Ok(TransformOutcome::Failed(m)) => {
                    failures.push((origin, Failure::rejected(Stage::Transformation, plugin, m)))
                }
                Err(e) => failures.push((origin, Failure::call(Stage::Transformation, plugin, &e))),
            }
        }
        *work = next;
        out.reject(work, failures);
        reply.into_inner()
    }
}
