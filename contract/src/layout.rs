//! The fixed-size little-endian entries of contract 0.2: records and
//! headers of a batch, the items of a converter's and a formatter's reply.
//! `wit/sluice-plugin-0.2.0/plugin.wit` documents the same layout; the
//! tests here pin every offset.
//!
//! Reading never panics: an entry list whose length is not a multiple of
//! the entry size, or a field with a value the contract does not define, is
//! a [`LayoutError`] naming the entry.

/// Bytes of one record entry.
pub const RECORD_ENTRY: usize = 64;
/// Bytes of one header entry.
pub const HEADER_ENTRY: usize = 16;
/// Bytes of one conversion item.
pub const CONVERSION_ITEM: usize = 16;
/// Bytes of one encoding item.
pub const ENCODING_ITEM: usize = 12;

/// A span length that stands for null (a null key, value or header value).
pub const NULL_LEN: u32 = u32::MAX;

/// Record flag: the record has a timestamp.
pub const HAS_TIMESTAMP: u32 = 1;
const KEY_KIND_SHIFT: u32 = 8;
const VALUE_KIND_SHIFT: u32 = 10;
/// Output flag: the key and its schema are the origin input's.
pub const KEEP_KEY: u32 = 1 << 16;
/// Output flag: the value and its schema are the origin input's.
pub const KEEP_VALUE: u32 = 1 << 17;
/// Output flag: the headers are the origin input's.
pub const KEEP_HEADERS: u32 = 1 << 18;
/// Output flag: the whole record is the origin input, unchanged.
pub const KEEP_RECORD: u32 = 1 << 19;
/// Every flag bit the contract defines.
const KNOWN_FLAGS: u32 = HAS_TIMESTAMP
    | (3 << KEY_KIND_SHIFT)
    | (3 << VALUE_KIND_SHIFT)
    | KEEP_KEY
    | KEEP_VALUE
    | KEEP_HEADERS
    | KEEP_RECORD;

/// An entry the contract does not define.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutError(pub String);

impl std::fmt::Display for LayoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LayoutError {}

/// A byte range of a batch's or a reply's `data`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: u32,
    pub len: u32,
}

impl Span {
    /// The range as `usize`s, if it ends within `len` bytes.
    pub fn range(self, len: usize) -> Option<std::ops::Range<usize>> {
        let start = self.start as usize;
        let end = start.checked_add(self.len as usize)?;
        (end <= len).then_some(start..end)
    }
}

/// What a key or value holds (the contract's value kinds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Bytes of unknown structure (the state before any converter).
    #[default]
    Binary,
    /// UTF-8 text.
    Text,
    /// One UTF-8 JSON document.
    Json,
}

impl Kind {
    fn bits(self) -> u32 {
        match self {
            Kind::Binary => 0,
            Kind::Text => 1,
            Kind::Json => 2,
        }
    }

    /// The kind's number on the wire (0 binary, 1 text, 2 json), as a
    /// `kept-bytes` record carries it.
    pub fn code(self) -> u8 {
        self.bits() as u8
    }

    /// The kind numbered `code`; an undefined number is refused.
    pub fn from_code(code: u8) -> Result<Self, LayoutError> {
        Self::from_bits(u32::from(code))
    }

    fn from_bits(bits: u32) -> Result<Self, LayoutError> {
        match bits {
            0 => Ok(Kind::Binary),
            1 => Ok(Kind::Text),
            2 => Ok(Kind::Json),
            other => Err(LayoutError(format!("value kind {other} is not defined"))),
        }
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

fn i64_at(b: &[u8], at: usize) -> i64 {
    let mut w = [0; 8];
    w.copy_from_slice(&b[at..at + 8]);
    i64::from_le_bytes(w)
}

fn span_at(b: &[u8], at: usize) -> Span {
    Span {
        start: u32_at(b, at),
        len: u32_at(b, at + 4),
    }
}

fn nullable_at(b: &[u8], at: usize) -> Option<Span> {
    let s = span_at(b, at);
    (s.len != NULL_LEN).then_some(s)
}

fn put_span(out: &mut Vec<u8>, s: Option<Span>) {
    let s = s.unwrap_or(Span {
        start: 0,
        len: NULL_LEN,
    });
    out.extend_from_slice(&s.start.to_le_bytes());
    out.extend_from_slice(&s.len.to_le_bytes());
}

/// The entries of `list`, `size` bytes each, or an error naming `what`.
fn entries<'a>(
    list: &'a [u8],
    size: usize,
    what: &str,
) -> Result<std::slice::ChunksExact<'a, u8>, LayoutError> {
    if !list.len().is_multiple_of(size) {
        return Err(LayoutError(format!(
            "the {what} list holds {} bytes: not a whole number of {size}-byte entries",
            list.len()
        )));
    }
    Ok(list.chunks_exact(size))
}

