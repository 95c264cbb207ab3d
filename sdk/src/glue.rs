//! Export glue for wasm targets: wit-bindgen bindings of the three worlds and
//! generic implementations of their exports over the SDK traits. Used through
//! the `export_*!` macros; never by hand.

use std::any::Any;
use std::cell::RefCell;
use std::marker::PhantomData;

use crate::config::{ConfigType, PluginInfo};
use crate::plugin::{self, ConversionItem, Converter, Formatter, Part, Plugin, Transform};
use crate::wit;

pub mod converter_world {
    wit_bindgen::generate!({
        path: "../wit/sluice-plugin-0.1.0",
        world: "converter",
        with: {
            "sluice:plugin/types@0.1.0": crate::wit::sluice::plugin::types,
            "sluice:plugin/log@0.1.0": generate,
        },
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "::sluice_sdk::glue::converter_world",
        runtime_path: "::sluice_sdk::__private::wit_bindgen::rt",
    });
}

pub mod transform_world {
    wit_bindgen::generate!({
        path: "../wit/sluice-plugin-0.1.0",
        world: "transform",
        with: {
            "sluice:plugin/types@0.1.0": crate::wit::sluice::plugin::types,
            "sluice:plugin/log@0.1.0": crate::glue::converter_world::sluice::plugin::log,
        },
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "::sluice_sdk::glue::transform_world",
        runtime_path: "::sluice_sdk::__private::wit_bindgen::rt",
    });
}

pub mod formatter_world {
    wit_bindgen::generate!({
        path: "../wit/sluice-plugin-0.1.0",
        world: "formatter",
        with: {
            "sluice:plugin/types@0.1.0": crate::wit::sluice::plugin::types,
            "sluice:plugin/log@0.1.0": crate::glue::converter_world::sluice::plugin::log,
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

thread_local! {
    /// The configured plugin: one per instance, set by `configure`.
    static STATE: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

fn configure_state<T: Plugin>(entries: Vec<(String, String)>) -> Result<(), String> {
    let p = plugin::configure::<T>(entries)?;
    STATE.with(|s| *s.borrow_mut() = Some(Box::new(p)));
    Ok(())
}

fn with_state<T: Plugin, R>(f: impl FnOnce(&mut T) -> R) -> Result<R, String> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        match s.as_mut().and_then(|b| b.downcast_mut::<T>()) {
            Some(p) => Ok(f(p)),
            None => Err("the host called the plugin before `configure`".to_string()),
        }
    })
}

fn metadata(info: PluginInfo, kind: wit::PluginKind) -> wit::PluginMetadata {
    wit::PluginMetadata {
        name: info.name.into(),
        version: info.version.into(),
        kind,
        description: info.description.into(),
        config: info
            .config
            .iter()
            .map(|k| wit::ConfigKey {
                name: k.name.into(),
                value_type: match k.value_type {
                    ConfigType::String => wit::ConfigType::String,
                    ConfigType::Integer => wit::ConfigType::Integer,
                    ConfigType::Float => wit::ConfigType::Float,
                    ConfigType::Boolean => wit::ConfigType::Boolean,
                    ConfigType::List => wit::ConfigType::List,
                },
                default_value: k.default.map(Into::into),
                required: k.required,
                description: k.description.into(),
            })
            .collect(),
    }
}

fn fail_all(n: usize, message: String) -> Vec<wit::Failure> {
    (0..n as u32)
        .map(|input| wit::Failure {
            input,
            message: message.clone(),
        })
        .collect()
}

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
        let out =
            with_state::<T, _>(|p| plugin::run_convert(p, part, &input)).unwrap_or_else(|e| {
                plugin::ConvertOutput {
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
        let out = with_state::<T, _>(|p| plugin::run_transform(p, &input)).unwrap_or_else(|e| {
            plugin::TransformOutput {
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
        let out = with_state::<T, _>(|p| plugin::run_encode(p, &input)).unwrap_or_else(|e| {
            plugin::EncodeOutput {
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
