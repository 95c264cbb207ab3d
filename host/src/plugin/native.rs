//! Plugins compiled into the process instead of loaded from `.wasm` files:
//! the same batch contract (the wire types of `wit/`, version 0.2), called directly,
//! without the sandbox or its limits. The `sluice` binary registers none;
//! the benchmark's native baseline registers the first-party plugins' own
//! code under their names, to measure what the Wasm boundary costs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The contract's wire types (version 0.2, the SDK's), as a native plugin
/// sees them.
pub mod wire {
    pub use crate::plugin::bindings::v0_2::converter::exports::sluice::plugin::conversion::{
        Conversions, KeptBytes, Part,
    };
    pub use crate::plugin::bindings::v0_2::formatter::exports::sluice::plugin::formatting::{
        Encoded, FormatInfo,
    };
    pub use crate::plugin::bindings::v0_2::transform::exports::sluice::plugin::transformation::Transformed;
    /// A transform's output batch and failures (the transform world's own
    /// types: its batch is owned when it is a result).
    pub use crate::plugin::bindings::v0_2::transform::sluice::plugin::types::{
        BatchResult, Failure as TransformFailure,
    };
    pub use crate::plugin::bindings::v0_2::types::{
        Batch, ConfigKey, ConfigType, Failure, PluginKind, PluginMetadata,
    };
}

/// A configured converter instance.
pub trait NativeConverter: Send {
    /// The contract's `convert`.
    fn convert(&mut self, part: wire::Part, input: &wire::Batch<'_>) -> wire::Conversions;
    /// The contract's `keeps-bytes`; `None` by default.
    fn keeps_bytes(&mut self, part: wire::Part) -> Option<wire::KeptBytes> {
        let _ = part;
        None
    }
}

/// A configured transform instance.
pub trait NativeTransform: Send {
    /// The contract's `transform`.
    fn transform(&mut self, input: &wire::Batch<'_>) -> wire::Transformed;
}

/// A configured formatter instance.
pub trait NativeFormatter: Send {
    /// The contract's `info`.
    fn info(&mut self) -> wire::FormatInfo;
    /// The contract's `header`.
    fn header(&mut self) -> Vec<u8>;
    /// The contract's `trailer`.
    fn trailer(&mut self) -> Vec<u8>;
    /// The contract's `encode`.
    fn encode(&mut self, input: &wire::Batch<'_>) -> wire::Encoded;
    /// The contract's `values-as-is`; false by default.
    fn values_as_is(&mut self) -> bool {
        false
    }
}

/// One configured instance of a native plugin, of its kind.
pub enum NativeInstance {
    Converter(Box<dyn NativeConverter>),
    Transform(Box<dyn NativeTransform>),
    Formatter(Box<dyn NativeFormatter>),
}

/// A plugin compiled into the process.
pub trait NativePlugin: Send + Sync {
    /// What the plugin's `metadata` export would return.
    fn metadata(&self) -> wire::PluginMetadata;
    /// A new instance with `config` (the contract's `configure`); the error
    /// reaches the user verbatim.
    fn instantiate(&self, config: &[(String, String)]) -> Result<NativeInstance, String>;
}

fn registry() -> &'static Mutex<HashMap<String, Arc<dyn NativePlugin>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<String, Arc<dyn NativePlugin>>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// Makes `plugin` answer to its name in manifests of this process, in place
/// of the `.wasm` file of that name.
pub fn register(plugin: Arc<dyn NativePlugin>) {
    let name = plugin.metadata().name;
    registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(name, plugin);
}

/// The native plugin registered under `name`, if any.
pub fn lookup(name: &str) -> Option<Arc<dyn NativePlugin>> {
    registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(name)
        .cloned()
}
