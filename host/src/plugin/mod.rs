//! The plugin runtime: loading components, checking what they are, and
//! calling them with whole batches under memory and time limits.

mod arena;
mod bindings;
mod cache;
mod error;
mod flat;
mod format;
mod grants;
mod instance;
mod limits;
mod metadata;
pub mod native;
mod pool;
pub mod registry;
mod runtime;
mod store;

pub use cache::{PrivateDirError, default_cache_dir, private_dir};
pub use error::{CallError, ConfigureError, LoadError};
pub use format::FormatInfo;
pub use grants::{Capability, DirGrant, Grants, Sandbox};
pub use limits::{DEFAULT_CALL_TIMEOUT_MS, DEFAULT_CPU_DEADLINE_MS, DEFAULT_MEMORY_MIB, Limits};
pub use metadata::{CONNECT_CLASS_KEY, ConfigKey, FORMAT_SCOPE_KEY, Metadata, PluginKind};
pub use pool::{
    ConfiguredPlugin, Conversion, FormatterSession, Part, ReplyArena, TransformOutcome,
    apply_conversion, bounded,
};
pub use runtime::{
    CONTRACT_VERSION, CONTRACT_VERSIONS, Contract, EngineError, LoadedPlugin, Runtime,
    engine_config,
};
