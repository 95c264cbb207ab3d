//! Running a plugin natively over a few records, for a plugin's unit tests.

use std::borrow::Cow;

use crate::batch::{self, BatchWriter};
use crate::plugin::{self, ConversionItem, Converter, Formatter, Part, Transform};
use crate::record::{Record, RecordOut};
use crate::wit;

/// What happened to one input record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The records it became (one for a plain change; several for a split).
    Kept(Vec<RecordOut<'static>>),
    Dropped,
    Failed(String),
}

fn to_batch(records: &[Record<'_>]) -> wit::Batch {
    let mut w = BatchWriter::default();
    for r in records {
        w.push_record(r);
    }
    w.finish()
}

fn owned(r: &Record<'_>) -> RecordOut<'static> {
    let own = |b: &[u8]| Cow::Owned(b.to_vec());
    RecordOut {
        topic: Cow::Owned(r.topic.to_string()),
        partition: r.partition,
        timestamp: r.timestamp,
        key: r.key.map(own),
        key_kind: r.key_kind,
        value: r.value.map(own),
        value_kind: r.value_kind,
        headers: r
            .headers
            .iter()
            .map(|h| (Cow::Owned(h.name.to_string()), h.value.map(own)))
            .collect(),
    }
}

/// Runs `plugin` over `records` as one batch, as the host would.
pub fn transform<T: Transform>(plugin: &mut T, records: &[Record<'_>]) -> Vec<Outcome> {
    let out = plugin::run_transform(plugin, &to_batch(records));
    let headers = batch::headers(&out.output).expect("the SDK wrote a valid batch");
    let emitted = batch::records(&out.output, &headers).expect("the SDK wrote a valid batch");
    (0..records.len() as u32)
        .map(|i| {
            if let Some(f) = out.failures.iter().find(|f| f.input == i) {
                return Outcome::Failed(f.message.clone());
            }
            let kept: Vec<_> = emitted
                .iter()
                .zip(&out.origins)
                .filter(|(_, o)| **o == i)
                .map(|(r, _)| owned(r))
                .collect();
            if kept.is_empty() {
                Outcome::Dropped
            } else {
                Outcome::Kept(kept)
            }
        })
        .collect()
}

/// One converted value with its kind (`None` for null), or the record's error.
pub type ConvertResult = Result<Option<(Vec<u8>, crate::ValueKind)>, String>;

/// Runs `plugin` over the values of `records`: each converted value with its
/// kind (`None` for null), or the error.
pub fn convert<C: Converter>(plugin: &mut C, records: &[Record<'_>]) -> Vec<ConvertResult> {
    let out = plugin::run_convert(plugin, Part::Value, &to_batch(records));
    out.items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            ConversionItem::Converted(s, kind) => Ok(Some((
                out.data[s.start as usize..(s.start + s.len) as usize].to_vec(),
                *kind,
            ))),
            ConversionItem::Null => Ok(None),
            ConversionItem::Failed => Err(out
                .failures
                .iter()
                .find(|f| f.input == i as u32)
                .map(|f| f.message.clone())
                .unwrap_or_default()),
        })
        .collect()
}

/// Encodes `records` into one body as the host would frame it, with the
/// messages of the records that failed.
pub fn format<F: Formatter>(plugin: &mut F, records: &[Record<'_>]) -> (Vec<u8>, Vec<String>) {
    let info = plugin.info();
    let out = plugin::run_encode(plugin, &to_batch(records));
    let mut body = plugin.header();
    body.extend_from_slice(&info.prefix);
    let mut first = true;
    for s in out.items.iter().flatten() {
        if !first {
            body.extend_from_slice(&info.separator);
        }
        first = false;
        body.extend_from_slice(&out.data[s.start as usize..(s.start + s.len) as usize]);
    }
    body.extend_from_slice(&info.suffix);
    body.extend(plugin.trailer());
    (body, out.failures.into_iter().map(|f| f.message).collect())
}
