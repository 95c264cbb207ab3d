//! The HTTP sink, started, delivering a batch: null values by
//! `behavior.on.null.values`, requests of up to `batch.max.size` records
//! with one URL each, failed requests by `behavior.on.error`, results and
//! errors to the reporter topics.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

use super::client::{Delivered, DeliveryError, HttpClient};
use super::config::{HttpSinkSpec, OnError, OnNull};
use super::reporter::HttpReporter;
use crate::record::Record;
use crate::sink::{Framing, Item, Settle, SinkError, SinkFailure};
use crate::stats::ConnectorStats;

/// The HTTP sink of one connector: its client and reporter.
pub struct HttpSink {
    connector: String,
    spec: HttpSinkSpec,
    client: HttpClient,
    reporter: Option<HttpReporter>,
    stats: Arc<ConnectorStats>,
}

impl HttpSink {
    /// Builds the client and starts the reporter (creating its topics).
    pub async fn start(
        connector: &str,
        spec: &HttpSinkSpec,
        connection: &BTreeMap<String, String>,
        stats: Arc<ConnectorStats>,
    ) -> Result<Self, crate::sink::StartError> {
        Ok(HttpSink {
            connector: connector.to_string(),
            client: HttpClient::new(spec, stats.clone()).map_err(crate::sink::StartError::Http)?,
            reporter: match &spec.reporter {
                Some(r) => Some(HttpReporter::start(r, connection).await?),
                None => None,
            },
            spec: spec.clone(),
            stats,
        })
    }

    /// Delivers `items`: runs of encoded records as requests, null values
    /// as `behavior.on.null.values` says, in record order.
    pub async fn deliver(
        &self,
        originals: &[Record],
        items: Vec<Item>,
        framing: &Framing<'_>,
        settle: &mut (dyn Settle + Send),
    ) {
        // The records themselves only when the URL is made from them: a
        // record moved into the run was a copy of some 150 bytes each
        // (`perf`: 1.5% of passthrough).
        let by_record = templated(&self.spec.url);
        let mut run = Run {
            encoded: Vec::with_capacity(items.len()),
            records: Vec::new(),
        };
        for item in items {
            let origin = item.origin;
            if origin >= settle.cut() {
                break;
            }
            if let Some(bytes) = item.bytes {
                run.encoded.push((origin, bytes));
                if by_record {
                    run.records.push(item.record);
                }
                continue;
            }
            let record = item.record;
            match self.spec.on_null {
                OnNull::Ignore => settle.dropped(origin),
                OnNull::Log => {
                    tracing::info!(
                        topic = &*record.topic,
                        partition = record.partition,
                        offset = record.offset,
                        "skipping null value (behavior.on.null.values=log)"
                    );
                    settle.dropped(origin);
                }
                OnNull::Fail => {
                    self.send(originals, run.take(), framing, settle).await;
                    settle.stop(origin, SinkError::NullValue);
                    return;
                }
                OnNull::Delete => {
                    // Deliveries keep record order: send what came before first.
                    self.send(originals, run.take(), framing, settle).await;
                    if origin >= settle.cut() {
                        return;
                    }
                    let url = resolve_url(&self.spec.url, &record);
                    let result = self.client.delete(&url).await;
                    self.settle(originals, &[origin], &url, result, settle)
                        .await;
                }
            }
        }
        self.send(originals, run, framing, settle).await;
    }

    /// Sends `run` (encoded records), one request per run of records with
    /// the same URL, at most `batch.max.size` each.
    async fn send(
        &self,
        originals: &[Record],
        run: Run,
        framing: &Framing<'_>,
        settle: &mut (dyn Settle + Send),
    ) {
        if run.encoded.is_empty() {
            return;
        }
        let requests = requests(
            &self.spec.url,
            run.encoded.len(),
            &run.records,
            self.spec.batch.max_records,
        );
        // The converted records are no longer needed, only their encodings:
        // a batch waiting on its HTTP response holds its body and originals only.
        drop(run.records);
        let mut encoded = run.encoded;
        for (url, range) in requests {
            if encoded[range.start].0 >= settle.cut() {
                return;
            }
            let items = &mut encoded[range];
            let body = framing.info.frame(
                framing.header,
                items.iter().map(|(_, b)| &b[..]),
                framing.trailer,
            );
            let origins: Vec<usize> = items
                .iter_mut()
                .map(|(o, b)| {
                    *b = Bytes::new();
                    *o
                })
                .collect();
            let sent_at = std::time::Instant::now();
            let result = self
                .client
                .send(&url, Bytes::from(body), &framing.info.content_type)
                .await;
            self.stats
                .stages
                .add("sink http", origins.len(), sent_at.elapsed());
            self.settle(originals, &origins, &url, result, settle).await;
        }
    }

