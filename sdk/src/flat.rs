//! Contract 0.2's flat layout on the plugin's side: a batch decoded into
//! [`Record`] views, and the writers of each reply. Whatever a plugin gives
//! back borrowed from its input (a kept record, key, value or headers, a
//! converted part that is a slice of the input) is written as a reference
//! to the input, so the host keeps its own bytes. Plugin authors never see
//! this module.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use sluice_contract::layout::{
    self, ConversionItem, EncodingItem, HeaderEntry, KEEP_HEADERS, KEEP_KEY, KEEP_RECORD,
    KEEP_VALUE, RecordEntry, Span,
};

use crate::record::{Header, Record, RecordOut, ValueKind};
use crate::schema::Schema;
use crate::wit;

/// A batch the host built wrong: a span outside the data, text that is not
/// UTF-8, an entry the contract does not define.
#[derive(Debug)]
pub struct BadBatch(pub String);

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

/// Schemas seen by this instance, by text and by identity: a schema is read
/// once however many batches carry it, and written once per batch.
#[derive(Default)]
struct SchemaCache {
    by_text: HashMap<Box<str>, Arc<Schema>>,
    /// The text of each schema, by its address; holds the `Arc` so the
    /// address stays its own.
    texts: HashMap<usize, (Arc<Schema>, Arc<str>)>,
}

/// Schemas kept per instance before the cache starts over.
const SCHEMA_CACHE: usize = 1000;

thread_local! {
    static SCHEMAS: RefCell<SchemaCache> = RefCell::new(SchemaCache::default());
}

/// The schemas of a batch's table, read or found.
pub fn schemas(batch: &wit::Batch) -> Result<Vec<Arc<Schema>>, BadBatch> {
    SCHEMAS.with(|c| {
        let mut c = c.borrow_mut();
        batch
            .schemas
            .iter()
            .map(|text| {
                if let Some(s) = c.by_text.get(text.as_str()) {
                    return Ok(s.clone());
                }
                let s = Arc::new(
                    Schema::parse(text).map_err(|e| BadBatch(format!("a batch schema: {e}")))?,
                );
                if c.by_text.len() >= SCHEMA_CACHE {
                    *c = SchemaCache::default();
                }
                c.by_text.insert(text.as_str().into(), s.clone());
                c.texts.insert(
                    Arc::as_ptr(&s) as usize,
                    (s.clone(), Arc::from(text.as_str())),
                );
                Ok(s)
            })
            .collect()
    })
}

/// The JSON text of `schema`: remembered for schemas read from a batch or
/// written before, else written now.
pub(crate) fn text_of(schema: &Arc<Schema>) -> Arc<str> {
    SCHEMAS.with(|c| {
        let mut c = c.borrow_mut();
        let key = Arc::as_ptr(schema) as usize;
        if let Some((_, t)) = c.texts.get(&key) {
            return t.clone();
        }
        let text: Arc<str> = Arc::from(schema.to_json());
        if c.texts.len() >= SCHEMA_CACHE {
            *c = SchemaCache::default();
        }
        c.texts.insert(key, (schema.clone(), text.clone()));
        text
    })
}

fn bytes(data: &[u8], span: Span) -> Result<&[u8], BadBatch> {
    span.range(data.len()).map(|r| &data[r]).ok_or_else(|| {
        BadBatch(format!(
            "span {}+{} outside the batch data",
            span.start, span.len
        ))
    })
}

fn text(data: &[u8], span: Span) -> Result<&str, BadBatch> {
    std::str::from_utf8(bytes(data, span)?).map_err(|e| BadBatch(format!("text is not UTF-8: {e}")))
}

/// Decodes every header of `batch`; pass the result to [`records`].
pub fn headers(batch: &wit::Batch) -> Result<Vec<Header<'_>>, BadBatch> {
    HeaderEntry::read_all(&batch.headers)
        .map_err(|e| BadBatch(e.0))?
        .into_iter()
        .map(|h| {
            Ok(Header {
                name: text(&batch.data, h.name)?,
                value: h.value.map(|v| bytes(&batch.data, v)).transpose()?,
            })
        })
        .collect()
}

/// How many records `batch` holds (whole entries; the rest is refused by
/// [`records`]).
pub fn count(batch: &wit::Batch) -> usize {
    batch.records.len() / layout::RECORD_ENTRY
}

fn schema_ref(table: &[Arc<Schema>], n: u32) -> Result<Option<&Arc<Schema>>, BadBatch> {
    match n {
        0 => Ok(None),
        n => table
            .get(n as usize - 1)
            .map(Some)
            .ok_or_else(|| BadBatch(format!("schema {n} is not in the batch's table"))),
    }
}

