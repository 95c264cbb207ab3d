//! Reading the small files a config names (secrets, properties,
//! certificates and keys): regular files only, up to a size, so a name like
//! `/dev/zero` or a pipe can neither exhaust memory nor hang a start.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest file read this way: certificates, keys and secrets are small.
pub const MAX_SMALL_FILE: u64 = 1 << 20;

/// Why a small file could not be read; the message names the path.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {reason}", path.display())]
pub struct FileError {
    pub path: PathBuf,
    pub reason: FileProblem,
}

/// What was wrong with the file.
#[derive(Debug, thiserror::Error)]
pub enum FileProblem {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("not a regular file")]
    NotRegular,
    #[error("{0} bytes, more than the {MAX_SMALL_FILE} read here")]
    TooBig(u64),
    #[error("not UTF-8 text")]
    NotUtf8,
}

/// The bytes of the regular file at `path`, at most [`MAX_SMALL_FILE`].
pub fn read_small(path: &Path) -> Result<Vec<u8>, FileError> {
    let cannot = |reason: FileProblem| FileError {
        path: path.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| cannot(e.into()))?;
    let meta = file.metadata().map_err(|e| cannot(e.into()))?;
    if !meta.is_file() {
        return Err(cannot(FileProblem::NotRegular));
    }
    if meta.len() > MAX_SMALL_FILE {
        return Err(cannot(FileProblem::TooBig(meta.len())));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_SMALL_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(e.into()))?;
    Ok(bytes)
}

/// Whether `path` lies under one of `allowed` once both are resolved, so
/// neither `..` nor a symbolic link can lead out. A path that does not exist
/// lies nowhere.
pub fn under(path: &Path, allowed: &[PathBuf]) -> bool {
    let Ok(real) = std::fs::canonicalize(path) else {
        return false;
    };
    allowed.iter().any(|a| {
        std::fs::canonicalize(a)
            .map(|a| real.starts_with(a))
            .unwrap_or(false)
    })
}

/// [`read_small`] as UTF-8 text.
pub fn read_small_text(path: &Path) -> Result<String, FileError> {
    String::from_utf8(read_small(path)?).map_err(|_| FileError {
        path: path.to_path_buf(),
        reason: FileProblem::NotUtf8,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_directories_are_refused() {
        for path in ["/dev/zero", "/"] {
            let e = read_small(Path::new(path)).unwrap_err();
            assert!(matches!(e.reason, FileProblem::NotRegular), "{path}: {e}");
            assert_eq!(
                e.to_string(),
                format!("cannot read {path}: not a regular file")
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a");
        std::fs::write(&f, "x").unwrap();
        assert_eq!(read_small_text(&f).unwrap(), "x");
    }
}