    /// Acts on a request's result for the records (by origin) it carried:
    /// reports it, and on failure applies `behavior.on.error`.
    async fn settle(
        &self,
        originals: &[Record],
        origins: &[usize],
        url: &str,
        result: Result<Delivered, DeliveryError>,
        settle: &mut (dyn Settle + Send),
    ) {
        let sent: Vec<&Record> = dedup(origins).map(|o| &originals[o]).collect();
        let report = match (&self.reporter, &result) {
            (Some(r), Ok(d)) => r.delivered(&sent, d).await,
            (Some(r), Err(e)) => r.failed(&sent, url, e).await,
            (None, _) => Ok(()),
        };
        if let Err(e) = report {
            // Reports are best effort: Confluent's reporter does not block delivery either.
            tracing::warn!(error = %e, "cannot write to the reporter topic");
        }
        let Err(e) = result else { return };
        match self.spec.on_error {
            OnError::Fail => settle.stop(origins[0], SinkError::Delivery(e)),
            OnError::Log => {
                tracing::error!(connector = %self.connector, records = sent.len(), error = %e, "delivery failed; moving on (behavior.on.error=log)");
                let class = match &e {
                    DeliveryError::Status { .. } => "sluice.sink.http.StatusError",
                    _ => "sluice.sink.http.TransportError",
                };
                for o in dedup(origins) {
                    settle.undelivered(
                        o,
                        SinkFailure {
                            sink: "http",
                            class,
                            message: e.to_string(),
                        },
                    );
                }
            }
            // Deliberately dropped: finished, like delivered records.
            OnError::Ignore => {
                for o in dedup(origins) {
                    settle.dropped(o);
                }
            }
        }
    }
}

/// Each origin once (a transform may have split a record into several).
fn dedup(origins: &[usize]) -> impl Iterator<Item = usize> + '_ {
    origins
        .iter()
        .enumerate()
        .filter(|(i, o)| *i == 0 || origins[i - 1] != **o)
        .map(|(_, o)| *o)
}

/// Encoded records on their way to requests, in order: each one's origin
/// and bytes, and the records themselves when the URL template needs them
/// (then one per encoding).
struct Run {
    encoded: Vec<(usize, Bytes)>,
    records: Vec<Record>,
}

impl Run {
    fn take(&mut self) -> Run {
        Run {
            encoded: std::mem::take(&mut self.encoded),
            records: std::mem::take(&mut self.records),
        }
    }
}

/// Splits `n` records into requests: runs of records with the same resolved
/// URL, at most `max` each. Without `${…}` in the template every record has
/// the same URL, so no per-record work is done and `records` is not read;
/// with it, `records` holds the `n` records.
fn requests(
    template: &str,
    n: usize,
    records: &[Record],
    max: usize,
) -> Vec<(String, std::ops::Range<usize>)> {
    if !templated(template) {
        return (0..n)
            .step_by(max.max(1))
            .map(|start| (template.to_string(), start..(start + max).min(n)))
            .collect();
    }
    let mut out: Vec<(String, std::ops::Range<usize>)> = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let url = resolve_url(template, record);
        match out.last_mut() {
            Some((last, range)) if *last == url && range.len() < max => range.end = i + 1,
            _ => out.push((url, i..i + 1)),
        }
    }
    out
}

/// Whether `url` is made from each record (`${topic}`, `${key}`).
fn templated(url: &str) -> bool {
    url.contains("${")
}

/// What `${topic}` and `${key}` encode: everything but RFC 3986's
/// unreserved characters, so a topic (letters, digits, `.`, `_`, `-`) is
/// never encoded.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `${topic}` and `${key}` of `url` for `record`, percent-encoded so a key
/// with `/`, `?` or spaces stays one path segment.
pub fn resolve_url(url: &str, record: &Record) -> String {
    if !templated(url) {
        return url.to_string();
    }
    let encode = |b: &[u8]| percent_encoding::percent_encode(b, SEGMENT).to_string();
    let key = record.key.as_deref().map(encode).unwrap_or_default();
    url.replace("${topic}", &encode(record.topic.as_bytes()))
        .replace("${key}", &key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_templates_take_the_topic_and_the_encoded_key() {
        let mut r = Record::new("orders.eu-1_x", None);
        r.key = Some(Bytes::from_static(b"a/b c-d.e_f~"));
        assert_eq!(
            resolve_url("http://h/${topic}/${key}", &r),
            "http://h/orders.eu-1_x/a%2Fb%20c-d.e_f~"
        );
        assert_eq!(resolve_url("http://h/in", &r), "http://h/in");
    }

    #[test]
    fn requests_split_by_url_and_size() {
        let record = |key: &'static [u8]| {
            let mut r = Record::new("t", None);
            r.key = Some(Bytes::from_static(key));
            r
        };
        let rs = [
            record(b"a"),
            record(b"a"),
            record(b"a"),
            record(b"b"),
            record(b"a"),
        ];
        let got = requests("http://h/${key}", rs.len(), &rs, 2);
        let want = [
            ("http://h/a", 0..2),
            ("http://h/a", 2..3),
            ("http://h/b", 3..4),
            ("http://h/a", 4..5),
        ];
        assert_eq!(got, want.map(|(u, r)| (u.to_string(), r)));
        let plain = requests("http://h/in", rs.len(), &[], 2);
        assert_eq!(
            plain.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
            [0..2, 2..4, 4..5]
        );
    }

    #[test]
    fn origins_are_reported_once() {
        assert_eq!(
            dedup(&[0, 0, 1, 3, 3, 3, 4]).collect::<Vec<_>>(),
            [0, 1, 3, 4]
        );
    }
}
