//! Host side of the arena layout: records into a contract `batch`, and
//! plugin replies back into records without copying their bytes again.

use std::sync::Arc;

use bytes::Bytes;

use super::bindings::types;
use crate::record::{Header, Record, ValueKind};

impl From<ValueKind> for types::ValueKind {
    fn from(k: ValueKind) -> Self {
        match k {
            ValueKind::Binary => types::ValueKind::Binary,
            ValueKind::Text => types::ValueKind::Text,
            ValueKind::Json => types::ValueKind::Json,
        }
    }
}

impl From<types::ValueKind> for ValueKind {
    fn from(k: types::ValueKind) -> Self {
        match k {
            types::ValueKind::Binary => ValueKind::Binary,
            types::ValueKind::Text => ValueKind::Text,
            types::ValueKind::Json => ValueKind::Json,
        }
    }
}

/// The bytes a batch of `records` holds at most: every topic, key, value
/// and header once. Both layouts size their data buffer with it.
pub fn data_size(records: &[Record]) -> usize {
    records
        .iter()
        .map(|r| {
            r.topic.len()
                + r.key.as_ref().map_or(0, Bytes::len)
                + r.value.as_ref().map_or(0, Bytes::len)
                + r.headers
                    .iter()
                    .map(|h| h.name.len() + h.value.as_ref().map_or(0, Bytes::len))
                    .sum::<usize>()
        })
        .sum()
}

/// Builds a batch; the data buffer is sized once for all records.
pub fn encode(records: &[Record]) -> types::Batch {
    let mut data = Vec::with_capacity(data_size(records));
    let mut put = |b: &[u8]| {
        let start = data.len() as u32;
        data.extend_from_slice(b);
        types::Span {
            start,
            len: b.len() as u32,
        }
    };
    let mut headers = Vec::new();
    let mut out = Vec::with_capacity(records.len());
    let mut last_topic: Option<(&Arc<str>, types::Span)> = None;
    for r in records {
        // Consecutive records of one topic share its bytes.
        let topic = match last_topic {
            Some((t, span)) if Arc::ptr_eq(t, &r.topic) || **t == *r.topic => span,
            _ => put(r.topic.as_bytes()),
        };
        last_topic = Some((&r.topic, topic));
        let first_header = headers.len() as u32;
        for h in &r.headers {
            headers.push(types::Header {
                name: put(h.name.as_bytes()),
                value: h.value.as_deref().map(&mut put),
            });
        }
        out.push(types::Record {
            topic,
            partition: r.partition,
            offset: r.offset,
            timestamp: r.timestamp,
            key: r.key.as_deref().map(&mut put),
            key_kind: r.key_kind.into(),
            value: r.value.as_deref().map(&mut put),
            value_kind: r.value_kind.into(),
            first_header,
            header_count: r.headers.len() as u32,
        });
    }
    types::Batch {
        data,
        records: out,
        headers,
    }
}

/// A plugin's reply's data buffer, shared by the records decoded from it.
pub struct Data(Bytes);

impl Data {
    pub fn new(data: Vec<u8>) -> Self {
        Data(Bytes::from(data))
    }

    /// The bytes of `span`, or an error if the plugin pointed outside its data.
    pub fn slice(&self, span: types::Span) -> Result<Bytes, String> {
        let start = span.start as usize;
        let end = start
            .checked_add(span.len as usize)
            .filter(|e| *e <= self.0.len());
        match end {
            Some(end) => Ok(self.0.slice(start..end)),
            None => Err(format!(
                "span {}+{} lies outside its {}-byte data buffer",
                span.start,
                span.len,
                self.0.len()
            )),
        }
    }

    fn text(&self, span: types::Span) -> Result<String, String> {
        String::from_utf8(self.slice(span)?.to_vec())
            .map_err(|_| "a topic or header name is not UTF-8".to_string())
    }
}

/// Kafka's longest topic name.
const MAX_TOPIC_LEN: usize = 249;

