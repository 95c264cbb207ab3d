//! Per-record views a plugin reads, and owned records it writes.

use std::borrow::Cow;

/// What a record's key or value holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ValueKind {
    /// Bytes of unknown structure: the state before any converter ran.
    #[default]
    Binary,
    /// UTF-8 text.
    Text,
    /// One UTF-8 JSON document.
    Json,
}

impl std::fmt::Display for ValueKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ValueKind::Binary => "binary",
            ValueKind::Text => "text",
            ValueKind::Json => "json",
        })
    }
}

/// One Kafka header: a UTF-8 name and a value that may be null.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    pub name: &'a str,
    pub value: Option<&'a [u8]>,
}

/// A record as a plugin sees it: borrowed from the batch the host passed in.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    /// Milliseconds since the Unix epoch.
    pub timestamp: Option<i64>,
    pub key: Option<&'a [u8]>,
    pub key_kind: ValueKind,
    /// `None` is a tombstone.
    pub value: Option<&'a [u8]>,
    pub value_kind: ValueKind,
    pub headers: &'a [Header<'a>],
}

impl<'a> Record<'a> {
    /// A record with a topic and a value, everything else empty; handy in tests.
    pub fn new(topic: &'a str, value: Option<&'a [u8]>) -> Self {
        Record {
            topic,
            partition: 0,
            offset: 0,
            timestamp: None,
            key: None,
            key_kind: ValueKind::Binary,
            value,
            value_kind: ValueKind::Binary,
            headers: &[],
        }
    }

    /// True when the value is null (a Kafka tombstone).
    pub fn is_tombstone(&self) -> bool {
        self.value.is_none()
    }

    /// The first header called `name`: `Some(None)` when it is there with a null value.
    pub fn header(&self, name: &str) -> Option<Option<&'a [u8]>> {
        self.headers
            .iter()
            .find(|h| h.name == name)
            .map(|h| h.value)
    }

    /// The value as UTF-8 text; an error names the offset.
    pub fn value_str(&self) -> Result<&'a str, String> {
        let bytes = self
            .value
            .ok_or_else(|| format!("offset {}: value is null", self.offset))?;
        std::str::from_utf8(bytes)
            .map_err(|e| format!("offset {}: value is not UTF-8: {e}", self.offset))
    }

    /// The value parsed as JSON; an error names the offset and what is wrong.
    pub fn value_json(&self) -> Result<serde_json::Value, String> {
        let bytes = self
            .value
            .ok_or_else(|| format!("offset {}: value is null", self.offset))?;
        serde_json::from_slice(bytes)
            .map_err(|e| format!("offset {}: value is not valid JSON: {e}", self.offset))
    }

    /// An owned copy to change and emit: same topic, partition, timestamp,
    /// key, value and headers, borrowing the bytes until they are replaced.
    pub fn to_out(&self) -> RecordOut<'a> {
        RecordOut {
            topic: Cow::Borrowed(self.topic),
            partition: self.partition,
            timestamp: self.timestamp,
            key: self.key.map(Cow::Borrowed),
            key_kind: self.key_kind,
            value: self.value.map(Cow::Borrowed),
            value_kind: self.value_kind,
            headers: self
                .headers
                .iter()
                .map(|h| (Cow::Borrowed(h.name), h.value.map(Cow::Borrowed)))
                .collect(),
        }
    }
}

/// A record a transform emits. Build it with [`Record::to_out`] and change fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordOut<'a> {
    pub topic: Cow<'a, str>,
    pub partition: i32,
    pub timestamp: Option<i64>,
    pub key: Option<Cow<'a, [u8]>>,
    pub key_kind: ValueKind,
    pub value: Option<Cow<'a, [u8]>>,
    pub value_kind: ValueKind,
    pub headers: Vec<HeaderOut<'a>>,
}

/// A header of an emitted record: name and value (null when `None`).
pub type HeaderOut<'a> = (Cow<'a, str>, Option<Cow<'a, [u8]>>);

impl<'a> RecordOut<'a> {
    /// Replaces the value with a JSON document.
    pub fn set_json(&mut self, value: &serde_json::Value) {
        // Serialising a serde_json::Value into a Vec cannot fail.
        self.value = Some(Cow::Owned(serde_json::to_vec(value).unwrap_or_default()));
        self.value_kind = ValueKind::Json;
    }
}
