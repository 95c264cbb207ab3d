//! Connect's converter, transform (SMT) and predicate classes mapped to
//! Sluice's plugins: the classes Sluice maps itself, and the classes the
//! plugins of the plugin directory declare (their `connect.class` key). A
//! class without a dot names a Wasm plugin of the plugin directory, which
//! gets every option of its prefix as its config.

use std::collections::BTreeMap;

use super::{ConnectConfig, Options, Problem};
use crate::plugin::{CONNECT_CLASS_KEY, LoadedPlugin, PluginKind, registry};

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
    (
        "io.confluent.connect.avro.AvroConverter",
        Some("avro"),
        &[
            "connect.meta.data",
            "flatten.singleton.unions",
            "schemas.cache.config",
            "enhanced.avro.schema.support",
            "generalized.sum.type.support",
            "scrub.invalid.names",
            "ignore.default.for.nullables",
            "discard.type.doc.default",
            "key.subject.name.strategy",
            "value.subject.name.strategy",
            "auto.register.schemas",
            "use.latest.version",
        ],
    ),
    (
        "io.confluent.connect.json.JsonSchemaConverter",
        Some("json-schema"),
        &[
            "json.fail.invalid.schema",
            "use.optional.for.nonrequired",
            "flatten.singleton.unions",
            "schemas.cache.config",
            "generalized.sum.type.support",
            "ignore.modern.dialects",
            "json.fail.unknown.properties",
            "object.additional.properties",
            "decimal.format",
            "ignore.default.for.nullables",
            "key.subject.name.strategy",
            "value.subject.name.strategy",
            "auto.register.schemas",
            "use.latest.version",
        ],
    ),
    (
        "io.confluent.connect.protobuf.ProtobufConverter",
        Some("protobuf"),
        &[
            "enhanced.protobuf.schema.support",
            "generate.index.for.unions",
            "flatten.unions",
            "int.for.enums",
            "optional.for.nullables",
            "optional.for.proto2",
            "wrapper.for.nullables",
            "wrapper.for.raw.primitives",
            "generate.struct.for.nulls",
            "generalized.sum.type.support",
            "schemas.cache.config",
            "scrub.invalid.names",
            "ignore.default.for.nullables",
            "key.subject.name.strategy",
            "value.subject.name.strategy",
            "reference.subject.name.strategy",
            "auto.register.schemas",
            "use.latest.version",
        ],
    ),
];

/// The converter plugins that read schemas from a schema registry: granted
/// the `schema-registry` capability, with the registry's options
/// (`schema.registry.url`, `basic.auth.*`, ...) passed to the host.
pub const REGISTRY_CONVERTERS: &[&str] = &["avro", "json-schema", "protobuf"];

