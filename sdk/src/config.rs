//! What a plugin declares about itself, and the configuration it is given.

use std::fmt::Write as _;

/// The type of a configuration value. Values always arrive as strings; the
/// SDK checks them against this before the plugin sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigType {
    String,
    Integer,
    Float,
    Boolean,
    /// A comma-separated list.
    List,
}

/// One configuration key a plugin accepts.
#[derive(Clone, Copy, Debug)]
pub struct ConfigKey {
    pub name: &'static str,
    pub value_type: ConfigType,
    /// The value used when the key is not given.
    pub default: Option<&'static str>,
    pub required: bool,
    /// One line for `sluice plugins`.
    pub description: &'static str,
}

impl ConfigKey {
    /// An optional key with a default value.
    pub const fn optional(
        name: &'static str,
        value_type: ConfigType,
        default: Option<&'static str>,
        description: &'static str,
    ) -> Self {
        ConfigKey {
            name,
            value_type,
            default,
            required: false,
            description,
        }
    }

    /// The `connect.class` key: declares the Kafka Connect classes this
    /// plugin implements, comma-separated
    /// (`"com.example.WrapField$Key,com.example.WrapField$Value"`). A
    /// connector config that names one of them (`transforms.x.type`,
    /// `value.converter`) then runs this plugin, with the key set to the
    /// class it named: read it to tell `$Key` from `$Value`.
    pub const fn connect_classes(classes: &'static str) -> Self {
        ConfigKey {
            name: "connect.class",
            value_type: ConfigType::List,
            default: Some(classes),
            required: false,
            description: "The Kafka Connect class this plugin runs as (set by Sluice to the class a connector names)",
        }
    }

    /// The key by which a formatter declares a container format (Avro,
    /// Parquet): the S3 sink then gives each object an instance of its
    /// own, which sees that object's records in order, from the first
    /// `encode` (then `header`, which may depend on it) to the `trailer`
    /// that closes it, and keeps its state between them.
    pub const fn object_scoped() -> Self {
        ConfigKey {
            name: "sluice.format.scope",
            value_type: ConfigType::String,
            default: Some("object"),
            required: false,
            description: "Set by the plugin: a container format, one instance per S3 object",
        }
    }

    /// A key that must be given.
    pub const fn required(
        name: &'static str,
        value_type: ConfigType,
        description: &'static str,
    ) -> Self {
        ConfigKey {
            name,
            value_type,
            default: None,
            required: true,
            description,
        }
    }
}

/// A plugin's identity: shown by `sluice plugins`, checked by the host.
#[derive(Clone, Copy, Debug)]
pub struct PluginInfo {
    /// The name manifests use, e.g. `insert-field`.
    pub name: &'static str,
    pub version: &'static str,
    /// One line saying what the plugin does.
    pub description: &'static str,
    pub config: &'static [ConfigKey],
}

/// A plugin's configuration, checked against its [`PluginInfo`]: unknown
/// keys, missing required keys and badly typed values are refused before the
/// plugin's own `configure` runs.
#[derive(Clone, Debug)]
pub struct Config {
    info: PluginInfo,
    entries: Vec<(String, String)>,
}

impl Config {
    /// Checks `entries` against `info`; the error lists every problem found.
    pub fn new(info: PluginInfo, entries: Vec<(String, String)>) -> Result<Self, String> {
        let mut problems = Vec::new();
        for (name, value) in &entries {
            match info.config.iter().find(|k| k.name == name) {
                None => {
                    let known: Vec<&str> = info.config.iter().map(|k| k.name).collect();
                    problems.push(format!(
                        "unknown key `{name}` (known keys: {})",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ));
                }
                Some(key) => {
                    if let Err(e) = check_type(key.value_type, value) {
                        problems.push(format!("`{name}` = {value:?}: {e}"));
                    }
                }
            }
        }
        for key in info.config.iter().filter(|k| k.required) {
            if !entries.iter().any(|(n, _)| n == key.name) {
                problems.push(format!(
                    "missing required key `{}` ({})",
                    key.name, key.description
                ));
            }
        }
        if problems.is_empty() {
            return Ok(Config { info, entries });
        }
        let mut message = format!("invalid configuration for plugin `{}`:", info.name);
        for p in problems {
            let _ = write!(message, "\n  - {p}");
        }
        Err(message)
    }

    /// The value of `name`, or its declared default.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .or_else(|| {
                self.info
                    .config
                    .iter()
                    .find(|k| k.name == name)
                    .and_then(|k| k.default)
            })
    }

    /// The value of a required key (or one with a default).
    pub fn require(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("plugin `{}`: missing required key `{name}`", self.info.name))
    }

    /// A boolean key; absent and without default means false.
    pub fn get_bool(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// An integer key.
    pub fn get_int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|v| v.trim().parse().ok())
    }

    /// A comma-separated list key, items trimmed, empty items left out.
    pub fn get_list(&self, name: &str) -> Vec<&str> {
        self.get(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn check_type(ty: ConfigType, value: &str) -> Result<(), String> {
    let v = value.trim();
    match ty {
        ConfigType::String | ConfigType::List => Ok(()),
        ConfigType::Integer => v
            .parse::<i64>()
            .map(|_| ())
            .map_err(|_| "expected an integer".into()),
        ConfigType::Float => v
            .parse::<f64>()
            .map(|_| ())
            .map_err(|_| "expected a number".into()),
        ConfigType::Boolean => {
            if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false") {
                Ok(())
            } else {
                Err("expected true or false".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: PluginInfo = PluginInfo {
        name: "demo",
        version: "1.0.0",
        description: "a demo",
        config: &[
            ConfigKey::required("field", ConfigType::String, "the field"),
            ConfigKey::optional("count", ConfigType::Integer, Some("3"), "how many"),
            ConfigKey::optional("on", ConfigType::Boolean, None, "switch"),
        ],
    };

    fn entries(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_apply_and_values_override_them() {
        let c = Config::new(INFO, entries(&[("field", "x")])).unwrap();
        assert_eq!(c.get_int("count"), Some(3));
        assert!(!c.get_bool("on"));
        let c = Config::new(
            INFO,
            entries(&[("field", "x"), ("count", "7"), ("on", "TRUE")]),
        )
        .unwrap();
        assert_eq!(c.get_int("count"), Some(7));
        assert!(c.get_bool("on"));
    }

    #[test]
    fn every_problem_is_listed_with_the_plugin_name() {
        let err = Config::new(
            INFO,
            entries(&[("cuont", "1"), ("count", "x"), ("on", "yes")]),
        )
        .unwrap_err();
        assert!(
            err.starts_with("invalid configuration for plugin `demo`"),
            "{err}"
        );
        assert!(
            err.contains("unknown key `cuont` (known keys: field, count, on)"),
            "{err}"
        );
        assert!(
            err.contains("`count` = \"x\": expected an integer"),
            "{err}"
        );
        assert!(
            err.contains("`on` = \"yes\": expected true or false"),
            "{err}"
        );
        assert!(err.contains("missing required key `field`"), "{err}");
    }
}
