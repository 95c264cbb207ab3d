//! The three plugin traits, and the batch loops that drive them.
//!
//! A plugin implements one trait over single records; the `run_*` functions
//! here walk a whole batch, catch each record's error on its own, and build
//! the reply. The Wasm glue calls them, and so can native code (tests, the
//! benchmark's native baseline).

use std::borrow::Cow;

use crate::batch::{self, BatchWriter};
use crate::config::{Config, PluginInfo};
use crate::record::{Record, RecordOut, ValueKind};
use crate::wit;

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

/// The result of converting one key or value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Converted<'a> {
    pub bytes: Cow<'a, [u8]>,
    pub kind: ValueKind,
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
}

/// Collects what a transform emits for one input record.
pub struct Emitter<'w> {
    writer: &'w mut BatchWriter,
    origins: &'w mut Vec<u32>,
    input: u32,
    offset: i64,
}

impl Emitter<'_> {
    /// Emits the input record unchanged.
    pub fn keep(&mut self, record: &Record<'_>) {
        self.writer.push_record(record);
        self.origins.push(self.input);
    }

    /// Emits a new or changed record. Call it several times to split a record.
    pub fn emit(&mut self, record: &RecordOut<'_>) {
        self.writer.push_out(record, self.offset);
        self.origins.push(self.input);
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

    /// Appends the encoding of one record to `out`, or fails that record.
    fn encode(&mut self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), String>;
}

/// What [`run_transform`] produced.
#[derive(Debug)]
pub struct TransformOutput {
    pub output: wit::Batch,
    pub origins: Vec<u32>,
    pub failures: Vec<wit::Failure>,
}

impl Default for TransformOutput {
    fn default() -> Self {
        TransformOutput {
            output: batch::empty(),
            origins: Vec::new(),
            failures: Vec::new(),
        }
    }
}

/// One converted key or value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversionItem {
    Converted(wit::Span, ValueKind),
    Null,
    Failed,
}

/// What [`run_convert`] produced: one item per input.
#[derive(Debug, Default)]
pub struct ConvertOutput {
    pub data: Vec<u8>,
    pub items: Vec<ConversionItem>,
    pub failures: Vec<wit::Failure>,
}

/// What [`run_encode`] produced: one item per input, `None` for a failure.
#[derive(Debug, Default)]
pub struct EncodeOutput {
    pub data: Vec<u8>,
    pub items: Vec<Option<wit::Span>>,
    pub failures: Vec<wit::Failure>,
}

/// Builds a plugin from key/value pairs, checking them against its INFO first.
pub fn configure<P: Plugin>(entries: Vec<(String, String)>) -> Result<P, String> {
    P::configure(&Config::new(P::INFO, entries)?)
}

fn fail_all(n: usize, message: &str) -> Vec<wit::Failure> {
    (0..n as u32)
        .map(|input| wit::Failure {
            input,
            message: message.to_string(),
        })
        .collect()
}

/// Runs a transform over every record of `input`.
pub fn run_transform<T: Transform>(plugin: &mut T, input: &wit::Batch) -> TransformOutput {
    let headers = match batch::headers(input) {
        Ok(h) => h,
        Err(e) => {
            return TransformOutput {
                failures: fail_all(input.records.len(), &e.0),
                ..Default::default()
            };
        }
    };
    let records = match batch::records(input, &headers) {
        Ok(r) => r,
        Err(e) => {
            return TransformOutput {
                failures: fail_all(input.records.len(), &e.0),
                ..Default::default()
            };
        }
    };
    let mut writer =
        BatchWriter::with_capacity(records.len(), input.data.len() + records.len() * 32);
    let mut origins = Vec::with_capacity(records.len());
    let mut failures = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let mark = writer.mark();
        let emitted_before = origins.len();
        let mut out = Emitter {
            writer: &mut writer,
            origins: &mut origins,
            input: i as u32,
            offset: record.offset,
        };
        if let Err(message) = plugin.transform(record, &mut out) {
            // A failed record emits nothing, even what it emitted before failing.
            writer.rollback(mark);
            origins.truncate(emitted_before);
            failures.push(wit::Failure {
                input: i as u32,
                message,
            });
        }
    }
    TransformOutput {
        output: writer.finish(),
        origins,
        failures,
    }
}

/// Runs a converter over `part` of every record of `input`.
pub fn run_convert<C: Converter>(plugin: &mut C, part: Part, input: &wit::Batch) -> ConvertOutput {
    let n = input.records.len();
    let headers = match batch::headers(input) {
        Ok(h) => h,
        Err(e) => {
            return ConvertOutput {
                items: vec![ConversionItem::Failed; n],
                failures: fail_all(n, &e.0),
                ..Default::default()
            };
        }
    };
    let records = match batch::records(input, &headers) {
        Ok(r) => r,
        Err(e) => {
            return ConvertOutput {
                items: vec![ConversionItem::Failed; n],
                failures: fail_all(n, &e.0),
                ..Default::default()
            };
        }
    };
    let mut data = Vec::with_capacity(input.data.len());
    let mut items = Vec::with_capacity(n);
    let mut failures = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let bytes = match part {
            Part::Key => record.key,
            Part::Value => record.value,
        };
        items.push(match plugin.convert(part, record, bytes) {
            Ok(Some(c)) => {
                let start = data.len() as u32;
                data.extend_from_slice(&c.bytes);
                ConversionItem::Converted(
                    wit::Span {
                        start,
                        len: c.bytes.len() as u32,
                    },
                    c.kind,
                )
            }
            Ok(None) => ConversionItem::Null,
            Err(message) => {
                failures.push(wit::Failure {
                    input: i as u32,
                    message,
                });
                ConversionItem::Failed
            }
        });
    }
    ConvertOutput {
        data,
        items,
        failures,
    }
}

/// Runs a formatter over every record of `input`.
pub fn run_encode<F: Formatter>(plugin: &mut F, input: &wit::Batch) -> EncodeOutput {
    let n = input.records.len();
    let headers = match batch::headers(input) {
        Ok(h) => h,
        Err(e) => {
            return EncodeOutput {
                items: vec![None; n],
                failures: fail_all(n, &e.0),
                ..Default::default()
            };
        }
    };
    let records = match batch::records(input, &headers) {
        Ok(r) => r,
        Err(e) => {
            return EncodeOutput {
                items: vec![None; n],
                failures: fail_all(n, &e.0),
                ..Default::default()
            };
        }
    };
    let mut data = Vec::with_capacity(input.data.len() + n * 16);
    let mut items = Vec::with_capacity(n);
    let mut failures = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let start = data.len();
        match plugin.encode(record, &mut data) {
            Ok(()) => items.push(Some(wit::Span {
                start: start as u32,
                len: (data.len() - start) as u32,
            })),
            Err(message) => {
                data.truncate(start);
                failures.push(wit::Failure {
                    input: i as u32,
                    message,
                });
                items.push(None);
            }
        }
    }
    EncodeOutput {
        data,
        items,
        failures,
    }
}
