//! The Kafka source: the consumer's rebalance callbacks, the partition
//! readers and offset tracking.

pub mod budget;
pub mod commit;
pub mod context;
pub mod reader;
pub mod rebalance;
pub mod tracker;
