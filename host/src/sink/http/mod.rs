//! The HTTP sink: Confluent HTTP Sink's options, bodies sent with retries,
//! results and errors reported to Kafka topics.

pub mod client;
pub mod config;
mod deliver;
mod raw;
pub mod reporter;

pub use deliver::{HttpSink, resolve_url};
pub use raw::RawHttpSink;