/// Decodes the records of `batch`, borrowing from it, `headers` and `schemas`.
pub fn records<'a>(
    batch: &'a wit::Batch,
    headers: &'a [Header<'a>],
    schemas: &'a [Arc<Schema>],
) -> Result<Vec<Record<'a>>, BadBatch> {
    let data = &batch.data;
    RecordEntry::read_all(&batch.records)
        .map_err(|e| BadBatch(e.0))?
        .into_iter()
        .map(|r| {
            let first = r.first_header as usize;
            let hs = headers
                .get(first..first + r.header_count as usize)
                .ok_or_else(|| BadBatch("header range outside the batch".into()))?;
            Ok(Record {
                topic: text(data, r.topic)?,
                partition: r.partition,
                offset: r.offset,
                timestamp: r.timestamp(),
                key: r.key.map(|s| bytes(data, s)).transpose()?,
                key_kind: r.key_kind().map_err(|e| BadBatch(e.0))?.into(),
                key_schema: schema_ref(schemas, r.key_schema)?,
                value: r.value.map(|s| bytes(data, s)).transpose()?,
                value_kind: r.value_kind().map_err(|e| BadBatch(e.0))?.into(),
                value_schema: schema_ref(schemas, r.value_schema)?,
                headers: hs,
            })
        })
        .collect()
}

/// Whether `out` is `input`'s very bytes (borrowed, same address and length).
fn same_bytes(input: Option<&[u8]>, out: Option<&Cow<'_, [u8]>>) -> bool {
    match (input, out) {
        (None, None) => true,
        (Some(a), Some(Cow::Borrowed(b))) => a.as_ptr() == b.as_ptr() && a.len() == b.len(),
        _ => false,
    }
}

fn same_schema(input: Option<&Arc<Schema>>, out: Option<&Arc<Schema>>) -> bool {
    match (input, out) {
        (None, None) => true,
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        _ => false,
    }
}

/// The schema table of a reply: each schema once.
#[derive(Default)]
pub struct SchemaTable {
    texts: Vec<String>,
    /// The schemas indexed so far, held so that no other schema can take
    /// one's address while the reply is built.
    ids: Vec<(Arc<Schema>, u32)>,
}

impl SchemaTable {
    /// The 1-based index of `schema` (0 for none), added when new.
    pub fn index(&mut self, schema: Option<&Arc<Schema>>) -> u32 {
        let Some(schema) = schema else { return 0 };
        if let Some((_, n)) = self.ids.iter().find(|(s, _)| Arc::ptr_eq(s, schema)) {
            return *n;
        }
        let text = text_of(schema);
        let n = match self.texts.iter().position(|t| **t == *text) {
            Some(i) => i as u32 + 1,
            None => {
                self.texts.push(text.to_string());
                self.texts.len() as u32
            }
        };
        self.ids.push((schema.clone(), n));
        n
    }

    /// The table's texts.
    pub fn finish(self) -> Vec<String> {
        self.texts
    }
}

/// Builds a batch record by record: a transform's output, or (in tests) an
/// input batch.
#[derive(Default)]
pub struct Writer {
    data: Vec<u8>,
    records: Vec<u8>,
    headers: Vec<u8>,
    schemas: SchemaTable,
    /// The last input whose headers an output kept: the host takes each
    /// input's headers by reference once, so later outputs copy them.
    headers_kept_by: Option<u32>,
}

/// A position of a [`Writer`].
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    data: usize,
    records: usize,
    headers: usize,
    headers_kept_by: Option<u32>,
}

impl Writer {
    /// A writer with room for about `records` records of `bytes` bytes in all.
    pub fn with_capacity(records: usize, bytes: usize) -> Self {
        Writer {
            data: Vec::with_capacity(bytes),
            records: Vec::with_capacity(records * layout::RECORD_ENTRY),
            ..Default::default()
        }
    }

    fn put(&mut self, b: &[u8]) -> Span {
        let start = self.data.len() as u32;
        self.data.extend_from_slice(b);
        Span {
            start,
            len: b.len() as u32,
        }
    }

