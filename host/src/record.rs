//! The host's record: what the Kafka source produces and the pipeline moves.

use std::sync::Arc;

use bytes::Bytes;

/// What a record's key or value holds (the contract's `value-kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueKind {
    /// Bytes of unknown structure, as consumed.
    #[default]
    Binary,
    /// UTF-8 text.
    Text,
    /// One UTF-8 JSON document.
    Json,
}

/// One Kafka header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: Option<Bytes>,
}

/// A Kafka Connect schema a key or value carries: the parsed schema and the
/// JSON text it travels as (contract 0.2's schema tables). Records share it
/// through an `Arc`, so a batch sends each schema once.
#[derive(Debug, PartialEq)]
pub struct Schema {
    /// `JsonConverter`'s JSON form, as the plugin that made it wrote it.
    pub text: Box<str>,
    pub parsed: sluice_contract::schema::Schema,
}

impl Schema {
    /// Reads a schema's JSON text.
    pub fn parse(text: &str) -> Result<Self, sluice_contract::schema::SchemaError> {
        Ok(Schema {
            parsed: sluice_contract::schema::Schema::parse(text)?,
            text: text.into(),
        })
    }
}

impl Eq for Schema {}

/// A Kafka record on its way through the pipeline. Bytes are reference
/// counted, so cloning and slicing never copy them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
    /// Milliseconds since the Unix epoch.
    pub timestamp: Option<i64>,
    pub key: Option<Bytes>,
    pub key_kind: ValueKind,
    /// The key's schema, once a schema-aware converter read one.
    pub key_schema: Option<Arc<Schema>>,
    /// `None` is a tombstone.
    pub value: Option<Bytes>,
    pub value_kind: ValueKind,
    /// The value's schema, once a schema-aware converter read one.
    pub value_schema: Option<Arc<Schema>>,
    pub headers: Vec<Header>,
}

impl Record {
    /// A record with a topic and value and nothing else; handy for tests and tools.
    pub fn new(topic: impl Into<Arc<str>>, value: Option<Bytes>) -> Self {
        Record {
            topic: topic.into(),
            partition: 0,
            offset: 0,
            timestamp: None,
            key: None,
            key_kind: ValueKind::Binary,
            key_schema: None,
            value,
            value_kind: ValueKind::Binary,
            value_schema: None,
            headers: Vec::new(),
        }
    }
}

/// How consumed records are cut into batches: a batch is handed on when it
/// holds `max_records` records or `max_bytes` bytes, or `linger` after its
/// first record. The sink chooses them; the source applies them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchLimits {
    pub max_records: usize,
    pub max_bytes: usize,
    pub linger: std::time::Duration,
}