/// One record entry (64 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordEntry {
    pub topic: Span,
    pub partition: i32,
    /// [`HAS_TIMESTAMP`], the kinds, and in a transform's outputs the
    /// `KEEP_*` flags.
    pub flags: u32,
    /// The offset of an input record; in a transform's outputs, the index of
    /// the input record it came from (its origin).
    pub offset: i64,
    /// Milliseconds since the Unix epoch; meaningful with [`HAS_TIMESTAMP`].
    pub timestamp: i64,
    pub key: Option<Span>,
    pub value: Option<Span>,
    /// 0: no schema; n: the batch's `schemas[n - 1]`.
    pub key_schema: u32,
    /// 0: no schema; n: the batch's `schemas[n - 1]`.
    pub value_schema: u32,
    pub first_header: u32,
    pub header_count: u32,
}

impl RecordEntry {
    /// The timestamp, if the record has one.
    pub fn timestamp(&self) -> Option<i64> {
        (self.flags & HAS_TIMESTAMP != 0).then_some(self.timestamp)
    }

    /// Sets the timestamp and its flag.
    pub fn set_timestamp(&mut self, ts: Option<i64>) {
        match ts {
            Some(t) => {
                self.timestamp = t;
                self.flags |= HAS_TIMESTAMP;
            }
            None => {
                self.timestamp = 0;
                self.flags &= !HAS_TIMESTAMP;
            }
        }
    }

    /// The key's kind.
    pub fn key_kind(&self) -> Result<Kind, LayoutError> {
        Kind::from_bits((self.flags >> KEY_KIND_SHIFT) & 3)
    }

    /// The value's kind.
    pub fn value_kind(&self) -> Result<Kind, LayoutError> {
        Kind::from_bits((self.flags >> VALUE_KIND_SHIFT) & 3)
    }

    /// Sets both kinds.
    pub fn set_kinds(&mut self, key: Kind, value: Kind) {
        self.flags &= !((3 << KEY_KIND_SHIFT) | (3 << VALUE_KIND_SHIFT));
        self.flags |= (key.bits() << KEY_KIND_SHIFT) | (value.bits() << VALUE_KIND_SHIFT);
    }

    /// Appends the entry's 64 bytes to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.topic.start.to_le_bytes());
        out.extend_from_slice(&self.topic.len.to_le_bytes());
        out.extend_from_slice(&self.partition.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.timestamp.to_le_bytes());
        put_span(out, self.key);
        put_span(out, self.value);
        out.extend_from_slice(&self.key_schema.to_le_bytes());
        out.extend_from_slice(&self.value_schema.to_le_bytes());
        out.extend_from_slice(&self.first_header.to_le_bytes());
        out.extend_from_slice(&self.header_count.to_le_bytes());
    }

    fn read(b: &[u8]) -> Result<Self, LayoutError> {
        let flags = u32_at(b, 12);
        if flags & !KNOWN_FLAGS != 0 {
            return Err(LayoutError(format!(
                "flags {flags:#x} set bits the contract does not define"
            )));
        }
        let entry = RecordEntry {
            topic: span_at(b, 0),
            partition: u32_at(b, 8) as i32,
            flags,
            offset: i64_at(b, 16),
            timestamp: i64_at(b, 24),
            key: nullable_at(b, 32),
            value: nullable_at(b, 40),
            key_schema: u32_at(b, 48),
            value_schema: u32_at(b, 52),
            first_header: u32_at(b, 56),
            header_count: u32_at(b, 60),
        };
        entry.key_kind()?;
        entry.value_kind()?;
        Ok(entry)
    }

    /// Reads every entry of a record list.
    pub fn read_all(list: &[u8]) -> Result<Vec<RecordEntry>, LayoutError> {
        entries(list, RECORD_ENTRY, "record")?
            .enumerate()
            .map(|(i, b)| Self::read(b).map_err(|e| LayoutError(format!("record entry {i}: {e}"))))
            .collect()
    }
}

