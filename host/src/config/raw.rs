//! The manifest as written: serde types that reject unknown keys. Keys of
//! connectors and sinks are Kafka Connect's option names, so a connector's
//! Connect config maps onto a manifest section key for key. Nothing here does
//! I/O or checks more than types; see `validate` for the rest. Numbers and
//! booleans may also be strings (`"batch.max.size" = "500"`), as in Connect.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A whole manifest file.
///
/// ```toml
/// plugin_dir = "plugins"
///
/// [[connectors]]
/// name = "td-events"
/// topics = "events"
/// kafka = { "bootstrap.servers" = "127.0.0.1:9092" }
/// "value.converter" = { plugin = "json", config = { "schemas.enable" = false } }
/// sink = { type = "http", "http.api.url" = "https://in.example.com/v1/events" }
/// ```
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawManifest {
    /// Directory holding the plugins' `.wasm` files, relative to the manifest;
    /// `$SLUICE_PLUGIN_DIR` overrides it. Example: `plugin_dir = "plugins"`. Default: `plugins`.
    pub plugin_dir: Option<String>,
    /// Directory for precompiled plugins. Example: `cache_dir = "/var/cache/sluice"`.
    /// Default: `$SLUICE_CACHE_DIR`, else `~/.cache/sluice`.
    pub cache_dir: Option<String>,
    /// The connectors this process runs; each is one consumer group member.
    /// Example: `[[connectors]]` sections, one per connector.
    #[serde(default)]
    pub connectors: Vec<RawConnector>,
}

/// One sink connector: topics in, one sink out.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawConnector {
    /// Unique name; the consumer group is `connect-<name>` unless `kafka."group.id"`
    /// says otherwise, as in Kafka Connect. Example: `name = "td-events"`.
    pub name: String,
    /// Topics to consume: a comma-separated string, as in Connect, or a list.
    /// Example: `topics = "orders,payments"` or `topics = ["orders", "payments"]`.
    pub topics: Option<StringOrList>,
    /// A Java regular expression the whole topic name must match; instead of `topics`.
    /// Example: `"topics.regex" = "events-.*"`.
    #[serde(rename = "topics.regex")]
    pub topics_regex: Option<String>,
    /// Kafka Connect's `tasks.max`: how many tasks (consumers in the
    /// connector's group, each with its own plugin instances) run it. A
    /// manifest connector runs them all in this process; an API connector of
    /// workers sharing a `--group-id` has them shared out among the workers,
    /// at most this many in all; run more processes to scale out.
    /// Example: `"tasks.max" = 2`. Default: 1.
    #[serde(rename = "tasks.max")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub tasks_max: Option<u32>,
    /// librdkafka consumer properties: `bootstrap.servers`, security settings,
    /// Connect's `consumer.override.*` form too. Java-only keys are translated
    /// where possible. Example: `kafka = { "bootstrap.servers" = "broker:9092" }`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub kafka: BTreeMap<String, toml::Value>,
    /// Milliseconds between offset commits (Connect's `offset.flush.interval.ms`).
    /// Example: `"offset.flush.interval.ms" = 5000`. Default: 5000.
    #[serde(rename = "offset.flush.interval.ms")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub offset_flush_interval_ms: Option<u64>,
    /// Converter for record keys. Example: `"key.converter" = { plugin = "string" }`.
    /// Default: none, keys pass through as the bytes consumed (what `bytes`,
    /// Connect's ByteArrayConverter, makes of them, without a plugin call).
    #[serde(rename = "key.converter")]
    pub key_converter: Option<RawPlugin>,
    /// Converter for record values. Example:
    /// `"value.converter" = { plugin = "json", config = { "schemas.enable" = false } }`.
    /// Default: none, values pass through as the bytes consumed (as with `bytes`).
    #[serde(rename = "value.converter")]
    pub value_converter: Option<RawPlugin>,
    /// Transforms applied in order. Example:
    /// `transforms = [{ plugin = "insert-field", config = { "topic.field" = "topic" } }]`.
    #[serde(default)]
    pub transforms: Vec<RawPlugin>,
    /// Where records go. Example: `sink = { type = "http", "http.api.url" = "https://in.example.com/v1" }`.
    pub sink: RawSink,
    /// `none`: the first record a converter, transform or formatter fails stops the
    /// connector (records before it are delivered and committed). `all`: failed records
    /// are logged, sent to the dead letter queue if one is set, and skipped.
    /// Example: `"errors.tolerance" = "all"`. Default: `none`, as in Connect.
    #[serde(rename = "errors.tolerance")]
    pub errors_tolerance: Option<String>,
    /// Log every failed record at ERROR level with its stage, class and error, in
    /// Connect's words. Example: `"errors.log.enable" = true`. Default: `false`.
    #[serde(rename = "errors.log.enable")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub errors_log_enable: Option<bool>,
    /// Add the failed record's topic, partition, offset and timestamp to that log line, as
    /// Connect does (never its key or value). Example: `"errors.log.include.messages" = true`.
    /// Default: `false`.
    #[serde(rename = "errors.log.include.messages")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub errors_log_include_messages: Option<bool>,
    /// How long, in ms, a plugin call that fails as a whole (trap, deadline, memory
    /// limit) is retried with backoff before its batch is split to isolate the records
    /// that cause it; `-1` retries forever. Example: `"errors.retry.timeout" = 30000`.
    /// Default: `0` (one immediate retry on a fresh instance, then isolation).
    #[serde(rename = "errors.retry.timeout")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub errors_retry_timeout: Option<i64>,
    /// Longest delay between those retries, in ms; delays start at 300 ms and double.
    /// Example: `"errors.retry.delay.max.ms" = 10000`. Default: 60000.
    #[serde(rename = "errors.retry.delay.max.ms")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub errors_retry_delay_max_ms: Option<u64>,
    /// Dead letter queue topic: failed records go there with their original key, value,
    /// headers and timestamp; created with one partition if missing. Must not be one of
    /// the connector's own topics. Example: `"errors.deadletterqueue.topic.name" = "dlq-td"`.
    /// Default: none (failed records are only logged and counted).
    #[serde(rename = "errors.deadletterqueue.topic.name")]
    pub dlq_topic_name: Option<String>,
    /// Replication factor used when creating the dead letter queue topic; set 1 on a
    /// one-broker cluster. Example: `"errors.deadletterqueue.topic.replication.factor" = 1`.
    /// Default: 3, as in Connect.
    #[serde(rename = "errors.deadletterqueue.topic.replication.factor")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub dlq_replication_factor: Option<i32>,
    /// Add Connect's `__connect.errors.*` headers (topic, partition, offset, connector,
    /// task, stage, class, exception) to dead letter records.
    /// Example: `"errors.deadletterqueue.context.headers.enable" = true`. Default: `false`.
    #[serde(rename = "errors.deadletterqueue.context.headers.enable")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub dlq_context_headers_enable: Option<bool>,
}

