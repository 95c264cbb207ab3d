//! The precompiled-component cache: each component is compiled once and the
//! native artifact kept under the host's cache directory, keyed by the
//! component's SHA-256 and the engine's compatibility hash.
//!
//! An artifact is native code, so it is run only when this host provably
//! wrote it for this component: each file carries an HMAC-SHA256 over the
//! component's digest, the engine's hash and the artifact, under a key only
//! this user can read (`<cache>/artifact-key`, 0600). A file that fails the
//! check (copied from another plugin's entry, crafted, truncated) is
//! compiled again, never run. The directory is created 0700 and refused
//! when another user owns it or others may write to it; files are opened
//! without following symbolic links, and an artifact is deserialized from
//! the very bytes that were checked.

use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The first bytes of an artifact file: format version, then the 32-byte tag.
const MAGIC: &[u8; 16] = b"sluice-cwasm-v1\n";
const TAG_LEN: usize = 32;

/// Where precompiled components live, and the key that authenticates them.
#[derive(Clone)]
pub struct ArtifactCache {
    dir: PathBuf,
    key: [u8; 32],
}

impl std::fmt::Debug for ArtifactCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArtifactCache")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
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
/// `$XDG_CACHE_HOME/sluice`, else `~/.cache/sluice`. `None` when none of
/// them is set: a shared fallback such as `/tmp` would let another user
/// plant artifacts.
pub fn default_cache_dir() -> Option<PathBuf> {
    let non_empty = |v: std::ffi::OsString| (!v.is_empty()).then(|| PathBuf::from(v));
    std::env::var_os("SLUICE_CACHE_DIR")
        .and_then(non_empty)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .and_then(non_empty)
                .map(|d| d.join("sluice"))
        })
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(non_empty)
                .map(|h| h.join(".cache/sluice"))
        })
}

/// A directory that holds what this process trusts.
#[derive(Debug, thiserror::Error)]
pub enum PrivateDirError {
    #[error("{path}: cannot create it: {error}")]
    Create {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: cannot read it: {error}")]
    Inspect {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(
        "{path}: not a directory (a symbolic link or a file is refused): remove it or choose another cache directory"
    )]
    NotADirectory { path: PathBuf },
    #[error(
        "{path}: owned by user {owner}, not by this user ({me}): choose a cache directory of your own (--cache-dir or $SLUICE_CACHE_DIR)"
    )]
    Owner { path: PathBuf, owner: u32, me: u32 },
    #[error("{path}: other users may write to it (mode {mode:o}): run `chmod 700 {path}`")]
    Writable { path: PathBuf, mode: u32 },
}

/// Creates `dir` (and its parents) with mode 0700 if missing, and checks
/// that it is a real directory of this user that nobody else may write to.
pub fn private_dir(dir: &Path) -> Result<(), PrivateDirError> {
    if std::fs::symlink_metadata(dir).is_err() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|error| PrivateDirError::Create {
                path: dir.into(),
                error,
            })?;
    }
    let meta = std::fs::symlink_metadata(dir).map_err(|error| PrivateDirError::Inspect {
        path: dir.into(),
        error,
    })?;
    if !meta.file_type().is_dir() {
        return Err(PrivateDirError::NotADirectory { path: dir.into() });
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(PrivateDirError::Owner {
            path: dir.into(),
            owner: meta.uid(),
            me,
        });
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o022 != 0 {
        return Err(PrivateDirError::Writable {
            path: dir.into(),
            mode,
        });
    }
    Ok(())
}