/// Transform classes: (class, plugin, options the plugin implements). The
/// plugin gets the class in its `connect.class` key, so one plugin serves
/// `$Key` and `$Value`.
pub const TRANSFORM_CLASSES: &[(&str, &str, &[&str])] = &[
    (
        "org.apache.kafka.connect.transforms.InsertField$Value",
        "insert-field",
        INSERT_FIELD,
    ),
    (
        "org.apache.kafka.connect.transforms.InsertField$Key",
        "insert-field",
        INSERT_FIELD,
    ),
    ("org.apache.kafka.connect.transforms.Filter", "drop", &[]),
    (
        "org.apache.kafka.connect.transforms.ExtractField$Key",
        "extract-field",
        EXTRACT_FIELD,
    ),
    (
        "org.apache.kafka.connect.transforms.ExtractField$Value",
        "extract-field",
        EXTRACT_FIELD,
    ),
    (
        "org.apache.kafka.connect.transforms.HoistField$Key",
        "hoist-field",
        &["field"],
    ),
    (
        "org.apache.kafka.connect.transforms.HoistField$Value",
        "hoist-field",
        &["field"],
    ),
    (
        "org.apache.kafka.connect.transforms.ValueToKey",
        "value-to-key",
        &["fields", "replace.null.with.default"],
    ),
    (
        "org.apache.kafka.connect.transforms.ReplaceField$Key",
        "replace-field",
        REPLACE_FIELD,
    ),
    (
        "org.apache.kafka.connect.transforms.ReplaceField$Value",
        "replace-field",
        REPLACE_FIELD,
    ),
    (
        "org.apache.kafka.connect.transforms.MaskField$Key",
        "mask-field",
        MASK_FIELD,
    ),
    (
        "org.apache.kafka.connect.transforms.MaskField$Value",
        "mask-field",
        MASK_FIELD,
    ),
    (
        "org.apache.kafka.connect.transforms.Flatten$Key",
        "flatten",
        &["delimiter"],
    ),
    (
        "org.apache.kafka.connect.transforms.Flatten$Value",
        "flatten",
        &["delimiter"],
    ),
    (
        "org.apache.kafka.connect.transforms.SetSchemaMetadata$Key",
        "set-schema-metadata",
        SET_SCHEMA_METADATA,
    ),
    (
        "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
        "set-schema-metadata",
        SET_SCHEMA_METADATA,
    ),
    (
        "org.apache.kafka.connect.transforms.RegexRouter",
        "regex-router",
        &["regex", "replacement"],
    ),
    (
        "org.apache.kafka.connect.transforms.TimestampRouter",
        "timestamp-router",
        &["topic.format", "timestamp.format"],
    ),
    (
        "org.apache.kafka.connect.transforms.DropHeaders",
        "drop-headers",
        &["headers"],
    ),
    (
        "org.apache.kafka.connect.transforms.TimestampConverter$Key",
        "timestamp-converter",
        TIMESTAMP_CONVERTER,
    ),
    (
        "org.apache.kafka.connect.transforms.TimestampConverter$Value",
        "timestamp-converter",
        TIMESTAMP_CONVERTER,
    ),
    (
        "org.apache.kafka.connect.transforms.InsertHeader",
        "insert-header",
        &["header", "value.literal"],
    ),
    (
        "org.apache.kafka.connect.transforms.HeaderFrom$Key",
        "header-from",
        HEADER_FROM,
    ),
    (
        "org.apache.kafka.connect.transforms.HeaderFrom$Value",
        "header-from",
        HEADER_FROM,
    ),
    (
        "org.apache.kafka.connect.transforms.Cast$Key",
        "cast",
        &["spec", "replace.null.with.default"],
    ),
    (
        "org.apache.kafka.connect.transforms.Cast$Value",
        "cast",
        &["spec", "replace.null.with.default"],
    ),
    (
        "io.debezium.transforms.ExtractNewRecordState",
        "extract-new-record-state",
        EXTRACT_NEW_RECORD_STATE,
    ),
    (
        "io.confluent.connect.transforms.TombstoneHandler",
        "tombstone-handler",
        &["behavior"],
    ),
];

/// Debezium 3's options of `ExtractNewRecordState`.
const EXTRACT_NEW_RECORD_STATE: &[&str] = &[
    "delete.tombstone.handling.mode",
    "route.by.field",
    "add.fields",
    "add.fields.prefix",
    "add.headers",
    "add.headers.prefix",
    "replace.null.with.default",
    "drop.fields.header.name",
    "drop.fields.from.key",
    "drop.fields.keep.schema.compatible",
];

/// Options a transform's class no longer reads, with what replaced them:
/// (class, option, what to write instead).
const RETIRED_OPTIONS: &[(&str, &str, &str)] = &[
    (
        "io.debezium.transforms.ExtractNewRecordState",
        "delete.handling.mode",
        "removed in Debezium 3.0, whose ExtractNewRecordState ignores it; write delete.tombstone.handling.mode: \
         none is tombstone, drop is drop, rewrite is rewrite (rewrite-with-tombstone with drop.tombstones=false)",
    ),
    (
        "io.debezium.transforms.ExtractNewRecordState",
        "drop.tombstones",
        "removed in Debezium 3.0, whose ExtractNewRecordState ignores it; write delete.tombstone.handling.mode: \
         rewrite-with-tombstone keeps tombstones, every other mode drops them",
    ),
];