/// One header entry (16 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeaderEntry {
    pub name: Span,
    /// `None`: a null header value.
    pub value: Option<Span>,
}

impl HeaderEntry {
    /// Appends the entry's 16 bytes to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        put_span(out, Some(self.name));
        put_span(out, self.value);
    }

    /// Reads every entry of a header list.
    pub fn read_all(list: &[u8]) -> Result<Vec<HeaderEntry>, LayoutError> {
        Ok(entries(list, HEADER_ENTRY, "header")?
            .map(|b| HeaderEntry {
                name: span_at(b, 0),
                value: nullable_at(b, 8),
            })
            .collect())
    }
}

/// What a converter made of one record's part (16 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConversionItem {
    /// The part is now `span` of the reply's data.
    Output { span: Span, kind: Kind, schema: u32 },
    /// The part is `span` of the input part's own bytes (all of them:
    /// unchanged), now of `kind` with `schema`.
    Input { span: Span, kind: Kind, schema: u32 },
    /// The part is null, with `schema` (an optional schema's null).
    Null { schema: u32 },
    /// The record failed: the reply's failures say why.
    Failed,
}

impl ConversionItem {
    /// Appends the item's 16 bytes to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let (tag, kind, span, schema) = match *self {
            ConversionItem::Output { span, kind, schema } => (0u8, kind, span, schema),
            ConversionItem::Input { span, kind, schema } => (1, kind, span, schema),
            ConversionItem::Null { schema } => (2, Kind::Binary, Span::default(), schema),
            ConversionItem::Failed => (3, Kind::Binary, Span::default(), 0),
        };
        out.extend_from_slice(&[tag, kind.bits() as u8, 0, 0]);
        put_span(out, Some(span));
        out.extend_from_slice(&schema.to_le_bytes());
    }

    /// Reads every item of a reply.
    pub fn read_all(list: &[u8]) -> Result<Vec<ConversionItem>, LayoutError> {
        entries(list, CONVERSION_ITEM, "conversion item")?
            .enumerate()
            .map(|(i, b)| {
                let kind = Kind::from_bits(u32::from(b[1]))
                    .map_err(|e| LayoutError(format!("conversion item {i}: {e}")))?;
                let (span, schema) = (span_at(b, 4), u32_at(b, 12));
                Ok(match b[0] {
                    0 => ConversionItem::Output { span, kind, schema },
                    1 => ConversionItem::Input { span, kind, schema },
                    2 => ConversionItem::Null { schema },
                    3 => ConversionItem::Failed,
                    tag => {
                        return Err(LayoutError(format!(
                            "conversion item {i}: tag {tag} is not defined"
                        )));
                    }
                })
            })
            .collect()
    }
}

/// What a formatter made of one record (12 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodingItem {
    /// The record's encoding is `span` of the reply's data.
    Output(Span),
    /// The record's encoding is its value's bytes as they are.
    Value,
    /// The record failed: the reply's failures say why.
    Failed,
}

