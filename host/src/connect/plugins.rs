//! Connect's converter, transform (SMT) and predicate classes mapped to
//! Sluice's plugins. A class without a dot names a Wasm plugin of the plugin
//! directory, which gets every option of its prefix as its config.

use super::{ConnectConfig, Options, Problem};

/// Converter classes: (class, plugin, options the plugin implements).
/// `None`: the bytes pass through as consumed, without a plugin call.
pub const CONVERTER_CLASSES: &[(&str, Option<&str>, &[&str])] = &[
    (
        "org.apache.kafka.connect.json.JsonConverter",
        Some("json"),
        &[
            "schemas.enable",
            "schemas.cache.size",
            "decimal.format",
            "replace.null.with.default",
        ],
    ),
    (
        "org.apache.kafka.connect.storage.StringConverter",
        Some("string"),
        &["converter.encoding"],
    ),
    (
        "org.apache.kafka.connect.converters.ByteArrayConverter",
        None,
        &[],
    ),
];

/// Transform classes: (class, plugin, options the plugin implements).
pub const TRANSFORM_CLASSES: &[(&str, &str, &[&str])] = &[
    (
        "org.apache.kafka.connect.transforms.InsertField$Value",
        "insert-field",
        &[
            "topic.field",
            "partition.field",
            "offset.field",
            "timestamp.field",
            "static.field",
            "static.value",
        ],
    ),
    ("org.apache.kafka.connect.transforms.Filter", "drop", &[]),
];

/// Predicate classes: (class, the `drop` plugin's predicate, its option).
const PREDICATE_CLASSES: &[(&str, &str, Option<&str>)] = &[
    (
        "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        "TopicNameMatches",
        Some("pattern"),
    ),
    (
        "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
        "HasHeaderKey",
        Some("name"),
    ),
    (
        "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
        "RecordIsTombstone",
        None,
    ),
];

/// A Connect class that names a Wasm plugin instead (no package, no dot).
fn is_plugin_name(class: &str) -> bool {
    !class.is_empty() && !class.contains('.')
}

fn plugin_table(plugin: &str, config: toml::Table) -> toml::Value {
    let mut t = toml::Table::new();
    t.insert("plugin".into(), plugin.into());
    if !config.is_empty() {
        t.insert("config".into(), toml::Value::Table(config));
    }
    toml::Value::Table(t)
}

/// The `role` (`key.converter` / `value.converter`) plugin: the connector's
/// class with its `<role>.*` options, else the worker's with the worker's.
/// `None` when the bytes pass through.
pub fn converter(
    role: &str,
    opts: &mut Options,
    worker: &ConnectConfig,
    problems: &mut Vec<Problem>,
    unsupported: &mut Vec<Problem>,
) -> Option<toml::Value> {
    let prefix = format!("{role}.");
    let own = opts.take_prefixed(&prefix);
    let (class, options, from) = match opts.take(role) {
        Some(class) => (class, own, ""),
        None => {
            // Values are never echoed: they may be secrets.
            for (k, _) in own {
                unsupported.push(Problem::new(
                    &format!("{prefix}{k}"),
                    format!("applies only with the connector's own {role}"),
                ));
            }
            let class = worker.get(role)?;
            let options = worker
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_string(), v.clone())))
                .collect();
            (class.clone(), options, "the worker's ")
        }
    };
    if is_plugin_name(&class) {
        let config = options.into_iter().map(|(k, v)| (k, v.into())).collect();
        return Some(plugin_table(&class, config));
    }
    let Some((_, plugin, implemented)) = CONVERTER_CLASSES.iter().find(|(c, ..)| *c == class)
    else {
        let known: Vec<&str> = CONVERTER_CLASSES.iter().map(|(c, ..)| *c).collect();
        problems.push(Problem::new(
            role,
            format!(
                "{from}{class:?} is not a converter Sluice has; use one of {} or the name of a Wasm converter plugin",
                known.join(", ")
            ),
        ));
        return None;
    };
    let mut config = toml::Table::new();
    for (k, v) in options {
        let k = if k == "encoding" {
            "converter.encoding".to_string()
        } else {
            k
        };
        if implemented.contains(&k.as_str()) {
            config.insert(k, v.into());
        } else {
            unsupported.push(Problem::new(
                &format!("{prefix}{k}"),
                format!("not implemented by Sluice's {class}"),
            ));
        }
    }
    (*plugin).map(|p| plugin_table(p, config))
}