const INSERT_FIELD: &[&str] = &[
    "topic.field",
    "partition.field",
    "offset.field",
    "timestamp.field",
    "static.field",
    "static.value",
    "replace.null.with.default",
];
const EXTRACT_FIELD: &[&str] = &["field", "field.syntax.version", "replace.null.with.default"];
const REPLACE_FIELD: &[&str] = &[
    "exclude",
    "include",
    "renames",
    "whitelist",
    "blacklist",
    "replace.null.with.default",
];
const TIMESTAMP_CONVERTER: &[&str] = &[
    "field",
    "target.type",
    "format",
    "unix.precision",
    "replace.null.with.default",
];
const HEADER_FROM: &[&str] = &[
    "fields",
    "headers",
    "operation",
    "replace.null.with.default",
];
const MASK_FIELD: &[&str] = &["fields", "replacement", "replace.null.with.default"];
const SET_SCHEMA_METADATA: &[&str] =
    &["schema.name", "schema.version", "replace.null.with.default"];

/// Predicate classes: (class, the `drop` plugin's predicate, its option).
pub const PREDICATE_CLASSES: &[(&str, &str, Option<&str>)] = &[
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

/// A Connect class a plugin of the plugin directory declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declared {
    /// The plugin's name in manifests: its file's name without `.wasm`.
    pub plugin: String,
    pub kind: PluginKind,
    /// The config keys the plugin declares: the options it takes.
    pub keys: Vec<String>,
    /// The host capabilities it imports, granted with it.
    pub capabilities: Vec<&'static str>,
}

/// The Connect classes the plugins of a plugin directory declare, each with
/// the plugins that declare it (two is a conflict the user must resolve).
/// Classes Sluice maps itself are not taken from plugins.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeclaredClasses {
    classes: BTreeMap<String, Vec<Declared>>,
    /// Where the plugins were looked for, named in errors.
    dir: Option<String>,
}

impl DeclaredClasses {
    /// The classes `plugins` (loaded from directory `dir`) declare.
    pub fn from_plugins<'a>(
        dir: &std::path::Path,
        plugins: impl IntoIterator<Item = &'a LoadedPlugin>,
    ) -> Self {
        let mut classes: BTreeMap<String, Vec<Declared>> = BTreeMap::new();
        for p in plugins {
            let plugin = p
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.metadata.name.clone());
            for class in p.metadata.connect_classes() {
                if is_builtin(class) {
                    continue;
                }
                classes
                    .entry(class.to_string())
                    .or_default()
                    .push(Declared {
                        plugin: plugin.clone(),
                        kind: p.metadata.kind,
                        keys: p.metadata.config.iter().map(|k| k.name.clone()).collect(),
                        capabilities: p.capabilities.iter().map(|c| c.name()).collect(),
                    });
            }
        }
        DeclaredClasses {
            classes,
            dir: Some(dir.display().to_string()),
        }
    }

    /// Loads the plugins of `dir` and reads the classes they declare.
    pub async fn load(runtime: &crate::plugin::Runtime, dir: &std::path::Path) -> Self {
        let plugins = runtime.load_dir_ok(dir).await;
        Self::from_plugins(dir, plugins.iter().map(|p| &**p))
    }

    /// Adds `class` declared by `declared` (for tests and callers that know
    /// their plugins without loading them).
    pub fn insert(&mut self, class: &str, declared: Declared) {
        self.classes
            .entry(class.to_string())
            .or_default()
            .push(declared);
    }

    /// The plugin that implements `class` as a `kind`: `Ok(None)` when no
    /// plugin declares it, `Err` (what to change) when two do or the one
    /// that does is of another kind.
    fn lookup(&self, class: &str, kind: PluginKind) -> Result<Option<&Declared>, String> {
        match self.classes.get(class).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([d]) if d.kind == kind => Ok(Some(d)),
            Some([d]) => Err(format!(
                "{class} is declared by the {} plugin {:?}, not by a {kind}",
                d.kind, d.plugin
            )),
            Some(all) => {
                let mut names: Vec<&str> = all.iter().map(|d| d.plugin.as_str()).collect();
                names.sort_unstable();
                Err(format!(
                    "{class} is declared by several plugins ({}): keep one of them in the plugin directory",
                    names.join(", ")
                ))
            }
        }
    }

    /// The classes declared by plugins of `kind`.
    pub fn of_kind(&self, kind: PluginKind) -> impl Iterator<Item = &str> {
        self.classes
            .iter()
            .filter(move |(_, d)| d.iter().any(|d| d.kind == kind))
            .map(|(c, _)| c.as_str())
    }

    /// What an error about an unknown class adds: the declared classes and
    /// how to declare one.
    fn hint(&self, kind: PluginKind) -> String {
        let declared: Vec<&str> = self.of_kind(kind).collect();
        let dir = self.dir.as_deref().unwrap_or("the plugin directory");
        let known = if declared.is_empty() {
            format!("no plugin of {dir} declares a Connect {kind} class")
        } else {
            format!("plugins of {dir} declare {}", declared.join(", "))
        };
        format!(
            "; {known}. To run your own class, port it to a Wasm plugin (`sluice plugin new <name> --kind {kind} --lang rust|python|js|c|go`) that lists the class in its `{CONNECT_CLASS_KEY}` config key's default, and put it in the plugin directory"
        )
    }
}

