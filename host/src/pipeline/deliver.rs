//! The sink stage of a batch: tombstones by `behavior.on.null.values`, the
//! formatter, and HTTP requests of up to `batch.max.size` records with one
//! URL each; failed requests by `behavior.on.error`, results and errors to
//! the reporter topics.

use bytes::Bytes;

use super::outcome::{Fatal, Outcome, Work};
use super::{HttpBackend, Pipeline, isolate};
use crate::errors::{Failure, Stage};
use crate::record::Record;
use crate::sink::http::client::{Delivered, DeliveryError};
use crate::sink::http::config::{OnError, OnNull};

impl Pipeline {
    /// Delivers `work`: runs of non-null records as requests, tombstones as
    /// `behavior.on.null.values` says, in record order.
    pub(super) async fn sink(
        &self,
        h: &HttpBackend,
        originals: &[Record],
        work: Work,
        out: &mut Outcome,
    ) {
        let on_null = h.spec.on_null;
        let mut run = Work::default();
        for (record, origin) in work.records.into_iter().zip(work.origins) {
            if origin >= out.cut() {
                break;
            }
            if record.value.is_some() {
                run.push(record, origin);
                continue;
            }
            match on_null {
                OnNull::Ignore => out.drop_record(origin),
                OnNull::Log => {
                    tracing::info!(
                        topic = &*record.topic,
                        partition = record.partition,
                        offset = record.offset,
                        "skipping null value (behavior.on.null.values=log)"
                    );
                    out.drop_record(origin);
                }
                OnNull::Fail => {
                    self.deliver(h, originals, std::mem::take(&mut run), out)
                        .await;
                    out.stop(origin, Fatal::NullValue);
                    return;
                }
                OnNull::Delete => {
                    // Deliveries keep record order: send what came before first.
                    self.deliver(h, originals, std::mem::take(&mut run), out)
                        .await;
                    if origin >= out.cut() {
                        return;
                    }
                    let url = resolve_url(&h.spec.url, &record);
                    let result = h.client.delete(&url).await;
                    self.settle(h, originals, &[origin], &url, result, out)
                        .await;
                }
            }
        }
        self.deliver(h, originals, run, out).await;
    }

    /// Encodes `run` (non-null records) and sends it, one request per run of
    /// records with the same URL, at most `batch.max.size` each.
    async fn deliver(&self, h: &HttpBackend, originals: &[Record], run: Work, out: &mut Outcome) {
        if run.is_empty() {
            return;
        }
        let formatter = &self.connector.formatter;
        let ready = self.encode(run, out).await;
        let info = formatter
            .format_info()
            .expect("a formatter has framing")
            .clone();
        let requests = requests(
            &h.spec.url,
            ready.iter().map(|(r, _, _)| r),
            h.spec.batch.max_records,
        );
        // The converted records are no longer needed, only their encodings:
        // a batch waiting on its HTTP response holds its body and originals only.
        let mut encoded: Vec<(usize, Bytes)> = ready.into_iter().map(|(_, o, b)| (o, b)).collect();
        for (url, range) in requests {
            if encoded[range.start].0 >= out.cut() {
                return;
            }
            let framing = async {
                Ok::<_, crate::plugin::CallError>((
                    formatter.header().await?,
                    formatter.trailer().await?,
                ))
            };
            let (header, trailer) = match framing.await {
                Ok(f) => f,
                Err(e) => {
                    out.stop(encoded[range.start].0, Fatal::Plugin("formatter", e));
                    return;
                }
            };
            let items = &mut encoded[range];
            let body = info.frame(&header, items.iter().map(|(_, b)| &b[..]), &trailer);
            let origins: Vec<usize> = items
                .iter_mut()
                .map(|(o, b)| {
                    *b = Bytes::new();
                    *o
                })
                .collect();
            let sent_at = std::time::Instant::now();
            let result = h
                .client
                .send(&url, Bytes::from(body), &info.content_type)
                .await;
            self.timed("sink", "http", origins.len(), sent_at);
            self.settle(h, originals, &origins, &url, result, out).await;
        }
    }

