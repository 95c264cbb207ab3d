//! Kafka Connect's `ConfigDef` of the options Sluice knows for a connector
//! class: type, default, importance, documentation and group. The sinks'
//! and the connector's options are read from the manifest types' doc
//! comments (their JSON Schema), so what the REST API's validation says
//! cannot drift from the manifest's docs; the few options whose Connect form
//! differs from the manifest's (converters, transforms) and Aiven's renamed
//! options are written here. The values given are checked against the types
//! as Connect's `ConfigDef.parse` checks them, every problem under its key.

use schemars::Schema;
use serde_json::Value;

use super::{ConnectConfig, Problem, aiven, aiven_s3, confluent_http, confluent_s3};
use crate::config::raw::{RawConnector, RawPlugin};
use crate::sink::http::RawHttpSink;
use crate::sink::s3::RawS3Sink;

/// A Connect config type (`ConfigDef.Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Long,
    Double,
    List,
    Class,
    Password,
}

impl ConfigType {
    /// The name Connect's REST API gives it: `INT`, `STRING`, ...
    pub fn name(self) -> &'static str {
        match self {
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::List => "LIST",
            ConfigType::Class => "CLASS",
            ConfigType::Password => "PASSWORD",
        }
    }

    /// Why `value` is not of this type, in Connect's words; `None` if it is.
    fn refuses(self, value: &str) -> Option<String> {
        let v = value.trim();
        let ok = match self {
            ConfigType::Boolean => {
                v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")
            }
            ConfigType::Int => v.parse::<i32>().is_ok(),
            ConfigType::Long => v.parse::<i64>().is_ok(),
            ConfigType::Double => v.parse::<f64>().is_ok(),
            _ => true,
        };
        (!ok).then(|| match self {
            ConfigType::Boolean => "Expected value to be either true or false".to_string(),
            other => format!("Not a number of type {}", other.name()),
        })
    }
}

/// One option's definition, as Connect's `ConfigKeyInfo` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionDef {
    pub name: String,
    pub config_type: ConfigType,
    /// Required: no default, and the connector cannot run without it.
    pub required: bool,
    /// The default, as text; `None` when there is none.
    pub default: Option<String>,
    /// What it does, with an example.
    pub documentation: String,
    /// Connect's group: `Common`, `Transforms`, `Error Handling`, or the sink's.
    pub group: &'static str,
    /// Least value of a number, where there is one.
    pub minimum: Option<i64>,
}

impl OptionDef {
    fn new(name: &str, config_type: ConfigType, default: Option<&str>, doc: &str) -> Self {
        OptionDef {
            name: name.to_string(),
            config_type,
            required: false,
            default: default.map(String::from),
            documentation: doc.to_string(),
            group: COMMON,
            minimum: None,
        }
    }

    /// An option as its connector class defines it, in `group`.
    pub fn of(
        group: &'static str,
        name: &str,
        config_type: ConfigType,
        required: bool,
        default: Option<&str>,
        doc: &str,
    ) -> Self {
        OptionDef {
            required,
            group,
            ..OptionDef::new(name, config_type, default, doc)
        }
    }

    /// `HIGH` for a required option, `MEDIUM` otherwise.
    pub fn importance(&self) -> &'static str {
        if self.required { "HIGH" } else { "MEDIUM" }
    }
}

const COMMON: &str = "Common";
const TRANSFORMS: &str = "Transforms";
const ERRORS: &str = "Error Handling";
const HTTP: &str = "HTTP";
const FORMATTER: &str = "Formatter";
const S3: &str = "S3";

