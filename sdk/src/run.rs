//! The batch loops of contract 0.2: each walks a whole batch, calls the
//! plugin once per record, catches each record's error on its own, and
//! builds the reply. The Wasm glue calls them, and so can native code
//! (tests, the benchmark's native baseline).

use sluice_contract::layout::EncodingItem;

use crate::flat::{self, ConversionWriter, Writer};
use crate::plugin::{Converter, Emitter, Formatter, Part, Target, Transform};
use crate::record::Record;
use crate::wit;

/// What [`run_transform`] produced: the output batch, whose entries name
/// their origins, and the failed inputs.
#[derive(Debug)]
pub struct TransformOutput {
    pub output: wit::Batch,
    pub failures: Vec<wit::Failure>,
}

/// What [`run_convert`] produced: one 16-byte item per input.
#[derive(Debug, Default)]
pub struct ConvertOutput {
    pub data: Vec<u8>,
    pub items: Vec<u8>,
    pub schemas: Vec<String>,
    pub failures: Vec<wit::Failure>,
}

/// What [`run_encode`] produced: one 12-byte item per input.
#[derive(Debug, Default)]
pub struct EncodeOutput {
    pub data: Vec<u8>,
    pub items: Vec<u8>,
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

/// Decodes `input` and runs `f` over its records; a batch that does not
/// decode fails every record with the reason.
fn with_records<R>(
    input: &wit::Batch,
    f: impl FnOnce(&[Record<'_>]) -> R,
    failed: impl FnOnce(Vec<wit::Failure>) -> R,
) -> R {
    let n = flat::count(input);
    let schemas = match flat::schemas(input) {
        Ok(s) => s,
        Err(e) => return failed(fail_all(n, &e.0)),
    };
    let headers = match flat::headers(input) {
        Ok(h) => h,
        Err(e) => return failed(fail_all(n, &e.0)),
    };
    match flat::records(input, &headers, &schemas) {
        Ok(records) => f(&records),
        Err(e) => failed(fail_all(n, &e.0)),
    }
}

/// Runs a transform over every record of `input`.
pub fn run_transform<T: Transform>(plugin: &mut T, input: &wit::Batch) -> TransformOutput {
    with_records(
        input,
        |records| {
            let mut writer = Writer::with_capacity(records.len(), input.data.len() / 2);
            let mut failures = Vec::new();
            for (i, record) in records.iter().enumerate() {
                let mark = writer.mark();
                let mut out = Emitter {
                    target: Target::Flat(&mut writer),
                    input: i as u32,
                    record: *record,
                };
                if let Err(message) = plugin.transform(record, &mut out) {
                    // A failed record emits nothing, even what it emitted before failing.
                    writer.rollback(mark);
                    failures.push(wit::Failure {
                        input: i as u32,
                        message,
                    });
                }
            }
            TransformOutput {
                output: writer.finish(),
                failures,
            }
        },
        |failures| TransformOutput {
            output: Writer::default().finish(),
            failures,
        },
    )
}

/// Runs a converter over `part` of every record of `input`.
pub fn run_convert<C: Converter>(plugin: &mut C, part: Part, input: &wit::Batch) -> ConvertOutput {
    let n = flat::count(input);
    with_records(
        input,
        |records| {
            let mut w = ConversionWriter::default();
            w.items
                .reserve(n * sluice_contract::layout::CONVERSION_ITEM);
            let mut failures = Vec::new();
            for (i, record) in records.iter().enumerate() {
                let bytes = match part {
                    Part::Key => record.key,
                    Part::Value => record.value,
                };
                match plugin.convert(part, record, bytes) {
                    Ok(Some(c)) => w.converted(bytes, &c.bytes, c.kind, c.schema.as_ref()),
                    Ok(None) => w.null(plugin.null_schema(part).as_ref()),
                    Err(message) => {
                        failures.push(wit::Failure {
                            input: i as u32,
                            message,
                        });
                        w.failed();
                    }
                }
            }
            ConvertOutput {
                data: w.data,
                items: w.items,
                schemas: w.schemas.finish(),
                failures,
            }
        },
        |failures| {
            let mut w = ConversionWriter::default();
            (0..n).for_each(|_| w.failed());
            ConvertOutput {
                items: w.items,
                failures,
                ..Default::default()
            }
        },
    )
}

/// Runs a formatter over every record of `input`.
pub fn run_encode<F: Formatter>(plugin: &mut F, input: &wit::Batch) -> EncodeOutput {
    let n = flat::count(input);
    with_records(
        input,
        |records| {
            let mut data = Vec::with_capacity(input.data.len() / 2 + n * 16);
            let mut items = Vec::with_capacity(n * sluice_contract::layout::ENCODING_ITEM);
            let mut failures = Vec::new();
            for (i, record) in records.iter().enumerate() {
                if record.value.is_some() && plugin.value_as_is(record) {
                    flat::encoding(&mut items, EncodingItem::Value);
                    continue;
                }
                let start = data.len();
                match plugin.encode(record, &mut data) {
                    Ok(()) => flat::encoding(
                        &mut items,
                        EncodingItem::Output(sluice_contract::layout::Span {
                            start: start as u32,
                            len: (data.len() - start) as u32,
                        }),
                    ),
                    Err(message) => {
                        data.truncate(start);
                        failures.push(wit::Failure {
                            input: i as u32,
                            message,
                        });
                        flat::encoding(&mut items, EncodingItem::Failed);
                    }
                }
            }
            EncodeOutput {
                data,
                items,
                failures,
            }
        },
        |failures| {
            let mut items = Vec::new();
            (0..n).for_each(|_| flat::encoding(&mut items, EncodingItem::Failed));
            EncodeOutput {
                items,
                failures,
                ..Default::default()
            }
        },
    )
}