/// Whether Sluice maps `class` itself.
fn is_builtin(class: &str) -> bool {
    CONVERTER_CLASSES.iter().any(|(c, ..)| *c == class)
        || TRANSFORM_CLASSES.iter().any(|(c, ..)| *c == class)
}

/// Whether `config` (or, for converters, `worker`) names a converter or
/// transform class only a plugin of the plugin directory can declare: the
/// plugins need loading to translate it.
pub fn names_declared_classes(config: &ConnectConfig, worker: &ConnectConfig) -> bool {
    let foreign = |class: &String| !is_plugin_name(class) && !is_builtin(class);
    config.iter().any(|(k, v)| {
        (k == "key.converter"
            || k == "value.converter"
            || (k.starts_with("transforms.") && k.ends_with(".type")))
            && foreign(v)
    }) || ["key.converter", "value.converter"]
        .iter()
        .any(|r| !config.contains_key(*r) && worker.get(*r).is_some_and(foreign))
}

/// The plugin table of `declared` for `class`: the class in
/// [`CONNECT_CLASS_KEY`], the options the plugin declares, its
/// capabilities with their options; every other option reported, as Kafka
/// ignores what a class does not define.
fn declared_table(
    class: &str,
    declared: &Declared,
    options: Vec<(String, String)>,
    prefix: &str,
    unsupported: &mut Vec<Problem>,
) -> toml::Value {
    let registry = declared.capabilities.contains(&"schema-registry");
    let mut config = toml::Table::new();
    config.insert(CONNECT_CLASS_KEY.into(), class.into());
    for (k, v) in options {
        let capability_option =
            registry && registry::OPTION_PREFIXES.iter().any(|p| k.starts_with(p));
        if let Some(why) = registry.then(|| registry::java_only(&k)).flatten() {
            unsupported.push(Problem::new(
                &format!("{prefix}{k}"),
                format!("{why}: ignored"),
            ));
        } else if (declared.keys.contains(&k) && k != CONNECT_CLASS_KEY) || capability_option {
            config.insert(k, v.into());
        } else {
            let close = super::did_you_mean(
                &k,
                declared
                    .keys
                    .iter()
                    .map(String::as_str)
                    .filter(|k| *k != CONNECT_CLASS_KEY),
            )
            .map(|c| format!("; did you mean {c:?}?"))
            .unwrap_or_default();
            unsupported.push(Problem::new(
                &format!("{prefix}{k}"),
                format!(
                    "not an option of {class} (plugin {:?}): ignored, as Kafka ignores it{close}",
                    declared.plugin
                ),
            ));
        }
    }
    let mut table = match plugin_table(&declared.plugin, config) {
        toml::Value::Table(t) => t,
        _ => unreachable!("plugin_table makes a table"),
    };
    if !declared.capabilities.is_empty() {
        table.insert(
            "capabilities".into(),
            toml::Value::Array(declared.capabilities.iter().map(|c| (*c).into()).collect()),
        );
    }
    toml::Value::Table(table)
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
    declared: &DeclaredClasses,
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
        match declared.lookup(&class, PluginKind::Converter) {
            Ok(Some(d)) => {
                return Some(declared_table(&class, d, options, &prefix, unsupported));
            }
            Ok(None) => {
                let known: Vec<&str> = CONVERTER_CLASSES.iter().map(|(c, ..)| *c).collect();
                problems.push(Problem::new(
                    role,
                    format!(
                        "{from}{class:?} is not a converter Sluice has; use one of {} or the name of a Wasm converter plugin{}",
                        known.join(", "),
                        declared.hint(PluginKind::Converter)
                    ),
                ));
            }
            Err(why) => problems.push(Problem::new(role, format!("{from}{why}"))),
        }
        return None;
    };
    if let Some(p) = plugin.filter(|p| REGISTRY_CONVERTERS.contains(p)) {
        let declared = Declared {
            plugin: p.to_string(),
            kind: PluginKind::Converter,
            keys: implemented.iter().map(|k| k.to_string()).collect(),
            capabilities: vec!["schema-registry"],
        };
        return Some(declared_table(
            &class,
            &declared,
            options,
            &prefix,
            unsupported,
        ));
    }
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

