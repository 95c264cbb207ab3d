//! Host side of contract 0.2's flat layout: records into a batch with its
//! schema table, and replies back into records. Wherever a reply says so
//! (an input slice, a kept field, "the value as it is") the host keeps its
//! own bytes: nothing is copied out of the guest for them.
//!
//! A reply is checked before anything is built from it, as in 0.1: spans
//! lie inside their buffer, the bytes a reply adds are each used once, each
//! header entry belongs to one record, topics are at most 249 bytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use sluice_contract::layout::{
    self, ConversionItem, EncodingItem, HeaderEntry, KEEP_HEADERS, KEEP_KEY, KEEP_RECORD,
    KEEP_VALUE, RECORD_ENTRY, RecordEntry, Span,
};

use super::bindings::v0_2::converter::exports::sluice::plugin::conversion::Conversions;
use super::bindings::v0_2::transform::sluice::plugin::types as tt2;
use super::bindings::v0_2::types as t2;
use super::pool::{Conversion, Part};
use crate::record::{Arena, Header, Record, Schema, ValueKind};

/// Kafka's longest topic name.
const MAX_TOPIC_LEN: u32 = 249;

impl From<ValueKind> for layout::Kind {
    fn from(k: ValueKind) -> Self {
        match k {
            ValueKind::Binary => layout::Kind::Binary,
            ValueKind::Text => layout::Kind::Text,
            ValueKind::Json => layout::Kind::Json,
        }
    }
}

impl From<layout::Kind> for ValueKind {
    fn from(k: layout::Kind) -> Self {
        match k {
            layout::Kind::Binary => ValueKind::Binary,
            layout::Kind::Text => ValueKind::Text,
            layout::Kind::Json => ValueKind::Json,
        }
    }
}

/// Schemas a plugin's replies named, by their text: each distinct text is
/// read once, and records that carry it share one `Arc`.
pub struct SchemaCache {
    cached: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    entries: HashMap<Box<str>, Arc<Schema>>,
    /// What the entries hold, by [`weight`].
    bytes: usize,
}

/// Distinct schemas kept per plugin, and the bytes they may hold; a full
/// cache is emptied, so memory stays bounded however many schemas, and
/// however large, a topic carries.
const SCHEMA_CACHE: usize = 1000;
const SCHEMA_CACHE_BYTES: usize = 32 << 20;

/// A schema text longer than this is read each time, never kept.
const LONGEST_CACHED: usize = 4 << 20;

/// What a schema of `text` holds in the cache: its text twice (the key and
/// the schema's own) and a parsed node, with its allocations, per JSON
/// object in it (a node is some 150 bytes, more than the text of a small
/// field's schema).
fn weight(text: &str) -> usize {
    const NODE: usize = 256;
    let nodes = text.bytes().filter(|&b| b == b'{').count();
    2 * text.len() + NODE * nodes.max(1)
}

impl SchemaCache {
    pub fn new() -> Self {
        SchemaCache {
            cached: Mutex::new(Cached::default()),
        }
    }

    /// The bytes the cached schemas hold, by [`weight`].
    #[cfg(test)]
    fn held(&self) -> usize {
        self.cached.lock().unwrap_or_else(|p| p.into_inner()).bytes
    }

    /// The schemas of a reply's table, read or found.
    pub(super) fn resolve(&self, texts: Vec<String>) -> Result<Vec<Arc<Schema>>, String> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| {
                if let Some(s) = cached.entries.get(text.as_str()) {
                    return Ok(s.clone());
                }
                let schema = Arc::new(
                    Schema::parse(&text)
                        .map_err(|e| format!("schema {} of the reply: {e}", i + 1))?,
                );
                if text.len() > LONGEST_CACHED {
                    return Ok(schema);
                }
                let w = weight(&text);
                if cached.entries.len() >= SCHEMA_CACHE || cached.bytes + w > SCHEMA_CACHE_BYTES {
                    cached.entries.clear();
                    cached.bytes = 0;
                }
                cached.bytes += w;
                cached.entries.insert(text.into_boxed_str(), schema.clone());
                Ok(schema)
            })
            .collect()
    }
}

/// The schema a reply's index names: 0 none, n the table's n-th.
fn schema_at(table: &[Arc<Schema>], n: u32) -> Result<Option<Arc<Schema>>, String> {
    match n {
        0 => Ok(None),
        n => table.get(n as usize - 1).cloned().map(Some).ok_or_else(|| {
            format!(
                "schema {n} named, but the reply's table has {}",
                table.len()
            )
        }),
    }
}

/// A batch built for a plugin call. The call borrows it: its data buffer
/// is an arena itself (the consumed batch's, or the previous transform's
/// reply) when every record's bytes still lie there (no copy on the host),
/// or one buffer they were copied into.
pub struct FlatBatch {
    data: FlatData,
    records: Vec<u8>,
    headers: Vec<u8>,
    schemas: Vec<Arc<Schema>>,
}

