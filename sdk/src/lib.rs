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

extern crate self as sluice_sdk;

#[doc(hidden)]
pub mod batch;
mod config;
#[cfg(target_family = "wasm")]
#[doc(hidden)]
pub mod glue;
pub mod json;
pub mod log;
mod plugin;
mod record;
pub mod testing;
#[doc(hidden)]
pub mod wit;

pub use config::{Config, ConfigKey, ConfigType, PluginInfo};
pub use plugin::{
    ConversionItem, ConvertOutput, Converted, Converter, Emitter, EncodeOutput, FormatInfo,
    Formatter, Part, Plugin, Transform, TransformOutput, configure, run_convert, run_encode,
    run_transform,
};
pub use record::{Header, HeaderOut, Record, RecordOut, ValueKind};

#[doc(hidden)]
pub mod __private {
    pub use wit_bindgen;
}

/// Exports a [`Converter`] as the component's `converter` world (wasm builds only).
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