    /// Encodes `work` with the formatter, one record at a time, isolating
    /// the records it fails (a `TASK_PUT` failure each); returns `(record,
    /// origin, bytes)` of those that encoded and still move on.
    pub(super) async fn encode(
        &self,
        work: Work,
        out: &mut Outcome,
    ) -> Vec<(Record, usize, Bytes)> {
        let formatter = &self.connector.formatter;
        let records = &work.records;
        let started = std::time::Instant::now();
        let encoded = isolate::isolate(self.policy(), formatter.name(), records.len(), move |r| {
            formatter.encode(&records[r])
        })
        .await;
        self.timed("formatter", formatter.name(), records.len(), started);
        let mut ready = Vec::with_capacity(work.len());
        let mut failures = Vec::new();
        for ((e, record), origin) in encoded.into_iter().zip(work.records).zip(work.origins) {
            match e {
                Ok(Ok(bytes)) => ready.push((record, origin, bytes)),
                Ok(Err(m)) => {
                    failures.push((origin, Failure::rejected(Stage::TaskPut, formatter, m)))
                }
                Err(e) => failures.push((origin, Failure::call(Stage::TaskPut, formatter, &e))),
            }
        }
        out.reject(&mut Work::default(), failures);
        ready.retain(|(_, o, _)| out.keeps(*o));
        ready
    }

    /// Acts on a request's result for the records (by origin) it carried:
    /// reports it, and on failure applies `behavior.on.error`.
    async fn settle(
        &self,
        h: &HttpBackend,
        originals: &[Record],
        origins: &[usize],
        url: &str,
        result: Result<Delivered, DeliveryError>,
        out: &mut Outcome,
    ) {
        let sent: Vec<&Record> = dedup(origins).map(|o| &originals[o]).collect();
        let report = match (&h.reporter, &result) {
            (Some(r), Ok(d)) => r.delivered(&sent, d).await,
            (Some(r), Err(e)) => r.failed(&sent, url, e).await,
            (None, _) => Ok(()),
        };
        if let Err(e) = report {
            // Reports are best effort: Confluent's reporter does not block delivery either.
            tracing::warn!(error = %e, "cannot write to the reporter topic");
        }
        let Err(e) = result else { return };
        match h.spec.on_error {
            OnError::Fail => out.stop(origins[0], Fatal::Delivery(e)),
            OnError::Log => {
                tracing::error!(connector = %self.connector.spec.name, records = sent.len(), error = %e, "delivery failed; moving on (behavior.on.error=log)");
                let class = match &e {
                    DeliveryError::Status { .. } => "sluice.sink.http.StatusError",
                    _ => "sluice.sink.http.TransportError",
                };
                for o in dedup(origins) {
                    out.undelivered(o, Failure::sink("http", class, e.to_string()));
                }
            }
            // Deliberately dropped: finished, like delivered records.
            OnError::Ignore => {
                for o in dedup(origins) {
                    out.drop_record(o);
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

/// Splits records into requests: runs of records with the same resolved URL,
/// at most `max` each. Without `${…}` in the template every record has the
/// same URL, so no per-record work is done.
fn requests<'a>(
    template: &str,
    records: impl ExactSizeIterator<Item = &'a Record>,
    max: usize,
) -> Vec<(String, std::ops::Range<usize>)> {
    let n = records.len();
    if !template.contains("${") {
        return (0..n)
            .step_by(max.max(1))
            .map(|start| (template.to_string(), start..(start + max).min(n)))
            .collect();
    }
    let mut out: Vec<(String, std::ops::Range<usize>)> = Vec::new();
    for (i, record) in records.enumerate() {
        let url = resolve_url(template, record);
        match out.last_mut() {
            Some((last, range)) if *last == url && range.len() < max => range.end = i + 1,
            _ => out.push((url, i..i + 1)),
        }
    }
    out
}

/// `${topic}` and `${key}` of `url` for `record`, percent-encoded so a key
/// with `/`, `?` or spaces stays one path segment.
pub fn resolve_url(url: &str, record: &Record) -> String {
    if !url.contains("${") {
        return url.to_string();
    }
    let encode = |b: &[u8]| {
        percent_encoding::percent_encode(b, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let key = record.key.as_deref().map(encode).unwrap_or_default();
    url.replace("${topic}", &encode(record.topic.as_bytes()))
        .replace("${key}", &key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_templates_take_the_topic_and_the_encoded_key() {
        let mut r = Record::new("orders", None);
        r.key = Some(Bytes::from_static(b"a/b c"));
        assert_eq!(
            resolve_url("http://h/${topic}/${key}", &r),
            "http://h/orders/a%2Fb%20c"
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
        let got = requests("http://h/${key}", rs.iter(), 2);
        let want = [
            ("http://h/a", 0..2),
            ("http://h/a", 2..3),
            ("http://h/b", 3..4),
            ("http://h/a", 4..5),
        ];
        assert_eq!(got, want.map(|(u, r)| (u.to_string(), r)));
        let plain = requests("http://h/in", rs.iter(), 2);
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
