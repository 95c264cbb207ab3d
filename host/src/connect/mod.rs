//! Kafka Connect compatibility: connector JSON (a `connector.class` and
//! string options, as Connect's REST API and `register.sh` scripts send it)
//! translated into a manifest connector section. Options keep their names
//! where Sluice has them; an option Sluice does not implement, or that no
//! connector has, is reported (with the closest known name) and ignored, as
//! Connect ignores it; a value Sluice cannot honour is an error.

mod aiven;
mod aiven_s3;
mod confluent_http;
mod confluent_s3;
pub mod defs;
pub mod json;
mod options;
mod plugins;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use options::Options;
pub use plugins::{
    CONVERTER_CLASSES, Declared, DeclaredClasses, PREDICATE_CLASSES, REGISTRY_CONVERTERS,
    TRANSFORM_CLASSES, names_declared_classes,
};

/// Connector classes Sluice runs, with the sink each becomes.
pub const CONNECTOR_CLASSES: &[(&str, &str)] = &[
    (confluent_http::CLASS, "http"),
    (aiven::CLASS, "http"),
    (confluent_s3::CLASS, "s3"),
    (aiven_s3::CLASS, "s3"),
];

/// A connector's Connect config: every value a string, as Connect keeps them.
pub type ConnectConfig = BTreeMap<String, String>;

/// A connector config translated into a manifest `[[connectors]]` section.
#[derive(Debug, Clone)]
pub struct Translation {
    /// The section, ready for the manifest's validation.
    pub section: toml::Table,
    /// Options given but not implemented: reported, not applied.
    pub unsupported: Vec<Problem>,
    /// The connector's own option behind each sink key of another name,
    /// so what the manifest's checks say names the option the user wrote.
    pub renamed: &'static [(&'static str, &'static str)],
}

impl Translation {
    /// `problems` (of the manifest's checks) under the connector's own
    /// option names.
    pub fn in_connect_names(&self, mut problems: Vec<Problem>) -> Vec<Problem> {
        for p in &mut problems {
            if let Some((_, option)) = self.renamed.iter().find(|(key, _)| *key == p.key) {
                p.key = (*option).to_string();
            }
        }
        problems
    }
}

/// A connector config that cannot run, with what else was found in it.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// What must change.
    pub problems: Vec<Problem>,
    /// Options that would not be applied.
    pub unsupported: Vec<Problem>,
}

/// One option and what is wrong with it (or why it is not applied).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The option's name; empty for the connector as a whole.
    pub key: String,
    pub message: String,
}

impl Problem {
    pub fn new(key: &str, message: impl Into<String>) -> Self {
        Problem {
            key: key.to_string(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.key, self.message)
        }
    }
}

