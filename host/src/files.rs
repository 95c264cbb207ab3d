//! Reading the small files a config names (secrets, properties,
//! certificates and keys): regular files only, up to a size, so a name like
//! `/dev/zero` or a pipe can neither exhaust memory nor hang a start.

use std::io::Read;
use std::path::Path;

/// Largest file read this way: certificates, keys and secrets are small.
pub const MAX_SMALL_FILE: u64 = 1 << 20;

/// The bytes of the regular file at `path`, at most [`MAX_SMALL_FILE`]; the
/// error says why not, naming the path.
pub fn read_small(path: &Path) -> Result<Vec<u8>, String> {
    let cannot = |e: &dyn std::fmt::Display| format!("cannot read {}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
    let meta = file.metadata().map_err(|e| cannot(&e))?;
    if !meta.is_file() {
        return Err(cannot(&"not a regular file"));
    }
    if meta.len() > MAX_SMALL_FILE {
        return Err(cannot(&format_args!(
            "{} bytes, more than the {MAX_SMALL_FILE} read here",
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_SMALL_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(&e))?;
    Ok(bytes)
}

/// Whether `path` lies under one of `allowed` once both are resolved, so
/// neither `..` nor a symbolic link can lead out. A path that does not exist
/// lies nowhere.
pub fn under(path: &Path, allowed: &[std::path::PathBuf]) -> bool {
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
pub fn read_small_text(path: &Path) -> Result<String, String> {
    String::from_utf8(read_small(path)?)
        .map_err(|_| format!("cannot read {}: not UTF-8 text", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_directories_are_refused() {
        assert!(
            read_small(Path::new("/dev/zero"))
                .unwrap_err()
                .contains("not a regular file")
        );
        assert!(
            read_small(Path::new("/"))
                .unwrap_err()
                .contains("not a regular file")
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a");
        std::fs::write(&f, "x").unwrap();
        assert_eq!(read_small_text(&f).unwrap(), "x");
    }
}