    /// Appends a record with all its bytes (an input batch for tests).
    pub fn push_record(&mut self, r: &Record<'_>) {
        let first_header = (self.headers.len() / layout::HEADER_ENTRY) as u32;
        for h in r.headers {
            let entry = HeaderEntry {
                name: self.put(h.name.as_bytes()),
                value: h.value.map(|v| self.put(v)),
            };
            entry.write(&mut self.headers);
        }
        let mut e = RecordEntry {
            topic: self.put(r.topic.as_bytes()),
            partition: r.partition,
            offset: r.offset,
            key: r.key.map(|k| self.put(k)),
            value: r.value.map(|v| self.put(v)),
            key_schema: self.schemas.index(r.key_schema),
            value_schema: self.schemas.index(r.value_schema),
            first_header,
            header_count: r.headers.len() as u32,
            ..Default::default()
        };
        e.set_timestamp(r.timestamp);
        e.set_kinds(r.key_kind.into(), r.value_kind.into());
        e.write(&mut self.records);
    }

    /// An output that is input `origin`, unchanged: no bytes written (but
    /// for a second output of the same input, which copies them).
    pub fn keep(&mut self, origin: u32, input: &Record<'_>) {
        if self.headers_kept_by == Some(origin) {
            self.push_record(input);
            // An output's offset field is its origin.
            let at = self.records.len() - layout::RECORD_ENTRY + 16;
            self.records[at..at + 8].copy_from_slice(&i64::from(origin).to_le_bytes());
            return;
        }
        self.headers_kept_by = Some(origin);
        RecordEntry {
            flags: KEEP_RECORD,
            offset: i64::from(origin),
            ..Default::default()
        }
        .write(&mut self.records);
    }

    /// An output of input `origin` (`input`): what it still borrows from the
    /// input is written as a reference, the rest copied in. When the value
    /// is new, the key and headers are copied too (they are usually a small
    /// part of a record): the reply then holds the whole record, and the
    /// host sends the reply's buffer as it is to the next plugin instead of
    /// copying every record into a new one.
    pub fn emit(&mut self, r: &RecordOut<'_>, input: &Record<'_>, origin: u32) {
        let keep_key = same_bytes(input.key, r.key.as_ref())
            && r.key_kind == input.key_kind
            && same_schema(input.key_schema, r.key_schema.as_ref());
        let keep_value = same_bytes(input.value, r.value.as_ref())
            && r.value_kind == input.value_kind
            && same_schema(input.value_schema, r.value_schema.as_ref());
        let keep_headers = self.headers_kept_by != Some(origin)
            && r.headers.len() == input.headers.len()
            && r.headers.iter().zip(input.headers).all(|((n, v), h)| {
                matches!(n, Cow::Borrowed(n) if n.as_ptr() == h.name.as_ptr() && n.len() == h.name.len())
                    && same_bytes(h.value, v.as_ref())
            });
        let same_topic = *r.topic == *input.topic;
        if keep_key
            && keep_value
            && keep_headers
            && same_topic
            && r.partition == input.partition
            && r.timestamp == input.timestamp
        {
            self.keep(origin, input);
            return;
        }
        // A record whose value is new is written whole (see above).
        let (keep_key, keep_headers) = (keep_key && keep_value, keep_headers && keep_value);
        let mut flags = 0;
        let first_header = (self.headers.len() / layout::HEADER_ENTRY) as u32;
        if keep_headers {
            flags |= KEEP_HEADERS;
            self.headers_kept_by = Some(origin);
        } else {
            for (name, value) in &r.headers {
                let entry = HeaderEntry {
                    name: self.put(name.as_bytes()),
                    value: value.as_deref().map(|v| self.put(v)),
                };
                entry.write(&mut self.headers);
            }
        }
        let mut e = RecordEntry {
            topic: self.put(r.topic.as_bytes()),
            partition: r.partition,
            offset: i64::from(origin),
            first_header,
            header_count: if keep_headers {
                0
            } else {
                r.headers.len() as u32
            },
            ..Default::default()
        };
        if keep_key {
            flags |= KEEP_KEY;
        } else {
            e.key = r.key.as_deref().map(|k| self.put(k));
            e.key_schema = self.schemas.index(r.key_schema.as_ref());
        }
        if keep_value {
            flags |= KEEP_VALUE;
        } else {
            e.value = r.value.as_deref().map(|v| self.put(v));
            e.value_schema = self.schemas.index(r.value_schema.as_ref());
        }
        e.flags = flags;
        e.set_timestamp(r.timestamp);
        e.set_kinds(r.key_kind.into(), r.value_kind.into());
        e.write(&mut self.records);
    }

    /// Where the writer stands, to [`rollback`](Self::rollback) to.
    pub fn mark(&self) -> Mark {
        Mark {
            data: self.data.len(),
            records: self.records.len(),
            headers: self.headers.len(),
            headers_kept_by: self.headers_kept_by,
        }
    }