/// Translates connector `name`'s `config`; `worker` holds the worker's
/// settings that connectors inherit, as a Connect worker's properties do:
/// `bootstrap.servers`, `consumer.*`, and the default `key.converter` /
/// `value.converter` with their `*.converter.*` options. `declared` holds
/// the converter and transform classes the plugins of the plugin directory
/// declare.
pub fn translate(
    name: &str,
    config: &ConnectConfig,
    worker: &ConnectConfig,
    declared: &DeclaredClasses,
) -> Result<Translation, Rejected> {
    let mut opts = Options::new(config);
    let mut problems = Vec::new();
    let mut unsupported = Vec::new();
    if let Some(given) = opts.take("name")
        && given != name
    {
        problems.push(Problem::new(
            "name",
            format!("{given:?} differs from the connector's name {name:?}"),
        ));
    }
    let class = opts.take("connector.class").unwrap_or_default();
    let mut section = toml::Table::new();
    section.insert("name".into(), name.into());
    let sink = match class_short(&class) {
        Some(confluent_http::CLASS) => confluent_http::sink(&mut opts, &mut problems),
        Some(aiven::CLASS) => aiven::sink(&mut opts, &mut section, &mut problems),
        Some(confluent_s3::CLASS) => confluent_s3::sink(&mut opts, &mut problems),
        Some(aiven_s3::CLASS) => aiven_s3::sink(&mut opts, &mut problems),
        _ => {
            let supported: Vec<&str> = CONNECTOR_CLASSES.iter().map(|(c, _)| *c).collect();
            let what = if class.is_empty() {
                "missing".to_string()
            } else {
                format!("{class:?} is not a connector Sluice runs")
            };
            return Err(Rejected {
                problems: vec![Problem::new(
                    "connector.class",
                    format!("{what}; supported: {}", supported.join(", ")),
                )],
                unsupported,
            });
        }
    };
    // Values of the wrong type and required options missing, each under
    // its key; what the mapping below finds about those keys is the same.
    let flagged = defs::for_class(&class)
        .map(|d| defs::check(&d, config))
        .unwrap_or_default();
    problems.retain(|p| !flagged.iter().any(|f| f.key == p.key));
    common(
        &mut opts,
        worker,
        declared,
        &mut section,
        &mut problems,
        &mut unsupported,
    );
    section.insert("sink".into(), toml::Value::Table(sink));
    // Values are never echoed in these messages: they may be secrets.
    // Connect passes options it does not know through to the connector,
    // which ignores them: so does Sluice, saying so.
    // Suggestions for the first few unknown names only: a config of
    // thousands costs no more than the few a person would read.
    const SUGGESTED: usize = 100;
    let mut known: Option<Vec<String>> = None;
    let mut unknowns = 0;
    for (key, _) in opts.remaining() {
        let reason = match not_implemented(&class, &key) {
            Some(reason) => reason.to_string(),
            None => {
                unknowns += 1;
                let known: &[String] = if unknowns <= SUGGESTED {
                    known.get_or_insert_with(|| known_options(&class))
                } else {
                    &[]
                };
                unknown(&class, &key, known)
            }
        };
        unsupported.push(Problem::new(&key, reason));
    }
    problems.retain(|p| !flagged.iter().any(|f| f.key == p.key));
    problems.splice(0..0, flagged);
    if problems.is_empty() {
        Ok(Translation {
            section,
            unsupported,
            renamed: match class_short(&class) {
                Some(aiven::CLASS) => aiven::RENAMED,
                Some(aiven_s3::CLASS) => aiven_s3::RENAMED,
                _ => &[],
            },
        })
    } else {
        Err(Rejected {
            problems,
            unsupported,
        })
    }
}

/// The connector class `class` names: its full name, or its simple name
/// when only one supported class has it (Connect's rule for aliases).
fn class_short(class: &str) -> Option<&'static str> {
    let all = CONNECTOR_CLASSES.iter().map(|(c, _)| *c);
    if let Some(c) = all.clone().find(|c| *c == class) {
        return Some(c);
    }
    let simple: Vec<&str> = all
        .filter(|c| c.rsplit('.').next() == Some(class))
        .collect();
    (simple.len() == 1).then(|| simple[0])
}

/// Connect's options of every sink connector that Sluice applies.
pub const COMMON_OPTIONS: &[&str] = &[
    "name",
    "connector.class",
    "topics",
    "topics.regex",
    "tasks.max",
    "key.converter",
    "value.converter",
    "header.converter",
    "transforms",
    "predicates",
    "errors.tolerance",
    "errors.log.enable",
    "errors.log.include.messages",
    "errors.retry.timeout",
    "errors.retry.delay.max.ms",
    "errors.deadletterqueue.topic.name",
    "errors.deadletterqueue.topic.replication.factor",
    "errors.deadletterqueue.context.headers.enable",
    "offset.flush.interval.ms",
];

/// The options Sluice applies for `class`: a connector class (its own and
/// [`COMMON_OPTIONS`]), a converter or a transform; `None` for a class
/// Sluice does not have.
pub fn class_options(class: &str) -> Option<Vec<&'static str>> {
    if let Some(c) = class_short(class) {
        let own: Vec<&'static str> = match c {
            confluent_http::CLASS => [
                confluent_http::SINK_OPTIONS,
                confluent_http::FORMATTER_OPTIONS,
                confluent_http::ALIASES,
            ]
            .concat(),
            aiven::CLASS => aiven::OPTIONS.to_vec(),
            aiven_s3::CLASS => aiven_s3::OPTIONS.to_vec(),
            _ => [
                confluent_s3::SINK_OPTIONS,
                confluent_s3::ASSUME_ROLE_OPTIONS,
                &["storage.class"],
            ]
            .concat(),
        };
        return Some(COMMON_OPTIONS.iter().copied().chain(own).collect());
    }
    CONVERTER_CLASSES
        .iter()
        .find(|(c, ..)| *c == class)
        .map(|(_, _, o)| o.to_vec())
        .or_else(|| {
            TRANSFORM_CLASSES
                .iter()
                .find(|(c, ..)| *c == class)
                .map(|(_, _, o)| o.to_vec())
        })
}

