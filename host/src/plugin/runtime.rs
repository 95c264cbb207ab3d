//! The Wasm engine shared by all plugins: configuration, the epoch ticker,
//! and loading a component file into a checked, pre-instantiated plugin.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use super::bindings::v0_2::{
    converter as converter2, formatter as formatter2, log as log2, schema_registry,
    transform as transform2,
};
use super::bindings::{converter, formatter, log, transform};
use super::cache::{ArtifactCache, CacheError};
use super::error::{CallError, ConfigureError, LoadError};
use super::grants::Capability;
use super::grants::Sandbox;
use super::instance::{EPOCH_TICK, Exports, Instance, Pre};
use super::metadata::{Metadata, PluginKind};
use super::pool::ConfiguredPlugin;
use super::store::StoreState;

/// The newest contract version this host implements.
pub const CONTRACT_VERSION: &str = "0.2.0";

/// The contract versions this host loads, oldest first.
pub const CONTRACT_VERSIONS: &str = "0.1.0 and 0.2.0";

/// A contract version a plugin speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Contract {
    /// `sluice:plugin@0.1.0`: no schemas, `list<record>` indexes.
    #[serde(rename = "0.1.0")]
    V0_1,
    /// `sluice:plugin@0.2.0`: schemas, flat indexes, kept bytes, capabilities.
    #[serde(rename = "0.2.0")]
    V0_2,
}

impl Contract {
    /// The version as the WIT package names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Contract::V0_1 => "0.1.0",
            Contract::V0_2 => "0.2.0",
        }
    }

    fn parse(version: &str) -> Option<Self> {
        match version {
            "0.1.0" => Some(Contract::V0_1),
            "0.2.0" => Some(Contract::V0_2),
            _ => None,
        }
    }
}

impl std::fmt::Display for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The engine could not be created.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the WebAssembly engine: {0}")]
pub struct EngineError(String);

/// Compiles, checks and instantiates plugins. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    linker: Linker<StoreState>,
    cache: ArtifactCache,
    /// Where plugins named by URL are downloaded to (`<cache_dir>/downloads`).
    downloads: PathBuf,
    stop_ticker: Arc<AtomicBool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}

/// A plugin file that loaded: checked, compiled and described.
pub struct LoadedPlugin {
    pub path: PathBuf,
    pub metadata: Metadata,
    /// The contract version it was built for.
    pub contract: Contract,
    /// The host capabilities it imports: each must be granted to start it.
    pub capabilities: Vec<Capability>,
    pub(crate) pre: Pre,
    /// Keeps the engine's epoch ticker running while the plugin exists.
    _runtime: Runtime,
}

/// The engine configuration every plugin runs under: epoch interruption for
/// CPU deadlines, and no concurrency support (plain calls are cheaper).
pub fn engine_config() -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true).concurrency_support(false);
    // `SLUICE_WASM_PERFMAP=1` writes /tmp/perf-<pid>.map, so `perf report`
    // names the plugins' functions instead of showing raw JIT addresses.
    if std::env::var_os("SLUICE_WASM_PERFMAP").is_some_and(|v| v == "1") {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    config
}

