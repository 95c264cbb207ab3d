//! The HTTP sink: Confluent HTTP Sink's options, bodies sent with retries,
//! results and errors reported to Kafka topics.

pub mod client;
pub mod config;
pub mod reporter;
