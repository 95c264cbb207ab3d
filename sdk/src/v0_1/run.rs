//! Contract 0.1's batch loops (the `contract-0-1` feature's glue): the
//! same plugin traits over the 0.1 arena layout.

use crate::ValueKind;
use crate::plugin::{Converter, Emitter, Formatter, Part, Target, Transform};
use crate::v0_1::batch::{self, BatchWriter};
use crate::v0_1::wit;

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

pub(crate) fn fail_all(n: usize, message: &str) -> Vec<wit::Failure> {
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
            target: Target::Arena {
                writer: &mut writer,
                origins: &mut origins,
            },
            input: i as u32,
            record: *record,
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
                // 0.1 carries no schema: `c.schema` is dropped.
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
