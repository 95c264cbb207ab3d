//! The native baseline: the first-party plugins' own Rust code, compiled
//! into the process and registered with the host under their names, so the
//! real pipeline runs them without Wasm. The batch still goes through the
//! contract's layout (copied in, as into a guest's memory), so the
//! difference from the Wasm run is the boundary and the sandbox.

use std::marker::PhantomData;
use std::sync::Arc;

use sluice::plugin::native::{
    self, NativeConverter, NativeFormatter, NativeInstance, NativePlugin, NativeTransform, wire,
};
use sluice_sdk::{Converter, Formatter, Plugin, Transform, wit};

/// Registers the native builds of the plugins the benchmark's JSON and
/// passthrough pipelines use.
pub fn register_all() {
    native::register(Arc::new(
        Native::<sluice_plugin_bytes::BytesConverter>::converter(),
    ));
    native::register(Arc::new(
        Native::<sluice_plugin_json::JsonConverter>::converter(),
    ));
    native::register(Arc::new(
        Native::<sluice_plugin_insert_field::InsertField>::transform(),
    ));
    native::register(Arc::new(Native::<sluice_plugin_drop::Drop>::transform()));
    native::register(Arc::new(
        Native::<sluice_plugin_json_batch::JsonBatch>::formatter(),
    ));
}

/// A plugin type `P` of one kind, as a native plugin.
struct Native<P> {
    kind: wire::PluginKind,
    start: fn(P) -> NativeInstance,
    _plugin: PhantomData<fn() -> P>,
}

impl<P: Converter + Send> Native<P> {
    fn converter() -> Self {
        Native {
            kind: wire::PluginKind::Converter,
            start: |p| NativeInstance::Converter(Box::new(Instance(p))),
            _plugin: PhantomData,
        }
    }
}

impl<P: Transform + Send> Native<P> {
    fn transform() -> Self {
        Native {
            kind: wire::PluginKind::Transform,
            start: |p| NativeInstance::Transform(Box::new(Instance(p))),
            _plugin: PhantomData,
        }
    }
}

impl<P: Formatter + Send> Native<P> {
    fn formatter() -> Self {
        Native {
            kind: wire::PluginKind::Formatter,
            start: |p| NativeInstance::Formatter(Box::new(Instance(p))),
            _plugin: PhantomData,
        }
    }
}

impl<P: Plugin> NativePlugin for Native<P> {
    fn metadata(&self) -> wire::PluginMetadata {
        let info = P::INFO;
        wire::PluginMetadata {
            name: info.name.into(),
            version: info.version.into(),
            kind: self.kind,
            description: info.description.into(),
            config: info
                .config
                .iter()
                .map(|k| wire::ConfigKey {
                    name: k.name.into(),
                    value_type: match k.value_type {
                        sluice_sdk::ConfigType::String => wire::ConfigType::String,
                        sluice_sdk::ConfigType::Integer => wire::ConfigType::Integer,
                        sluice_sdk::ConfigType::Float => wire::ConfigType::Float,
                        sluice_sdk::ConfigType::Boolean => wire::ConfigType::Boolean,
                        sluice_sdk::ConfigType::List => wire::ConfigType::List,
                    },
                    default_value: k.default.map(String::from),
                    required: k.required,
                    description: k.description.into(),
                })
                .collect(),
        }
    }

    fn instantiate(&self, config: &[(String, String)]) -> Result<NativeInstance, String> {
        sluice_sdk::configure::<P>(config.to_vec()).map(self.start)
    }
}

/// A configured plugin.
struct Instance<P>(P);

impl<P: Converter + Send> NativeConverter for Instance<P> {
    fn convert(&mut self, part: wire::Part, input: &wire::Batch<'_>) -> wire::Conversions {
        let part = match part {
            wire::Part::Key => sluice_sdk::Part::Key,
            wire::Part::Value => sluice_sdk::Part::Value,
        };
        let out = sluice_sdk::run_convert(&mut self.0, part, &batch_in(input));
        wire::Conversions {
            data: out.data,
            items: out.items,
            schemas: out.schemas,
            failures: failures_out(out.failures),
        }
    }
}

impl<P: Transform + Send> NativeTransform for Instance<P> {
    fn transform(&mut self, input: &wire::Batch<'_>) -> wire::Transformed {
        let out = sluice_sdk::run_transform(&mut self.0, &batch_in(input));
        wire::Transformed {
            output: wire::BatchResult {
                data: out.output.data,
                records: out.output.records,
                headers: out.output.headers,
                schemas: out.output.schemas,
            },
            failures: out
                .failures
                .into_iter()
                .map(|f| wire::TransformFailure {
                    input: f.input,
                    message: f.message,
                })
                .collect(),
        }
    }
}

impl<P: Formatter + Send> NativeFormatter for Instance<P> {
    fn info(&mut self) -> wire::FormatInfo {
        let info = self.0.info();
        wire::FormatInfo {
            content_type: info.content_type,
            extension: info.extension,
            prefix: info.prefix,
            separator: info.separator,
            suffix: info.suffix,
        }
    }

    fn header(&mut self) -> Vec<u8> {
        self.0.header()
    }

    fn trailer(&mut self) -> Vec<u8> {
        self.0.trailer()
    }

    fn encode(&mut self, input: &wire::Batch<'_>) -> wire::Encoded {
        let out = sluice_sdk::run_encode(&mut self.0, &batch_in(input));
        wire::Encoded {
            data: out.data,
            items: out.items,
            failures: failures_out(out.failures),
        }
    }
}

/// The host's batch as the SDK reads it; the bytes are copied, as they are
/// into a guest's memory.
fn batch_in(b: &wire::Batch<'_>) -> wit::Batch {
    wit::Batch {
        data: b.data.to_vec(),
        records: b.records.to_vec(),
        headers: b.headers.to_vec(),
        schemas: b.schemas.iter().map(|s| s.to_string()).collect(),
    }
}

fn failures_out(f: Vec<wit::Failure>) -> Vec<wire::Failure> {
    f.into_iter()
        .map(|f| wire::Failure {
            input: f.input,
            message: f.message,
        })
        .collect()
}
