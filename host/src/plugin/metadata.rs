//! What a plugin says about itself, in the host's own types.

use serde::Serialize;

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

/// The same conversions for both contract versions' metadata types.
macro_rules! from_metadata {
    ($types:path) => {
        const _: () = {
            use $types as types;
            impl From<types::PluginKind> for PluginKind {
                fn from(k: types::PluginKind) -> Self {
                    match k {
                        types::PluginKind::Converter => PluginKind::Converter,
                        types::PluginKind::Transform => PluginKind::Transform,
                        types::PluginKind::Formatter => PluginKind::Formatter,
                    }
                }
            }

            impl From<types::PluginMetadata> for Metadata {
                fn from(m: types::PluginMetadata) -> Self {
                    Metadata {
                        name: m.name,
                        version: m.version,
                        kind: m.kind.into(),
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
        };
    };
}

from_metadata!(super::bindings::types);
from_metadata!(super::bindings::v0_2::types);
from_metadata!(super::bindings::v0_2::transform::sluice::plugin::types);

impl ConfigKey {
    /// Checks that `value` is of this key's declared type.
    pub fn check_value(&self, value: &str) -> Result<(), String> {
        let ok = match self.value_type {
            "integer" => value.trim().parse::<i64>().is_ok(),
            "float" => value.trim().parse::<f64>().is_ok(),
            "boolean" => {
                let v = value.trim();
                v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")
            }
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "`{}` must be {} {}, not {value:?}",
                self.name,
                if self.value_type == "integer" {
                    "an"
                } else {
                    "a"
                },
                self.value_type
            ))
        }
    }
}

/// The config key by which a plugin declares the Kafka Connect classes it
/// implements: its default lists them (comma-separated, as
/// `com.example.WrapField$Key,com.example.WrapField$Value`), and a connector
/// that names one of them gets this plugin with the key set to the class it
/// named, so one plugin can tell its `$Key` and `$Value` variants apart.
pub const CONNECT_CLASS_KEY: &str = "connect.class";

/// The config key by which a formatter declares a container format (Avro
/// object container files, Parquet): its default `object` asks the S3 sink
/// for an instance of its own per object, which sees that object's records
/// in order, from the first to the `trailer` that closes it, and keeps its
/// state (the file's schema, an open block or row group) between them.
/// Other formatters encode whole batches on shared instances.
pub const FORMAT_SCOPE_KEY: &str = "sluice.format.scope";

/// Whether `name` is a Java class name: dot-separated identifiers, at least
/// a package and a class (`$` allowed, as in `WrapField$Value`).
pub fn is_java_class_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            let mut chars = p.chars();
            chars
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
                && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        })
}

