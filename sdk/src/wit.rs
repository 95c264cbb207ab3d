//! Contract 0.2's shared types, generated from `wit/` for every target.
//!
//! These are the raw types that cross the boundary: byte buffers holding
//! the flat entries of `sluice_contract::layout`. Plugin code works with
//! [`crate::Record`] instead; the host and the SDK glue use these.

wit_bindgen::generate!({
    path: "../wit/sluice-plugin-0.2.0",
    inline: "
        package sluice:sdk;
        world sdk-types {
            import sluice:plugin/types@0.2.0;
        }
    ",
    world: "sluice:sdk/sdk-types",
    generate_unused_types: true,
    generate_all,
    additional_derives: [PartialEq, Eq],
    runtime_path: "::sluice_sdk::__private::wit_bindgen::rt",
});

pub use sluice::plugin::types::*;
