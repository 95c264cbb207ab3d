//! Sluice: a Kafka sink host that runs converters, transforms and formatters
//! as sandboxed WebAssembly components.

pub mod api;
pub mod body;
pub mod cause;
pub mod cli;
pub mod config;
pub mod connect;
pub mod connector;
pub mod errors;
pub mod files;
pub mod format;
pub mod history;
pub mod kafka;
pub mod logging;
pub mod metrics;
pub mod oauth2;
pub mod pipeline;
pub mod plugin;
pub mod predicate;
pub mod problem;
pub mod produce;
pub mod record;
pub mod retry;
pub mod secrets;
pub mod sink;
pub mod source;
pub mod stats;
pub mod stores;
pub mod worker;