/// A transform's predicate: Kafka Connect's `predicates.<name>.*` options.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPredicate {
    /// `TopicNameMatches`, `HasHeaderKey` or `RecordIsTombstone` (Kafka's
    /// class names are accepted too). Example: `type = "HasHeaderKey"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// TopicNameMatches: a regex the whole topic name must match.
    /// Example: `pattern = "orders-.*"`.
    pub pattern: Option<String>,
    /// HasHeaderKey: the header's name. Example: `name = "trace-id"`.
    pub name: Option<String>,
}

/// A plugin used by a connector, with its configuration and sandbox.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPlugin {
    /// The plugin's name: the file `<plugin_dir>/<name>.wasm`. Example: `plugin = "json"`.
    /// Or where to download it, as MSK Connect takes custom plugins: an
    /// `s3://bucket/key.wasm` (the standard AWS credential chain;
    /// `$AWS_ENDPOINT_URL` for S3-compatible stores) or `https://` URL, with
    /// `sha256` required. Example: `plugin = "s3://plugins/mask-pii.wasm"`.
    pub plugin: String,
    /// The SHA-256 of the plugin file, 64 hex digits: required for a plugin
    /// given by URL (downloaded once into `<cache_dir>/downloads`, verified,
    /// refused on a mismatch); checked on every start for a local file too.
    /// Example: `sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`.
    pub sha256: Option<String>,
    /// The plugin's configuration; values may be strings, numbers or booleans.
    /// Example: `config = { "schemas.enable" = false }`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub config: BTreeMap<String, toml::Value>,
    /// Linear memory one instance may use, in MiB. Example: `memory_limit_mib = 256`. Default: 128.
    pub memory_limit_mib: Option<usize>,
    /// Time one call may spend in wasm code, in ms. Example: `cpu_deadline_ms = 2000`. Default: 5000.
    pub cpu_deadline_ms: Option<u64>,
    /// Wall-clock time one call may take, in ms. Example: `timeout_ms = 5000`. Default: 10000.
    pub timeout_ms: Option<u64>,
    /// Environment variables the plugin may read. Example: `env = { REGION = "eu" }`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Host directories the plugin may read, as `"HOST_DIR:GUEST_DIR"`.
    /// Example: `dirs = ["./lookup:/data"]`.
    #[serde(default)]
    pub dirs: Vec<String>,
    /// Transforms only: apply this transform only to the records a
    /// predicate selects; the others pass it unchanged, without a plugin
    /// call (Connect's `transforms.<name>.predicate`). Example:
    /// `predicate = { type = "TopicNameMatches", pattern = "orders-.*" }`.
    /// Default: every record.
    pub predicate: Option<RawPredicate>,
    /// Transforms only: apply the transform to the records the predicate
    /// does NOT select (Connect's `transforms.<name>.negate`). Example:
    /// `negate = true`. Default: `false`.
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub negate: Option<bool>,
    /// Host capabilities the plugin may import (contract 0.2); a plugin that
    /// imports one it is not granted is refused when it starts.
    /// `schema-registry`: a Confluent-compatible schema registry reached by the
    /// host, configured by the plugin's `schema.registry.url`,
    /// `basic.auth.credentials.source`/`basic.auth.user.info`,
    /// `bearer.auth.credentials.source`/`bearer.auth.token` (or OAuth2's
    /// `bearer.auth.issuer.endpoint.url`/`client.id`/`client.secret`),
    /// `schema.registry.ssl.truststore.*`/`keystore.*`/`key.password` (JKS,
    /// PKCS#12 or PEM stores), `schema.registry.ssl.endpoint.identification.algorithm`,
    /// `latest.cache.ttl.sec` and `missing.id.cache.ttl.sec`/`missing.schema.cache.ttl.sec`/`missing.cache.size`
    /// entries, which never reach the plugin (`docs/contract.md` lists them).
    /// Example: `capabilities = ["schema-registry"]`.
    #[serde(default)]
    pub capabilities: Vec<String>,
}

/// A sink as written, its formatter a [`RawPlugin`]; see [`crate::sink::RawSink`].
pub type RawSink = crate::sink::RawSink<RawPlugin>;

/// A string, or a list of strings.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum StringOrList {
    String(String),
    List(Vec<String>),
}
