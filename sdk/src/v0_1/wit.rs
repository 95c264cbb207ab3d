//! The contract's shared types, generated from `wit/` for every target.
//!
//! Contract 0.1's raw arena types, for plugins built with the
//! `contract-0-1` feature. Plugin code works
//! with [`crate::Record`] instead; the host and the SDK glue use these.

wit_bindgen::generate!({
    path: "../wit/sluice-plugin-0.1.0",
    inline: "
        package sluice:sdk;
        world sdk-types-v0-1 {
            import sluice:plugin/types@0.1.0;
        }
    ",
    world: "sluice:sdk/sdk-types-v0-1",
    generate_unused_types: true,
    generate_all,
    additional_derives: [PartialEq, Eq],
    runtime_path: "::sluice_sdk::__private::wit_bindgen::rt",
});

pub use sluice::plugin::types::*;
