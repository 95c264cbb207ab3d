//! Sluice: a Kafka sink host that runs converters, transforms and formatters
//! as sandboxed WebAssembly components.

pub mod cli;
pub mod plugin;
pub mod record;