impl Metadata {
    /// The Kafka Connect classes the plugin declares it implements: the
    /// default of its [`CONNECT_CLASS_KEY`] key, none without one.
    pub fn connect_classes(&self) -> Vec<&str> {
        self.config
            .iter()
            .find(|k| k.name == CONNECT_CLASS_KEY)
            .and_then(|k| k.default.as_deref())
            .map(|d| {
                d.split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether the plugin is a formatter of a container format: its
    /// [`FORMAT_SCOPE_KEY`] key's default is `object`.
    pub fn object_scoped(&self) -> bool {
        self.kind == PluginKind::Formatter
            && self
                .config
                .iter()
                .any(|k| k.name == FORMAT_SCOPE_KEY && k.default.as_deref() == Some("object"))
    }

    /// Checks the declared keys agree with themselves: names non-empty and
    /// unique, defaults of their declared types, and a
    /// [`CONNECT_CLASS_KEY`] that lists Java class names.
    pub fn check_consistent(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        if let Some(k) = self.config.iter().find(|k| k.name == CONNECT_CLASS_KEY) {
            let classes = self.connect_classes();
            if k.required || classes.is_empty() {
                problems.push(format!(
                    "config key `{CONNECT_CLASS_KEY}` declares Kafka Connect classes: it needs a default listing them (com.example.WrapField$Key,com.example.WrapField$Value) and cannot be required"
                ));
            }
            for c in classes.iter().filter(|c| !is_java_class_name(c)) {
                problems.push(format!(
                    "config key `{CONNECT_CLASS_KEY}` lists {c:?}, which is not a Java class name (com.example.WrapField$Value)"
                ));
            }
        }
        for k in &self.config {
            if k.name.trim().is_empty() {
                problems.push("a config key has an empty name".to_string());
            } else if !seen.insert(k.name.as_str()) {
                problems.push(format!("config key `{}` is declared twice", k.name));
            }
            if let Some(d) = &k.default
                && let Err(e) = k.check_value(d)
            {
                problems.push(format!("default of {e}"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    /// Checks configuration keys against the declared ones, before the
    /// plugin sees them: unknown keys, missing required keys and values of
    /// the wrong type are refused.
    pub fn check_config(&self, config: &[(String, String)]) -> Result<(), String> {
        let mut problems = Vec::new();
        for (key, value) in config {
            if let Some(k) = self.config.iter().find(|k| &k.name == key)
                && let Err(e) = k.check_value(value)
            {
                problems.push(e);
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, value_type: &'static str, default: Option<&str>) -> ConfigKey {
        ConfigKey {
            name: name.into(),
            value_type,
            default: default.map(String::from),
            required: false,
            description: String::new(),
        }
    }

    fn metadata(config: Vec<ConfigKey>) -> Metadata {
        Metadata {
            name: "m".into(),
            version: "1".into(),
            kind: PluginKind::Transform,
            description: String::new(),
            config,
        }
    }

    #[test]
    fn metadata_that_contradicts_itself_is_named() {
        let m = metadata(vec![
            key("threshold", "integer", Some("ten")),
            key("mode", "string", None),
            key("mode", "string", None),
        ]);
        let err = m.check_consistent().unwrap_err();
        assert!(
            err.contains("`threshold` must be an integer, not \"ten\""),
            "{err}"
        );
        assert!(err.contains("`mode` is declared twice"), "{err}");
        assert!(
            metadata(vec![key("on", "boolean", Some("true"))])
                .check_consistent()
                .is_ok()
        );
    }

    #[test]
    fn declared_connect_classes_are_read_and_checked() {
        let m = metadata(vec![key(
            CONNECT_CLASS_KEY,
            "list",
            Some("com.example.WrapField$Key, com.example.WrapField$Value"),
        )]);
        assert_eq!(
            m.connect_classes(),
            ["com.example.WrapField$Key", "com.example.WrapField$Value"]
        );
        assert!(m.check_consistent().is_ok());
        assert!(metadata(vec![]).connect_classes().is_empty());
        for bad in [
            "WrapField",
            "com.example.",
            "com..Wrap",
            "com.example.Wrap-Field",
        ] {
            let err = metadata(vec![key(CONNECT_CLASS_KEY, "list", Some(bad))])
                .check_consistent()
                .unwrap_err();
            assert!(err.contains("not a Java class name"), "{bad}: {err}");
        }
        let err = metadata(vec![key(CONNECT_CLASS_KEY, "list", None)])
            .check_consistent()
            .unwrap_err();
        assert!(err.contains("needs a default listing them"), "{err}");
    }

    #[test]
    fn values_of_the_wrong_type_are_refused_before_the_plugin_sees_them() {
        let m = metadata(vec![key("n", "integer", None), key("on", "boolean", None)]);
        let err = m
            .check_config(&[("n".into(), "5x".into()), ("on".into(), "yes".into())])
            .unwrap_err();
        assert!(err.contains("`n` must be an integer, not \"5x\""), "{err}");
        assert!(err.contains("`on` must be a boolean, not \"yes\""), "{err}");
        assert!(m.check_config(&[("n".into(), " 5".into())]).is_ok());
    }
}
