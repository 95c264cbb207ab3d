//! Contract 0.1's arena layout: decoding a batch into [`Record`] views and writing
//! records back into a batch. Plugin authors never see this module.

use crate::record::{Header, Record, RecordOut, ValueKind};
use crate::v0_1::wit;

impl From<wit::ValueKind> for ValueKind {
    fn from(k: wit::ValueKind) -> Self {
        match k {
            wit::ValueKind::Binary => ValueKind::Binary,
            wit::ValueKind::Text => ValueKind::Text,
            wit::ValueKind::Json => ValueKind::Json,
        }
    }
}

impl From<ValueKind> for wit::ValueKind {
    fn from(k: ValueKind) -> Self {
        match k {
            ValueKind::Binary => wit::ValueKind::Binary,
            ValueKind::Text => wit::ValueKind::Text,
            ValueKind::Json => wit::ValueKind::Json,
        }
    }
}

/// A span that lies outside the data buffer, or text that is not UTF-8:
/// the host built a bad batch.
#[derive(Debug)]
pub struct BadBatch(pub String);

fn bytes(data: &[u8], span: wit::Span) -> Result<&[u8], BadBatch> {
    let start = span.start as usize;
    data.get(start..start + span.len as usize).ok_or_else(|| {
        BadBatch(format!(
            "span {}+{} outside the batch data",
            span.start, span.len
        ))
    })
}

fn text(data: &[u8], span: wit::Span) -> Result<&str, BadBatch> {
    std::str::from_utf8(bytes(data, span)?).map_err(|e| BadBatch(format!("text is not UTF-8: {e}")))
}

/// Decodes every header of `batch`; pass the result to [`records`].
pub fn headers(batch: &wit::Batch) -> Result<Vec<Header<'_>>, BadBatch> {
    batch
        .headers
        .iter()
        .map(|h| {
            Ok(Header {
                name: text(&batch.data, h.name)?,
                value: h.value.map(|v| bytes(&batch.data, v)).transpose()?,
            })
        })
        .collect()
}

/// Decodes the records of `batch`, borrowing from it and from `headers`.
pub fn records<'a>(
    batch: &'a wit::Batch,
    headers: &'a [Header<'a>],
) -> Result<Vec<Record<'a>>, BadBatch> {
    let data = &batch.data;
    batch
        .records
        .iter()
        .map(|r| {
            let first = r.first_header as usize;
            let hs = headers
                .get(first..first + r.header_count as usize)
                .ok_or_else(|| BadBatch("header range outside the batch".into()))?;
            Ok(Record {
                topic: text(data, r.topic)?,
                partition: r.partition,
                offset: r.offset,
                timestamp: r.timestamp,
                key: r.key.map(|s| bytes(data, s)).transpose()?,
                key_kind: r.key_kind.into(),
                key_schema: None,
                value: r.value.map(|s| bytes(data, s)).transpose()?,
                value_kind: r.value_kind.into(),
                value_schema: None,
                headers: hs,
            })
        })
        .collect()
}

/// A batch with no records.
pub fn empty() -> wit::Batch {
    wit::Batch {
        data: Vec::new(),
        records: Vec::new(),
        headers: Vec::new(),
    }
}

/// Builds a batch record by record.
pub struct BatchWriter {
    batch: wit::Batch,
}

impl Default for BatchWriter {
    fn default() -> Self {
        BatchWriter { batch: empty() }
    }
}

impl BatchWriter {
    /// A writer with room for about `records` records of `bytes` bytes in all.
    pub fn with_capacity(records: usize, bytes: usize) -> Self {
        BatchWriter {
            batch: wit::Batch {
                data: Vec::with_capacity(bytes),
                records: Vec::with_capacity(records),
                headers: Vec::new(),
            },
        }
    }

    /// Appends `bytes` to the data buffer and returns where they are.
    pub fn put(&mut self, bytes: &[u8]) -> wit::Span {
        let start = self.batch.data.len() as u32;
        self.batch.data.extend_from_slice(bytes);
        wit::Span {
            start,
            len: bytes.len() as u32,
        }
    }

    /// Appends a record read from another batch, unchanged.
    pub fn push_record(&mut self, r: &Record<'_>) {
        let first_header = self.batch.headers.len() as u32;
        for h in r.headers {
            self.push_header(h.name, h.value);
        }
        let rec = wit::Record {
            topic: self.put(r.topic.as_bytes()),
            partition: r.partition,
            offset: r.offset,
            timestamp: r.timestamp,
            key: r.key.map(|k| self.put(k)),
            key_kind: r.key_kind.into(),
            value: r.value.map(|v| self.put(v)),
            value_kind: r.value_kind.into(),
            first_header,
            header_count: r.headers.len() as u32,
        };
        self.batch.records.push(rec);
    }

    /// Appends an emitted record; `offset` is the input's.
    pub fn push_out(&mut self, r: &RecordOut<'_>, offset: i64) {
        let first_header = self.batch.headers.len() as u32;
        for (name, value) in &r.headers {
            self.push_header(name, value.as_deref());
        }
        let rec = wit::Record {
            topic: self.put(r.topic.as_bytes()),
            partition: r.partition,
            offset,
            timestamp: r.timestamp,
            key: r.key.as_deref().map(|k| self.put(k)),
            key_kind: r.key_kind.into(),
            value: r.value.as_deref().map(|v| self.put(v)),
            value_kind: r.value_kind.into(),
            first_header,
            header_count: r.headers.len() as u32,
        };
        self.batch.records.push(rec);
    }

    fn push_header(&mut self, name: &str, value: Option<&[u8]>) {
        let header = wit::Header {
            name: self.put(name.as_bytes()),
            value: value.map(|v| self.put(v)),
        };
        self.batch.headers.push(header);
    }

    /// Where the writer stands, to [`rollback`](Self::rollback) to.
    pub fn mark(&self) -> Mark {
        Mark {
            data: self.batch.data.len(),
            records: self.batch.records.len(),
            headers: self.batch.headers.len(),
        }
    }

    /// Forgets everything written since `mark`.
    pub fn rollback(&mut self, mark: Mark) {
        self.batch.data.truncate(mark.data);
        self.batch.records.truncate(mark.records);
        self.batch.headers.truncate(mark.headers);
    }

    /// The finished batch.
    pub fn finish(self) -> wit::Batch {
        self.batch
    }
}

/// A position of a [`BatchWriter`].
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    data: usize,
    records: usize,
    headers: usize,
}
