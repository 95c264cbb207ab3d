//! The HTTP sink: Confluent HTTP Sink's options, bodies sent with retries.

pub mod client;
pub mod config;