enum FlatData {
    /// The arena the records' bytes lie in.
    Arena(Bytes),
    /// The records' bytes copied into one buffer.
    Copied(Vec<u8>),
}

impl FlatBatch {
    /// The data buffer the entries point into.
    pub fn data(&self) -> &[u8] {
        match &self.data {
            FlatData::Arena(b) => b,
            FlatData::Copied(v) => v,
        }
    }

    /// Whether the data buffer is the arena, not a copy.
    #[cfg(test)]
    pub fn is_arena(&self) -> bool {
        matches!(self.data, FlatData::Arena(_))
    }

    /// The schema table's texts, for [`Self::param`].
    pub fn schema_texts(&self) -> Vec<&str> {
        self.schemas.iter().map(|s| &*s.text).collect()
    }

    /// The batch as the call's parameter.
    pub fn param<'a>(&'a self, texts: &'a [&'a str]) -> t2::Batch<'a> {
        t2::Batch {
            data: self.data(),
            records: &self.records,
            headers: &self.headers,
            schemas: texts,
        }
    }
}

/// Whether every record's key and value lie in `arena` (so its spans
/// can point there), and cover enough of it to send it whole.
fn lies_in(arena: &Arena, records: &[Record]) -> bool {
    let mut used = 0;
    let inside = records.iter().all(|r| {
        used += r.key.as_ref().map_or(0, Bytes::len) + r.value.as_ref().map_or(0, Bytes::len);
        arena.topic(&r.topic).is_some()
            && r.headers.iter().all(|h| {
                used += h.name.len() + h.value.as_ref().map_or(0, Bytes::len);
                arena.header_name(&h.name).is_some()
                    && h.value
                        .as_deref()
                        .is_none_or(|v| arena.span_of(v).is_some())
            })
            && r.key.as_deref().is_none_or(|k| arena.span_of(k).is_some())
            && r.value
                .as_deref()
                .is_none_or(|v| arena.span_of(v).is_some())
    });
    // A guest copies the whole buffer in: once most of the arena is records
    // dropped on the way, copying the rest is cheaper.
    inside && used >= arena.bytes().len() / 2
}

/// Builds a batch: the first of `arenas` every record lies in as its data
/// buffer, else one data buffer sized once; fixed-size entries; each
/// distinct schema once.
pub fn encode(records: &[Record], arenas: &[&Arena]) -> FlatBatch {
    if let Some(arena) = arenas.iter().find(|a| lies_in(a, records)) {
        const CHECKED: &str = "lies_in checked every record";
        let batch = entries(
            records,
            |b| {
                let (start, len) = arena.span_of(b).expect(CHECKED);
                Span { start, len }
            },
            |t| {
                let (start, len) = arena.topic(t).expect(CHECKED);
                Span { start, len }
            },
            |n| {
                let (start, len) = arena.header_name(n).expect(CHECKED);
                Span { start, len }
            },
        );
        return FlatBatch {
            data: FlatData::Arena(arena.bytes().clone()),
            ..batch
        };
    }
    let mut data = Vec::with_capacity(super::arena::data_size(records));
    let put = std::cell::RefCell::new(|b: &[u8]| {
        let start = data.len() as u32;
        data.extend_from_slice(b);
        Span {
            start,
            len: b.len() as u32,
        }
    });
    let batch = entries(
        records,
        |b| (put.borrow_mut())(b),
        |t| (put.borrow_mut())(t.as_bytes()),
        |n| (put.borrow_mut())(n.as_bytes()),
    );
    FlatBatch {
        data: FlatData::Copied(data),
        ..batch
    }
}

/// The entries and schema table of `records`; `put` gives the span of a
/// key, value or header value, `topic_span` of a topic name (asked once per
/// run of records of one topic), `name_span` of a header name.
fn entries(
    records: &[Record],
    mut put: impl FnMut(&[u8]) -> Span,
    mut topic_span: impl FnMut(&Arc<str>) -> Span,
    mut name_span: impl FnMut(&str) -> Span,
) -> FlatBatch {
    let header_count: usize = records.iter().map(|r| r.headers.len()).sum();
    let mut headers = Vec::with_capacity(header_count * layout::HEADER_ENTRY);
    let mut entries = Vec::with_capacity(records.len() * RECORD_ENTRY);
    let mut schemas: Vec<Arc<Schema>> = Vec::new();
    let mut schema_ids: Vec<(*const Schema, u32)> = Vec::new();
    let mut schema_index = |s: &Option<Arc<Schema>>| -> u32 {
        let Some(s) = s else { return 0 };
        let ptr = Arc::as_ptr(s);
        if let Some((_, n)) = schema_ids.iter().find(|(p, _)| *p == ptr) {
            return *n;
        }
        // Equal schemas behind two `Arc`s still travel once.
        let n = match schemas.iter().position(|t| t.text == s.text) {
            Some(i) => i as u32 + 1,
            None => {
                schemas.push(s.clone());
                schemas.len() as u32
            }
        };
        schema_ids.push((ptr, n));
        n
    };
    let mut last_topic: Option<(&Arc<str>, Span)> = None;
    for r in records {
        let topic = match last_topic {
            Some((t, span)) if Arc::ptr_eq(t, &r.topic) || **t == *r.topic => span,
            _ => topic_span(&r.topic),
        };
        last_topic = Some((&r.topic, topic));
        let first_header = (headers.len() / layout::HEADER_ENTRY) as u32;
        for h in &r.headers {
            HeaderEntry {
                name: name_span(&h.name),
                value: h.value.as_deref().map(&mut put),
            }
            .write(&mut headers);
        }
        let mut entry = RecordEntry {
            topic,
            partition: r.partition,
            offset: r.offset,
            key: r.key.as_deref().map(&mut put),
            value: r.value.as_deref().map(&mut put),
            key_schema: schema_index(&r.key_schema),
            value_schema: schema_index(&r.value_schema),
            first_header,
            header_count: r.headers.len() as u32,
            ..Default::default()
        };
        entry.set_timestamp(r.timestamp);
        entry.set_kinds(r.key_kind.into(), r.value_kind.into());
        entry.write(&mut entries);
    }
    FlatBatch {
        data: FlatData::Copied(Vec::new()),
        records: entries,
        headers,
        schemas,
    }
}

