//! Building a checked manifest: loading each plugin it names from the plugin
//! directory, checking its kind fits its place, and configuring it, so every
//! plugin problem is reported before the first record is consumed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::{ConnectorSpec, Manifest, ManifestError, PluginSpec};
use crate::plugin::{ConfiguredPlugin, LoadedPlugin, PluginKind, Runtime};

/// A connector with its plugins started (shared: a clone shares them).
#[derive(Clone)]
pub struct BuiltConnector {
    pub spec: ConnectorSpec,
    /// `None`: keys pass through as consumed.
    pub key_converter: Option<Arc<ConfiguredPlugin>>,
    /// `None`: values pass through as consumed.
    pub value_converter: Option<Arc<ConfiguredPlugin>>,
    pub transforms: Vec<Arc<ConfiguredPlugin>>,
    pub formatter: Arc<ConfiguredPlugin>,
}

impl BuiltConnector {
    /// The `.wasm` files its plugins were loaded from.
    pub fn plugin_paths(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = self
            .key_converter
            .iter()
            .chain(&self.value_converter)
            .chain(&self.transforms)
            .chain([&self.formatter])
            .filter_map(|p| p.source_path().map(PathBuf::from))
            .collect();
        paths.sort();
        paths.dedup();
        paths
    }
}

/// Loads and configures every plugin of `manifest`; the error lists every problem.
pub async fn build(
    runtime: &Runtime,
    manifest: &Manifest,
) -> Result<Vec<BuiltConnector>, ManifestError> {
    let mut loaded: HashMap<PathBuf, Arc<LoadedPlugin>> = HashMap::new();
    let mut problems = Vec::new();
    let mut built = Vec::new();
    for (i, c) in manifest.connectors.iter().enumerate() {
        let mut start =
            async |spec: &PluginSpec, kind: PluginKind| -> Option<Arc<ConfiguredPlugin>> {
                match start_plugin(runtime, manifest, &mut loaded, spec, kind).await {
                    Ok(p) => Some(Arc::new(p)),
                    Err(e) => {
                        problems.push(
                            crate::problem::Problem::plugin(&spec.role, e.to_string())
                                .in_connector(i, Some(&c.name)),
                        );
                        None
                    }
                }
            };
        let key_converter = match &c.key_converter {
            Some(spec) => start(spec, PluginKind::Converter).await.map(Some),
            None => Some(None),
        };
        let value_converter = match &c.value_converter {
            Some(spec) => start(spec, PluginKind::Converter).await.map(Some),
            None => Some(None),
        };
        let mut transforms = Vec::new();
        for t in &c.transforms {
            transforms.push(start(t, PluginKind::Transform).await);
        }
        let formatter = start(&c.formatter, PluginKind::Formatter).await;
        // A container format writes whole objects: only the S3 sink has them.
        let formatter = match formatter {
            Some(f)
                if f.metadata().object_scoped()
                    && !matches!(c.sink, crate::sink::SinkSpec::S3(_)) =>
            {
                problems.push(
                    crate::problem::Problem::plugin(
                        &c.formatter.role,
                        format!(
                            "plugin `{}` writes a container format (whole files, one per object), which only the S3 sink writes; use a formatter of records (json-batch, jsonl) here",
                            f.name()
                        ),
                    )
                    .in_connector(i, Some(&c.name)),
                );
                None
            }
            f => f,
        };
        // Java's JKS and PKCS#12 stores, read into librdkafka's PEM properties.
        let mut spec = c.clone();
        let stores = crate::stores::kafka_properties(&mut spec.kafka).map_err(|found| {
            for (key, message) in found {
                problems.push(
                    crate::problem::Problem::option("kafka", &key, message)
                        .in_connector(i, Some(&c.name)),
                );
            }
        });
        if let (Some(key_converter), Some(value_converter), Some(formatter), Ok(())) =
            (key_converter, value_converter, formatter, stores)
            && transforms.iter().all(Option::is_some)
        {
            built.push(BuiltConnector {
                spec,
                key_converter,
                value_converter,
                transforms: transforms.into_iter().flatten().collect(),
                formatter,
            });
        }
    }
    if problems.is_empty() {
        Ok(built)
    } else {
        Err(ManifestError::Invalid {
            path: manifest.path.clone(),
            problems,
        })
    }
}

/// Why a plugin of a manifest could not be started.
#[derive(Debug, thiserror::Error)]
pub enum PluginStartError {
    #[error("plugin `{name}` is a {kind}, but this place needs a {wanted}")]
    Kind {
        name: String,
        kind: PluginKind,
        wanted: PluginKind,
    },
    #[error("plugin `{name}` not found: no {name}.wasm in {} (available: {available})", dir.display())]
    NotFound {
        name: String,
        dir: PathBuf,
        available: String,
    },
    #[error("{}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: SHA-256 {got}, not the manifest's {want}: is it the plugin you meant?", path.display())]
    Digest {
        path: PathBuf,
        got: String,
        want: String,
    },
    #[error(transparent)]
    Download(#[from] super::download::DownloadError),
    #[error(transparent)]
    Load(#[from] crate::plugin::LoadError),
    #[error(transparent)]
    Configure(#[from] crate::plugin::ConfigureError),
}

async fn start_plugin(
    runtime: &Runtime,
    manifest: &Manifest,
    loaded: &mut HashMap<PathBuf, Arc<LoadedPlugin>>,
    spec: &PluginSpec,
    kind: PluginKind,
) -> Result<ConfiguredPlugin, PluginStartError> {
    let wrong_kind = |kind_of: PluginKind| PluginStartError::Kind {
        name: spec.name.clone(),
        kind: kind_of,
        wanted: kind,
    };
    if let Some(native) = crate::plugin::native::lookup(&spec.name) {
        let kind_of = PluginKind::from(native.metadata().kind);
        if kind_of != kind {
            return Err(wrong_kind(kind_of));
        }
        return Ok(ConfiguredPlugin::start_native(native, spec.config.clone())?);
    }
    let path = match (&spec.url, &spec.sha256) {
        (Some(url), Some(sha256)) => {
            super::download::fetch(url, &spec.name, sha256, runtime.download_dir()).await?
        }
        _ => spec.path.clone(),
    };
    let plugin = match loaded.get(&path) {
        Some(p) => p.clone(),
        None => {
            if !path.exists() {
                return Err(PluginStartError::NotFound {
                    name: spec.name.clone(),
                    dir: manifest.plugin_dir.clone(),
                    available: available(&manifest.plugin_dir),
                });
            }
            if spec.url.is_none()
                && let Some(want) = &spec.sha256
            {
                let bytes = std::fs::read(&path).map_err(|error| PluginStartError::Read {
                    path: path.clone(),
                    error,
                })?;
                let got = super::download::sha256_hex(&bytes);
                if &got != want {
                    return Err(PluginStartError::Digest {
                        path,
                        got,
                        want: want.clone(),
                    });
                }
            }
            let p = runtime.load(&path).await?;
            loaded.insert(path.clone(), p.clone());
            p
        }
    };
    if plugin.metadata.kind != kind {
        return Err(wrong_kind(plugin.metadata.kind));
    }
    Ok(runtime
        .configure(plugin, spec.config.clone(), spec.sandbox.clone())
        .await?)
}

fn available(dir: &std::path::Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    e.file_name()
                        .to_str()?
                        .strip_suffix(".wasm")
                        .map(String::from)
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    if names.is_empty() {
        "the directory holds no .wasm files".to_string()
    } else {
        names.join(", ")
    }
}