/// Opens `path` for reading without following a symbolic link.
fn open_nofollow(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// Creates `path` (which must not exist) for writing, readable by this user only.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// This host's artifact key, made on first use.
fn artifact_key(dir: &Path) -> Result<[u8; 32], CacheError> {
    let path = dir.join("artifact-key");
    let io = |e: std::io::Error| CacheError::Io(path.clone(), e);
    loop {
        match open_nofollow(&path) {
            Ok(mut f) => {
                let meta = f.metadata().map_err(io)?;
                // SAFETY: as in `private_dir`.
                let me = unsafe { libc::geteuid() };
                if meta.uid() != me || meta.permissions().mode() & 0o077 != 0 {
                    return Err(CacheError::Io(
                        path.clone(),
                        std::io::Error::other(
                            "the artifact key must belong to this user with mode 0600: delete it to make a new one",
                        ),
                    ));
                }
                let mut key = [0u8; 32];
                f.read_exact(&mut key).map_err(io)?;
                return Ok(key);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                getrandom::getrandom(&mut key)
                    .map_err(|e| io(std::io::Error::other(e.to_string())))?;
                // Written whole under a name of its own, then linked into
                // place: a concurrent start reads either no key or a whole one.
                let tmp = dir.join(format!("artifact-key.tmp{}", std::process::id()));
                let _ = std::fs::remove_file(&tmp);
                let written = create_private(&tmp)
                    .and_then(|mut f| f.write_all(&key).and_then(|()| f.sync_all()));
                let linked = written.and_then(|()| std::fs::hard_link(&tmp, &path));
                let _ = std::fs::remove_file(&tmp);
                match linked {
                    Ok(()) => return Ok(key),
                    // Another process made it first: read theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(io(e)),
                }
            }
            Err(e) => return Err(io(e)),
        }
    }
}

impl ArtifactCache {
    /// A cache in `dir/components/`, with `dir` made private and the key read
    /// or made.
    pub fn open(dir: &Path) -> Result<Self, CacheError> {
        private_dir(dir).map_err(CacheError::Dir)?;
        let components = dir.join("components");
        private_dir(&components).map_err(CacheError::Dir)?;
        Ok(ArtifactCache {
            dir: components,
            key: artifact_key(dir)?,
        })
    }

    /// The content digest and the engine key of `wasm` for `engine`.
    fn keys(engine: &Engine, wasm: &[u8]) -> ([u8; 32], [u8; 8]) {
        let content: [u8; 32] = Sha256::digest(wasm).into();
        let mut h = Sha256Hasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut h);
        let mut engine_key = [0u8; 8];
        engine_key.copy_from_slice(&h.0.finalize()[..8]);
        (content, engine_key)
    }

    /// Where the artifact of `wasm` for `engine` lives.
    pub fn path_for(&self, engine: &Engine, wasm: &[u8]) -> PathBuf {
        let (content, engine_key) = Self::keys(engine, wasm);
        self.dir
            .join(format!("{}-{}.cwasm", hex(&content), hex(&engine_key)))
    }

    /// The tag of `artifact`, compiled from the component with `content`
    /// digest for the engine with `engine_key`.
    fn tag(&self, content: &[u8; 32], engine_key: &[u8; 8], artifact: &[u8]) -> HmacSha256 {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes a key of any length");
        mac.update(MAGIC);
        mac.update(content);
        mac.update(engine_key);
        mac.update(artifact);
        mac
    }

    /// The artifact in `path` if its tag proves this host wrote it for this
    /// component and engine; `None` (with the reason logged) otherwise.
    fn read_checked(
        &self,
        path: &Path,
        content: &[u8; 32],
        engine_key: &[u8; 8],
    ) -> Option<Vec<u8>> {
        let mut f = match open_nofollow(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot open a precompiled component: compiling again");
                return None;
            }
        };
        let mut bytes = Vec::new();
        if let Err(e) = f.read_to_end(&mut bytes) {
            tracing::warn!(path = %path.display(), error = %e, "cannot read a precompiled component: compiling again");
            return None;
        }
        let header = MAGIC.len() + TAG_LEN;
        let authentic = bytes.len() > header
            && &bytes[..MAGIC.len()] == MAGIC
            && self
                .tag(content, engine_key, &bytes[header..])
                .verify_slice(&bytes[MAGIC.len()..header])
                .is_ok();
        if !authentic {
            tracing::warn!(path = %path.display(), "refusing a precompiled component this host did not write for this plugin: compiling again");
            return None;
        }
        bytes.drain(..header);
        Some(bytes)
    }

    /// Loads the cached artifact of `wasm`, compiling and storing it first if
    /// needed. `Err` carries either a compile error or an I/O error.
    pub fn load(&self, engine: &Engine, wasm: &[u8]) -> Result<Component, CacheError> {
        let (content, engine_key) = Self::keys(engine, wasm);
        let path = self.path_for(engine, wasm);
        if let Some(artifact) = self.read_checked(&path, &content, &engine_key) {
            // SAFETY: these bytes carry a tag under this host's private key
            // over this component's digest and this engine's hash: this host
            // wrote them with `precompile_component` for this very component.
            match unsafe { Component::deserialize(engine, &artifact) } {
                Ok(c) => return Ok(c),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "discarding unusable precompiled component")
                }
            }
        }
        let artifact = engine
            .precompile_component(wasm)
            .map_err(|e| CacheError::Compile(format!("{e:#}")))?;
        let tag = self
            .tag(&content, &engine_key, &artifact)
            .finalize()
            .into_bytes();
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let written = create_private(&tmp).and_then(|mut f| {
            f.write_all(MAGIC)?;
            f.write_all(&tag)?;
            f.write_all(&artifact)?;
            f.sync_all()
        });
        match written.and_then(|()| std::fs::rename(&tmp, &path)) {
            Ok(()) => {}
            Err(e) => {
                // The artifact is in memory: run it, and say why it is not kept.
                let _ = std::fs::remove_file(&tmp);
                tracing::warn!(path = %path.display(), error = %e, "cannot keep a precompiled component; it will be compiled again next time");
            }
        }
        // SAFETY: compiled just now by this engine from `wasm`.
        unsafe { Component::deserialize(engine, &artifact) }
            .map_err(|e| CacheError::Compile(format!("{e:#}")))
    }
}

