//! Kafka Connect's config providers, resolved in every string of a manifest
//! before it is read: `${env:NAME}`, `${file:/path/x.properties:key}` (one key
//! of a properties file) and `${directory:/dir:file}` (a whole file, trimmed).
//! Resolved values are secrets: nothing here logs them, and each one is
//! noted in a [`Redactor`] so messages name the reference instead.
//!
//! Which providers may be used is a [`Providers`] policy: a manifest file
//! (written by the operator) may use them all; a connector created through
//! the REST API only those the worker enables, as Connect's worker
//! `config.providers` does, with KIP-993's `allowed.paths` for files and
//! KIP-887's `allowlist.pattern` for environment variables.

use std::path::{Path, PathBuf};

use crate::problem::{Problem, Segment};

use crate::secrets::Redactor;

/// A reference that could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("${{env:{0}}}: the environment variable {0} is not set")]
    EnvMissing(String),
    #[error(
        "${{{alias}:{name}}}: the worker allows no such environment variable (its config.providers.{alias}.param.allowlist.pattern)"
    )]
    EnvRefused { alias: String, name: String },
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
    #[error(
        "${{{alias}:{path}…}}: {path} is not under the worker's config.providers.{alias}.param.allowed.paths"
    )]
    PathRefused { alias: String, path: String },
    #[error(
        "{reference}: the config provider `{alias}` is not enabled for connectors created through the REST API; the operator enables it with --worker config.providers={alias} (and config.providers.{alias}.class), with allowed.paths or allowlist.pattern to bound it"
    )]
    NotEnabled { reference: String, alias: String },
    #[error("{0}: unknown config provider (use env, file or directory)")]
    Unknown(String),
    #[error("{0}: unterminated reference (missing `}}`)")]
    Unterminated(String),
}

impl ProviderError {
    /// Whether the reference is well formed and allowed, and only its value
    /// is absent on this machine: a variable not set, a file not there or
    /// without the key. Such a reference may resolve where the connector runs.
    pub fn is_absent_here(&self) -> bool {
        matches!(
            self,
            ProviderError::EnvMissing(_)
                | ProviderError::File { .. }
                | ProviderError::Directory { .. }
        )
    }
}

/// What a provider reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// `org.apache.kafka.common.config.provider.EnvVarConfigProvider`
    Env,
    /// `org.apache.kafka.common.config.provider.FileConfigProvider`
    File,
    /// `org.apache.kafka.common.config.provider.DirectoryConfigProvider`
    Directory,
}

impl ProviderKind {
    /// Connect's class of the provider.
    pub fn class(self) -> &'static str {
        match self {
            ProviderKind::Env => "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
            ProviderKind::File => "org.apache.kafka.common.config.provider.FileConfigProvider",
            ProviderKind::Directory => {
                "org.apache.kafka.common.config.provider.DirectoryConfigProvider"
            }
        }
    }

    fn from_class(class: &str) -> Option<Self> {
        [
            ProviderKind::Env,
            ProviderKind::File,
            ProviderKind::Directory,
        ]
        .into_iter()
        .find(|k| k.class() == class || k.class().rsplit('.').next() == Some(class))
    }
}

/// One enabled provider: its alias (the name in `${alias:…}`), what it
/// reads, and its bounds.
#[derive(Debug, Clone)]
pub struct Provider {
    pub alias: String,
    pub kind: ProviderKind,
    /// Files and directories must lie under one of these (`None`: anywhere).
    pub allowed_paths: Option<Vec<PathBuf>>,
    /// Environment variable names must match this whole (`None`: any).
    pub env_allowlist: Option<regex::Regex>,
}

/// The providers a config may use.
#[derive(Debug, Clone, Default)]
pub struct Providers {
    pub enabled: Vec<Provider>,
}

impl Providers {
    /// A manifest file's: `env`, `file` and `directory`, unbounded (the
    /// manifest's author is the operator).
    pub fn trusted() -> Self {
        let p = |alias: &str, kind| Provider {
            alias: alias.into(),
            kind,
            allowed_paths: None,
            env_allowlist: None,
        };
        Providers {
            enabled: vec![
                p("env", ProviderKind::Env),
                p("file", ProviderKind::File),
                p("directory", ProviderKind::Directory),
            ],
        }
    }

