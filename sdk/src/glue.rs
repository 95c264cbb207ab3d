//! Export glue for wasm targets: wit-bindgen bindings of contract 0.2's
//! three worlds and generic implementations of their exports over the SDK
//! traits. Used through the `export_*!` macros; never by hand.

use std::marker::PhantomData;

use crate::plugin::{Converter, Formatter, Part, Transform};
use crate::run;
use crate::state::{configure_state, with_state};
use crate::wit;

pub mod converter_world {
    wit_bindgen::generate!({
        path: "../wit/sluice-plugin-0.2.0",
        world: "converter",
        with: {
            "sluice:plugin/types@0.2.0": crate::wit::sluice::plugin::types,
            "sluice:plugin/log@0.2.0": generate,
            "sluice:plugin/schema-registry@0.2.0": generate,
        },
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "::sluice_sdk::glue::converter_world",
        runtime_path: "::sluice_sdk::__private::wit_bindgen::rt",
    });
}

pub mod transform_world {
    wit_bindgen::generate!({
        path: "../wit/sluice-plugin-0.2.0",
        world: "transform",
        with: {
            "sluice:plugin/types@0.2.0": crate::wit::sluice::plugin::types,
            "sluice:plugin/log@0.2.0": crate::glue::converter_world::sluice::plugin::log,
        },
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "::sluice_sdk::glue::transform_world",
        runtime_path: "::sluice_sdk::__private::wit_bindgen::rt",
    });
}

pub mod formatter_world {
    wit_bindgen::generate!({
        path: "../wit/sluice-plugin-0.2.0",
        world: "formatter",
        with: {
            "sluice:plugin/types@0.2.0": crate::wit::sluice::plugin::types,
            "sluice:plugin/log@0.2.0": crate::glue::converter_world::sluice::plugin::log,
            "sluice:plugin/schema-registry@0.2.0": crate::glue::converter_world::sluice::plugin::schema_registry,
        },
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "::sluice_sdk::glue::formatter_world",
        runtime_path: "::sluice_sdk::__private::wit_bindgen::rt",
    });
}

use converter_world::exports::sluice::plugin::conversion as cv;
use converter_world::sluice::plugin::log as host_log;
use formatter_world::exports::sluice::plugin::formatting as fm;
use transform_world::exports::sluice::plugin::transformation as tf;

crate::state::wire_helpers!(crate::wit);

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

    fn keeps_bytes(part: cv::Part) -> Option<cv::KeptBytes> {
        let part = sdk_part(part);
        let kept = with_state::<T, _>(|p| p.keeps_bytes(part)).ok()??;
        let text = |s: Option<std::sync::Arc<crate::schema::Schema>>| {
            s.map(|s| crate::flat::text_of(&s).to_string())
        };
        Some(cv::KeptBytes {
            value_kind: sluice_contract::layout::Kind::from(kept.kind).code(),
            schema: text(kept.schema),
            null_schema: text(kept.null_schema),
        })
    }

    fn convert(part: cv::Part, input: wit::Batch) -> cv::Conversions {
        let part = sdk_part(part);
        let out = with_state::<T, _>(|p| run::run_convert(p, part, &input))
            .unwrap_or_else(|e| failed_conversions(&input, e));
        cv::Conversions {
            data: out.data,
            items: out.items,
            schemas: out.schemas,
            failures: out.failures,
        }
    }
}

fn sdk_part(part: cv::Part) -> Part {
    match part {
        cv::Part::Key => Part::Key,
        cv::Part::Value => Part::Value,
    }
}

fn failed_conversions(input: &wit::Batch, e: String) -> run::ConvertOutput {
    let n = crate::flat::count(input);
    let mut w = crate::flat::ConversionWriter::default();
    (0..n).for_each(|_| w.failed());
    run::ConvertOutput {
        items: w.items,
        failures: fail_all(n, e),
        ..Default::default()
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
                output: crate::flat::Writer::default().finish(),
                failures: fail_all(crate::flat::count(&input), e),
            }
        });
        tf::Transformed {
            output: out.output,
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
    fn values_as_is() -> bool {
        with_state::<T, _>(|p| p.values_as_is()).unwrap_or(false)
    }
    fn header() -> Vec<u8> {
        with_state::<T, _>(|p| p.header()).unwrap_or_default()
    }
    fn trailer() -> Vec<u8> {
        with_state::<T, _>(|p| p.trailer()).unwrap_or_default()
    }
    fn encode(input: wit::Batch) -> fm::Encoded {
        let out = with_state::<T, _>(|p| run::run_encode(p, &input)).unwrap_or_else(|e| {
            let n = crate::flat::count(&input);
            let mut items = Vec::new();
            (0..n).for_each(|_| {
                crate::flat::encoding(&mut items, sluice_contract::layout::EncodingItem::Failed)
            });
            run::EncodeOutput {
                items,
                failures: fail_all(n, e),
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