/// The `transforms` chain as manifest plugin tables, with `predicates`.
pub fn transforms(
    opts: &mut Options,
    problems: &mut Vec<Problem>,
    unsupported: &mut Vec<Problem>,
) -> Vec<toml::Value> {
    let names = list(opts.take("transforms"));
    let predicate_names = list(opts.take("predicates"));
    let mut predicates = Vec::new();
    for p in &predicate_names {
        predicates.push((p.clone(), opts.take_prefixed(&format!("predicates.{p}."))));
    }
    let mut out = Vec::new();
    for name in names {
        let key = format!("transforms.{name}");
        let mut options = opts.take_prefixed(&format!("{key}."));
        let class = take(&mut options, "type");
        let predicate = take(&mut options, "predicate");
        let negate = take(&mut options, "negate");
        let Some(class) = class else {
            problems.push(Problem::new(
                &format!("{key}.type"),
                "missing: the transform's class",
            ));
            continue;
        };
        if is_plugin_name(&class) {
            if predicate.is_some() {
                problems.push(Problem::new(
                    &format!("{key}.predicate"),
                    "predicates apply to org.apache.kafka.connect.transforms.Filter only; a plugin decides itself which records it changes",
                ));
            }
            let config = options.into_iter().map(|(k, v)| (k, v.into())).collect();
            out.push(plugin_table(&class, config));
            continue;
        }
        let Some((_, plugin, implemented)) = TRANSFORM_CLASSES.iter().find(|(c, ..)| *c == class)
        else {
            let known: Vec<&str> = TRANSFORM_CLASSES.iter().map(|(c, ..)| *c).collect();
            problems.push(Problem::new(
                &format!("{key}.type"),
                format!(
                    "{class:?} is not a transform Sluice has; use one of {} or the name of a Wasm transform plugin",
                    known.join(", ")
                ),
            ));
            continue;
        };
        let mut config = toml::Table::new();
        for (k, v) in options {
            if implemented.contains(&k.as_str()) {
                config.insert(k, v.into());
            } else {
                let close = super::did_you_mean(&k, implemented.iter().copied())
                    .map(|c| format!("; did you mean {c:?}?"))
                    .unwrap_or_default();
                unsupported.push(Problem::new(
                    &format!("{key}.{k}"),
                    format!("not an option of {class}: ignored, as Kafka ignores it{close}"),
                ));
            }
        }
        if *plugin == "drop" {
            // Without a predicate, Kafka's Filter drops every record.
            if let Some(p) = predicate {
                match predicates.iter().find(|(n, _)| *n == p) {
                    Some((_, popts)) => {
                        predicate_config(&p, popts, &mut config, problems, unsupported)
                    }
                    None => problems.push(Problem::new(
                        &format!("{key}.predicate"),
                        format!(
                            "{p:?} is not in `predicates` ({})",
                            predicate_names.join(",")
                        ),
                    )),
                }
                if let Some(n) = negate {
                    config.insert("negate".into(), n.into());
                }
            }
        } else if predicate.is_some() || negate.is_some() {
            problems.push(Problem::new(
                &format!("{key}.predicate"),
                format!("Sluice applies predicates with org.apache.kafka.connect.transforms.Filter only, not with {class}"),
            ));
        }
        out.push(plugin_table(plugin, config));
    }
    out
}

/// Fills the `drop` plugin's config from predicate `name`'s options.
fn predicate_config(
    name: &str,
    options: &[(String, String)],
    config: &mut toml::Table,
    problems: &mut Vec<Problem>,
    unsupported: &mut Vec<Problem>,
) {
    let key = format!("predicates.{name}");
    let class = options
        .iter()
        .find(|(k, _)| k == "type")
        .map(|(_, v)| v.as_str());
    let Some((_, predicate, option)) = PREDICATE_CLASSES.iter().find(|(c, ..)| Some(*c) == class)
    else {
        let known: Vec<&str> = PREDICATE_CLASSES.iter().map(|(c, ..)| *c).collect();
        problems.push(Problem::new(
            &format!("{key}.type"),
            format!(
                "{:?} is not a predicate Sluice has; use one of {}",
                class.unwrap_or(""),
                known.join(", ")
            ),
        ));
        return;
    };
    config.insert("predicate".into(), (*predicate).into());
    for (k, v) in options.iter().filter(|(k, _)| k != "type") {
        if Some(k.as_str()) == *option {
            config.insert(k.clone(), v.as_str().into());
        } else {
            unsupported.push(Problem::new(
                &format!("{key}.{k}"),
                format!(
                    "not an option of {}: ignored, as Kafka ignores it",
                    class.unwrap_or("")
                ),
            ));
        }
    }
}

fn take(options: &mut Vec<(String, String)>, key: &str) -> Option<String> {
    let i = options.iter().position(|(k, _)| k == key)?;
    Some(options.remove(i).1)
}

/// A comma-separated list, as Connect writes `transforms` and `predicates`.
fn list(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}
