//! Sinks: where delivered records go.

pub mod http;