/// The header converters the transforms that write headers take.
pub const HEADER_CONVERTERS: &[&str] = &[
    "org.apache.kafka.connect.storage.SimpleHeaderConverter",
    "org.apache.kafka.connect.storage.StringConverter",
];

/// The transforms that write headers, and so take the connector's
/// `header.converter`.
const WRITE_HEADERS: &[&str] = &["header-from", "insert-header", "extract-new-record-state"];

/// The `transforms` chain as manifest plugin tables, with `predicates`;
/// `header_converter` goes to the transforms that write headers.
pub fn transforms(
    opts: &mut Options,
    header_converter: Option<&str>,
    declared: &DeclaredClasses,
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
        let selector = PredicateRef {
            key: &key,
            name: predicate.as_deref(),
            negate: negate.as_deref(),
            all: &predicates,
            names: &predicate_names,
        };
        let Some(class) = class else {
            problems.push(Problem::new(
                &format!("{key}.type"),
                "missing: the transform's class",
            ));
            continue;
        };
        let Some((_, plugin, implemented)) = TRANSFORM_CLASSES.iter().find(|(c, ..)| *c == class)
        else {
            // A plugin: named as such, or declaring the class.
            let d = if is_plugin_name(&class) {
                None
            } else {
                match declared.lookup(&class, PluginKind::Transform) {
                    Ok(Some(d)) => Some(d),
                    Ok(None) => {
                        let known: Vec<&str> = TRANSFORM_CLASSES.iter().map(|(c, ..)| *c).collect();
                        problems.push(Problem::new(
                            &format!("{key}.type"),
                            format!(
                                "{class:?} is not a transform Sluice has; use one of {} or the name of a Wasm transform plugin{}",
                                known.join(", "),
                                declared.hint(PluginKind::Transform)
                            ),
                        ));
                        continue;
                    }
                    Err(why) => {
                        problems.push(Problem::new(&format!("{key}.type"), why));
                        continue;
                    }
                }
            };
            let mut table = match d {
                Some(d) => declared_table(&class, d, options, &format!("{key}."), unsupported),
                None => {
                    let config = options.into_iter().map(|(k, v)| (k, v.into())).collect();
                    plugin_table(&class, config)
                }
            };
            selector.add_to(&mut table, problems, unsupported);
            out.push(table);
            continue;
        };
        let mut config = toml::Table::new();
        if *plugin != "drop" {
            config.insert(CONNECT_CLASS_KEY.into(), class.as_str().into());
        }
        if let Some(h) = header_converter
            && WRITE_HEADERS.contains(plugin)
        {
            config.insert("header.converter".into(), h.into());
        }
        for (k, v) in options {
            if implemented.contains(&k.as_str()) {
                config.insert(k, v.into());
            } else if let Some((.., instead)) = RETIRED_OPTIONS
                .iter()
                .find(|(c, o, _)| *c == class && *o == k)
            {
                unsupported.push(Problem::new(&format!("{key}.{k}"), *instead));
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
            // Filter's predicate is the drop plugin's own config; without
            // one, Kafka's Filter drops every record.
            if let Some(p) = selector.resolve(problems, unsupported) {
                for (k, v) in p {
                    config.insert(if k == "type" { "predicate".into() } else { k }, v);
                }
                if let Some(n) = &negate {
                    config.insert("negate".into(), n.as_str().into());
                }
            }
            out.push(plugin_table(plugin, config));
        } else {
            let mut table = plugin_table(plugin, config);
            selector.add_to(&mut table, problems, unsupported);
            out.push(table);
        }
    }
    out
}