/// Options every sink connector has (Connect's `SinkConnectorConfig`):
/// topics, tasks, converters, transforms, error handling, consumer overrides.
fn common(
    opts: &mut Options,
    worker: &ConnectConfig,
    declared: &DeclaredClasses,
    section: &mut toml::Table,
    problems: &mut Vec<Problem>,
    unsupported: &mut Vec<Problem>,
) {
    // Copied as they are; the converters, transforms and predicates are mapped below.
    for key in COMMON_OPTIONS[2..]
        .iter()
        .filter(|k| !k.contains("converter") && !["transforms", "predicates"].contains(k))
    {
        if let Some(v) = opts.take(key) {
            section.insert((*key).into(), v.into());
        }
    }
    let mut kafka = toml::Table::new();
    for (key, value) in worker {
        if key == "bootstrap.servers" {
            kafka.insert(key.clone(), value.as_str().into());
        } else if let Some(k) = key.strip_prefix("consumer.") {
            kafka.insert(k.into(), value.as_str().into());
        }
    }
    for (key, value) in opts.take_prefixed("consumer.override.") {
        kafka.insert(key, value.into());
    }
    if !kafka.is_empty() {
        section.insert("kafka".into(), toml::Value::Table(kafka));
    }
    for role in ["key.converter", "value.converter"] {
        if let Some(plugin) =
            plugins::converter(role, opts, worker, declared, problems, unsupported)
        {
            section.insert(role.into(), plugin);
        }
    }
    // The header converter writes the headers HeaderFrom and InsertHeader
    // add; the headers consumed pass through as their bytes.
    let header_converter = opts.take("header.converter");
    if let Some(v) = &header_converter
        && !plugins::HEADER_CONVERTERS.contains(&v.as_str())
    {
        unsupported.push(Problem::new(
            "header.converter",
            format!(
                "{v}: not one Sluice has ({}); headers are written as SimpleHeaderConverter writes them",
                plugins::HEADER_CONVERTERS.join(", ")
            ),
        ));
    }
    let transforms = plugins::transforms(
        opts,
        header_converter
            .as_deref()
            .filter(|v| plugins::HEADER_CONVERTERS.contains(v)),
        declared,
        problems,
        unsupported,
    );
    if !transforms.is_empty() {
        section.insert("transforms".into(), toml::Value::Array(transforms));
    }
}

/// Why `key`, an option of `class` that Sluice does not implement, is not
/// applied; `None` for an option `class` does not have.
fn not_implemented(class: &str, key: &str) -> Option<&'static str> {
    match key {
        "config.action.reload" => Some("configs are reloaded through the REST API"),
        "tasks.max.enforce" => Some("tasks.max is always enforced"),
        "errors.deadletterqueue.topic.partitions" => {
            Some("the dead letter queue topic is created with one partition, as Connect does")
        }
        k if k.starts_with("confluent.topic") || k == "confluent.license" => {
            Some("Confluent licensing: not needed")
        }
        k if k.starts_with("consumer.override.") => None,
        _ => match class_short(class) {
            Some(confluent_http::CLASS) => confluent_http::not_implemented(key),
            Some(aiven::CLASS) => aiven::not_implemented(key),
            Some(confluent_s3::CLASS) => confluent_s3::not_implemented(key),
            Some(aiven_s3::CLASS) => aiven_s3::not_implemented(key),
            _ => None,
        },
    }
}