/// A reply's data buffer, shared by the records built from it.
struct Data(Bytes);

impl Data {
    fn slice(&self, span: Span) -> Result<Bytes, String> {
        span.range(self.0.len())
            .map(|r| self.0.slice(r))
            .ok_or_else(|| {
                format!(
                    "span {}+{} lies outside its {}-byte data buffer",
                    span.start,
                    span.len,
                    self.0.len()
                )
            })
    }

    fn text(&self, span: Span) -> Result<String, String> {
        String::from_utf8(self.slice(span)?.to_vec())
            .map_err(|_| "a topic or header name is not UTF-8".to_string())
    }
}

/// Bytes of a record's key.
fn key_bytes(r: &Record) -> u64 {
    r.key.as_ref().map_or(0, |k| k.len() as u64)
}

/// Bytes of a record's value.
fn value_bytes(r: &Record) -> u64 {
    r.value.as_ref().map_or(0, |v| v.len() as u64)
}

/// Bytes of a record's header names and values.
fn header_bytes(r: &Record) -> u64 {
    r.headers
        .iter()
        .map(|h| (h.name.len() + h.value.as_ref().map_or(0, |v| v.len())) as u64)
        .sum()
}

fn too_many(spanned: u64, len: usize) -> Result<(), String> {
    if spanned > len as u64 {
        return Err(format!(
            "the reply spans {spanned} bytes of a {len}-byte data buffer: each byte may be used once"
        ));
    }
    Ok(())
}