/// The options of connector class `class` (its full name or simple name):
/// Connect's common sink options, then the class's own, in that order;
/// `None` for a class Sluice does not run.
pub fn for_class(class: &str) -> Option<Vec<OptionDef>> {
    let class = super::class_short(class)?;
    let mut defs = common();
    match class {
        confluent_http::CLASS => {
            defs.extend(from_schema(
                &schemars::schema_for!(RawHttpSink<RawPlugin>),
                confluent_http::SINK_OPTIONS,
                HTTP,
            ));
            defs.extend(confluent_http::FORMATTER_OPTIONS.iter().map(|k| OptionDef {
                group: FORMATTER,
                ..OptionDef::new(k, ConfigType::String, None, "")
            }));
            defs.push(OptionDef {
                group: FORMATTER,
                ..OptionDef::new(
                    "batch.seperator",
                    ConfigType::String,
                    None,
                    "Confluent's misspelt name of batch.separator, still defined: applied as batch.separator when that is not given.",
                )
            });
        }
        aiven::CLASS => defs.extend(
            aiven::defs()
                .into_iter()
                .map(|d| OptionDef { group: HTTP, ..d }),
        ),
        aiven_s3::CLASS => defs.extend(aiven_s3::defs()),
        _ => {
            defs.extend(from_schema(
                &schemars::schema_for!(RawS3Sink<RawPlugin>),
                confluent_s3::SINK_OPTIONS,
                S3,
            ));
            defs.push(OptionDef {
                group: S3,
                ..OptionDef::new(
                    "storage.class",
                    ConfigType::Class,
                    Some("io.confluent.connect.s3.storage.S3Storage"),
                    "The underlying storage layer; S3Storage is the only one.",
                )
            });
            for (name, doc) in [
                (
                    "s3.credentials.provider.sts.role.arn",
                    "With s3.credentials.provider.class AwsAssumeRoleCredentialsProvider: the IAM role assumed with STS; the key pair, or the AWS chain, is the base.",
                ),
                (
                    "s3.credentials.provider.sts.role.session.name",
                    "The role session's name (default sluice).",
                ),
                (
                    "s3.credentials.provider.sts.role.external.id",
                    "The external id the role's trust policy asks for.",
                ),
            ] {
                defs.push(OptionDef {
                    group: S3,
                    ..OptionDef::new(name, ConfigType::String, None, doc)
                });
            }
        }
    }
    Some(defs)
}

