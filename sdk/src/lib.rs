//! # sluice-sdk: write Sluice plugins in Rust
//!
//! A Sluice plugin is a WebAssembly component that the host loads from a
//! plugin directory: a **converter** (raw bytes to typed values, like Kafka
//! Connect's converters), a **transform** (change, drop, split or fail
//! records, like Connect's SMTs) or a **formatter** (records to an HTTP body
//! or object contents). The host calls plugins with whole batches; this SDK
//! hides that and gives you one [`Record`] at a time, catching each record's
//! error on its own so one bad record never fails its neighbours.
//!
//! A complete transform that adds the topic name to JSON values:
//!
//! ```
//! use sluice_sdk::{Config, ConfigKey, ConfigType, Emitter, Plugin, PluginInfo, Record, Transform};
//!
//! pub struct AddTopic {
//!     field: String,
//! }
//!
//! impl Plugin for AddTopic {
//!     const INFO: PluginInfo = PluginInfo {
//!         name: "add-topic",
//!         version: "0.1.0",
//!         description: "Adds the record's topic to JSON object values",
//!         config: &[ConfigKey::optional("field", ConfigType::String, Some("topic"), "Field to set")],
//!     };
//!
//!     fn configure(config: &Config) -> Result<Self, String> {
//!         Ok(AddTopic { field: config.require("field")?.to_string() })
//!     }
//! }
//!
//! impl Transform for AddTopic {
//!     fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
//!         let mut value = record.value_json()?;
//!         let object = value.as_object_mut().ok_or("value is not a JSON object")?;
//!         object.insert(self.field.clone(), record.topic.into());
//!         let mut changed = record.to_out();
//!         changed.set_json(&value);
//!         out.emit(&changed);
//!         Ok(())
//!     }
//! }
//!
//! // Generates the component's exports when built for wasm32-wasip2.
//! sluice_sdk::export_transform!(AddTopic);
//!
//! // The same code runs natively in unit tests:
//! use sluice_sdk::testing::{self, Outcome};
//! let mut plugin = sluice_sdk::configure::<AddTopic>(vec![]).unwrap();
//! let outcomes = testing::transform(
//!     &mut plugin,
//!     &[Record::new("orders", Some(br#"{"id":1}"#)), Record::new("orders", Some(b"oops"))],
//! );
//! let Outcome::Kept(out) = &outcomes[0] else { panic!() };
//! assert_eq!(out[0].value.as_deref(), Some(&br#"{"id":1,"topic":"orders"}"#[..]));
//! assert!(matches!(&outcomes[1], Outcome::Failed(m) if m.contains("not valid JSON")));
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2 --release` in a crate
//! with `crate-type = ["cdylib", "rlib"]`, drop the `.wasm` into the plugin
//! directory, and try it with `sluice plugin test add_topic.wasm --input records.jsonl`.

//!
//! ## Contract versions
//!
//! Plugins built with this SDK speak contract 0.2 (`sluice:plugin@0.2.0`):
//! keys and values may carry a Kafka Connect [`schema`], and whatever a
//! plugin gives back borrowed from its input is not copied out of it. Hosts
//! before 0.2 cannot load them; build with the `contract-0-1` feature to
//! target those (schemas are then dropped, and every record is copied).
//!
//! ## Allocator
//!
//! In Wasm the SDK makes Talc the plugin's global allocator (the
//! `allocator` feature, on by default), in place of wasi-libc's dlmalloc
//! that Rust's standard library would use. A plugin with an allocator of its
//! own turns the feature off (`default-features = false`).

extern crate self as sluice_sdk;

#[cfg(all(target_family = "wasm", feature = "allocator"))]
mod alloc;
pub mod avro_data;
mod config;
pub mod envelope;
#[doc(hidden)]
pub mod flat;
#[cfg(all(target_family = "wasm", not(feature = "contract-0-1")))]
#[doc(hidden)]
pub mod glue;
pub mod java;
pub mod java_date;
pub mod json;
pub mod log;
#[cfg(any(target_family = "wasm", test))]
mod mem;
mod plugin;
mod record;
pub mod registry;
mod run;
pub mod schema;
pub mod smt;
#[cfg(target_family = "wasm")]
mod state;
pub mod testing;
#[doc(hidden)]
pub mod v0_1;
#[doc(hidden)]
pub mod wit;

pub use config::{Config, ConfigKey, ConfigType, PluginInfo};
pub use plugin::{
    Converted, Converter, Emitter, FormatInfo, Formatter, KeptBytes, Part, Plugin, Transform,
    configure,
};
pub use record::{Header, HeaderOut, Record, RecordOut, ValueKind};
pub use run::{
    ConvertOutput, EncodeOutput, TransformOutput, run_convert, run_encode, run_transform,
};

#[doc(hidden)]
pub mod __private {
    pub use wit_bindgen;
}

/// Exports a [`Converter`] as the component's `converter` world (wasm builds only).
#[cfg(not(feature = "contract-0-1"))]
#[macro_export]
macro_rules! export_converter {
    ($t:ty) => {
        #[cfg(target_family = "wasm")]
        const _: () = {
            type SluiceConverterExport = $crate::glue::ConverterExport<$t>;
            $crate::glue::converter_world::export!(SluiceConverterExport with_types_in $crate::glue::converter_world);
        };
    };
}

/// Exports a [`Transform`] as the component's `transform` world (wasm builds only).
#[cfg(not(feature = "contract-0-1"))]
#[macro_export]
macro_rules! export_transform {
    ($t:ty) => {
        #[cfg(target_family = "wasm")]
        const _: () = {
            type SluiceTransformExport = $crate::glue::TransformExport<$t>;
            $crate::glue::transform_world::export!(SluiceTransformExport with_types_in $crate::glue::transform_world);
        };
    };
}

/// Exports a [`Formatter`] as the component's `formatter` world (wasm builds only).
#[cfg(not(feature = "contract-0-1"))]
#[macro_export]
macro_rules! export_formatter {
    ($t:ty) => {
        #[cfg(target_family = "wasm")]
        const _: () = {
            type SluiceFormatterExport = $crate::glue::FormatterExport<$t>;
            $crate::glue::formatter_world::export!(SluiceFormatterExport with_types_in $crate::glue::formatter_world);
        };
    };
}

/// Exports a [`Converter`] as contract 0.1's `converter` world (wasm builds only).
#[cfg(feature = "contract-0-1")]
#[macro_export]
macro_rules! export_converter {
    ($t:ty) => {
        #[cfg(target_family = "wasm")]
        const _: () = {
            type SluiceConverterExport = $crate::v0_1::glue::ConverterExport<$t>;
            $crate::v0_1::glue::converter_world::export!(SluiceConverterExport with_types_in $crate::v0_1::glue::converter_world);
        };
    };
}

/// Exports a [`Transform`] as contract 0.1's `transform` world (wasm builds only).
#[cfg(feature = "contract-0-1")]
#[macro_export]
macro_rules! export_transform {
    ($t:ty) => {
        #[cfg(target_family = "wasm")]
        const _: () = {
            type SluiceTransformExport = $crate::v0_1::glue::TransformExport<$t>;
            $crate::v0_1::glue::transform_world::export!(SluiceTransformExport with_types_in $crate::v0_1::glue::transform_world);
        };
    };
}

/// Exports a [`Formatter`] as contract 0.1's `formatter` world (wasm builds only).
#[cfg(feature = "contract-0-1")]
#[macro_export]
macro_rules! export_formatter {
    ($t:ty) => {
        #[cfg(target_family = "wasm")]
        const _: () = {
            type SluiceFormatterExport = $crate::v0_1::glue::FormatterExport<$t>;
            $crate::v0_1::glue::formatter_world::export!(SluiceFormatterExport with_types_in $crate::v0_1::glue::formatter_world);
        };
    };
}
