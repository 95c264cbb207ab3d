//! The three plugin traits, and the batch loops that drive them.
//!
//! A plugin implements one trait over single records; the `run_*` functions
//! of [`crate::run`] walk a whole batch, catch each record's error on its
//! own, and build the reply.

use std::borrow::Cow;
use std::sync::Arc;

use crate::config::{Config, PluginInfo};
use crate::flat;
use crate::record::{Record, RecordOut, ValueKind};
use crate::schema::Schema;

/// What every plugin has: a description and a constructor from its config.
pub trait Plugin: Sized + 'static {
    /// Name, version, description and config keys.
    const INFO: PluginInfo;

    /// Builds the plugin from a configuration already checked against
    /// [`Self::INFO`]. An error reaches the user verbatim.
    fn configure(config: &Config) -> Result<Self, String>;
}

/// Which part of a record a converter works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Key,
    Value,
}

/// The result of converting one key or value. Bytes borrowed from the
/// input part (all of it, or a slice such as an envelope's payload) are not
/// copied out of the plugin: the host keeps its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Converted<'a> {
    pub bytes: Cow<'a, [u8]>,
    pub kind: ValueKind,
    /// The part's schema (a schema'd value is JSON in the form of
    /// `JsonConverter`'s payload).
    pub schema: Option<Arc<Schema>>,
}

impl<'a> Converted<'a> {
    /// Converted bytes of `kind`, without a schema.
    pub fn new(bytes: impl Into<Cow<'a, [u8]>>, kind: ValueKind) -> Self {
        Converted {
            bytes: bytes.into(),
            kind,
            schema: None,
        }
    }

    /// The same, with a schema.
    pub fn with_schema(mut self, schema: &Arc<Schema>) -> Self {
        self.schema = Some(schema.clone());
        self
    }
}

/// Turns raw key or value bytes into typed bytes (Kafka Connect's `Converter`).
pub trait Converter: Plugin {
    /// Converts `input` (the record's key or value, per `part`); `Ok(None)` is null.
    fn convert<'a>(
        &mut self,
        part: Part,
        record: &Record<'a>,
        input: Option<&'a [u8]>,
    ) -> Result<Option<Converted<'a>>, String>;

    /// The schema of the null `convert` just answered (`Ok(None)`): a null
    /// of an optional schema keeps its schema, as in Connect. None by default.
    fn null_schema(&mut self, part: Part) -> Option<Arc<Schema>> {
        let _ = part;
        None
    }

    /// `Some` when this converter, as configured, keeps every `part` as it
    /// is whatever its bytes (Kafka's `ByteArrayConverter`): `convert`
    /// would answer each non-null part with the input bytes, this kind and
    /// schema, and each null with [`Self::null_schema`]. A contract 0.2 host
    /// then labels the parts itself and never calls `convert` for `part`,
    /// so no batch is copied into the plugin. `None` by default.
    fn keeps_bytes(&mut self, part: Part) -> Option<KeptBytes> {
        let _ = part;
        None
    }
}

/// What a converter that keeps the bytes as they are gives every part (see
/// [`Converter::keeps_bytes`]).
#[derive(Clone, Debug, PartialEq)]
pub struct KeptBytes {
    pub kind: ValueKind,
    /// The schema of a non-null part.
    pub schema: Option<Arc<Schema>>,
    /// The schema of a null part.
    pub null_schema: Option<Arc<Schema>>,
}

/// Collects what a transform emits for one input record.
pub struct Emitter<'w> {
    pub(crate) target: Target<'w>,
    pub(crate) input: u32,
    /// The input record, to tell what an emitted record kept of it.
    pub(crate) record: Record<'w>,
}

/// Where emitted records go: contract 0.2's writer, or 0.1's.
pub(crate) enum Target<'w> {
    Flat(&'w mut flat::Writer),
    #[cfg_attr(not(feature = "contract-0-1"), allow(dead_code))]
    Arena {
        writer: &'w mut crate::v0_1::batch::BatchWriter,
        origins: &'w mut Vec<u32>,
    },
}

impl Emitter<'_> {
    /// Emits the input record unchanged; nothing is copied out of the
    /// plugin. (`record` is the input, as passed to `transform`.)
    pub fn keep(&mut self, record: &Record<'_>) {
        match &mut self.target {
            Target::Flat(w) => w.keep(self.input, &self.record),
            Target::Arena { writer, origins } => {
                writer.push_record(record);
                origins.push(self.input);
            }
        }
    }

    /// Emits a new or changed record. Call it several times to split a
    /// record. Fields still borrowed from the input (see
    /// [`Record::to_out`]) are not copied out of the plugin.
    pub fn emit(&mut self, record: &RecordOut<'_>) {
        match &mut self.target {
            Target::Flat(w) => w.emit(record, &self.record, self.input),
            Target::Arena { writer, origins } => {
                writer.push_out(record, self.record.offset);
                origins.push(self.input);
            }
        }
    }
}

/// Changes, drops, splits or fails records (Kafka Connect's SMTs).
pub trait Transform: Plugin {
    /// Handles one record: emit zero (drop), one or several records through
    /// `out`, or return an error that fails this record only.
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String>;
}

/// Framing and metadata of a formatter's output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormatInfo {
    pub content_type: String,
    /// With its dot, e.g. `.json`.
    pub extension: String,
    pub prefix: Vec<u8>,
    pub separator: Vec<u8>,
    pub suffix: Vec<u8>,
}

/// Encodes records for a sink (an HTTP body, an S3 object).
pub trait Formatter: Plugin {
    fn info(&self) -> FormatInfo;

    /// Bytes that open a body or object. Empty by default.
    fn header(&mut self) -> Vec<u8> {
        Vec::new()
    }

    /// Bytes that close a body or object. Empty by default.
    fn trailer(&mut self) -> Vec<u8> {
        Vec::new()
    }

    /// Whether this record's encoding is its value's bytes as they are
    /// (a JSON value in a JSON body, for example): then `encode` is not
    /// called and nothing is copied out of the plugin. False by default.
    fn value_as_is(&self, record: &Record<'_>) -> bool {
        let _ = record;
        false
    }

    /// Whether this formatter, as configured, encodes every record with a
    /// value as the value as it is and every record without one as nothing
    /// (`value_as_is` true for all, `encode` of a null value empty). A
    /// contract 0.2 host then builds the encodings itself and never calls
    /// `encode`, so no batch is copied into the plugin. False by default.
    fn values_as_is(&self) -> bool {
        false
    }

    /// Appends the encoding of one record to `out`, or fails that record.
    fn encode(&mut self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), String>;
}

/// Builds a plugin from key/value pairs, checking them against its INFO first.
pub fn configure<P: Plugin>(entries: Vec<(String, String)>) -> Result<P, String> {
    P::configure(&Config::new(P::INFO, entries)?)
}