/// The converters a connector config without its own takes from the
/// worker (`--worker key.converter=…`), one line per role, as `sluice run`
/// prints them at start.
pub fn worker_converters(worker: &ConnectConfig) -> Vec<String> {
    ["key.converter", "value.converter"]
        .iter()
        .map(|role| match worker.get(*role) {
            Some(class) => {
                let prefix = format!("{role}.");
                let options: Vec<String> = worker
                    .iter()
                    .filter(|(k, _)| k.starts_with(&prefix))
                    .map(|(k, v)| format!("{}={v}", &k[prefix.len()..]))
                    .collect();
                let options = if options.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", options.join(", "))
                };
                format!("a connector without {role} takes the worker's: {class}{options}")
            }
            None => format!(
                "a connector without {role} takes the worker's: none, so the bytes pass as consumed (ByteArrayConverter); --worker {role}=org.apache.kafka.connect.json.JsonConverter sets one"
            ),
        })
        .collect()
}

/// Worker properties people copy into connector configs, where Connect
/// ignores them.
const WORKER_KEYS: &[&str] = &[
    "bootstrap.servers",
    "group.id",
    "plugin.path",
    "rest.port",
    "rest.advertised.host.name",
    "listeners",
    "key.converter.schemas.enable",
    "internal.key.converter",
    "internal.value.converter",
    "offset.storage.file.filename",
    "offset.flush.timeout.ms",
    "producer.override.",
    "offset.storage.",
    "config.storage.",
    "status.storage.",
    "security.protocol",
    "sasl.",
    "ssl.",
];

/// The options of `class`, for a suggestion of the closest.
fn known_options(class: &str) -> Vec<String> {
    let mut known: Vec<String> = class_options(class)
        .unwrap_or_default()
        .into_iter()
        .map(String::from)
        .collect();
    known.extend(
        defs::for_class(class)
            .unwrap_or_default()
            .into_iter()
            .map(|d| d.name),
    );
    known
}

/// What is said of option `key`, which neither `class` nor Connect has:
/// ignored, as Connect ignores it, with the closest of `known`.
fn unknown(class: &str, key: &str, known: &[String]) -> String {
    if let Some(w) = WORKER_KEYS
        .iter()
        .find(|w| *w == &key || (w.ends_with('.') && key.starts_with(*w)))
    {
        let hint = if *w == "group.id" {
            "; the connector's consumer group is connect-<name>, or consumer.override.group.id"
                .to_string()
        } else if ["bootstrap.servers", "security.protocol", "sasl.", "ssl."].contains(w) {
            format!("; the connector's Kafka client takes consumer.override.{key}")
        } else {
            String::new()
        };
        return format!(
            "a worker setting, ignored in a connector's config as Connect ignores it{hint}"
        );
    }
    match did_you_mean(key, known.iter().map(String::as_str)) {
        Some(close) => format!(
            "not an option of {class}: ignored, as Connect ignores it; did you mean {close:?}?"
        ),
        None => format!("not an option of {class}: ignored, as Connect ignores it"),
    }
}

/// The longest option name a suggestion is looked for.
const LONGEST_NAME: usize = 256;

/// The candidate closest to `given`, if one is close enough to be a typo:
/// an edit distance of at most a third of its length (Cargo's rule).
/// A name longer than 256 characters is no typo of one; lengths further
/// apart than a third cannot be either, so neither costs a distance.
pub fn did_you_mean<'a>(given: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    if given.len() > LONGEST_NAME {
        return None;
    }
    candidates
        .filter(|c| *c != given)
        .filter(|c| given.len().abs_diff(c.len()) <= given.len().max(c.len()) / 3)
        .map(|c| (strsim::damerau_levenshtein(given, c), c))
        .filter(|(d, c)| *d <= given.len().max(c.len()) / 3)
        .min()
        .map(|(_, c)| c)
}

/// The TOML of a manifest holding `translation`'s section, with the options
/// not applied as comments: what `sluice import` prints.
pub fn to_manifest_toml(translation: &Translation) -> String {
    let mut doc = toml::Table::new();
    doc.insert(
        "connectors".into(),
        toml::Value::Array(vec![toml::Value::Table(translation.section.clone())]),
    );
    let mut out = String::new();
    for p in &translation.unsupported {
        out.push_str(&format!("# not applied: {p}\n"));
    }
    out.push_str(&toml::to_string_pretty(&doc).unwrap_or_default());
    out
}
