//! The manifest: reading it (raw serde types), resolving config providers,
//! checking it (`validate`, pure), and building it (`build`: loading and
//! configuring its plugins, the only stage that touches plugins).

mod build;
mod download;
pub mod kafka;
pub mod overrides;
pub mod providers;
pub mod raw;
mod validate;

use std::path::{Path, PathBuf};

pub use build::{BuiltConnector, build};
pub use validate::{ConnectorSpec, Manifest, PluginSpec};

pub use crate::problem::{Problem, Segment};

/// A worker setting (`--worker KEY=VALUE`) that cannot be used: the key,
/// and why.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct SettingError {
    pub key: String,
    pub reason: String,
}

impl SettingError {
    /// Setting `key` is wrong for `reason`.
    pub fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        SettingError {
            key: key.into(),
            reason: reason.into(),
        }
    }
}

/// A manifest that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    // `error`, not `source`: the CLI prints an error's chain too.
    #[error("{path}: cannot read the manifest: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {} problem{}:\n  - {}", problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  - "))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

/// Reads, resolves and checks a manifest file.
pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|error| ManifestError::Read {
        path: path.into(),
        error,
    })?;
    parse(path, &text)
}

/// Checks manifest `text` as if read from `path`: types first (with line
/// numbers), then `${…}` providers, then everything else.
pub fn parse(path: &Path, text: &str) -> Result<Manifest, ManifestError> {
    parse_with(path, text, true)
}

/// Reads and checks a manifest file like [`load`], except that a `${…}`
/// reference whose value is only absent on this machine (a variable not
/// set, a secret file not there) is left as written: the manifest, and those
/// references as problems to warn of (`sluice validate`).
pub fn load_checking(path: &Path) -> Result<(Manifest, Vec<Problem>), ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|error| ManifestError::Read {
        path: path.into(),
        error,
    })?;
    let tree = type_checked(path, &text)?;
    let mut absent = Vec::new();
    let (manifest, _) = check_tree_inner(
        path,
        tree,
        Some(&providers::Providers::trusted()),
        Some(&mut absent),
    )?;
    Ok((manifest, absent))
}

/// Checks manifest `text` like [`parse`], leaving `${…}` references
/// unresolved: for a manifest meant to run elsewhere (`sluice import`).
pub fn parse_unresolved(path: &Path, text: &str) -> Result<Manifest, ManifestError> {
    parse_with(path, text, false)
}

fn parse_with(path: &Path, text: &str, resolve: bool) -> Result<Manifest, ManifestError> {
    check_tree(path, type_checked(path, text)?, resolve)
}

/// `text` as a TOML tree, type-checked as written first, for errors that
/// point at a line.
fn type_checked(path: &Path, text: &str) -> Result<toml::Value, ManifestError> {
    let parse_err = |e: toml::de::Error| ManifestError::Parse {
        path: path.into(),
        message: e.to_string(),
    };
    toml::from_str::<raw::RawManifest>(text).map_err(parse_err)?;
    toml::from_str(text).map_err(parse_err)
}

/// The steps of a deserializer's error path.
fn segments(path: &serde_path_to_error::Path) -> Vec<Segment> {
    path.iter()
        .filter_map(|s| match s {
            serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
            serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key.clone())),
            serde_path_to_error::Segment::Enum { variant } => Some(Segment::Key(variant.clone())),
            serde_path_to_error::Segment::Unknown => None,
        })
        .collect()
}

/// Type errors of the `sink` tables of `tree`, each with its key's path: the
/// sink enum is tagged by `type`, which hides the path from a whole-tree
/// deserialization, so each sink is deserialized as its own type here.
fn sink_type_errors(tree: &toml::Value) -> Vec<Problem> {
    let connectors = tree.get("connectors").and_then(toml::Value::as_array);
    let mut problems = Vec::new();
    for (i, c) in connectors.into_iter().flatten().enumerate() {
        let Some(mut sink) = c.get("sink").and_then(toml::Value::as_table).cloned() else {
            continue;
        };
        let kind = sink.remove("type");
        let kind = kind.as_ref().and_then(toml::Value::as_str).unwrap_or("");
        if let Some((path, message)) = crate::sink::type_error::<raw::RawPlugin>(kind, sink) {
            let mut at = vec![
                Segment::Key("connectors".into()),
                Segment::Index(i),
                Segment::Key("sink".into()),
            ];
            at.extend(segments(&path));
            problems.push(Problem::in_document(&at, message));
        }
    }
    problems
}

/// Checks a manifest given as a TOML tree (built, not read: no lines to
/// point at, so a type error names the key's path instead), as if read from
/// `path`; `resolve` resolves `${…}` references first, with every provider.
pub fn check_tree(
    path: &Path,
    tree: toml::Value,
    resolve: bool,
) -> Result<Manifest, ManifestError> {
    let providers = resolve.then(providers::Providers::trusted);
    check_tree_with(path, tree, providers.as_ref()).map(|(m, _)| m)
}

/// [`check_tree`] resolving references with `providers` (none if `None`).
/// Problems name a reference where its value would have shown; the
/// [`Redactor`](crate::secrets::Redactor) does the same for later messages.
pub fn check_tree_with(
    path: &Path,
    tree: toml::Value,
    providers: Option<&providers::Providers>,
) -> Result<(Manifest, crate::secrets::Redactor), ManifestError> {
    check_tree_inner(path, tree, providers, None)
}

/// [`check_tree_with`]; with `absent`, references only absent here are left
/// as written and noted there (see [`providers::resolve_tree`]).
fn check_tree_inner(
    path: &Path,
    mut tree: toml::Value,
    providers: Option<&providers::Providers>,
    absent: Option<&mut Vec<Problem>>,
) -> Result<(Manifest, crate::secrets::Redactor), ManifestError> {
    let mut problems = Vec::new();
    let mut secrets = crate::secrets::Redactor::default();
    if let Some(providers) = providers {
        providers::resolve_tree(
            &mut tree,
            &mut Vec::new(),
            providers,
            &mut secrets,
            &mut problems,
            absent,
        );
    }
    let invalid = |problems: Vec<Problem>| ManifestError::Invalid {
        path: path.into(),
        problems: problems
            .into_iter()
            .map(|p| p.map_message(|m| secrets.redact(m)))
            .collect(),
    };
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let raw: raw::RawManifest = serde_path_to_error::deserialize(tree.clone()).map_err(|e| {
        let mut problems = sink_type_errors(&tree);
        if problems.is_empty() {
            problems.push(Problem::in_document(
                &segments(e.path()),
                e.inner().to_string(),
            ));
        }
        invalid(problems)
    })?;
    let manifest = validate::validate(path, raw).map_err(invalid)?;
    Ok((manifest, secrets))
}
