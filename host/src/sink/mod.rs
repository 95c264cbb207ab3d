//! Sinks: where delivered records go.

pub mod http;
pub mod s3;

use http::config::{BatchLimits, HttpSinkSpec};
use s3::config::S3SinkSpec;

/// A connector's sink, checked.
#[derive(Clone, Debug)]
pub enum SinkSpec {
    Http(HttpSinkSpec),
    S3(S3SinkSpec),
}

/// How the S3 sink cuts consumed records into batches: a processing unit
/// only (objects are cut by the rotation rules, record by record), small
/// enough that buffered batches of many partitions stay within a few MiB.
const S3_BATCHES: BatchLimits = BatchLimits {
    max_records: 1000,
    max_bytes: 1 << 20,
    linger: std::time::Duration::from_millis(100),
};

impl SinkSpec {
    /// When a partition's consumed records are handed to the pipeline.
    pub fn batch(&self) -> BatchLimits {
        match self {
            SinkSpec::Http(h) => h.batch,
            SinkSpec::S3(_) => S3_BATCHES,
        }
    }

    /// Where records go, for people: a URL or `s3://bucket` with its endpoint.
    pub fn destination(&self) -> String {
        match self {
            SinkSpec::Http(h) => h.url.clone(),
            SinkSpec::S3(s) => match &s.endpoint {
                Some(e) => format!("s3://{} at {e}", s.bucket),
                None => format!("s3://{}", s.bucket),
            },
        }
    }
}
