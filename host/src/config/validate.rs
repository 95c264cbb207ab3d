//! Raw manifest to checked specs: pure checks, every problem collected with
//! the connector and key it concerns. No I/O happens here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::kafka;
use super::raw::{RawConnector, RawManifest, RawPlugin, StringOrList};
use crate::errors::ErrorPolicy;
use crate::plugin::Capability;
use crate::plugin::registry::RegistryConfig;
use crate::plugin::{
    DEFAULT_CALL_TIMEOUT_MS, DEFAULT_CPU_DEADLINE_MS, DEFAULT_MEMORY_MIB, DirGrant, Grants, Limits,
    Sandbox,
};
use crate::problem::Problem;
use crate::sink::{CheckedSink, SinkSpec};

/// A checked manifest.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The manifest file.
    pub path: PathBuf,
    /// Where plugins named by file are found.
    pub plugin_dir: PathBuf,
    /// Where plugins given by URL are cached (`None`: the default place).
    pub cache_dir: Option<PathBuf>,
    /// Its connectors, checked.
    pub connectors: Vec<ConnectorSpec>,
}

impl Manifest {
    /// The same manifest with its plugins found in `dir` instead (the
    /// CLI's `$SLUICE_PLUGIN_DIR`, so one manifest serves machines that keep
    /// plugins elsewhere). Plugins given by URL are unaffected.
    pub fn with_plugin_dir(mut self, dir: PathBuf) -> Self {
        for c in &mut self.connectors {
            let plugins = c
                .key_converter
                .iter_mut()
                .chain(c.value_converter.iter_mut())
                .chain(c.transforms.iter_mut())
                .chain(std::iter::once(&mut c.formatter));
            for p in plugins.filter(|p| p.url.is_none()) {
                p.path = dir.join(format!("{}.wasm", p.name));
            }
        }
        self.plugin_dir = dir;
        self
    }
}

/// The most tasks a connector may ask for.
pub const MAX_TASKS: u32 = 256;

/// A checked connector.
#[derive(Clone, Debug)]
pub struct ConnectorSpec {
    pub name: String,
    /// Topic names, or one librdkafka regex (`^(…)$`).
    pub subscription: Vec<String>,
    /// librdkafka consumer properties, Sluice's forced settings included.
    pub kafka: std::collections::BTreeMap<String, String>,
    pub commit_interval: Duration,
    /// Connect's `tasks.max`: consumers of this connector across the
    /// workers sharing it (at least 1).
    pub tasks_max: u32,
    /// `None`: keys stay the raw bytes consumed (no plugin call).
    pub key_converter: Option<PluginSpec>,
    /// `None`: values stay the raw bytes consumed (no plugin call).
    pub value_converter: Option<PluginSpec>,
    pub transforms: Vec<PluginSpec>,
    pub sink: SinkSpec,
    pub formatter: PluginSpec,
    /// `errors.*`: tolerance, error log, dead letter queue.
    pub errors: ErrorPolicy,
}

/// A plugin a connector uses.
#[derive(Clone, Debug)]
pub struct PluginSpec {
    pub name: String,
    /// `<plugin_dir>/<name>.wasm`.
    pub path: PathBuf,
    pub config: Vec<(String, String)>,
    pub sandbox: Sandbox,
    /// Where it sits in the manifest, for messages: `"value.converter"`, `transforms[1]`.
    pub role: String,
    /// The URL it is downloaded from, if it is given by URL.
    pub url: Option<String>,
    /// The SHA-256 the file must have (lowercase hex), if the manifest gives one.
    pub sha256: Option<String>,
    /// Transforms: the records it applies to (`None`: all of them).
    pub selector: Option<crate::predicate::Selector>,
}

