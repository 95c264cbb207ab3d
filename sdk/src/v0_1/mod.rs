//! Contract 0.1 (`sluice:plugin@0.1.0`): its arena layout, batch loops and
//! export glue, for plugins built with the `contract-0-1` feature to load on
//! hosts older than 0.2.

pub mod batch;
#[cfg(all(target_family = "wasm", feature = "contract-0-1"))]
pub mod glue;
pub mod run;
pub mod wit;
