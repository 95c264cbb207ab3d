//! Per-record views a plugin reads, and owned records it writes.

use std::borrow::Cow;
use std::sync::Arc;

use crate::schema::{Schema, Struct};

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
    /// The key's schema, when a schema-aware converter read one.
    pub key_schema: Option<&'a Arc<Schema>>,
    /// `None` is a tombstone.
    pub value: Option<&'a [u8]>,
    pub value_kind: ValueKind,
    /// The value's schema, when a schema-aware converter read one: the value
    /// is then JSON in the form Kafka's `JsonConverter` writes a payload.
    pub value_schema: Option<&'a Arc<Schema>>,
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
            key_schema: None,
            value,
            value_kind: ValueKind::Binary,
            value_schema: None,
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

    /// The value as a struct with its schema, for schema'd values; the error
    /// names the offset and says what is missing.
    pub fn value_struct(&self) -> Result<Struct, String> {
        let schema = self.value_schema.ok_or_else(|| {
            format!(
                "offset {}: the value has no schema (use a schema-aware converter, such as json with schemas.enable=true)",
                self.offset
            )
        })?;
        let bytes = self
            .value
            .ok_or_else(|| format!("offset {}: value is null", self.offset))?;
        Struct::read(schema.clone(), bytes).map_err(|e| format!("offset {}: {e}", self.offset))
    }

    /// An owned copy to change and emit: same topic, partition, timestamp,
    /// key, value, schemas and headers, borrowing the bytes until they are
    /// replaced. Whatever is still borrowed when it is emitted is not copied
    /// out of the plugin: the host keeps its own bytes.
    pub fn to_out(&self) -> RecordOut<'a> {
        RecordOut {
            topic: Cow::Borrowed(self.topic),
            partition: self.partition,
            timestamp: self.timestamp,
            key: self.key.map(Cow::Borrowed),
            key_kind: self.key_kind,
            key_schema: self.key_schema.cloned(),
            value: self.value.map(Cow::Borrowed),
            value_kind: self.value_kind,
            value_schema: self.value_schema.cloned(),
            headers: self
                .headers
                .iter()
                .map(|h| (Cow::Borrowed(h.name), h.value.map(Cow::Borrowed)))
                .collect(),
        }
    }
}

/// A record a transform emits. Build it with [`Record::to_out`] and change fields.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordOut<'a> {
    pub topic: Cow<'a, str>,
    pub partition: i32,
    pub timestamp: Option<i64>,
    pub key: Option<Cow<'a, [u8]>>,
    pub key_kind: ValueKind,
    pub key_schema: Option<Arc<Schema>>,
    pub value: Option<Cow<'a, [u8]>>,
    pub value_kind: ValueKind,
    pub value_schema: Option<Arc<Schema>>,
    pub headers: Vec<HeaderOut<'a>>,
}

/// A header of an emitted record: name and value (null when `None`).
pub type HeaderOut<'a> = (Cow<'a, str>, Option<Cow<'a, [u8]>>);

impl<'a> RecordOut<'a> {
    /// Replaces the value with a schemaless JSON document (a schema the
    /// value had no longer describes it, so it is dropped).
    pub fn set_json(&mut self, value: &serde_json::Value) {
        // Serialising a serde_json::Value into a Vec cannot fail.
        self.value = Some(Cow::Owned(serde_json::to_vec(value).unwrap_or_default()));
        self.value_kind = ValueKind::Json;
        self.value_schema = None;
    }

    /// Replaces the value with a struct and its schema.
    pub fn set_struct(&mut self, value: &Struct) {
        self.value = Some(Cow::Owned(value.to_json()));
        self.value_kind = ValueKind::Json;
        self.value_schema = Some(value.schema().clone());
    }
}