/// A converter's reply, one [`Conversion`] per input record.
pub fn conversions(
    reply: Conversions,
    part: Part,
    inputs: &[Record],
    cache: &SchemaCache,
) -> Result<(Vec<Conversion>, Vec<Option<String>>), String> {
    let items = ConversionItem::read_all(&reply.items).map_err(|e| e.to_string())?;
    if items.len() != inputs.len() {
        return Err(format!(
            "{} conversions for {} records",
            items.len(),
            inputs.len()
        ));
    }
    let failures = super::pool::failure_messages(reply.failures, inputs.len())?;
    let spanned = items
        .iter()
        .map(|i| match i {
            ConversionItem::Output { span, .. } => u64::from(span.len),
            _ => 0,
        })
        .sum();
    too_many(spanned, reply.data.len())?;
    let table = cache.resolve(reply.schemas)?;
    let data = Data(Bytes::from(reply.data));
    let conversions = items
        .into_iter()
        .zip(inputs)
        .map(|(item, input)| {
            Ok(match item {
                ConversionItem::Output { span, kind, schema } => Conversion::Converted {
                    bytes: data.slice(span)?,
                    kind: kind.into(),
                    schema: schema_at(&table, schema)?,
                },
                ConversionItem::Input { span, kind, schema } => {
                    let own = match part {
                        Part::Key => &input.key,
                        Part::Value => &input.value,
                    };
                    let own = own
                        .as_ref()
                        .ok_or("an input slice of a null part (answer null instead)")?;
                    let range = span.range(own.len()).ok_or_else(|| {
                        format!(
                            "input slice {}+{} lies outside the part's {} bytes",
                            span.start,
                            span.len,
                            own.len()
                        )
                    })?;
                    Conversion::Converted {
                        bytes: own.slice(range),
                        kind: kind.into(),
                        schema: schema_at(&table, schema)?,
                    }
                }
                ConversionItem::Null { schema } => Conversion::Null {
                    schema: schema_at(&table, schema)?,
                },
                ConversionItem::Failed => Conversion::Failed(String::new()),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok((conversions, failures))
}

/// The header names a reply's arena records at most (as the reader's).
const REPLY_HEADER_NAMES: usize = 64;

/// A transform's outputs, each with the index of the input it came from.
pub type Outputs = Vec<(u32, Record)>;

/// A transform's output records, each with the input index it came from,
/// and the reply's data buffer as an [`Arena`] when an output pointed at a
/// topic in it (the next call over these records can send it as it is).
/// Outputs are tracked by their origin: their offset is the origin's.
pub fn outputs(
    batch: tt2::BatchResult,
    inputs: &[Record],
    cache: &SchemaCache,
    memory_limit: usize,
) -> Result<(Outputs, Option<Arena>), String> {
    let entries = RecordEntry::read_all(&batch.records).map_err(|e| e.to_string())?;
    let headers = HeaderEntry::read_all(&batch.headers).map_err(|e| e.to_string())?;
    // Checks before building: origins, header ownership, bytes used once.
    let mut header_used = vec![false; headers.len()];
    // Kept headers are copied (their names are the host's strings): each
    // input's may be kept once, so a reply cannot make the host copy them
    // over and over for 64 bytes an entry.
    let mut headers_kept = vec![false; inputs.len()];
    let mut spanned: u64 = 0;
    // Bytes of the inputs the outputs keep, counted once per output.
    let mut kept: u64 = 0;
    let mut last_origin = 0u64;
    for e in &entries {
        let origin = e.offset as u64;
        if origin >= inputs.len() as u64 {
            return Err(format!(
                "an output names input {origin}, but the batch had {}",
                inputs.len()
            ));
        }
        if origin < last_origin {
            return Err("output origins are not in input order".into());
        }
        last_origin = origin;
        if e.flags & (KEEP_RECORD | KEEP_HEADERS) != 0
            && std::mem::replace(&mut headers_kept[origin as usize], true)
        {
            return Err(format!(
                "two outputs keep the headers of input {origin}: each input's headers may be kept once (copy them for the others)"
            ));
        }
        let input = &inputs[origin as usize];
        if e.flags & KEEP_RECORD != 0 {
            kept += key_bytes(input) + value_bytes(input) + header_bytes(input);
            continue;
        }
        if e.flags & KEEP_HEADERS != 0 {
            kept += header_bytes(input);
        }
        if e.flags & KEEP_KEY != 0 {
            kept += key_bytes(input);
        }
        if e.flags & KEEP_VALUE != 0 {
            kept += value_bytes(input);
        }
        if e.topic.len > MAX_TOPIC_LEN {
            return Err(format!(
                "a topic of {} bytes: Kafka's topic names have at most {MAX_TOPIC_LEN}",
                e.topic.len
            ));
        }
        if e.flags & KEEP_HEADERS == 0 {
            let first = e.first_header as usize;
            let end = first
                .checked_add(e.header_count as usize)
                .filter(|end| *end <= headers.len())
                .ok_or("a record's headers lie outside the header list")?;
            for (used, h) in header_used[first..end].iter_mut().zip(&headers[first..end]) {
                if std::mem::replace(used, true) {
                    return Err("two records share entries of the header list: each header belongs to one record".into());
                }
                spanned += u64::from(h.name.len) + u64::from(h.value.map_or(0, |v| v.len));
            }
        }
        if e.flags & KEEP_KEY == 0 {
            spanned += u64::from(e.key.map_or(0, |k| k.len));
        }
        if e.flags & KEEP_VALUE == 0 {
            spanned += u64::from(e.value.map_or(0, |v| v.len));
        }
    }
    too_many(spanned, batch.data.len())?;
    // Keeping is a plugin's cheap way to copy: it may not make the host hold
    // more than the plugin could have written within its memory limit.
    if kept > memory_limit as u64 {
        // The inputs are summed only when the limit alone is passed.
        let inputs_bytes: u64 = inputs
            .iter()
            .map(|r| key_bytes(r) + value_bytes(r) + header_bytes(r))
            .sum();
        if kept > inputs_bytes.saturating_add(memory_limit as u64) {
            return Err(format!(
                "the outputs keep {kept} bytes of their inputs, more than the inputs ({inputs_bytes} bytes) and the plugin's memory limit ({} MiB) hold together: an input's bytes may be kept in several outputs, but not more in all than the plugin could have written",
                memory_limit >> 20
            ));
        }
    }
    let table = cache.resolve(batch.schemas)?;
    let data = Data(Bytes::from(batch.data));
    let mut out = Vec::with_capacity(entries.len());
    let mut last_topic: Option<(Span, Arc<str>)> = None;
    // Where the reply holds a topic and its header names, so that its data
    // buffer can be the next call's arena.
    let mut reply_topic: Option<(Arc<str>, usize)> = None;
    let mut reply_names: Vec<(Box<str>, usize)> = Vec::new();
    for e in entries {
        let origin = e.offset as u32;
        let input = &inputs[origin as usize];
        if e.flags & KEEP_RECORD != 0 {
            out.push((origin, input.clone()));
            continue;
        }
        let topic_bytes = data.slice(e.topic)?;
        let topic = if topic_bytes == input.topic.as_bytes() {
            input.topic.clone()
        } else {
            match &last_topic {
                Some((span, t)) if *span == e.topic => t.clone(),
                _ => {
                    let t: Arc<str> = Arc::from(data.text(e.topic)?);
                    last_topic = Some((e.topic, t.clone()));
                    t
                }
            }
        };
        if reply_topic.is_none() {
            reply_topic = Some((topic.clone(), e.topic.start as usize));
        }
        let (key, key_kind, key_schema) = if e.flags & KEEP_KEY != 0 {
            (input.key.clone(), input.key_kind, input.key_schema.clone())
        } else {
            (
                e.key.map(|s| data.slice(s)).transpose()?,
                e.key_kind().map_err(|e| e.to_string())?.into(),
                schema_at(&table, e.key_schema)?,
            )
        };
        let (value, value_kind, value_schema) = if e.flags & KEEP_VALUE != 0 {
            (
                input.value.clone(),
                input.value_kind,
                input.value_schema.clone(),
            )
        } else {
            (
                e.value.map(|s| data.slice(s)).transpose()?,
                e.value_kind().map_err(|e| e.to_string())?.into(),
                schema_at(&table, e.value_schema)?,
            )
        };
        let headers = if e.flags & KEEP_HEADERS != 0 {
            input.headers.clone()
        } else {
            let first = e.first_header as usize;
            headers[first..first + e.header_count as usize]
                .iter()
                .map(|h| {
                    let name = data.text(h.name)?;
                    if reply_names.len() < REPLY_HEADER_NAMES
                        && !reply_names.iter().any(|(n, _)| **n == *name)
                    {
                        reply_names.push((name.as_str().into(), h.name.start as usize));
                    }
                    Ok(Header {
                        name,
                        value: h.value.map(|v| data.slice(v)).transpose()?,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?
        };
        out.push((
            origin,
            Record {
                topic,
                partition: e.partition,
                offset: input.offset,
                timestamp: e.timestamp(),
                key,
                key_kind,
                key_schema,
                value,
                value_kind,
                value_schema,
                headers,
            },
        ));
    }
    let arena = reply_topic
        .and_then(|(topic, at)| Arena::new(data.0, topic, at))
        .and_then(|a| a.with_header_names(reply_names));
    Ok((out, arena))
}

/// A formatter's reply: each record's encoding, or `None` when it failed.
pub fn encodings(
    reply_data: Vec<u8>,
    items: &[u8],
    inputs: &[Record],
) -> Result<Vec<Option<Bytes>>, String> {
    let items = EncodingItem::read_all(items).map_err(|e| e.to_string())?;
    if items.len() != inputs.len() {
        return Err(format!(
            "{} encodings for {} records",
            items.len(),
            inputs.len()
        ));
    }
    let spanned = items
        .iter()
        .map(|i| match i {
            EncodingItem::Output(s) => u64::from(s.len),
            _ => 0,
        })
        .sum();
    too_many(spanned, reply_data.len())?;
    let data = Data(Bytes::from(reply_data));
    items
        .into_iter()
        .zip(inputs)
        .map(|(item, input)| match item {
            EncodingItem::Output(span) => data.slice(span).map(Some),
            EncodingItem::Value => input
                .value
                .clone()
                .map(Some)
                .ok_or_else(|| "\"the value as it is\" for a null value".to_string()),
            EncodingItem::Failed => Ok(None),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(text: &str) -> Option<Arc<Schema>> {
        Some(Arc::new(Schema::parse(text).unwrap()))
    }

    #[test]
    fn a_batch_carries_each_schema_once_and_records_point_into_it() {
        let s = schema(r#"{"type":"int32","optional":false}"#);
        let mut a = Record::new("t", Some(Bytes::from_static(b"1")));
        a.value_schema = s.clone();
        a.headers = vec![Header {
            name: "h".into(),
            value: None,
        }];
        let mut b = Record::new("t", Some(Bytes::from_static(b"2")));
        // The same schema behind another Arc still travels once.
        b.value_schema = schema(r#"{"type":"int32","optional":false}"#);
        let c = Record::new("t", None);
        let batch = encode(&[a, b, c], &[]);
        assert_eq!(batch.schemas.len(), 1);
        let entries = RecordEntry::read_all(&batch.records).unwrap();
        assert_eq!(
            entries.iter().map(|e| e.value_schema).collect::<Vec<_>>(),
            [1, 1, 0]
        );
        assert_eq!(entries[2].value, None);
        assert_eq!(
            HeaderEntry::read_all(&batch.headers).unwrap()[0].value,
            None
        );
    }

    /// Records sliced from one buffer as the reader makes them: each
    /// record's key and value (and on odd records a `trace` header's
    /// value), then the topic's name and the header name.
    fn consumed(n: usize) -> (Vec<Record>, Arena) {
        let mut buf = Vec::new();
        let mut put = |b: &[u8]| {
            buf.extend_from_slice(b);
            buf.len() - b.len()..buf.len()
        };
        let spans: Vec<_> = (0..n)
            .map(|i| {
                let k = put(format!("k{i}").as_bytes());
                let v = put(format!("{{\"n\":{i}}}").as_bytes());
                let h = (i % 2 == 1).then(|| put(format!("t{i}").as_bytes()));
                (k, v, h)
            })
            .collect();
        let topic: Arc<str> = "orders".into();
        let at = put(topic.as_bytes()).start;
        let name_at = put(b"trace").start;
        let bytes = Bytes::from(buf);
        let records = spans
            .into_iter()
            .enumerate()
            .map(|(i, (k, v, h))| {
                let mut r = Record::new(topic.clone(), Some(bytes.slice(v)));
                r.key = Some(bytes.slice(k));
                r.offset = i as i64;
                r.headers = h
                    .map(|h| Header {
                        name: "trace".into(),
                        value: Some(bytes.slice(h)),
                    })
                    .into_iter()
                    .collect();
                r
            })
            .collect();
        let arena = Arena::new(bytes, topic, at)
            .and_then(|a| a.with_header_names(vec![("trace".into(), name_at)]))
            .unwrap();
        (records, arena)
    }

    type Written = (String, Vec<u8>, Vec<u8>, Vec<(String, Vec<u8>)>);

    /// What each entry of `batch` points at: topic, key, value, headers.
    fn read_back(batch: &FlatBatch) -> Vec<Written> {
        let data = batch.data();
        let at =
            |s: Option<Span>| s.map_or(Vec::new(), |s| data[s.range(data.len()).unwrap()].to_vec());
        let headers = HeaderEntry::read_all(&batch.headers).unwrap();
        RecordEntry::read_all(&batch.records)
            .unwrap()
            .into_iter()
            .map(|e| {
                let first = e.first_header as usize;
                (
                    String::from_utf8(at(Some(e.topic))).unwrap(),
                    at(e.key),
                    at(e.value),
                    headers[first..first + e.header_count as usize]
                        .iter()
                        .map(|h| (String::from_utf8(at(Some(h.name))).unwrap(), at(h.value)))
                        .collect(),
                )
            })
            .collect()
    }

    fn as_written(records: &[Record]) -> Vec<Written> {
        records
            .iter()
            .map(|r| {
                (
                    r.topic.to_string(),
                    r.key.as_deref().unwrap_or_default().to_vec(),
                    r.value.as_deref().unwrap_or_default().to_vec(),
                    r.headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.clone(),
                                h.value.as_deref().unwrap_or_default().to_vec(),
                            )
                        })
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn consumed_records_travel_in_their_arena_without_a_copy() {
        let (records, arena) = consumed(5);
        assert!(records.iter().any(|r| !r.headers.is_empty()));
        let batch = encode(&records, &[&arena]);
        assert!(batch.is_arena(), "headers and all");
        assert_eq!(
            batch.data().as_ptr(),
            arena.bytes().as_ptr(),
            "the arena, not a copy"
        );
        assert_eq!(read_back(&batch), as_written(&records));
        // Most of the batch (the error policy bisects) still lies in it.
        let part = encode(&records[1..4], &[&arena]);
        assert!(part.is_arena());
        assert_eq!(read_back(&part), as_written(&records[1..4]));
        // Without an arena, the same entries over a copy.
        let copied = encode(&records, &[]);
        assert!(!copied.is_arena());
        assert_eq!(read_back(&copied), as_written(&records));
    }

    #[test]
    fn records_that_left_their_arena_are_copied() {
        let (records, arena) = consumed(4);
        // A value a plugin made.
        let mut changed = records.clone();
        changed[2].value = Some(Bytes::from_static(b"{\"new\":true}"));
        // A header whose name the arena does not hold.
        let mut headed = records.clone();
        headed[0].headers.push(Header {
            name: "h".into(),
            value: None,
        });
        // Another topic (a router renamed it).
        let mut routed = records.clone();
        routed[1].topic = "orders-eu".into();
        for rs in [changed, headed, routed] {
            let batch = encode(&rs, &[&arena]);
            assert!(!batch.is_arena());
            assert_eq!(read_back(&batch), as_written(&rs));
        }
        // Most of the arena dropped on the way: the rest is copied.
        let few = encode(&records[..1], &[&arena]);
        assert!(!few.is_arena());
        assert_eq!(read_back(&few), as_written(&records[..1]));
        // An arena must hold its topic and header names where it says.
        assert!(Arena::new(arena.bytes().clone(), "other".into(), 0).is_none());
        let topic_at = arena.topic(&records[0].topic).unwrap().0 as usize;
        let plain = Arena::new(arena.bytes().clone(), records[0].topic.clone(), topic_at).unwrap();
        assert!(plain.with_header_names(vec![("trace".into(), 0)]).is_none());
    }

    #[test]
    fn kept_fields_are_the_hosts_own_bytes() {
        let mut input = Record::new("t", Some(Bytes::from(b"{\"a\":1}".to_vec())));
        input.value_schema = schema(r#"{"type":"string","optional":false}"#);
        input.key = Some(Bytes::from_static(b"k"));
        let inputs = vec![input];
        // One output keeping the whole record, one renaming the topic and
        // keeping the value.
        let mut data = b"renamed".to_vec();
        let mut records = Vec::new();
        RecordEntry {
            flags: KEEP_RECORD,
            ..Default::default()
        }
        .write(&mut records);
        RecordEntry {
            topic: Span { start: 0, len: 7 },
            flags: KEEP_VALUE,
            ..Default::default()
        }
        .write(&mut records);
        data.truncate(7);
        let (out, _) = outputs(
            tt2::BatchResult {
                data,
                records,
                headers: Vec::new(),
                schemas: Vec::new(),
            },
            &inputs,
            &SchemaCache::new(),
            LIMIT,
        )
        .unwrap();
        assert_eq!(out[0].1, inputs[0]);
        assert_eq!(&*out[1].1.topic, "renamed");
        let (kept, own) = (
            out[1].1.value.as_ref().unwrap(),
            inputs[0].value.as_ref().unwrap(),
        );
        assert_eq!(kept.as_ptr(), own.as_ptr(), "the value was not copied");
        assert_eq!(out[1].1.value_schema, inputs[0].value_schema);
        assert_eq!(out[1].1.key, None, "the key was not kept");
    }

    /// A transform's reply making a new value for each of `inputs`, with a
    /// `trace` header on odd ones: the topic, then each record's key, value
    /// and header, all in the reply (as the SDK writes a record whose value
    /// is new).
    fn remade(inputs: &[Record]) -> tt2::BatchResult {
        let mut data = b"orders".to_vec();
        let (mut records, mut headers) = (Vec::new(), Vec::new());
        let put = |data: &mut Vec<u8>, b: &[u8]| {
            data.extend_from_slice(b);
            Span {
                start: (data.len() - b.len()) as u32,
                len: b.len() as u32,
            }
        };
        for (i, _) in inputs.iter().enumerate() {
            let key = put(&mut data, format!("k{i}").as_bytes());
            let value = put(&mut data, format!("{{\"n\":{i},\"new\":true}}").as_bytes());
            let header_count = if i % 2 == 1 {
                HeaderEntry {
                    name: put(&mut data, b"trace"),
                    value: Some(put(&mut data, format!("t{i}").as_bytes())),
                }
                .write(&mut headers);
                1
            } else {
                0
            };
            let mut entry = RecordEntry {
                topic: Span { start: 0, len: 6 },
                offset: i as i64,
                key: Some(key),
                value: Some(value),
                first_header: (headers.len() / layout::HEADER_ENTRY) as u32 - header_count,
                header_count,
                ..Default::default()
            };
            entry.set_kinds(layout::Kind::Binary, layout::Kind::Json);
            entry.write(&mut records);
        }
        tt2::BatchResult {
            data,
            records,
            headers,
            schemas: Vec::new(),
        }
    }

    #[test]
    fn a_transforms_reply_is_the_next_calls_data_buffer() {
        let (inputs, consumed) = consumed(6);
        let cache = SchemaCache::new();
        let (out, reply) = outputs(remade(&inputs), &inputs, &cache, LIMIT).unwrap();
        let reply = reply.expect("the reply holds its topic");
        let records: Vec<Record> = out.into_iter().map(|(_, r)| r).collect();
        assert!(records.iter().any(|r| !r.headers.is_empty()));
        // The next call sends the reply's buffer as it is: no copy.
        let batch = encode(&records, &[&consumed, &reply]);
        assert_eq!(batch.data().as_ptr(), reply.bytes().as_ptr());
        assert_eq!(read_back(&batch), as_written(&records));
        // A filter in between keeps some of them: still no copy.
        let batch = encode(&records[1..5], &[&consumed, &reply]);
        assert_eq!(batch.data().as_ptr(), reply.bytes().as_ptr());
        assert_eq!(read_back(&batch), as_written(&records[1..5]));
        // Records from both buffers: copied into one.
        let mixed = [records[0].clone(), inputs[1].clone()];
        let batch = encode(&mixed, &[&consumed, &reply]);
        assert!(!batch.is_arena());
        assert_eq!(read_back(&batch), as_written(&mixed));
        // A reply that kept every record holds no topic: no arena.
        let mut kept = Vec::new();
        RecordEntry {
            flags: KEEP_RECORD,
            ..Default::default()
        }
        .write(&mut kept);
        let (out, reply) = outputs(
            tt2::BatchResult {
                data: Vec::new(),
                records: kept,
                headers: Vec::new(),
                schemas: Vec::new(),
            },
            &inputs,
            &cache,
            LIMIT,
        )
        .unwrap();
        assert!(reply.is_none());
        assert_eq!(out[0].1, inputs[0]);
    }

    #[test]
    fn the_schema_cache_holds_a_bounded_number_of_bytes() {
        let cache = SchemaCache::new();
        let doc = "d".repeat(256 << 10);
        for i in 0..200 {
            let text = format!(r#"{{"type":"string","name":"s{i}","doc":"{doc}"}}"#);
            let got = cache.resolve(vec![text.clone(), text]).unwrap();
            assert!(Arc::ptr_eq(&got[0], &got[1]), "one schema for one text");
            assert!(cache.held() <= SCHEMA_CACHE_BYTES, "{}", cache.held());
        }
        assert!(cache.held() > 0);
        // Small nodes weigh what their parsed form holds, not their text.
        let fields: Vec<String> = (0..1000)
            .map(|i| format!(r#"{{"type":"int8","field":"f{i}"}}"#))
            .collect();
        let wide = format!(r#"{{"type":"struct","fields":[{}]}}"#, fields.join(","));
        assert!(
            weight(&wide) >= 1000 * std::mem::size_of::<sluice_contract::schema::Schema>(),
            "{} for {} nodes of {} bytes",
            weight(&wide),
            1001,
            std::mem::size_of::<sluice_contract::schema::Schema>()
        );
        // A text too long to keep is read and not kept.
        let huge = format!(r#"{{"type":"string","doc":"{}"}}"#, "d".repeat(5 << 20));
        let before = cache.held();
        cache.resolve(vec![huge]).unwrap();
        assert_eq!(cache.held(), before);
    }

    /// A plugin's memory limit, for the replies of these tests.
    const LIMIT: usize = 1 << 20;

    #[test]
    fn outputs_may_keep_no_more_than_the_plugin_could_have_written() {
        // A 64 KiB value kept by 17 outputs fits in the input and 1 MiB; by
        // 18, it does not.
        let inputs = vec![Record::new("t", Some(Bytes::from(vec![b'v'; 64 << 10])))];
        let keeping = |n: usize| {
            let mut records = Vec::new();
            for _ in 0..n {
                RecordEntry {
                    topic: Span { start: 0, len: 1 },
                    flags: KEEP_VALUE,
                    ..Default::default()
                }
                .write(&mut records);
            }
            tt2::BatchResult {
                data: b"t".to_vec(),
                records,
                headers: Vec::new(),
                schemas: Vec::new(),
            }
        };
        let cache = SchemaCache::new();
        let (out, _) = outputs(keeping(17), &inputs, &cache, LIMIT).unwrap();
        assert_eq!(out.len(), 17);
        let err = outputs(keeping(18), &inputs, &cache, LIMIT).unwrap_err();
        assert!(
            err.contains("keep 1179648 bytes") && err.contains("memory limit (1 MiB)"),
            "{err}"
        );
    }

    #[test]
    fn replies_that_break_the_layout_are_refused() {
        let inputs = vec![Record::new("t", Some(Bytes::from_static(b"v")))];
        let batch = |entry: RecordEntry, data: &[u8]| {
            let mut records = Vec::new();
            entry.write(&mut records);
            tt2::BatchResult {
                data: data.to_vec(),
                records,
                headers: Vec::new(),
                schemas: Vec::new(),
            }
        };
        let cache = SchemaCache::new();
        let err = outputs(
            batch(
                RecordEntry {
                    offset: 1,
                    ..Default::default()
                },
                b"",
            ),
            &inputs,
            &cache,
            LIMIT,
        )
        .unwrap_err();
        assert!(err.contains("names input 1"), "{err}");
        let err = outputs(
            batch(
                RecordEntry {
                    value: Some(Span { start: 0, len: 2 }),
                    ..Default::default()
                },
                b"v",
            ),
            &inputs,
            &cache,
            LIMIT,
        )
        .unwrap_err();
        assert!(err.contains("each byte may be used once"), "{err}");
        let err = outputs(
            batch(
                RecordEntry {
                    value_schema: 1,
                    ..Default::default()
                },
                b"",
            ),
            &inputs,
            &cache,
            LIMIT,
        )
        .unwrap_err();
        assert!(err.contains("schema 1 named"), "{err}");
        let mut items = Vec::new();
        ConversionItem::Input {
            span: Span { start: 0, len: 5 },
            kind: layout::Kind::Json,
            schema: 0,
        }
        .write(&mut items);
        let err = conversions(
            Conversions {
                data: Vec::new(),
                items,
                schemas: Vec::new(),
                failures: Vec::new(),
            },
            Part::Value,
            &inputs,
            &cache,
        )
        .unwrap_err();
        assert!(err.contains("outside the part's 1 bytes"), "{err}");
        let err = cache
            .resolve(vec![r#"{"type":"nope"}"#.into()])
            .unwrap_err();
        assert!(err.contains("schema 1 of the reply"), "{err}");
    }
}
