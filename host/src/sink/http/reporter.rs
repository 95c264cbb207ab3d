//! Confluent HTTP Sink's reporter: for every record a request carried, a
//! record on the result topic (the request succeeded: the response body) or
//! the error topic (it failed for good: the error), keyed by the input
//! record's key, with its coordinates and Confluent's error headers.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::future::join_all;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::FutureRecord;

use super::client::{Delivered, DeliveryError};
use crate::produce;
use crate::record::Record;

/// What the error topic's values hold (`report.errors.as`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportErrorsAs {
    /// The error message.
    ErrorString,
    /// The endpoint's response body (the error message when there was no response).
    HttpResponse,
}

/// One reporter topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportTopic {
    pub name: String,
    pub partitions: i32,
    pub replication_factor: i32,
}

/// The reporter's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReporterSpec {
    /// `reporter.bootstrap.servers`; `None` is the connector's own cluster.
    pub bootstrap_servers: Option<String>,
    pub result: Option<ReportTopic>,
    pub error: Option<ReportTopic>,
    pub errors_as: ReportErrorsAs,
}

/// Header names, as Confluent's reporter writes them.
pub mod header {
    pub const INPUT_TOPIC: &str = "input_record_topic";
    pub const INPUT_PARTITION: &str = "input_record_partition";
    pub const INPUT_OFFSET: &str = "input_record_offset";
    pub const INPUT_TIMESTAMP: &str = "input_record_timestamp";
    pub const ERROR_MESSAGE: &str = "error_message";
    pub const EXCEPTION: &str = "exception";
    pub const RESPONSE_CONTENT: &str = "response_content";
    pub const STATUS_CODE: &str = "status_code";
    pub const PAYLOAD: &str = "payload";
    pub const REASON_PHRASE: &str = "reason_phrase";
    pub const URL: &str = "url";
}

/// A report the reporter topic did not take.
#[derive(Debug, thiserror::Error)]
#[error("cannot write to {topic:?}: {error}")]
pub struct ReportError {
    pub topic: String,
    pub error: rdkafka::error::KafkaError,
}

/// A started reporter: writes Confluent's success and error reports to
/// their topics.
pub struct HttpReporter {
    producer: crate::kafka::Producer,
    spec: ReporterSpec,
}

impl HttpReporter {
    /// Creates the reporter topics if missing, and the producer.
    pub async fn start(
        spec: &ReporterSpec,
        connection: &BTreeMap<String, String>,
    ) -> Result<Self, crate::sink::StartError> {
        let mut connection = connection.clone();
        if let Some(servers) = &spec.bootstrap_servers {
            connection.insert("bootstrap.servers".into(), servers.clone());
        }
        for (topic, key) in [
            (&spec.result, "reporter.result.topic.replication.factor"),
            (&spec.error, "reporter.error.topic.replication.factor"),
        ] {
            if let Some(t) = topic {
                let spec = crate::kafka::TopicSpec {
                    name: &t.name,
                    partitions: t.partitions,
                    replication_factor: Some(t.replication_factor),
                    compacted: false,
                    replication_key: Some(key),
                };
                crate::kafka::ensure_topic(&connection, spec)
                    .await
                    .map_err(crate::sink::StartError::ReporterTopic)?;
            }
        }
        Ok(HttpReporter {
            producer: produce::producer(&connection)
                .map_err(crate::sink::StartError::ReporterProducer)?,
            spec: spec.clone(),
        })
    }

    /// Reports a request that succeeded, once per record it carried.
    pub async fn delivered(&self, records: &[&Record], d: &Delivered) -> Result<(), ReportError> {
        let Some(topic) = &self.spec.result else {
            return Ok(());
        };
        self.write(
            &topic.name,
            records,
            |_| d.body.clone().into_bytes(),
            |_| Vec::new(),
        )
        .await
    }

    /// Reports a request that failed for good, once per record it carried.
    pub async fn failed(
        &self,
        records: &[&Record],
        url: &str,
        e: &DeliveryError,
    ) -> Result<(), ReportError> {
        let Some(topic) = &self.spec.error else {
            return Ok(());
        };
        let (status, response, exception, message) = match e {
            DeliveryError::Status { status, body, .. } => (
                Some(*status),
                Some(body.as_str()),
                "sluice.sink.http.StatusError",
                e.to_string(),
            ),
            _ => (None, None, "sluice.sink.http.TransportError", e.to_string()),
        };
        let reason = status
            .and_then(|s| reqwest::StatusCode::from_u16(s).ok())
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let error_string = format!(
            "Retry time lapsed, unable to process HTTP request. HTTP Response code: {}, \
             Reason phrase: {reason}, Url: {url}, Response content: {}, Exception: {exception}, \
             Error message: {message}",
            status.map_or("null".to_string(), |s| s.to_string()),
            response.unwrap_or("null"),
        );
        let value = |_: &Record| match (self.spec.errors_as, response) {
            (ReportErrorsAs::HttpResponse, Some(body)) => body.as_bytes().to_vec(),
            _ => error_string.clone().into_bytes(),
        };
        let status = status.map(|s| s.to_string());
        let headers = |r: &Record| {
            vec![
                (header::ERROR_MESSAGE, Some(message.clone().into_bytes())),
                (header::EXCEPTION, Some(exception.as_bytes().to_vec())),
                (
                    header::RESPONSE_CONTENT,
                    response.map(|b| b.as_bytes().to_vec()),
                ),
                (header::STATUS_CODE, status.clone().map(String::into_bytes)),
                (header::PAYLOAD, r.value.as_ref().map(|v| v.to_vec())),
                (
                    header::REASON_PHRASE,
                    (!reason.is_empty()).then(|| reason.as_bytes().to_vec()),
                ),
                (header::URL, Some(url.as_bytes().to_vec())),
            ]
        };
        self.write(&topic.name, records, value, headers).await
    }

    /// Writes one report per record: `value(record)`, the input record's
    /// coordinates and `extra(record)` as headers, the record's key.
    async fn write(
        &self,
        topic: &str,
        records: &[&Record],
        value: impl Fn(&Record) -> Vec<u8>,
        extra: impl Fn(&Record) -> Vec<(&'static str, Option<Vec<u8>>)>,
    ) -> Result<(), ReportError> {
        let reports: Vec<(Vec<u8>, OwnedHeaders)> = records
            .iter()
            .map(|r| {
                let coordinates = [
                    (header::INPUT_OFFSET, r.offset.to_string()),
                    (
                        header::INPUT_TIMESTAMP,
                        r.timestamp.map(|t| t.to_string()).unwrap_or_default(),
                    ),
                    (header::INPUT_PARTITION, r.partition.to_string()),
                    (header::INPUT_TOPIC, r.topic.to_string()),
                ];
                let mut headers = OwnedHeaders::new_with_capacity(11);
                for (key, v) in &coordinates {
                    headers = headers.insert(Header {
                        key,
                        value: Some(v.as_bytes()),
                    });
                }
                for (key, v) in extra(r) {
                    headers = headers.insert(Header {
                        key,
                        value: v.as_deref(),
                    });
                }
                (value(r), headers)
            })
            .collect();
        let sends = records.iter().zip(&reports).map(|(r, (value, headers))| {
            let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic)
                .payload(&value[..])
                .headers(headers.clone());
            if let Some(k) = &r.key {
                record = record.key(&k[..]);
            }
            self.producer.send(record, Duration::from_secs(60))
        });
        for result in join_all(sends).await {
            result.map_err(|(error, _)| ReportError {
                topic: topic.to_string(),
                error,
            })?;
        }
        Ok(())
    }
}