impl Runtime {
    /// An engine configured by [`engine_config`], WASI and the log import
    /// linked, and precompiled artifacts in `cache_dir`.
    pub fn new(cache_dir: &Path) -> Result<Self, EngineError> {
        let cache = ArtifactCache::open(cache_dir).map_err(|e| {
            EngineError(match e {
                CacheError::Dir(d) => format!("the plugin cache directory {d}"),
                CacheError::Io(p, e) => format!("the plugin cache: {}: {e}", p.display()),
                CacheError::Compile(m) => m,
            })
        })?;
        let engine = Engine::new(&engine_config()).map_err(|e| EngineError(e.to_string()))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| EngineError(e.to_string()))?;
        log::add_to_linker::<StoreState, wasmtime::component::HasSelf<StoreState>>(
            &mut linker,
            |s| s,
        )
        .map_err(|e| EngineError(e.to_string()))?;
        log2::add_to_linker::<StoreState, wasmtime::component::HasSelf<StoreState>>(
            &mut linker,
            |s| s,
        )
        .map_err(|e| EngineError(e.to_string()))?;
        schema_registry::add_to_linker::<StoreState, wasmtime::component::HasSelf<StoreState>>(
            &mut linker,
            |s| s,
        )
        .map_err(|e| EngineError(e.to_string()))?;
        let stop_ticker = Arc::new(AtomicBool::new(false));
        let (ticker_engine, stop) = (engine.clone(), stop_ticker.clone());
        std::thread::Builder::new()
            .name("sluice-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    ticker_engine.increment_epoch();
                }
            })
            .map_err(|e| EngineError(e.to_string()))?;
        Ok(Runtime {
            inner: Arc::new(Inner {
                engine,
                linker,
                cache,
                downloads: cache_dir.join("downloads"),
                stop_ticker,
            }),
        })
    }

    /// Where plugins named by URL are downloaded to, one directory per
    /// SHA-256 digest.
    pub fn download_dir(&self) -> &Path {
        &self.inner.downloads
    }

    /// Loads one plugin file: reads it, checks it is a Sluice component of a
    /// supported contract version, compiles it (or loads the cached
    /// artifact), links it, and reads its metadata.
    pub async fn load(&self, path: &Path) -> Result<Arc<LoadedPlugin>, LoadError> {
        let path = path.to_path_buf();
        let wasm = std::fs::read(&path).map_err(|error| LoadError::Read {
            path: path.clone(),
            error,
        })?;
        if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
            return Err(LoadError::NotWasm { path });
        }
        if wasm[4..8] == [1, 0, 0, 0] {
            return Err(LoadError::CoreModule { path });
        }
        let (engine, cache) = (self.inner.engine.clone(), self.inner.cache.clone());
        let compiled = tokio::task::spawn_blocking(move || cache.load(&engine, &wasm))
            .await
            .map_err(|e| LoadError::Compile {
                path: path.clone(),
                message: e.to_string(),
            })?;
        let component = compiled.map_err(|e| match e {
            // The kernel refused to map the machine code executable
            // (MemoryDenyWriteExecute, PR_SET_MDWE): not the file's fault.
            CacheError::Compile(message) if message.contains("make memory executable") => {
                LoadError::NoExecutableMemory {
                    path: path.clone(),
                    message,
                }
            }
            CacheError::Compile(message) => LoadError::Compile {
                path: path.clone(),
                message,
            },
            CacheError::Io(p, error) => LoadError::Cache { path: p, error },
            CacheError::Dir(d) => LoadError::Cache {
                path: path.clone(),
                error: std::io::Error::other(d.to_string()),
            },
        })?;
        let (kind, contract) = self.exported_kind(&path, &component)?;
        let pre = self.pre_instantiate(&path, kind, contract, &component)?;
        let capabilities = capabilities_imported(&self.inner.engine, &component);
        let mut instance = Instance::new(
            &pre,
            Arc::from(file_stem(&path)),
            &Sandbox::default(),
            None,
            super::store::PluginLog::new(),
        )
        .await
        .map_err(|source| LoadError::Metadata {
            path: path.clone(),
            source,
        })?;
        let metadata: Metadata = instance
            .call(async |store, exports| match exports {
                Exports::Converter(c) => c
                    .sluice_plugin_conversion()
                    .call_metadata(store)
                    .await
                    .map(Metadata::from),
                Exports::Transform(t) => t
                    .sluice_plugin_transformation()
                    .call_metadata(store)
                    .await
                    .map(Metadata::from),
                Exports::Formatter(f) => f
                    .sluice_plugin_formatting()
                    .call_metadata(store)
                    .await
                    .map(Metadata::from),
                Exports::Converter2(c) => c
                    .sluice_plugin_conversion()
                    .call_metadata(store)
                    .await
                    .map(Metadata::from),
                Exports::Transform2(t) => t
                    .sluice_plugin_transformation()
                    .call_metadata(store)
                    .await
                    .map(Metadata::from),
                Exports::Formatter2(f) => f
                    .sluice_plugin_formatting()
                    .call_metadata(store)
                    .await
                    .map(Metadata::from),
            })
            .await
            .map_err(|source| LoadError::Metadata {
                path: path.clone(),
                source,
            })?;
        if metadata.kind != kind {
            return Err(LoadError::KindMismatch {
                path,
                declared: metadata.kind.as_str(),
                exported: kind.interface(),
            });
        }
        if let Err(message) = metadata.check_consistent() {
            return Err(LoadError::InconsistentMetadata { path, message });
        }
        Ok(Arc::new(LoadedPlugin {
            path,
            metadata,
            contract,
            capabilities,
            pre,
            _runtime: self.clone(),
        }))
    }

    /// Loads every `*.wasm` file of `dir`, sorted by name. A broken file gives
    /// its error in place; the others still load.
    pub async fn load_dir(
        &self,
        dir: &Path,
    ) -> std::io::Result<Vec<(PathBuf, Result<Arc<LoadedPlugin>, LoadError>)>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "wasm") && p.is_file())
            .collect();
        files.sort();
        let mut out = Vec::with_capacity(files.len());
        for f in files {
            let loaded = self.load(&f).await;
            out.push((f, loaded));
        }
        Ok(out)
    }

    /// The plugins of `dir` that load; a broken file is left out (`sluice
    /// plugins` says why), and a missing directory holds none.
    pub async fn load_dir_ok(&self, dir: &Path) -> Vec<Arc<LoadedPlugin>> {
        self.load_dir(dir)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(_, r)| r.ok())
            .collect()
    }

    /// Starts a plugin with its configuration in its sandbox (limits, or
    /// limits and grants): checks the keys against its metadata, then
    /// instantiates and configures a first instance, so a bad configuration
    /// is reported now, not at the first record.
    pub async fn configure(
        &self,
        plugin: Arc<LoadedPlugin>,
        config: Vec<(String, String)>,
        sandbox: impl Into<Sandbox>,
    ) -> Result<ConfiguredPlugin, ConfigureError> {
        ConfiguredPlugin::start(plugin, config, sandbox.into()).await
    }

    fn exported_kind(
        &self,
        path: &Path,
        component: &Component,
    ) -> Result<(PluginKind, Contract), LoadError> {
        let ty = component.component_type();
        let names: Vec<String> = ty
            .exports(&self.inner.engine)
            .map(|(name, _)| name.to_string())
            .collect();
        let mut kinds = Vec::new();
        for name in &names {
            let Some(rest) = name.strip_prefix("sluice:plugin/") else {
                continue;
            };
            let (interface, version) = rest.split_once('@').unwrap_or((rest, "?"));
            let kind = match interface {
                "conversion" => PluginKind::Converter,
                "transformation" => PluginKind::Transform,
                "formatting" => PluginKind::Formatter,
                _ => continue,
            };
            let Some(contract) = Contract::parse(version) else {
                return Err(LoadError::UnsupportedContract {
                    path: path.to_path_buf(),
                    found: version.to_string(),
                    supported: CONTRACT_VERSIONS,
                });
            };
            kinds.push((kind, contract));
        }
        match kinds.as_slice() {
            [one] => Ok(*one),
            [] => Err(LoadError::NotAPlugin {
                path: path.to_path_buf(),
                exports: if names.is_empty() {
                    "nothing".into()
                } else {
                    names.join(", ")
                },
            }),
            _ => Err(LoadError::SeveralKinds {
                path: path.to_path_buf(),
                kinds: kinds
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    fn pre_instantiate(
        &self,
        path: &Path,
        kind: PluginKind,
        contract: Contract,
        component: &Component,
    ) -> Result<Pre, LoadError> {
        let wrong = |e: wasmtime::Error| LoadError::WrongWorld {
            path: path.to_path_buf(),
            contract: contract.as_str(),
            kind: kind.as_str(),
            message: format!("{e:#}"),
        };
        let pre = self
            .inner
            .linker
            .instantiate_pre(component)
            .map_err(wrong)?;
        Ok(match (kind, contract) {
            (PluginKind::Converter, Contract::V0_1) => {
                Pre::Converter(converter::ConverterPre::new(pre).map_err(wrong)?)
            }
            (PluginKind::Transform, Contract::V0_1) => {
                Pre::Transform(transform::TransformPre::new(pre).map_err(wrong)?)
            }
            (PluginKind::Formatter, Contract::V0_1) => {
                Pre::Formatter(formatter::FormatterPre::new(pre).map_err(wrong)?)
            }
            (PluginKind::Converter, Contract::V0_2) => {
                Pre::Converter2(converter2::ConverterPre::new(pre).map_err(wrong)?)
            }
            (PluginKind::Transform, Contract::V0_2) => {
                Pre::Transform2(transform2::TransformPre::new(pre).map_err(wrong)?)
            }
            (PluginKind::Formatter, Contract::V0_2) => {
                Pre::Formatter2(formatter2::FormatterPre::new(pre).map_err(wrong)?)
            }
        })
    }
}

/// The host capabilities a component imports.
fn capabilities_imported(engine: &Engine, component: &Component) -> Vec<Capability> {
    let mut found: Vec<Capability> = component
        .component_type()
        .imports(engine)
        .filter_map(|(name, _)| Capability::of_import(name))
        .collect();
    found.sort();
    found.dedup();
    found
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

impl LoadedPlugin {
    /// The plugin's name (from its metadata).
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub(crate) async fn instantiate(
        &self,
        sandbox: &Sandbox,
        registry: Option<Arc<super::registry::RegistryClient>>,
        log: super::store::PluginLog,
    ) -> Result<Instance, CallError> {
        Instance::new(
            &self.pre,
            Arc::from(self.metadata.name.as_str()),
            sandbox,
            registry,
            log,
        )
        .await
    }
}
