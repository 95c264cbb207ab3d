//! Contract 0.1's export glue (the `contract-0-1` feature): wit-bindgen
//! bindings of the three 0.1 worlds and implementations of their exports
//! over the SDK traits. Used through the `export_*!` macros; never by hand.

use std::marker::PhantomData;

use crate::plugin::{Converter, Formatter, Part, Transform};
use crate::state::{configure_state, with_state};
use crate::v0_1::run::{self, ConversionItem};
use crate::v0_1::wit;

pub mod converter_world {
    wit_bindgen::generate!({
        path: "../wit/sluice-plugin-0.1.0",
        world: "converter",
        with: {
            "sluice:plugin/types@0.1.0": crate::v0_1::wit::sluice::plugin::types,
            "sluice:plugin/log@0.1.0": generate,
        },
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "::sluice_sdk::v0_1::glue::converter_world",
        runtime_path: "::sluice_sdk::__private::wit_bindgen::rt",
    });
}

pub mod transform_world {
    wit_bindgen::generate!({
        path: "../wit/sluice-plugin-0.1.0",
        world: "transform",
        with: {
            "sluice:plugin/types@0.1.0": crate::v0_1::wit::sluice::plugin::types,
            "sluice:plugin/log@0.1.0": crate::v0_1::glue::converter_world::sluice::plugin::log,
        },
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "::sluice_sdk::v0_1::glue::transform_world",
        runtime_path: "::sluice_sdk::__private::wit_bindgen::rt",
    });
}

pub mod formatter_world {
    wit_bindgen::generate!({
        path: "../wit/sluice-plugin-0.1.0",
        world: "formatter",
        with: {
            "sluice:plugin/types@0.1.0": crate::v0_1::wit::sluice::plugin::types,
            "sluice:plugin/log@0.1.0": crate::v0_1::glue::converter_world::sluice::plugin::log,
        },
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "::sluice_sdk::v0_1::glue::formatter_world",
        runtime_path: "::sluice_sdk::__private::wit_bindgen::rt",
    });
}

use converter_world::exports::sluice::plugin::conversion as cv;
use converter_world::sluice::plugin::log as host_log;
use formatter_world::exports::sluice::plugin::formatting as fm;
use transform_world::exports::sluice::plugin::transformation as tf;

crate::state::wire_helpers!(crate::v0_1::wit);

/// Sends a line to the host's log.
pub(crate) fn log(level: crate::log::Level, message: &str) {
    use crate::log::Level;
    let level = match level {
        Level::Trace => host_log::Level::Trace,
        Level::Debug => host_log::Level::Debug,
        Level::Info => host_log::Level::Info,
        Level::Warn => host_log::Level::Warn,
        Level::Error => host_log::Level::Error,
    };
    host_log::log(level, message);
}

/// Exports a [`Converter`]; see [`crate::export_converter`].
pub struct ConverterExport<T>(PhantomData<T>);

impl<T: Converter> cv::Guest for ConverterExport<T> {
    fn metadata() -> wit::PluginMetadata {
        metadata(T::INFO, wit::PluginKind::Converter)
    }

    fn configure(config: Vec<(String, String)>) -> Result<(), String> {
        configure_state::<T>(config)
    }

    fn convert(part: cv::Part, input: wit::Batch) -> cv::Conversions {
        let part = match part {
            cv::Part::Key => Part::Key,
            cv::Part::Value => Part::Value,
        };
        let out = with_state::<T, _>(|p| run::run_convert(p, part, &input)).unwrap_or_else(|e| {
            run::ConvertOutput {
                items: vec![ConversionItem::Failed; input.records.len()],
                failures: fail_all(input.records.len(), e),
                ..Default::default()
            }
        });
        cv::Conversions {
            data: out.data,
            items: out
                .items
                .into_iter()
                .map(|i| match i {
                    ConversionItem::Converted(span, kind) => {
                        cv::Conversion::Converted((span, kind.into()))
                    }
                    ConversionItem::Null => cv::Conversion::Null,
                    ConversionItem::Failed => cv::Conversion::Failed,
                })
                .collect(),
            failures: out.failures,
        }
    }
}

/// Exports a [`Transform`]; see [`crate::export_transform`].
pub struct TransformExport<T>(PhantomData<T>);

impl<T: Transform> tf::Guest for TransformExport<T> {
    fn metadata() -> wit::PluginMetadata {
        metadata(T::INFO, wit::PluginKind::Transform)
    }

    fn configure(config: Vec<(String, String)>) -> Result<(), String> {
        configure_state::<T>(config)
    }

    fn transform(input: wit::Batch) -> tf::Transformed {
        let out = with_state::<T, _>(|p| run::run_transform(p, &input)).unwrap_or_else(|e| {
            run::TransformOutput {
                failures: fail_all(input.records.len(), e),
                ..Default::default()
            }
        });
        tf::Transformed {
            output: out.output,
            origins: out.origins,
            failures: out.failures,
        }
    }
}

/// Exports a [`Formatter`]; see [`crate::export_formatter`].
pub struct FormatterExport<T>(PhantomData<T>);

impl<T: Formatter> fm::Guest for FormatterExport<T> {
    fn metadata() -> wit::PluginMetadata {
        metadata(T::INFO, wit::PluginKind::Formatter)
    }

    fn configure(config: Vec<(String, String)>) -> Result<(), String> {
        configure_state::<T>(config)
    }

    fn info() -> fm::FormatInfo {
        let i = with_state::<T, _>(|p| p.info()).unwrap_or_default();
        fm::FormatInfo {
            content_type: i.content_type,
            extension: i.extension,
            prefix: i.prefix,
            separator: i.separator,
            suffix: i.suffix,
        }
    }
    fn header() -> Vec<u8> {
        with_state::<T, _>(|p| p.header()).unwrap_or_default()
    }
    fn trailer() -> Vec<u8> {
        with_state::<T, _>(|p| p.trailer()).unwrap_or_default()
    }
    fn encode(input: wit::Batch) -> fm::Encoded {
        let out = with_state::<T, _>(|p| run::run_encode(p, &input)).unwrap_or_else(|e| {
            run::EncodeOutput {
                items: vec![None; input.records.len()],
                failures: fail_all(input.records.len(), e),
                ..Default::default()
            }
        });
        fm::Encoded {
            data: out.data,
            items: out.items,
            failures: out.failures,
        }
    }
}