impl EncodingItem {
    /// Appends the item's 12 bytes to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let (tag, span) = match *self {
            EncodingItem::Output(span) => (0u32, span),
            EncodingItem::Value => (1, Span::default()),
            EncodingItem::Failed => (2, Span::default()),
        };
        out.extend_from_slice(&tag.to_le_bytes());
        put_span(out, Some(span));
    }

    /// Reads every item of a reply.
    pub fn read_all(list: &[u8]) -> Result<Vec<EncodingItem>, LayoutError> {
        entries(list, ENCODING_ITEM, "encoding item")?
            .enumerate()
            .map(|(i, b)| match u32_at(b, 0) {
                0 => Ok(EncodingItem::Output(span_at(b, 4))),
                1 => Ok(EncodingItem::Value),
                2 => Ok(EncodingItem::Failed),
                tag => Err(LayoutError(format!(
                    "encoding item {i}: tag {tag} is not defined"
                ))),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_entry_sits_at_the_documented_offsets() {
        let mut e = RecordEntry {
            topic: Span { start: 1, len: 2 },
            partition: -3,
            offset: 0x0102_0304_0506_0708,
            key: None,
            value: Some(Span { start: 9, len: 10 }),
            key_schema: 0,
            value_schema: 11,
            first_header: 12,
            header_count: 13,
            ..Default::default()
        };
        e.set_timestamp(Some(-5));
        e.set_kinds(Kind::Text, Kind::Json);
        let mut b = Vec::new();
        e.write(&mut b);
        assert_eq!(b.len(), RECORD_ENTRY);
        assert_eq!(u32_at(&b, 0), 1);
        assert_eq!(u32_at(&b, 4), 2);
        assert_eq!(u32_at(&b, 8) as i32, -3);
        assert_eq!(u32_at(&b, 12), 1 | (1 << 8) | (2 << 10));
        assert_eq!(i64_at(&b, 16), 0x0102_0304_0506_0708);
        assert_eq!(i64_at(&b, 24), -5);
        assert_eq!(u32_at(&b, 36), NULL_LEN);
        assert_eq!((u32_at(&b, 40), u32_at(&b, 44)), (9, 10));
        assert_eq!((u32_at(&b, 48), u32_at(&b, 52)), (0, 11));
        assert_eq!((u32_at(&b, 56), u32_at(&b, 60)), (12, 13));
        let back = RecordEntry::read_all(&b).unwrap();
        assert_eq!(back, vec![e]);
        assert_eq!(back[0].timestamp(), Some(-5));
        assert_eq!(back[0].key_kind(), Ok(Kind::Text));
        assert_eq!(back[0].value_kind(), Ok(Kind::Json));
    }

    #[test]
    fn undefined_entries_are_errors_not_panics() {
        assert!(RecordEntry::read_all(&[0; 63]).is_err());
        let mut e = Vec::new();
        RecordEntry::default().write(&mut e);
        e[12] = 3 << 2; // an undefined flag bit
        assert!(
            RecordEntry::read_all(&e)
                .unwrap_err()
                .0
                .contains("record entry 0")
        );
        let mut e = Vec::new();
        RecordEntry {
            flags: 3 << KEY_KIND_SHIFT,
            ..Default::default()
        }
        .write(&mut e);
        assert!(RecordEntry::read_all(&e).is_err());
        assert!(ConversionItem::read_all(&[9; 16]).is_err());
        assert!(EncodingItem::read_all(&[7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(HeaderEntry::read_all(&[0; 15]).is_err());
        assert_eq!(
            Span {
                start: u32::MAX,
                len: 2
            }
            .range(10),
            None
        );
    }

    #[test]
    fn items_round_trip() {
        let items = [
            ConversionItem::Output {
                span: Span { start: 3, len: 4 },
                kind: Kind::Json,
                schema: 1,
            },
            ConversionItem::Input {
                span: Span { start: 0, len: 7 },
                kind: Kind::Text,
                schema: 0,
            },
            ConversionItem::Null { schema: 2 },
            ConversionItem::Failed,
        ];
        let mut b = Vec::new();
        items.iter().for_each(|i| i.write(&mut b));
        assert_eq!(b.len(), 4 * CONVERSION_ITEM);
        assert_eq!(ConversionItem::read_all(&b).unwrap(), items);
        let enc = [
            EncodingItem::Output(Span { start: 1, len: 2 }),
            EncodingItem::Value,
            EncodingItem::Failed,
        ];
        let mut b = Vec::new();
        enc.iter().for_each(|i| i.write(&mut b));
        assert_eq!(EncodingItem::read_all(&b).unwrap(), enc);
        let h = [
            HeaderEntry {
                name: Span { start: 0, len: 1 },
                value: None,
            },
            HeaderEntry {
                name: Span { start: 1, len: 1 },
                value: Some(Span { start: 2, len: 0 }),
            },
        ];
        let mut b = Vec::new();
        h.iter().for_each(|e| e.write(&mut b));
        assert_eq!(HeaderEntry::read_all(&b).unwrap(), h);
    }
}