/// A transform's `predicate` and `negate` options, and the connector's
/// `predicates`, to be put in the transform's plugin table: the host
/// selects the records the transform applies to.
struct PredicateRef<'a> {
    /// `transforms.<name>`, for messages.
    key: &'a str,
    name: Option<&'a str>,
    negate: Option<&'a str>,
    all: &'a [(String, Vec<(String, String)>)],
    names: &'a [String],
}

impl PredicateRef<'_> {
    /// Puts the predicate and `negate` in the transform's plugin table, for
    /// the host to select records with.
    fn add_to(
        &self,
        table: &mut toml::Value,
        problems: &mut Vec<Problem>,
        unsupported: &mut Vec<Problem>,
    ) {
        let key = self.key;
        if self.name.is_none() && self.negate.is_some() {
            unsupported.push(Problem::new(
                &format!("{key}.negate"),
                "there is no predicate to negate: ignored, as Kafka ignores it",
            ));
        }
        let Some(p) = self.resolve(problems, unsupported) else {
            return;
        };
        if let toml::Value::Table(t) = table {
            t.insert("predicate".into(), toml::Value::Table(p));
            if let Some(n) = self.negate {
                match n.trim().to_ascii_lowercase().as_str() {
                    "true" => {
                        t.insert("negate".into(), true.into());
                    }
                    "false" => {}
                    _ => problems.push(Problem::new(
                        &format!("{key}.negate"),
                        format!("{n:?} is not true or false"),
                    )),
                }
            }
        }
    }

    /// The named predicate as a manifest table (`type` with its short name,
    /// and its one option); `None` when there is none, or it is reported.
    fn resolve(
        &self,
        problems: &mut Vec<Problem>,
        unsupported: &mut Vec<Problem>,
    ) -> Option<toml::Table> {
        let key = self.key;
        let name = self.name?;
        let Some((_, options)) = self.all.iter().find(|(n, _)| n == name) else {
            problems.push(Problem::new(
                &format!("{key}.predicate"),
                format!("{name:?} is not in `predicates` ({})", self.names.join(",")),
            ));
            return None;
        };
        let pkey = format!("predicates.{name}");
        let class = options
            .iter()
            .find(|(k, _)| k == "type")
            .map(|(_, v)| v.as_str());
        let Some((short, option)) = PREDICATE_CLASSES
            .iter()
            .find(|(c, ..)| Some(*c) == class)
            .map(|(_, s, o)| (*s, *o))
        else {
            let known: Vec<&str> = PREDICATE_CLASSES.iter().map(|(c, ..)| *c).collect();
            problems.push(Problem::new(
                &format!("{pkey}.type"),
                format!(
                    "{:?} is not a predicate Sluice has; use one of {}",
                    class.unwrap_or(""),
                    known.join(", ")
                ),
            ));
            return None;
        };
        let mut p = toml::Table::new();
        p.insert("type".into(), short.into());
        for (k, v) in options.iter().filter(|(k, _)| k != "type") {
            if Some(k.as_str()) == option {
                p.insert(k.clone(), v.as_str().into());
            } else {
                unsupported.push(Problem::new(
                    &format!("{pkey}.{k}"),
                    format!(
                        "not an option of {}: ignored, as Kafka ignores it",
                        class.unwrap_or("")
                    ),
                ));
            }
        }
        Some(p)
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