    /// Forgets everything written since `mark` (schemas stay: unused
    /// entries cost nothing but their text).
    pub fn rollback(&mut self, mark: Mark) {
        self.data.truncate(mark.data);
        self.records.truncate(mark.records);
        self.headers.truncate(mark.headers);
        self.headers_kept_by = mark.headers_kept_by;
    }

    /// The finished batch.
    pub fn finish(self) -> wit::Batch {
        wit::Batch {
            data: self.data,
            records: self.records,
            headers: self.headers,
            schemas: self.schemas.finish(),
        }
    }
}

/// A converter's reply, item by item.
#[derive(Default)]
pub struct ConversionWriter {
    pub data: Vec<u8>,
    pub items: Vec<u8>,
    pub schemas: SchemaTable,
}

impl ConversionWriter {
    /// One converted part: a slice of `input` (the part's own bytes, so
    /// borrowed from it: owned bytes never lie inside it) is written as a
    /// reference to it, anything else copied in.
    pub fn converted(
        &mut self,
        input: Option<&[u8]>,
        bytes: &[u8],
        kind: ValueKind,
        schema: Option<&Arc<Schema>>,
    ) {
        let schema = self.schemas.index(schema);
        let kind = kind.into();
        let inside = match (input, bytes) {
            (Some(own), b) => {
                let (start, end) = (own.as_ptr() as usize, own.as_ptr() as usize + own.len());
                let at = b.as_ptr() as usize;
                (at >= start && at + b.len() <= end).then(|| Span {
                    start: (at - start) as u32,
                    len: b.len() as u32,
                })
            }
            _ => None,
        };
        let item = match inside {
            Some(span) => ConversionItem::Input { span, kind, schema },
            None => {
                let start = self.data.len() as u32;
                self.data.extend_from_slice(bytes);
                ConversionItem::Output {
                    span: Span {
                        start,
                        len: bytes.len() as u32,
                    },
                    kind,
                    schema,
                }
            }
        };
        item.write(&mut self.items);
    }

    /// A null part, with the schema of an optional schema's null.
    pub fn null(&mut self, schema: Option<&Arc<Schema>>) {
        let schema = self.schemas.index(schema);
        ConversionItem::Null { schema }.write(&mut self.items);
    }

    /// A failed record.
    pub fn failed(&mut self) {
        ConversionItem::Failed.write(&mut self.items);
    }
}

/// A formatter's items.
pub fn encoding(items: &mut Vec<u8>, item: EncodingItem) {
    item.write(items);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `writer`'s reply says of its only record: flags, and the key
    /// and header names it wrote (empty when kept by reference).
    fn written(writer: Writer) -> (u32, Option<Vec<u8>>, Vec<String>) {
        let batch = writer.finish();
        let e = RecordEntry::read_all(&batch.records).unwrap().remove(0);
        let key = e.key.map(|s| bytes(&batch.data, s).unwrap().to_vec());
        let names = HeaderEntry::read_all(&batch.headers)
            .unwrap()
            .into_iter()
            .map(|h| text(&batch.data, h.name).unwrap().to_string())
            .collect();
        (e.flags, key, names)
    }

    #[test]
    fn a_record_with_a_new_value_is_written_whole() {
        let headers = [Header {
            name: "trace",
            value: Some(b"t1"),
        }];
        let mut input = Record::new("orders", Some(b"{\"a\":1}"));
        input.key = Some(b"k1");
        input.headers = &headers;
        // A new value: key and headers are copied beside it.
        let mut out = input.to_out();
        out.set_json(&serde_json::json!({"a": 2}));
        let mut writer = Writer::default();
        writer.emit(&out, &input, 0);
        let (flags, key, names) = written(writer);
        assert_eq!(flags & (KEEP_KEY | KEEP_HEADERS | KEEP_VALUE), 0);
        assert_eq!(key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(names, ["trace"]);
        // A new key beside the input's value: the value and the headers are
        // kept by reference.
        let mut out = input.to_out();
        out.key = Some(Cow::Owned(b"k2".to_vec()));
        let mut writer = Writer::default();
        writer.emit(&out, &input, 0);
        let (flags, key, names) = written(writer);
        assert_eq!(
            flags & (KEEP_KEY | KEEP_HEADERS | KEEP_VALUE),
            KEEP_VALUE | KEEP_HEADERS
        );
        assert_eq!(key.as_deref(), Some(&b"k2"[..]));
        assert!(names.is_empty());
    }
}