    /// The providers a worker enables for REST connectors, from its settings
    /// (Connect's worker properties): `config.providers=env,file`,
    /// `config.providers.file.class=…FileConfigProvider`,
    /// `config.providers.file.param.allowed.paths=/etc/secrets`,
    /// `config.providers.env.param.allowlist.pattern=^APP_.*`. None by default.
    pub fn from_worker(
        settings: &std::collections::BTreeMap<String, String>,
    ) -> Result<Self, super::SettingError> {
        use super::SettingError;
        let mut enabled = Vec::new();
        let aliases = settings.get("config.providers").map_or("", String::as_str);
        for alias in aliases.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            let key = |k: &str| format!("config.providers.{alias}.{k}");
            let kind = match settings.get(&key("class")) {
                Some(class) => ProviderKind::from_class(class).ok_or_else(|| {
                    SettingError::new(
                        key("class"),
                        format!(
                            "{class:?} is not a provider Sluice has: use {}, {} or {}",
                            ProviderKind::Env.class(),
                            ProviderKind::File.class(),
                            ProviderKind::Directory.class()
                        ),
                    )
                })?,
                None => match alias {
                    "env" => ProviderKind::Env,
                    "file" => ProviderKind::File,
                    "directory" => ProviderKind::Directory,
                    _ => {
                        return Err(SettingError::new(
                            key("class"),
                            format!("missing: which provider is `{alias}`?"),
                        ));
                    }
                },
            };
            let allowed_paths = settings.get(&key("param.allowed.paths")).map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
                    .collect::<Vec<_>>()
            });
            if let Some(paths) = &allowed_paths
                && let Some(p) = paths.iter().find(|p| !p.is_absolute())
            {
                return Err(SettingError::new(
                    key("param.allowed.paths"),
                    format!("{} is not an absolute path", p.display()),
                ));
            }
            let env_allowlist = match settings.get(&key("param.allowlist.pattern")) {
                Some(p) => Some(regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                    SettingError::new(key("param.allowlist.pattern"), e.to_string())
                })?),
                None => None,
            };
            enabled.push(Provider {
                alias: alias.to_string(),
                kind,
                allowed_paths,
                env_allowlist,
            });
        }
        Ok(Providers { enabled })
    }

    fn get(&self, alias: &str) -> Option<&Provider> {
        self.enabled.iter().find(|p| p.alias == alias)
    }
}

/// Whether `path` lies under the provider's `allowed` paths (anywhere when
/// it has none).
fn path_allowed(path: &Path, allowed: &Option<Vec<PathBuf>>) -> bool {
    allowed
        .as_ref()
        .is_none_or(|allowed| crate::files::under(path, allowed))
}

/// Replaces every `${provider:…}` in `s` with unbounded providers (a
/// manifest's). Text without references is returned as is.
pub fn resolve(s: &str) -> Result<String, ProviderError> {
    resolve_with(s, &Providers::trusted(), &mut Redactor::default())
}

/// Replaces every `${alias:…}` in `s` that `providers` allows, noting each
/// value in `secrets`.
pub fn resolve_with(
    s: &str,
    providers: &Providers,
    secrets: &mut Redactor,
) -> Result<String, ProviderError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| ProviderError::Unterminated(rest[start..].to_string()))?;
        let reference = &after[..end];
        let whole = format!("${{{reference}}}");
        let (alias, spec) = match reference.split_once(':') {
            Some(pair) => pair,
            // Without a colon it is no reference, as for Kafka's
            // ConfigTransformer: `${topic}` and `${key}` of the HTTP sink,
            // `${timestamp}` of TimestampRouter's `topic.format`.
            None => {
                out.push_str(&whole);
                rest = &after[end + 1..];
                continue;
            }
        };
        let provider = match providers.get(alias) {
            Some(p) => p,
            None if ["env", "file", "directory"].contains(&alias) => {
                return Err(ProviderError::NotEnabled {
                    reference: whole,
                    alias: alias.into(),
                });
            }
            None => return Err(ProviderError::Unknown(whole)),
        };
        let value = match provider.kind {
            ProviderKind::Env => {
                if provider
                    .env_allowlist
                    .as_ref()
                    .is_some_and(|re| !re.is_match(spec))
                {
                    return Err(ProviderError::EnvRefused {
                        alias: alias.into(),
                        name: spec.into(),
                    });
                }
                std::env::var(spec).map_err(|_| ProviderError::EnvMissing(spec.to_string()))?
            }
            ProviderKind::File => file_key(spec, provider)?,
            ProviderKind::Directory => directory_file(spec, provider)?,
        };
        secrets.add(&value, &whole);
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn file_key(spec: &str, provider: &Provider) -> Result<String, ProviderError> {
    let (path, key) = spec.rsplit_once(':').unwrap_or((spec, ""));
    let err = |reason: String| ProviderError::File {
        path: path.into(),
        key: key.into(),
        reason,
    };
    if key.is_empty() {
        return Err(err("name the key: ${file:/path/x.properties:key}".into()));
    }
    if !path_allowed(Path::new(path), &provider.allowed_paths) {
        return Err(ProviderError::PathRefused {
            alias: provider.alias.clone(),
            path: path.into(),
        });
    }
    let text = crate::files::read_small_text(Path::new(path)).map_err(|e| err(e.to_string()))?;
    let props = java_properties::read(text.as_bytes())
        .map_err(|e| err(format!("{path} is not a properties file: {e}")))?;
    props
        .get(key)
        .cloned()
        .ok_or_else(|| err(format!("{path} has no key {key}")))
}

