//! What can go wrong loading, configuring and calling a plugin. Every
//! message names the file or plugin and, where it can, what to do.

use std::path::PathBuf;

/// A plugin file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    // `error`, not `source`: a source would be printed twice, once in this
    // message and once more in the chain the CLI prints.
    #[error("{path}: cannot read the plugin file: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: not a WebAssembly file (it does not start with the \\0asm magic)")]
    NotWasm { path: PathBuf },
    #[error(
        "{path}: a core WebAssembly module, not a component: build the plugin for wasm32-wasip2 \
         (`cargo build --target wasm32-wasip2`) or wrap it with `wasm-tools component new`"
    )]
    CoreModule { path: PathBuf },
    #[error("{path}: invalid or truncated component: {message}")]
    Compile { path: PathBuf, message: String },
    #[error(
        "{path}: this process may not make memory executable ({message}), which running \
         compiled plugins needs: remove systemd's MemoryDenyWriteExecute=yes (or the W^X \
         policy of your sandbox) from the service that runs sluice"
    )]
    NoExecutableMemory { path: PathBuf, message: String },
    #[error(
        "{path}: not a Sluice plugin: it exports none of sluice:plugin/conversion, \
         transformation or formatting (it exports: {exports})"
    )]
    NotAPlugin { path: PathBuf, exports: String },
    #[error(
        "{path}: built for plugin contract sluice:plugin@{found}, but this host supports \
         sluice:plugin@{supported}: rebuild the plugin with a matching SDK"
    )]
    UnsupportedContract {
        path: PathBuf,
        found: String,
        supported: &'static str,
    },
    #[error(
        "{path}: exports several plugin kinds ({kinds}); a plugin is one converter, transform or formatter"
    )]
    SeveralKinds { path: PathBuf, kinds: String },
    #[error("{path}: does not fit the sluice:plugin@{contract} {kind} world: {message}")]
    WrongWorld {
        path: PathBuf,
        contract: &'static str,
        kind: &'static str,
        message: String,
    },
    #[error("{path}: failed while describing itself (metadata): {source}")]
    Metadata { path: PathBuf, source: CallError },
    #[error(
        "{path}: its metadata says it is a {declared}, but it exports the {exported} interface"
    )]
    KindMismatch {
        path: PathBuf,
        declared: &'static str,
        exported: &'static str,
    },
    #[error(
        "{path}: its metadata contradicts itself: {message}; fix the plugin's declared config keys"
    )]
    InconsistentMetadata { path: PathBuf, message: String },
    #[error("precompiled-component cache {path}: {error}")]
    Cache {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// A plugin refused its configuration, or could not be started with it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigureError {
    #[error("plugin `{plugin}` rejected its configuration: {message}")]
    Rejected { plugin: String, message: String },
    #[error("plugin `{plugin}` failed to start: {source}")]
    Start { plugin: String, source: CallError },
    #[error(
        "plugin `{plugin}` imports the {capability} capability, which it was not granted: add capabilities = [\"{capability}\"] to its manifest block (`sluice plugin test`: --capability {capability})"
    )]
    NotGranted {
        plugin: String,
        capability: &'static str,
    },
    #[error("plugin `{plugin}`: the schema-registry capability: {message}")]
    Registry { plugin: String, message: String },
}

/// A call into a plugin failed as a whole: every record of the batch is
/// affected, and the instance that failed has been thrown away.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("plugin `{plugin}` trapped: {message}")]
    Trap {
        plugin: String,
        message: String,
        /// The whole error chain, with the WebAssembly backtrace when there is one.
        detail: String,
    },
    #[error(
        "plugin `{plugin}` hit its memory limit of {limit_mib} MiB (raise memory_limit_mib if it needs more)"
    )]
    MemoryLimit { plugin: String, limit_mib: usize },
    #[error("plugin `{plugin}` used more than its CPU deadline of {ms} ms in one call")]
    Deadline { plugin: String, ms: u128 },
    #[error("plugin `{plugin}` did not return within its timeout of {ms} ms")]
    Timeout { plugin: String, ms: u128 },
    #[error("plugin `{plugin}` returned a malformed reply: {message}")]
    BadReply { plugin: String, message: String },
    #[error("plugin `{plugin}`: {message}")]
    Sandbox { plugin: String, message: String },
    #[error(
        "plugin `{plugin}` is a {kind}, not a {wanted}: check the manifest's plugin for this stage"
    )]
    WrongKind {
        plugin: String,
        kind: &'static str,
        wanted: &'static str,
    },
    /// Something outside the plugin that the host reaches for it (the
    /// schema registry) is down: not the records' fault; the call is
    /// retried until it answers.
    #[error("plugin `{plugin}`: {message}")]
    Outage { plugin: String, message: String },
}

impl CallError {
    /// Whether the call failed on an outage of something the host reaches
    /// for the plugin: retried until it ends, never blamed on the records.
    pub fn is_outage(&self) -> bool {
        matches!(self, CallError::Outage { .. })
    }

    /// The message with every detail there is: for a trap, the backtrace.
    pub fn detail(&self) -> String {
        match self {
            CallError::Trap { detail, .. } => format!("{self}\n{detail}"),
            other => other.to_string(),
        }
    }

    /// The plugin the error is about.
    pub fn plugin(&self) -> &str {
        match self {
            CallError::Trap { plugin, .. }
            | CallError::MemoryLimit { plugin, .. }
            | CallError::Deadline { plugin, .. }
            | CallError::Timeout { plugin, .. }
            | CallError::BadReply { plugin, .. }
            | CallError::Sandbox { plugin, .. }
            | CallError::WrongKind { plugin, .. }
            | CallError::Outage { plugin, .. } => plugin,
        }
    }
}
