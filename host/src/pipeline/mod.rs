//! What happens to one batch of one partition: key and value converters,
//! the transform chain, null handling, the formatter, and delivery to the
//! sink. A batch is finished (its offsets may be committed) when this
//! returns `Ok`; an `Err` stops the connector.

use std::sync::Arc;

use bytes::Bytes;

use crate::config::BuiltConnector;
use crate::plugin::{CallError, ConfiguredPlugin, Part, TransformOutcome};
use crate::record::Record;
use crate::sink::http::client::{DeliveryError, HttpClient};
use crate::sink::http::config::{OnError, OnNull};

/// Why a batch could not be finished.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(
        "{topic} partition {partition} offset {offset}: {stage} plugin `{plugin}` failed the record: {message}"
    )]
    Record {
        topic: String,
        partition: i32,
        offset: i64,
        stage: &'static str,
        plugin: String,
        message: String,
    },
    #[error("{stage}: {source}")]
    Plugin {
        stage: &'static str,
        source: CallError,
    },
    #[error(
        "{topic} partition {partition} offset {offset}: null value with behavior.on.null.values=fail"
    )]
    NullValue {
        topic: String,
        partition: i32,
        offset: i64,
    },
    #[error("delivery failed (behavior.on.error=fail): {0}")]
    Delivery(#[from] DeliveryError),
}

/// One connector's processing chain, shared by its partition workers.
pub struct Pipeline {
    connector: Arc<BuiltConnector>,
    http: HttpClient,
}

impl Pipeline {
    pub fn new(connector: Arc<BuiltConnector>) -> Result<Self, DeliveryError> {
        let http = HttpClient::new(&connector.spec.sink)?;
        Ok(Pipeline { connector, http })
    }

    /// Runs `records` (one partition, in offset order) through the chain and delivers them.
    pub async fn process(&self, records: Vec<Record>) -> Result<(), BatchError> {
        let c = &self.connector;
        let records = convert(&c.key_converter, Part::Key, "key converter", records).await?;
        let mut records =
            convert(&c.value_converter, Part::Value, "value converter", records).await?;
        for t in &c.transforms {
            records = transform(t, records).await?;
        }
        let records = self.nulls(records).await?;
        self.deliver(records).await
    }

    /// Applies `behavior.on.null.values` to tombstones; returns the others.
    async fn nulls(&self, records: Vec<Record>) -> Result<Vec<Record>, BatchError> {
        let on_null = self.connector.spec.sink.on_null;
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            if r.value.is_some() {
                out.push(r);
                continue;
            }
            match on_null {
                OnNull::Ignore => {}
                OnNull::Log => tracing::info!(
                    topic = &*r.topic,
                    partition = r.partition,
                    offset = r.offset,
                    "skipping null value"
                ),
                OnNull::Fail => {
                    return Err(BatchError::NullValue {
                        topic: r.topic.to_string(),
                        partition: r.partition,
                        offset: r.offset,
                    });
                }
                OnNull::Delete => {
                    // Deliveries keep record order: send what came before first.
                    self.deliver(std::mem::take(&mut out)).await?;
                    let url = resolve_url(&self.connector.spec.sink.url, &r);
                    if let Err(e) = self.http.delete(&url).await {
                        self.on_delivery_error(e)?;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Encodes and sends `records`, one request per run of records with the same URL.
    async fn deliver(&self, records: Vec<Record>) -> Result<(), BatchError> {
        if records.is_empty() {
            return Ok(());
        }
        let formatter = &self.connector.formatter;
        let encoded = formatter
            .encode(&records)
            .await
            .map_err(|source| BatchError::Plugin {
                stage: "formatter",
                source,
            })?;
        let mut items = Vec::with_capacity(records.len());
        for (r, e) in records.iter().zip(encoded) {
            match e {
                Ok(bytes) => items.push(bytes),
                Err(message) => return Err(record_error(r, "formatter", formatter, message)),
            }
        }
        let info = formatter
            .format_info()
            .expect("a formatter has framing")
            .clone();
        let template = &self.connector.spec.sink.url;
        let max = self.connector.spec.sink.batch.max_records;
        let mut start = 0;
        while start < records.len() {
            let url = resolve_url(template, &records[start]);
            let mut end = start + 1;
            // Without `${…}` every record has the same URL: no per-record work.
            let templated = template.contains("${");
            while end < records.len()
                && end - start < max
                && (!templated || resolve_url(template, &records[end]) == url)
            {
                end += 1;
            }
            let header = formatter
                .header()
                .await
                .map_err(|source| BatchError::Plugin {
                    stage: "formatter",
                    source,
                })?;
            let trailer = formatter
                .trailer()
                .await
                .map_err(|source| BatchError::Plugin {
                    stage: "formatter",
                    source,
                })?;
            let body = info.frame(&header, items[start..end].iter().map(|b| &b[..]), &trailer);
            if let Err(e) = self
                .http
                .send(&url, Bytes::from(body), &info.content_type)
                .await
            {
                self.on_delivery_error(e)?;
            }
            start = end;
        }
        Ok(())
    }

    fn on_delivery_error(&self, e: DeliveryError) -> Result<(), BatchError> {
        match self.connector.spec.sink.on_error {
            OnError::Fail => Err(e.into()),
            OnError::Log => {
                tracing::error!(connector = %self.connector.spec.name, error = %e, "delivery failed; moving on (behavior.on.error=log)");
                Ok(())
            }
            OnError::Ignore => Ok(()),
        }
    }
}

fn record_error(
    r: &Record,
    stage: &'static str,
    plugin: &ConfiguredPlugin,
    message: String,
) -> BatchError {
    BatchError::Record {
        topic: r.topic.to_string(),
        partition: r.partition,
        offset: r.offset,
        stage,
        plugin: plugin.name().to_string(),
        message,
    }
}

async fn convert(
    plugin: &ConfiguredPlugin,
    part: Part,
    stage: &'static str,
    records: Vec<Record>,
) -> Result<Vec<Record>, BatchError> {
    let inputs: Vec<(Arc<str>, i32, i64)> = records
        .iter()
        .map(|r| (r.topic.clone(), r.partition, r.offset))
        .collect();
    let converted = plugin
        .convert_records(part, records)
        .await
        .map_err(|source| BatchError::Plugin { stage, source })?;
    converted
        .into_iter()
        .zip(inputs)
        .map(|(r, (topic, partition, offset))| {
            r.map_err(|message| BatchError::Record {
                topic: topic.to_string(),
                partition,
                offset,
                stage,
                plugin: plugin.name().to_string(),
                message,
            })
        })
        .collect()
}

async fn transform(
    plugin: &ConfiguredPlugin,
    records: Vec<Record>,
) -> Result<Vec<Record>, BatchError> {
    let outcomes = plugin
        .transform(&records)
        .await
        .map_err(|source| BatchError::Plugin {
            stage: "transform",
            source,
        })?;
    let mut out = Vec::with_capacity(records.len());
    for (r, o) in records.iter().zip(outcomes) {
        match o {
            TransformOutcome::Kept(v) => out.extend(v),
            TransformOutcome::Dropped => {}
            TransformOutcome::Failed(message) => {
                return Err(record_error(r, "transform", plugin, message));
            }
        }
    }
    Ok(out)
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
}