/// Decodes the records of a transform's output batch. `inputs` gives each
/// output's origin, so topics equal to the input's reuse its string.
///
/// A reply is checked before anything is built from it, so a plugin cannot
/// make the host allocate more than the reply's own size: each entry of the
/// header list belongs to at most one record, the keys, values and headers
/// of all records together span no more bytes than the data buffer holds
/// (every byte is used once), and a topic is at most 249 bytes and copied
/// once per distinct span.
pub fn decode(
    batch: types::Batch,
    origins: &[u32],
    inputs: &[Record],
) -> Result<Vec<Record>, String> {
    if origins.len() != batch.records.len() {
        return Err(format!(
            "{} origins for {} output records",
            origins.len(),
            batch.records.len()
        ));
    }
    check_layout(&batch)?;
    let data = Data::new(batch.data);
    let mut out = Vec::with_capacity(batch.records.len());
    let mut last_topic: Option<(types::Span, Arc<str>)> = None;
    for (r, &origin) in batch.records.iter().zip(origins) {
        let input = inputs.get(origin as usize).ok_or_else(|| {
            format!(
                "output names input {origin}, but the batch had {}",
                inputs.len()
            )
        })?;
        let topic_bytes = data.slice(r.topic)?;
        let topic = if topic_bytes == input.topic.as_bytes() {
            input.topic.clone()
        } else {
            match &last_topic {
                Some((span, t)) if span.start == r.topic.start && span.len == r.topic.len => {
                    t.clone()
                }
                _ => {
                    let t: Arc<str> = Arc::from(data.text(r.topic)?);
                    last_topic = Some((r.topic, t.clone()));
                    t
                }
            }
        };
        let first = r.first_header as usize;
        let hs = batch
            .headers
            .get(first..first + r.header_count as usize)
            .ok_or_else(|| "a record's headers lie outside the header list".to_string())?;
        let headers = hs
            .iter()
            .map(|h| {
                Ok(Header {
                    name: data.text(h.name)?,
                    value: h.value.map(|v| data.slice(v)).transpose()?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        out.push(Record {
            topic,
            partition: r.partition,
            // Outputs are tracked by the input they came from.
            offset: input.offset,
            timestamp: r.timestamp,
            key: r.key.map(|s| data.slice(s)).transpose()?,
            key_kind: r.key_kind.into(),
            key_schema: None,
            value: r.value.map(|s| data.slice(s)).transpose()?,
            value_kind: r.value_kind.into(),
            value_schema: None,
            headers,
        });
    }
    Ok(out)
}

/// Checks that `spans` together cover no more bytes than the `data_len`
/// bytes of their buffer: a converter's or formatter's items each use their
/// bytes once, so what the host builds from them stays within the reply.
pub fn check_spans_fit(
    spans: impl Iterator<Item = types::Span>,
    data_len: usize,
) -> Result<(), String> {
    let spanned: u64 = spans.map(|s| u64::from(s.len)).sum();
    if spanned > data_len as u64 {
        return Err(format!(
            "the items span {spanned} bytes of a {data_len}-byte data buffer: each byte may be used once"
        ));
    }
    Ok(())
}

/// The checks of [`decode`] that need no record built.
fn check_layout(batch: &types::Batch) -> Result<(), String> {
    let mut header_used = vec![false; batch.headers.len()];
    let mut spanned: u64 = 0;
    for r in &batch.records {
        if r.topic.len as usize > MAX_TOPIC_LEN {
            return Err(format!(
                "a topic of {} bytes: Kafka's topic names have at most {MAX_TOPIC_LEN}",
                r.topic.len
            ));
        }
        let first = r.first_header as usize;
        let end = first
            .checked_add(r.header_count as usize)
            .filter(|e| *e <= header_used.len())
            .ok_or("a record's headers lie outside the header list")?;
        for used in &mut header_used[first..end] {
            if std::mem::replace(used, true) {
                return Err("two records share entries of the header list: each header belongs to one record".into());
            }
        }
        for h in &batch.headers[first..end] {
            spanned += u64::from(h.name.len) + u64::from(h.value.map_or(0, |v| v.len));
        }
        spanned += u64::from(r.key.map_or(0, |k| k.len)) + u64::from(r.value.map_or(0, |v| v.len));
    }
    if spanned > batch.data.len() as u64 {
        return Err(format!(
            "the records' keys, values and headers span {spanned} bytes of a {}-byte data buffer: each byte may be used once",
            batch.data.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_decode_gives_the_same_records() {
        let mut a = Record::new("orders", Some(Bytes::from_static(b"{\"a\":1}")));
        a.key = Some(Bytes::from_static(b"k1"));
        a.headers = vec![
            Header {
                name: "h".into(),
                value: None,
            },
            Header {
                name: "x".into(),
                value: Some(Bytes::from_static(b"y")),
            },
        ];
        a.offset = 7;
        let mut b = Record::new("orders", None);
        b.offset = 8;
        b.timestamp = Some(5);
        let inputs = vec![a, b];
        let batch = encode(&inputs);
        assert_eq!(&batch.data[..6], b"orders");
        // The topic is stored once for both records.
        assert_eq!(batch.records[0].topic.start, batch.records[1].topic.start);
        let decoded = decode(batch, &[0, 1], &inputs).unwrap();
        assert_eq!(decoded, inputs);
    }

    #[test]
    fn replies_that_reuse_their_bytes_are_refused() {
        let inputs = vec![
            Record::new("t", Some(Bytes::from_static(b"value-1"))),
            Record::new("t", Some(Bytes::from_static(b"value-2"))),
        ];
        // Two records pointing at the whole data buffer.
        let mut batch = encode(&inputs);
        let all = types::Span {
            start: 0,
            len: batch.data.len() as u32,
        };
        batch.records[0].value = Some(all);
        batch.records[1].value = Some(all);
        let err = decode(batch, &[0, 1], &inputs).unwrap_err();
        assert!(err.contains("each byte may be used once"), "{err}");
        // Two records sharing a header.
        let mut with_header = inputs.clone();
        with_header[0].headers = vec![Header {
            name: "h".into(),
            value: Some(Bytes::from_static(b"x")),
        }];
        let mut batch = encode(&with_header);
        batch.records[1].first_header = 0;
        batch.records[1].header_count = 1;
        let err = decode(batch, &[0, 1], &with_header).unwrap_err();
        assert!(err.contains("share entries of the header list"), "{err}");
        // One topic span for both records is fine (SDKs share it).
        let renamed = vec![
            Record::new("other", Some(Bytes::from_static(b"a"))),
            Record::new("other", Some(Bytes::from_static(b"b"))),
        ];
        let batch = encode(&renamed);
        let out = decode(batch, &[0, 1], &inputs).unwrap();
        assert!(Arc::ptr_eq(&out[0].topic, &out[1].topic));
    }

    #[test]
    fn spans_outside_the_data_are_refused() {
        let inputs = vec![Record::new("t", Some(Bytes::from_static(b"v")))];
        let mut batch = encode(&inputs);
        batch.records[0].value = Some(types::Span { start: 2, len: 1 });
        let err = decode(batch, &[0], &inputs).unwrap_err();
        assert!(err.contains("outside"), "{err}");
    }
}