/// Connect's options of every sink connector.
fn common() -> Vec<OptionDef> {
    let connector = schemars::schema_for!(RawConnector);
    let doc = |key: &str| {
        property(&connector, key)
            .and_then(|p| p.get("description"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut defs = vec![
        OptionDef {
            required: true,
            ..OptionDef::new("name", ConfigType::String, None, &doc("name"))
        },
        OptionDef {
            required: true,
            ..OptionDef::new(
                "connector.class",
                ConfigType::String,
                None,
                "Name or alias of the class for this connector: io.confluent.connect.http.HttpSinkConnector, io.aiven.kafka.connect.http.HttpSinkConnector, io.confluent.connect.s3.S3SinkConnector or io.aiven.kafka.connect.s3.AivenKafkaConnectS3SinkConnector.",
            )
        },
    ];
    defs.extend(from_schema(&connector, &["tasks.max"], COMMON));
    defs.extend([
        OptionDef::new(
            "key.converter",
            ConfigType::Class,
            None,
            "Converter class for record keys, run as a Wasm plugin. Default: none, keys pass through as the bytes consumed.",
        ),
        OptionDef::new(
            "value.converter",
            ConfigType::Class,
            None,
            "Converter class for record values, run as a Wasm plugin. Default: none, values pass through as the bytes consumed.",
        ),
        OptionDef::new(
            "header.converter",
            ConfigType::Class,
            Some("org.apache.kafka.connect.storage.SimpleHeaderConverter"),
            "HeaderConverter class for record headers; headers reach plugins as the bytes consumed.",
        ),
        OptionDef {
            group: TRANSFORMS,
            ..OptionDef::new(
                "transforms",
                ConfigType::List,
                Some(""),
                "Aliases for the transformations to be applied to records, each configured by transforms.<alias>.type and its options.",
            )
        },
        OptionDef {
            group: TRANSFORMS,
            ..OptionDef::new(
                "predicates",
                ConfigType::List,
                Some(""),
                "Aliases for the predicates used by transformations, each configured by predicates.<alias>.type and its options.",
            )
        },
    ]);
    defs.extend(from_schema(
        &connector,
        &["topics", "topics.regex", "offset.flush.interval.ms"],
        COMMON,
    ));
    let errors: Vec<&str> = super::COMMON_OPTIONS
        .iter()
        .copied()
        .filter(|k| k.starts_with("errors."))
        .collect();
    defs.extend(from_schema(&connector, &errors, ERRORS));
    defs
}

/// The definitions of `keys`, properties of `schema`, in `group`.
fn from_schema(schema: &Schema, keys: &[&str], group: &'static str) -> Vec<OptionDef> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    keys.iter()
        .filter_map(|key| {
            let p = property(schema, key)?;
            let documentation = p
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .replace('\n', " ");
            Some(OptionDef {
                name: key.to_string(),
                config_type: config_type(p),
                required: required.contains(key),
                default: default_in(&documentation),
                group,
                minimum: p.get("minimum").and_then(Value::as_i64),
                documentation,
            })
        })
        .collect()
}

/// Property `key` of `schema`'s object.
fn property<'a>(schema: &'a Schema, key: &str) -> Option<&'a Value> {
    schema.get("properties")?.get(key)
}

/// A property's Connect type: integers by their width, `StringOrList` a
/// list, plugins classes.
fn config_type(p: &Value) -> ConfigType {
    let types: Vec<&str> = match p.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let any_of = p.get("anyOf").and_then(Value::as_array);
    if types.contains(&"boolean") {
        ConfigType::Boolean
    } else if types.contains(&"integer") {
        match p.get("format").and_then(Value::as_str) {
            Some("int8" | "int16" | "int32" | "uint8" | "uint16" | "uint32") => ConfigType::Int,
            _ => ConfigType::Long,
        }
    } else if types.contains(&"number") {
        ConfigType::Double
    } else if any_of.is_some_and(|a| {
        a.iter().any(|s| {
            s.get("$ref")
                .is_some_and(|r| r.as_str().is_some_and(|r| r.ends_with("StringOrList")))
        })
    }) {
        ConfigType::List
    } else if any_of.is_some_and(|a| a.iter().any(|s| s.get("$ref").is_some())) {
        ConfigType::Class
    } else {
        ConfigType::String
    }
}

/// The default a doc comment states (`… Default: 500.`), without the
/// backticks and the remark after a comma; `None` for none stated, or
/// stated as "none".
fn default_in(doc: &str) -> Option<String> {
    let (_, rest) = doc.split_once("Default: ")?;
    let end = rest
        .find(". ")
        .or_else(|| rest.strip_suffix('.').map(str::len))
        .unwrap_or(rest.len());
    let stated = rest[..end].split(", ").next().unwrap_or_default();
    let stated = stated.split(" (").next().unwrap_or_default().trim();
    let stated = stated.replace('`', "");
    (!stated.is_empty() && !stated.eq_ignore_ascii_case("none")).then_some(stated)
}

/// The problems of `config` that its options' definitions show: values not
/// of their option's type, numbers below their minimum, and required options
/// missing (`name` aside: the REST API takes it from the URL). Values from
/// a config provider (`${…}`) are checked once resolved.
pub fn check(defs: &[OptionDef], config: &ConnectConfig) -> Vec<Problem> {
    let mut problems = Vec::new();
    for def in defs {
        match config.get(&def.name) {
            Some(v) if v.contains("${") => {}
            Some(v) => {
                let why = def.config_type.refuses(v).or_else(|| {
                    let n = v.trim().parse::<i64>().ok()?;
                    let min = def.minimum?;
                    (n < min).then(|| format!("Value must be at least {min}"))
                });
                if let Some(why) = why {
                    problems.push(Problem::new(
                        &def.name,
                        format!(
                            "Invalid value {} for configuration {}: {why}",
                            v.trim(),
                            def.name
                        ),
                    ));
                }
            }
            None if def.required && def.name != "name" => problems.push(missing(&def.name)),
            None => {}
        }
    }
    problems
}

/// Connect's message for a required option that is missing.
pub fn missing(key: &str) -> Problem {
    Problem::new(
        key,
        format!("Missing required configuration \"{key}\" which has no default value."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_of_every_class_has_a_definition_with_documentation() {
        for (class, _) in super::super::CONNECTOR_CLASSES {
            let defs = for_class(class).unwrap();
            for key in super::super::class_options(class).unwrap() {
                let def = defs.iter().find(|d| d.name == key);
                let Some(def) = def else {
                    panic!("{class}: no definition of {key}");
                };
                if def.group != FORMATTER {
                    assert!(
                        !def.documentation.is_empty(),
                        "{class}: {key} has no documentation"
                    );
                }
            }
        }
    }

    #[test]
    fn types_requirements_and_defaults_come_from_the_manifest_types() {
        let defs = for_class(confluent_http::CLASS).unwrap();
        let def = |k: &str| defs.iter().find(|d| d.name == k).unwrap().clone();
        assert_eq!(def("tasks.max").config_type, ConfigType::Int);
        assert_eq!(def("tasks.max").default.as_deref(), Some("1"));
        assert_eq!(def("tasks.max").minimum, Some(0));
        assert!(def("http.api.url").required);
        assert_eq!(def("http.api.url").importance(), "HIGH");
        assert_eq!(def("request.method").default.as_deref(), Some("POST"));
        assert_eq!(def("batch.max.size").default.as_deref(), Some("1"));
        assert_eq!(def("errors.log.enable").config_type, ConfigType::Boolean);
        assert_eq!(def("errors.log.enable").group, ERRORS);
        assert_eq!(def("topics").config_type, ConfigType::List);
        assert_eq!(
            def("reporter.result.topic.partitions").config_type,
            ConfigType::Int
        );
        assert_eq!(def("reporter.result.topic.name").default, None);
        let s3 = for_class("io.confluent.connect.s3.S3SinkConnector").unwrap();
        assert!(s3.iter().any(|d| d.name == "s3.bucket.name" && d.required));
    }

    #[test]
    fn every_problem_is_reported_under_its_key_in_connects_words() {
        let defs = for_class(confluent_http::CLASS).unwrap();
        let config: ConnectConfig = [
            ("connector.class", confluent_http::CLASS),
            ("tasks.max", "notanumber"),
            ("errors.log.enable", "yes"),
            ("batch.max.size", "-1"),
            ("max.retries", "${env:RETRIES}"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let problems = check(&defs, &config);
        let mut keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "batch.max.size",
                "errors.log.enable",
                "http.api.url",
                "tasks.max"
            ],
            "{problems:?}"
        );
        assert!(problems.contains(&Problem::new(
            "tasks.max",
            "Invalid value notanumber for configuration tasks.max: Not a number of type INT"
        )));
        assert!(problems.contains(&missing("http.api.url")));
        assert!(
            problems
                .iter()
                .any(|p| p.message.ends_with("Value must be at least 0"))
        );
    }

    #[test]
    fn defaults_are_read_from_the_doc_comments_convention() {
        assert_eq!(
            default_in("Records. Default: 1, as Confluent's."),
            Some("1".into())
        );
        assert_eq!(default_in("Method. Default: `POST`."), Some("POST".into()));
        assert_eq!(default_in("Topic. Default: none (no reports)."), None);
        assert_eq!(
            default_in("x. Default: `0` (one retry). More."),
            Some("0".into())
        );
        assert_eq!(default_in("No default here."), None);
        assert_eq!(
            default_in("Cluster. Default: the connector's `bootstrap.servers`."),
            Some("the connector's bootstrap.servers".into())
        );
    }
}