/// Checks `raw`, read from `path`; the error lists every problem.
pub fn validate(path: &Path, raw: RawManifest) -> Result<Manifest, Vec<Problem>> {
    let base = path.parent().unwrap_or(Path::new("."));
    let plugin_dir = base.join(raw.plugin_dir.as_deref().unwrap_or("plugins"));
    let mut problems = Vec::new();
    if raw.connectors.is_empty() {
        problems.push(Problem::whole(
            "no connectors: add a [[connectors]] section",
        ));
    }
    let mut names = BTreeSet::new();
    let mut connectors = Vec::new();
    for (i, c) in raw.connectors.iter().enumerate() {
        let mut own = Vec::new();
        if !names.insert(c.name.clone()) {
            own.push(Problem::option(
                "",
                "name",
                format!("another connector is already called {:?}", c.name),
            ));
        }
        if let Some(spec) = connector(c, &plugin_dir, &mut own) {
            connectors.push(spec);
        }
        problems.extend(own.into_iter().map(|p| p.in_connector(i, Some(&c.name))));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Manifest {
        path: path.to_path_buf(),
        plugin_dir,
        cache_dir: raw.cache_dir.map(|d| base.join(d)),
        connectors,
    })
}

fn connector(
    c: &RawConnector,
    plugin_dir: &Path,
    problems: &mut Vec<Problem>,
) -> Option<ConnectorSpec> {
    let before = problems.len();
    if c.name.trim().is_empty() || c.name.contains(char::is_whitespace) {
        problems.push(Problem::option(
            "",
            "name",
            format!("{:?} must be non-empty, without spaces", c.name),
        ));
    }
    let topics: Vec<String> = match &c.topics {
        Some(StringOrList::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect(),
        Some(StringOrList::List(l)) => l.iter().map(|t| t.trim().to_string()).collect(),
        None => Vec::new(),
    };
    // Connect's regex must match the whole name.
    let whole_regex = c
        .topics_regex
        .as_deref()
        .and_then(|re| regex::Regex::new(&format!("^(?:{re})$")).ok());
    let options = crate::errors::ErrorOptions {
        connector: &c.name,
        tolerance: c.errors_tolerance.as_deref(),
        log_enable: c.errors_log_enable,
        log_include_messages: c.errors_log_include_messages,
        retry_timeout: c.errors_retry_timeout,
        retry_delay_max_ms: c.errors_retry_delay_max_ms,
        dlq_topic_name: c.dlq_topic_name.as_deref(),
        dlq_replication_factor: c.dlq_replication_factor,
        dlq_context_headers_enable: c.dlq_context_headers_enable,
    };
    let errors = ErrorPolicy::check(options, &topics, whole_regex.as_ref(), problems);
    let subscription = match (&c.topics_regex, topics.is_empty()) {
        (Some(_), false) => {
            problems.push(Problem::whole(
                "topics and \"topics.regex\" are both set: keep one",
            ));
            Vec::new()
        }
        (Some(re), true) => match regex_syntax_ok(re) {
            Ok(()) => vec![kafka::topics_regex(re)],
            Err(e) => {
                problems.push(Problem::option(
                    "",
                    "topics.regex",
                    format!("{re:?} is not a valid regular expression: {e}"),
                ));
                Vec::new()
            }
        },
        (None, true) => {
            problems.push(Problem::option(
                "",
                "topics",
                "missing: set topics = \"a,b\" or \"topics.regex\"",
            ));
            Vec::new()
        }
        (None, false) => topics,
    };
    if let Some(n) = c.tasks_max
        && !(1..=MAX_TASKS).contains(&n)
    {
        problems.push(Problem::option(
            "",
            "tasks.max",
            format!("{n} is out of range: give 1 to {MAX_TASKS} (tasks share the topics' partitions; tasks beyond the partition count stay idle)"),
        ));
    }
    if c.tasks_max.unwrap_or(1) > 1
        && ["group.instance.id", "consumer.override.group.instance.id"]
            .iter()
            .any(|k| c.kafka.contains_key(*k))
    {
        problems.push(Problem::option(
            "kafka",
            "group.instance.id",
            "a static member id is one consumer's, and \"tasks.max\" above 1 runs several: remove it or set \"tasks.max\" = 1",
        ));
    }
    let kafka = kafka::consumer_properties(&c.name, &c.kafka).unwrap_or_else(|e| {
        problems.extend(e);
        Default::default()
    });
    let CheckedSink {
        spec: sink,
        formatter: formatter_raw,
        default_formatter,
    } = c.sink.check(&c.name, problems);
    let plugin =
        |raw: Option<&RawPlugin>, default: &str, role: String, problems: &mut Vec<Problem>| {
            plugin_spec(raw, default, role, plugin_dir, problems)
        };
    // No converter named: the part stays the raw bytes Kafka gave, which is
    // what `bytes` (ByteArrayConverter) would make of it, without a call.
    let key_converter = c
        .key_converter
        .as_ref()
        .map(|raw| plugin(Some(raw), "", "\"key.converter\"".into(), problems));
    let value_converter = c
        .value_converter
        .as_ref()
        .map(|raw| plugin(Some(raw), "", "\"value.converter\"".into(), problems));
    let transforms: Vec<PluginSpec> = c
        .transforms
        .iter()
        .enumerate()
        .map(|(i, t)| plugin(Some(t), "", format!("transforms[{i}]"), problems))
        .collect();
    let mut formatter = plugin(
        formatter_raw,
        default_formatter,
        "sink.formatter".into(),
        problems,
    );
    // Confluent keeps some on the connector: hand them to the formatter.
    for (key, value) in c.sink.formatter_options(&formatter.name) {
        if !formatter.config.iter().any(|(k, _)| k == key) {
            formatter.config.push((key.to_string(), value));
        }
    }
    (problems.len() == before).then(|| ConnectorSpec {
        name: c.name.clone(),
        subscription,
        kafka,
        commit_interval: Duration::from_millis(
            c.offset_flush_interval_ms.unwrap_or(5_000).max(100),
        ),
        tasks_max: c.tasks_max.unwrap_or(1),
        key_converter,
        value_converter,
        transforms,
        sink: sink.expect("no problems, so the sink was valid"),
        formatter,
        errors,
    })
}

fn plugin_spec(
    raw: Option<&RawPlugin>,
    default: &str,
    role: String,
    plugin_dir: &Path,
    problems: &mut Vec<Problem>,
) -> PluginSpec {
    let given = raw.map_or(default, |r| r.plugin.as_str()).to_string();
    let sha256 = raw
        .and_then(|r| r.sha256.as_deref())
        .map(str::to_ascii_lowercase);
    if let Some(d) = &sha256
        && !(d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        problems.push(Problem::at(
            format!("{role}.sha256"),
            format!("{d:?} is not a SHA-256 (64 hex digits)"),
        ));
    }
    let url = ["https://", "http://", "s3://"]
        .iter()
        .any(|scheme| given.starts_with(scheme))
        .then(|| given.clone());
    let name = match &url {
        // Messages and logs name it by its file, as a local plugin.
        Some(u) => {
            if sha256.is_none() {
                problems.push(Problem::at(
                    format!("{role}.sha256"),
                    format!("required for a plugin given by URL ({u}): add the file's SHA-256 (`sha256sum FILE.wasm`)"),
                ));
            }
            let file = u.rsplit('/').next().unwrap_or_default();
            file.strip_suffix(".wasm").unwrap_or(file).to_string()
        }
        None => given,
    };
    if name.is_empty() || name.contains(['/', '\\']) {
        problems.push(Problem::at(format!("{role}.plugin"), format!("{name:?} is not a plugin name (the file name in plugin_dir, without .wasm) or an s3:// or https:// URL ending in the file name")));
    }
    let mut config = Vec::new();
    let mut grants = Grants::default();
    let mut limits = Limits::default();
    if let Some(r) = raw {
        for (k, v) in &r.config {
            match v {
                toml::Value::String(s) => config.push((k.clone(), s.clone())),
                toml::Value::Integer(i) => config.push((k.clone(), i.to_string())),
                toml::Value::Float(f) => config.push((k.clone(), f.to_string())),
                toml::Value::Boolean(b) => config.push((k.clone(), b.to_string())),
                other => problems.push(Problem::at(
                    format!("{role}.config.{}", crate::problem::quote(k)),
                    format!(
                        "expected a string, number or boolean, not {}",
                        other.type_str()
                    ),
                )),
            }
        }
        limits = Limits::new(
            r.memory_limit_mib.unwrap_or(DEFAULT_MEMORY_MIB),
            r.cpu_deadline_ms.unwrap_or(DEFAULT_CPU_DEADLINE_MS),
            r.timeout_ms.unwrap_or(DEFAULT_CALL_TIMEOUT_MS),
        );
        grants.env = r.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        grants.registry = capabilities(r, &role, &mut config, problems);
        for d in &r.dirs {
            match d.rsplit_once(':') {
                Some((host, guest)) if guest.starts_with('/') => grants.dirs.push(DirGrant {
                    host: PathBuf::from(host),
                    guest: guest.to_string(),
                }),
                _ => problems.push(Problem::at(
                    format!("{role}.dirs"),
                    format!("{d:?} is not \"HOST_DIR:/GUEST_DIR\""),
                )),
            }
        }
    }
    let selector = raw.and_then(|r| selector(r, &role, problems));
    PluginSpec {
        path: plugin_dir.join(format!("{name}.wasm")),
        name,
        config,
        sandbox: Sandbox { limits, grants },
        role,
        url,
        sha256,
        selector,
    }
}

/// A transform's predicate and `negate`, checked; both are refused on
/// other plugins.
fn selector(
    raw: &RawPlugin,
    role: &str,
    problems: &mut Vec<Problem>,
) -> Option<crate::predicate::Selector> {
    let is_transform = role.starts_with("transforms[");
    let Some(p) = &raw.predicate else {
        if raw.negate.is_some() {
            problems.push(Problem::at(
                format!("{role}.negate"),
                "negates a predicate, but there is none: add predicate = { type = \"…\", … } or remove negate",
            ));
        }
        return None;
    };
    if !is_transform {
        problems.push(Problem::at(
            format!("{role}.predicate"),
            "predicates apply to transforms only",
        ));
        return None;
    }
    match crate::predicate::Predicate::new(&p.kind, p.pattern.as_deref(), p.name.as_deref()) {
        Ok(predicate) => Some(crate::predicate::Selector {
            predicate,
            negate: raw.negate.unwrap_or(false),
        }),
        Err((option, message)) => {
            problems.push(Problem::at(format!("{role}.predicate.{option}"), message));
            None
        }
    }
}

/// The capabilities a plugin block grants; the schema registry's options
/// are taken out of `config` (the plugin never sees them).
fn capabilities(
    raw: &RawPlugin,
    role: &str,
    config: &mut Vec<(String, String)>,
    problems: &mut Vec<Problem>,
) -> Option<RegistryConfig> {
    let mut registry = false;
    for name in &raw.capabilities {
        match Capability::parse(name) {
            Some(Capability::SchemaRegistry) => registry = true,
            None => problems.push(Problem::at(
                format!("{role}.capabilities"),
                format!(
                    "{name:?} is not a capability; there are: {}",
                    Capability::ALL.map(|c| c.name()).join(", ")
                ),
            )),
        }
    }
    let option = |k: &str| format!("{role}.config.{}", crate::problem::quote(k));
    if !registry {
        for (k, _) in config.iter() {
            if crate::plugin::registry::OPTION_PREFIXES
                .iter()
                .any(|p| k.starts_with(p))
            {
                problems.push(Problem::at(
                    option(k),
                    "an option of the schema-registry capability, which this plugin is not granted: add capabilities = [\"schema-registry\"]",
                ));
            }
        }
        return None;
    }
    match RegistryConfig::take(config) {
        Ok(Some(r)) => Some(r),
        Ok(None) => {
            problems.push(Problem::at(
                format!("{role}.config"),
                "the schema-registry capability needs \"schema.registry.url\" (the registry's base URL)",
            ));
            None
        }
        Err(bad) => {
            for (k, m) in bad {
                problems.push(Problem::at(option(&k), m));
            }
            None
        }
    }
}

/// Java and Rust regexes differ in corners; this checks the common syntax.
fn regex_syntax_ok(re: &str) -> Result<(), regex::Error> {
    regex::Regex::new(re).map(|_| ())
}
