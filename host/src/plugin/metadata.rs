//! What a plugin says about itself, in the host's own types.

use serde::Serialize;

use super::bindings::types;

/// The three kinds of plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PluginKind {
    Converter,
    Transform,
    Formatter,
}

impl PluginKind {
    /// The kind's name as users write it.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Converter => "converter",
            PluginKind::Transform => "transform",
            PluginKind::Formatter => "formatter",
        }
    }

    /// The contract interface a component of this kind exports.
    pub fn interface(self) -> &'static str {
        match self {
            PluginKind::Converter => "conversion",
            PluginKind::Transform => "transformation",
            PluginKind::Formatter => "formatting",
        }
    }
}

impl std::fmt::Display for PluginKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One configuration key a plugin accepts.
#[derive(Clone, Debug, Serialize)]
pub struct ConfigKey {
    pub name: String,
    /// `string`, `integer`, `float`, `boolean` or `list`.
    #[serde(rename = "type")]
    pub value_type: &'static str,
    pub default: Option<String>,
    pub required: bool,
    pub description: String,
}

/// A plugin's metadata.
#[derive(Clone, Debug, Serialize)]
pub struct Metadata {
    pub name: String,
    pub version: String,
    pub kind: PluginKind,
    pub description: String,
    pub config: Vec<ConfigKey>,
}

impl From<types::PluginMetadata> for Metadata {
    fn from(m: types::PluginMetadata) -> Self {
        Metadata {
            name: m.name,
            version: m.version,
            kind: match m.kind {
                types::PluginKind::Converter => PluginKind::Converter,
                types::PluginKind::Transform => PluginKind::Transform,
                types::PluginKind::Formatter => PluginKind::Formatter,
            },
            description: m.description,
            config: m
                .config
                .into_iter()
                .map(|k| ConfigKey {
                    name: k.name,
                    value_type: match k.value_type {
                        types::ConfigType::String => "string",
                        types::ConfigType::Integer => "integer",
                        types::ConfigType::Float => "float",
                        types::ConfigType::Boolean => "boolean",
                        types::ConfigType::List => "list",
                    },
                    default: k.default_value,
                    required: k.required,
                    description: k.description,
                })
                .collect(),
        }
    }
}

impl Metadata {
    /// Checks configuration keys against the declared ones, before the
    /// plugin sees them: unknown and missing required keys are refused.
    pub fn check_config(&self, config: &[(String, String)]) -> Result<(), String> {
        let mut problems = Vec::new();
        for (key, _) in config {
            if !self.config.iter().any(|k| &k.name == key) {
                let known: Vec<&str> = self.config.iter().map(|k| k.name.as_str()).collect();
                problems.push(format!(
                    "unknown key `{key}` (known keys: {})",
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                ));
            }
        }
        for k in self.config.iter().filter(|k| k.required) {
            if !config.iter().any(|(n, _)| *n == k.name) {
                problems.push(format!(
                    "missing required key `{}` ({})",
                    k.name, k.description
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}
