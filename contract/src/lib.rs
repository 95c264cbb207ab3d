//! # sluice-contract
//!
//! What the Sluice host and the Rust SDK share of plugin contract 0.2
//! (`wit/sluice-plugin-0.2.0`): the byte layout of the fixed-size entries
//! that index a batch and a reply ([`layout`]), Kafka Connect's schema
//! model in the JSON form the contract carries ([`schema`]), and what the
//! schema-registry capability answers ([`registry`]). One definition for
//! both sides, so they cannot disagree.

pub mod layout;
pub mod registry;
pub mod schema;

/// The contract version these types implement.
pub const VERSION: &str = "0.2.0";