fn directory_file(spec: &str, provider: &Provider) -> Result<String, ProviderError> {
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
    if !path_allowed(&path, &provider.allowed_paths) {
        return Err(ProviderError::PathRefused {
            alias: provider.alias.clone(),
            path: dir.into(),
        });
    }
    // A regular file of at most 1 MiB: a device or pipe (`/dev/zero`,
    // `/dev/stdin`) would never end.
    crate::files::read_small_text(&path)
        .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
        .map_err(|e| err(e.to_string()))
}

/// Resolves references in every string of a TOML document, in place, with
/// `providers`; each value is noted in `secrets`. Problems carry the path
/// of the value.
///
/// With `absent`, a reference whose value is only absent on this machine
/// ([`ProviderError::is_absent_here`]) is left as written and noted there
/// instead of in `problems` (`sluice validate` away from the production host).
pub fn resolve_tree(
    value: &mut toml::Value,
    path: &mut Vec<Segment>,
    providers: &Providers,
    secrets: &mut Redactor,
    problems: &mut Vec<Problem>,
    mut absent: Option<&mut Vec<Problem>>,
) {
    match value {
        toml::Value::String(s) if s.contains("${") => match resolve_with(s, providers, secrets) {
            Ok(r) => *s = r,
            Err(e) => {
                let problem = Problem::in_document(path, e.to_string());
                match absent {
                    Some(absent) if e.is_absent_here() => absent.push(problem),
                    _ => problems.push(problem),
                }
            }
        },
        toml::Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                path.push(Segment::Index(i));
                resolve_tree(v, path, providers, secrets, problems, absent.as_deref_mut());
                path.pop();
            }
        }
        toml::Value::Table(t) => {
            for (k, v) in t.iter_mut() {
                path.push(Segment::Key(k.clone()));
                resolve_tree(v, path, providers, secrets, problems, absent.as_deref_mut());
                path.pop();
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

    #[test]
    fn rest_connectors_get_only_the_providers_the_worker_enables() {
        let none = Providers::from_worker(&Default::default()).unwrap();
        let mut r = Redactor::default();
        let err = resolve_with("${env:HOME}", &none, &mut r)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not enabled") && err.contains("config.providers=env"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "s3cr3t-value\n").unwrap();
        let settings: std::collections::BTreeMap<String, String> = [
            ("config.providers", "env,secrets"),
            (
                "config.providers.env.param.allowlist.pattern",
                "SLUICE_TEST_[A-Z_]+",
            ),
            (
                "config.providers.secrets.class",
                "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
            ),
            (
                "config.providers.secrets.param.allowed.paths",
                &dir.path().display().to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let p = Providers::from_worker(&settings).unwrap();
        let d = dir.path().display();
        assert_eq!(
            resolve_with(&format!("${{secrets:{d}:token}}"), &p, &mut r).unwrap(),
            "s3cr3t-value"
        );
        assert_eq!(
            r.redact("got s3cr3t-value"),
            format!("got ${{secrets:{d}:token}}")
        );
        let err = resolve_with("${secrets:/etc:passwd}", &p, &mut r)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not under"), "{err}");
        let err = resolve_with(&format!("${{secrets:{d}/../..:etc}}"), &p, &mut r)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not under") || err.contains("one file"),
            "{err}"
        );
        let err = resolve_with("${env:HOME}", &p, &mut r)
            .unwrap_err()
            .to_string();
        assert!(err.contains("allows no such environment variable"), "{err}");
        let err = resolve_with("${file:/etc/passwd:root}", &p, &mut r)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not enabled"), "{err}");
    }
}
