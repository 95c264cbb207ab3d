//! Kafka Connect's config providers, resolved in every string of a manifest
//! before it is read: `${env:NAME}`, `${file:/path/x.properties:key}` (one key
//! of a properties file) and `${directory:/dir:file}` (a whole file, trimmed).
//! Resolved values are secrets: nothing here logs them.

use std::path::Path;

/// A reference that could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("${{env:{0}}}: the environment variable {0} is not set")]
    EnvMissing(String),
    #[error("${{file:{path}:{key}}}: {reason}")]
    File {
        path: String,
        key: String,
        reason: String,
    },
    #[error("${{directory:{dir}:{file}}}: {reason}")]
    Directory {
        dir: String,
        file: String,
        reason: String,
    },
    #[error("{0}: unknown config provider (use env, file or directory)")]
    Unknown(String),
    #[error("{0}: unterminated reference (missing `}}`)")]
    Unterminated(String),
}

/// Replaces every `${provider:…}` in `s`. Text without references is returned as is.
pub fn resolve(s: &str) -> Result<String, ProviderError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| ProviderError::Unterminated(rest[start..].to_string()))?;
        let reference = &after[..end];
        match reference.split_once(':') {
            Some(("env", name)) => out.push_str(
                &std::env::var(name).map_err(|_| ProviderError::EnvMissing(name.to_string()))?,
            ),
            Some(("file", spec)) => out.push_str(&file_key(spec)?),
            Some(("directory", spec)) => out.push_str(&directory_file(spec)?),
            // `${topic}` and `${key}` are the HTTP sink's templates, not providers.
            None if matches!(reference, "topic" | "key") => {
                out.push_str(&rest[start..start + 2 + end + 1])
            }
            _ => return Err(ProviderError::Unknown(format!("${{{reference}}}"))),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn file_key(spec: &str) -> Result<String, ProviderError> {
    let (path, key) = spec.rsplit_once(':').unwrap_or((spec, ""));
    let err = |reason: String| ProviderError::File {
        path: path.into(),
        key: key.into(),
        reason,
    };
    if key.is_empty() {
        return Err(err("name the key: ${file:/path/x.properties:key}".into()));
    }
    let text = read_small_file(Path::new(path)).map_err(err)?;
    let props = java_properties::read(text.as_bytes())
        .map_err(|e| err(format!("{path} is not a properties file: {e}")))?;
    props
        .get(key)
        .cloned()
        .ok_or_else(|| err(format!("{path} has no key {key}")))
}

fn directory_file(spec: &str) -> Result<String, ProviderError> {
    let (dir, file) = spec.rsplit_once(':').unwrap_or((spec, ""));
    let err = |reason: String| ProviderError::Directory {
        dir: dir.into(),
        file: file.into(),
        reason,
    };
    if file.is_empty() || file.contains('/') {
        return Err(err(
            "name one file of the directory: ${directory:/dir:file}".into(),
        ));
    }
    let path = Path::new(dir).join(file);
    read_small_file(&path)
        .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
        .map_err(err)
}

/// Largest file a provider reads: secrets and properties files are small.
const MAX_PROVIDER_FILE: u64 = 1 << 20;

/// Reads a regular file of at most [`MAX_PROVIDER_FILE`] bytes as UTF-8; a
/// device or pipe (`/dev/zero`, `/dev/stdin`) would never end.
fn read_small_file(path: &Path) -> Result<String, String> {
    let cannot = |e: &dyn std::fmt::Display| format!("cannot read {}: {e}", path.display());
    let meta = std::fs::metadata(path).map_err(|e| cannot(&e))?;
    if !meta.is_file() {
        return Err(cannot(&"not a regular file"));
    }
    if meta.len() > MAX_PROVIDER_FILE {
        return Err(cannot(&format_args!(
            "{} bytes, more than the {MAX_PROVIDER_FILE} a provider reads",
            meta.len()
        )));
    }
    std::fs::read_to_string(path).map_err(|e| cannot(&e))
}

/// Resolves references in every string of a TOML document, in place.
/// Errors carry the dotted path of the value.
pub fn resolve_tree(value: &mut toml::Value, path: &str, errors: &mut Vec<String>) {
    match value {
        toml::Value::String(s) if s.contains("${") => match resolve(s) {
            Ok(r) => *s = r,
            Err(e) => errors.push(format!("{path}: {e}")),
        },
        toml::Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                resolve_tree(v, &format!("{path}[{i}]"), errors);
            }
        }
        toml::Value::Table(t) => {
            for (k, v) in t.iter_mut() {
                let key = if k.contains('.') {
                    format!("\"{k}\"")
                } else {
                    k.clone()
                };
                resolve_tree(
                    v,
                    &if path.is_empty() {
                        key
                    } else {
                        format!("{path}.{key}")
                    },
                    errors,
                );
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_directory_providers_read_what_they_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("secrets.properties"),
            "# comment\ntoken = abc123\nother=x\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("password"), "hunter2\n").unwrap();
        let d = dir.path().display();
        assert_eq!(
            resolve(&format!("Bearer ${{file:{d}/secrets.properties:token}}")).unwrap(),
            "Bearer abc123"
        );
        assert_eq!(
            resolve(&format!("${{directory:{d}:password}}")).unwrap(),
            "hunter2"
        );
        let err = resolve(&format!("${{file:{d}/secrets.properties:nope}}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("has no key nope"), "{err}");
        let err = resolve("${file:/no/such/file.properties:k}")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot read /no/such/file.properties"),
            "{err}"
        );
    }

    #[test]
    fn env_references_and_url_templates() {
        let err = resolve("${env:SLUICE_TEST_SURELY_UNSET}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("SLUICE_TEST_SURELY_UNSET is not set"), "{err}");
        assert_eq!(
            resolve("https://x/${topic}/${key}").unwrap(),
            "https://x/${topic}/${key}"
        );
        assert!(resolve("${vault:x}").is_err());
        assert!(resolve("${env:X").is_err());
    }
}
