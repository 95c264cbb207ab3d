//! Building a checked manifest: loading each plugin it names from the plugin
//! directory, checking its kind fits its place, and configuring it, so every
//! plugin problem is reported before the first record is consumed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::{ConnectorSpec, Manifest, ManifestError, PluginSpec};
use crate::plugin::{ConfiguredPlugin, LoadedPlugin, PluginKind, Runtime};

/// A connector with its plugins started.
pub struct BuiltConnector {
    pub spec: ConnectorSpec,
    /// `None`: keys pass through as consumed.
    pub key_converter: Option<Arc<ConfiguredPlugin>>,
    /// `None`: values pass through as consumed.
    pub value_converter: Option<Arc<ConfiguredPlugin>>,
    pub transforms: Vec<Arc<ConfiguredPlugin>>,
    pub formatter: Arc<ConfiguredPlugin>,
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
                            crate::problem::Problem::plugin(&spec.role, e)
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
        if let (Some(key_converter), Some(value_converter), Some(formatter)) =
            (key_converter, value_converter, formatter)
            && transforms.iter().all(Option::is_some)
        {
            built.push(BuiltConnector {
                spec: c.clone(),
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

async fn start_plugin(
    runtime: &Runtime,
    manifest: &Manifest,
    loaded: &mut HashMap<PathBuf, Arc<LoadedPlugin>>,
    spec: &PluginSpec,
    kind: PluginKind,
) -> Result<ConfiguredPlugin, String> {
    if let Some(native) = crate::plugin::native::lookup(&spec.name) {
        let kind_of = PluginKind::from(native.metadata().kind);
        if kind_of != kind {
            return Err(format!(
                "plugin `{}` is a {kind_of}, but this place needs a {kind}",
                spec.name
            ));
        }
        return ConfiguredPlugin::start_native(native, spec.config.clone())
            .map_err(|e| e.to_string());
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
                return Err(format!(
                    "plugin `{}` not found: no {}.wasm in {} (available: {})",
                    spec.name,
                    spec.name,
                    manifest.plugin_dir.display(),
                    available(&manifest.plugin_dir)
                ));
            }
            if spec.url.is_none()
                && let Some(want) = &spec.sha256
            {
                let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                let got = super::download::sha256_hex(&bytes);
                if &got != want {
                    return Err(format!(
                        "{}: SHA-256 {got}, not the manifest's {want}: is it the plugin you meant?",
                        path.display()
                    ));
                }
            }
            let p = runtime.load(&path).await.map_err(|e| e.to_string())?;
            loaded.insert(path.clone(), p.clone());
            p
        }
    };
    if plugin.metadata.kind != kind {
        return Err(format!(
            "plugin `{}` is a {}, but this place needs a {kind}",
            spec.name, plugin.metadata.kind
        ));
    }
    runtime
        .configure(plugin, spec.config.clone(), spec.sandbox.clone())
        .await
        .map_err(|e| e.to_string())
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
