//! The Kafka source: the consumer's rebalance callbacks and offset tracking.

pub mod context;
pub mod tracker;
