//! The precompiled-component cache: each component is compiled once and the
//! native artifact kept under the host's cache directory, keyed by the
//! component's SHA-256 and the engine's compatibility hash, and loaded by mmap.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where precompiled components live.
#[derive(Clone, Debug)]
pub struct ArtifactCache {
    dir: PathBuf,
}

/// Feeds `Hash` output into SHA-256, so the key is stable across builds.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        0
    }
}

/// The default cache directory: `$SLUICE_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/sluice`, else `~/.cache/sluice`, else a temp dir.
pub fn default_cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SLUICE_CACHE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("sluice");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".cache/sluice"),
        None => std::env::temp_dir().join("sluice-cache"),
    }
}

impl ArtifactCache {
    /// A cache in `dir/components/`, created on first write.
    pub fn new(dir: &Path) -> Self {
        ArtifactCache {
            dir: dir.join("components"),
        }
    }

    /// Where the artifact of `wasm` for `engine` lives.
    pub fn path_for(&self, engine: &Engine, wasm: &[u8]) -> PathBuf {
        let content = hex(&Sha256::digest(wasm));
        let mut h = Sha256Hasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut h);
        let engine_key = hex(&h.0.finalize()[..8]);
        self.dir.join(format!("{content}-{engine_key}.cwasm"))
    }

    /// Loads the cached artifact of `wasm`, compiling and storing it first if
    /// needed. `Err` carries either a compile error or an I/O error.
    pub fn load(&self, engine: &Engine, wasm: &[u8]) -> Result<Component, CacheError> {
        let path = self.path_for(engine, wasm);
        if path.exists() {
            // SAFETY: the file is one this host wrote into its own cache
            // directory with `precompile_component` for an engine with the
            // same compatibility hash (part of the file name).
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(c) => return Ok(c),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "discarding unusable precompiled component")
                }
            }
        }
        let artifact = engine
            .precompile_component(wasm)
            .map_err(|e| CacheError::Compile(format!("{e:#}")))?;
        std::fs::create_dir_all(&self.dir).map_err(|e| CacheError::Io(self.dir.clone(), e))?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, &artifact).map_err(|e| CacheError::Io(tmp.clone(), e))?;
        std::fs::rename(&tmp, &path).map_err(|e| CacheError::Io(path.clone(), e))?;
        // SAFETY: as above; written just now.
        unsafe { Component::deserialize_file(engine, &path) }
            .map_err(|e| CacheError::Compile(format!("{e:#}")))
    }
}

/// Why [`ArtifactCache::load`] failed.
#[derive(Debug)]
pub enum CacheError {
    Compile(String),
    Io(PathBuf, std::io::Error),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
