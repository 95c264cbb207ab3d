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

/// The one buffer a consumed batch's bytes were copied into: its records'
/// keys, values and header values, and the topic's name and each distinct
/// header name once. Contract 0.2's batches use it as their data buffer
/// while every record's bytes still lie in it, so the host copies nothing
/// before a plugin call.
#[derive(Clone, Debug)]
pub struct Arena {
    bytes: Bytes,
    topic: Arc<str>,
    topic_at: usize,
    /// Header names and where each lies.
    header_names: Vec<(Box<str>, u32)>,
}

impl Arena {
    /// `bytes` holding `topic`'s name at `topic_at`; `None` when it does
    /// not, or when the buffer is too long for the contract's 32-bit spans.
    pub fn new(bytes: Bytes, topic: Arc<str>, topic_at: usize) -> Option<Self> {
        let fits = u32::try_from(bytes.len()).is_ok();
        let holds = bytes.get(topic_at..topic_at + topic.len()) == Some(topic.as_bytes());
        (fits && holds).then_some(Arena {
            bytes,
            topic,
            topic_at,
            header_names: Vec::new(),
        })
    }

    /// The arena with the header names it holds, each at its place; `None`
    /// when one is not there.
    pub fn with_header_names(mut self, names: Vec<(Box<str>, usize)>) -> Option<Self> {
        for (name, at) in names {
            if self.bytes.get(at..at + name.len()) != Some(name.as_bytes()) {
                return None;
            }
            self.header_names.push((name, at as u32));
        }
        Some(self)
    }

    /// Where the header name `name` lies, when the arena holds it.
    pub fn header_name(&self, name: &str) -> Option<(u32, u32)> {
        self.header_names
            .iter()
            .find(|(n, _)| **n == *name)
            .map(|(n, at)| (*at, n.len() as u32))
    }

    /// The whole buffer.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Where the name of `topic` lies, when it is the arena's topic.
    pub fn topic(&self, topic: &Arc<str>) -> Option<(u32, u32)> {
        (Arc::ptr_eq(topic, &self.topic) || *topic == self.topic)
            .then(|| (self.topic_at as u32, topic.len() as u32))
    }

    /// Where `b` lies in the arena (start and length), if it does. Empty
    /// bytes lie anywhere.
    pub fn span_of(&self, b: &[u8]) -> Option<(u32, u32)> {
        if b.is_empty() {
            return Some((0, 0));
        }
        let base = self.bytes.as_ptr() as usize;
        let start = (b.as_ptr() as usize).checked_sub(base)?;
        (start + b.len() <= self.bytes.len()).then_some((start as u32, b.len() as u32))
    }
}

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
