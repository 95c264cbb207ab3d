//! Running a plugin natively over a few records, for a plugin's unit tests.

use std::borrow::Cow;

use sluice_contract::layout::{
    ConversionItem, EncodingItem, KEEP_HEADERS, KEEP_KEY, KEEP_RECORD, KEEP_VALUE, RecordEntry,
};

use crate::flat::{self, Writer};
use crate::plugin::{Converter, Formatter, Part, Transform};
use crate::record::{Record, RecordOut};
use crate::run;
use crate::wit;

/// What happened to one input record.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The records it became (one for a plain change; several for a split).
    Kept(Vec<RecordOut<'static>>),
    Dropped,
    Failed(String),
}

fn to_batch(records: &[Record<'_>]) -> wit::Batch {
    let mut w = Writer::default();
    for r in records {
        w.push_record(r);
    }
    w.finish()
}

fn owned(r: &Record<'_>) -> RecordOut<'static> {
    let own = |b: &[u8]| Cow::Owned(b.to_vec());
    RecordOut {
        topic: Cow::Owned(r.topic.to_string()),
        partition: r.partition,
        timestamp: r.timestamp,
        key: r.key.map(own),
        key_kind: r.key_kind,
        key_schema: r.key_schema.cloned(),
        value: r.value.map(own),
        value_kind: r.value_kind,
        value_schema: r.value_schema.cloned(),
        headers: r
            .headers
            .iter()
            .map(|h| (Cow::Owned(h.name.to_string()), h.value.map(own)))
            .collect(),
    }
}

/// Runs `plugin` over `records` as one batch, as the host would: fields an
/// output kept of its input are the input's.
pub fn transform<T: Transform>(plugin: &mut T, records: &[Record<'_>]) -> Vec<Outcome> {
    let out = run::run_transform(plugin, &to_batch(records));
    let valid = "the SDK wrote a valid batch";
    let schemas = flat::schemas(&out.output).expect(valid);
    let headers = flat::headers(&out.output).expect(valid);
    let emitted = flat::records(&out.output, &headers, &schemas).expect(valid);
    let entries = RecordEntry::read_all(&out.output.records).expect(valid);
    let mut outcomes: Vec<Outcome> = (0..records.len() as u32)
        .map(|i| match out.failures.iter().find(|f| f.input == i) {
            Some(f) => Outcome::Failed(f.message.clone()),
            None => Outcome::Dropped,
        })
        .collect();
    for (e, r) in entries.iter().zip(&emitted) {
        let input = &records[e.offset as usize];
        let mut o = if e.flags & KEEP_RECORD != 0 {
            owned(input)
        } else {
            owned(r)
        };
        if e.flags & KEEP_KEY != 0 {
            let i = owned(input);
            (o.key, o.key_kind, o.key_schema) = (i.key, i.key_kind, i.key_schema);
        }
        if e.flags & KEEP_VALUE != 0 {
            let i = owned(input);
            (o.value, o.value_kind, o.value_schema) = (i.value, i.value_kind, i.value_schema);
        }
        if e.flags & KEEP_HEADERS != 0 {
            o.headers = owned(input).headers;
        }
        match &mut outcomes[e.offset as usize] {
            Outcome::Kept(list) => list.push(o),
            slot => *slot = Outcome::Kept(vec![o]),
        }
    }
    outcomes
}

/// One converted value with its kind (`None` for null), or the record's error.
pub type ConvertResult = Result<Option<(Vec<u8>, crate::ValueKind)>, String>;

/// Runs `plugin` over the values of `records`: each converted value with its
/// kind (`None` for null), or the error.
pub fn convert<C: Converter>(plugin: &mut C, records: &[Record<'_>]) -> Vec<ConvertResult> {
    convert_with_schemas(plugin, records)
        .into_iter()
        .map(|r| r.map(|c| c.map(|(bytes, kind, _)| (bytes, kind))))
        .collect()
}

/// One converted value with its kind and schema text (`None` for null), or
/// the record's error.
pub type SchemaConvertResult = Result<Option<(Vec<u8>, crate::ValueKind, Option<String>)>, String>;

/// [`convert`], with the schema of each converted value in its JSON form.
pub fn convert_with_schemas<C: Converter>(
    plugin: &mut C,
    records: &[Record<'_>],
) -> Vec<SchemaConvertResult> {
    let out = run::run_convert(plugin, Part::Value, &to_batch(records));
    let items = ConversionItem::read_all(&out.items).expect("the SDK wrote valid items");
    let schema = |n: u32| (n > 0).then(|| out.schemas[n as usize - 1].clone());
    items
        .iter()
        .zip(records)
        .enumerate()
        .map(|(i, (item, record))| match *item {
            ConversionItem::Output {
                span,
                kind,
                schema: n,
            } => Ok(Some((
                out.data[span.range(out.data.len()).expect("in range")].to_vec(),
                kind.into(),
                schema(n),
            ))),
            ConversionItem::Input {
                span,
                kind,
                schema: n,
            } => {
                let own = record.value.unwrap_or_default();
                Ok(Some((
                    own[span.range(own.len()).expect("in range")].to_vec(),
                    kind.into(),
                    schema(n),
                )))
            }
            ConversionItem::Null { .. } => Ok(None),
            ConversionItem::Failed => Err(out
                .failures
                .iter()
                .find(|f| f.input == i as u32)
                .map(|f| f.message.clone())
                .unwrap_or_default()),
        })
        .collect()
}

/// Checks that `plugin`'s [`Converter::keeps_bytes`] for `part` holds for
/// every one of `records`: `convert` answers each non-null part with the
/// whole input, the declared kind and schema, and each null with the
/// declared null schema. A contract 0.2 host trusts the declaration and
/// never calls `convert`, so a plugin that declares one tests it here.
/// Panics with the first record that differs, or when nothing is declared.
pub fn check_keeps_bytes<C: Converter>(plugin: &mut C, part: Part, records: &[Record<'_>]) {
    let kept = plugin
        .keeps_bytes(part)
        .expect("the plugin declares no keeps_bytes for this part");
    let out = run::run_convert(plugin, part, &to_batch(records));
    let items = ConversionItem::read_all(&out.items).expect("the SDK wrote valid items");
    let text = |n: u32| (n > 0).then(|| out.schemas[n as usize - 1].as_str());
    let declared = |s: &Option<std::sync::Arc<crate::schema::Schema>>| {
        s.as_ref().map(|s| flat::text_of(s).to_string())
    };
    let (schema, null_schema) = (declared(&kept.schema), declared(&kept.null_schema));
    for (i, (item, record)) in items.iter().zip(records).enumerate() {
        let input = match part {
            Part::Key => record.key,
            Part::Value => record.value,
        };
        match (*item, input) {
            (
                ConversionItem::Input {
                    span,
                    kind,
                    schema: n,
                },
                Some(own),
            ) => {
                assert_eq!(
                    (span.start, span.len as usize),
                    (0, own.len()),
                    "record {i}: not the whole input"
                );
                assert_eq!(crate::ValueKind::from(kind), kept.kind, "record {i}: kind");
                assert_eq!(text(n), schema.as_deref(), "record {i}: schema");
            }
            (ConversionItem::Null { schema: n }, None) => {
                assert_eq!(text(n), null_schema.as_deref(), "record {i}: null schema")
            }
            (other, _) => panic!("record {i}: {other:?} is not what keeps_bytes declares"),
        }
    }
}

/// Checks that `plugin`'s [`Formatter::values_as_is`] holds for every one
/// of `records`: each record with a value is encoded as the value as it is,
/// each without one as nothing. A contract 0.2 host trusts the declaration
/// and never calls `encode`. Panics with the first record that differs, or
/// when nothing is declared.
pub fn check_values_as_is<F: Formatter>(plugin: &mut F, records: &[Record<'_>]) {
    assert!(
        plugin.values_as_is(),
        "the plugin does not declare values_as_is"
    );
    let out = run::run_encode(plugin, &to_batch(records));
    let items = EncodingItem::read_all(&out.items).expect("the SDK wrote valid items");
    for (i, (item, record)) in items.iter().zip(records).enumerate() {
        match (item, record.value) {
            (EncodingItem::Value, Some(_)) => {}
            (EncodingItem::Output(s), None) if s.len == 0 => {}
            (other, _) => panic!("record {i}: {other:?} is not what values_as_is declares"),
        }
    }
}

/// Encodes `records` into one body as the host would frame it, with the
/// messages of the records that failed.
pub fn format<F: Formatter>(plugin: &mut F, records: &[Record<'_>]) -> (Vec<u8>, Vec<String>) {
    let info = plugin.info();
    let out = run::run_encode(plugin, &to_batch(records));
    let items = EncodingItem::read_all(&out.items).expect("the SDK wrote valid items");
    let mut body = plugin.header();
    body.extend_from_slice(&info.prefix);
    let mut first = true;
    for (item, record) in items.iter().zip(records) {
        let bytes: &[u8] = match item {
            EncodingItem::Output(s) => &out.data[s.range(out.data.len()).expect("in range")],
            EncodingItem::Value => record.value.unwrap_or_default(),
            EncodingItem::Failed => continue,
        };
        if !first {
            body.extend_from_slice(&info.separator);
        }
        first = false;
        body.extend_from_slice(bytes);
    }
    body.extend_from_slice(&info.suffix);
    body.extend(plugin.trailer());
    (body, out.failures.into_iter().map(|f| f.message).collect())
}

/// A whole object as the S3 sink assembles it from a container format
/// (`sluice.format.scope = object`): `values` (payloads of `schema`) encoded
/// in turn as records of topic `topic` at offsets 0, 1, …, the header asked
/// after the first record, the trailer at the end. A record the formatter
/// fails panics with its message.
pub fn container_object<F: Formatter>(
    formatter: &mut F,
    topic: &str,
    schema: &std::sync::Arc<crate::schema::Schema>,
    values: &[String],
) -> Vec<u8> {
    let mut body = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let mut r = Record::new(topic, Some(v.as_bytes()));
        r.offset = i as i64;
        r.value_schema = Some(schema);
        let mut out = Vec::new();
        if let Err(e) = formatter.encode(&r, &mut out) {
            panic!("record {i} failed: {e}");
        }
        if i == 0 {
            body.extend(formatter.header());
        }
        body.extend(out);
    }
    body.extend(formatter.trailer());
    body
}