/// Why the cache could not be opened or [`ArtifactCache::load`] failed.
#[derive(Debug)]
pub enum CacheError {
    Compile(String),
    Io(PathBuf, std::io::Error),
    Dir(PrivateDirError),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_directory_must_be_private() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("a/b");
        private_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = private_dir(&dir).unwrap_err().to_string();
        assert!(err.contains("chmod 700"), "{err}");
        let link = base.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        let err = private_dir(&link).unwrap_err().to_string();
        assert!(err.contains("not a directory"), "{err}");
    }

    #[test]
    fn a_swapped_or_forged_artifact_is_compiled_again_not_run() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::new(&super::super::engine_config()).unwrap();
        let cache = ArtifactCache::open(dir.path()).unwrap();
        // An empty component, and one with a custom section "foo".
        let a = b"\0asm\x0d\x00\x01\x00".to_vec();
        let b = b"\0asm\x0d\x00\x01\x00\x00\x04\x03foo".to_vec();
        cache.load(&engine, &a).unwrap();
        cache.load(&engine, &b).unwrap();
        let (pa, pb) = (cache.path_for(&engine, &a), cache.path_for(&engine, &b));
        let (ca, cb) = (Sha256::digest(&a).into(), Sha256::digest(&b).into());
        let (_, ek) = ArtifactCache::keys(&engine, &a);
        assert!(cache.read_checked(&pa, &ca, &ek).is_some());
        // b's artifact under a's name: its tag names b, so it is refused.
        std::fs::copy(&pb, &pa).unwrap();
        assert!(cache.read_checked(&pa, &ca, &ek).is_none());
        assert!(cache.read_checked(&pb, &cb, &ek).is_some());
        // A raw wasmtime artifact (no tag) is refused too.
        std::fs::write(&pa, engine.precompile_component(&a).unwrap()).unwrap();
        assert!(cache.read_checked(&pa, &ca, &ek).is_none());
        // load() compiles again and rewrites it.
        cache.load(&engine, &a).unwrap();
        assert!(cache.read_checked(&pa, &ca, &ek).is_some());
        // Another cache directory has another key.
        let other = tempfile::tempdir().unwrap();
        let cache2 = ArtifactCache::open(other.path()).unwrap();
        assert!(cache2.read_checked(&pa, &ca, &ek).is_none());
    }
}
