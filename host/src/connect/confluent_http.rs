//! Confluent's HTTP Sink (`io.confluent.connect.http.HttpSinkConnector`):
//! its options are the HTTP sink's and the `json-batch` formatter's, names
//! and defaults unchanged.

use super::{Options, Problem};

pub const CLASS: &str = "io.confluent.connect.http.HttpSinkConnector";

/// Options of the HTTP sink section, the same names as Confluent's (and
/// Sluice's own additions, so a manifest's section can be sent as JSON).
pub const SINK_OPTIONS: &[&str] = &[
    "http.api.url",
    "request.method",
    "headers",
    "header.separator",
    "auth.type",
    "connection.user",
    "connection.password",
    "bearer.token",
    "oauth2.token.url",
    "oauth2.client.id",
    "oauth2.client.secret",
    "oauth2.client.auth.mode",
    "oauth2.client.scope",
    "oauth2.token.property",
    "oauth2.client.headers",
    "oauth2.client.header.separator",
    "https.ssl.ca.location",
    "https.ssl.certificate.location",
    "https.ssl.key.location",
    "https.ssl.truststore.location",
    "https.ssl.truststore.password",
    "https.ssl.truststore.type",
    "https.ssl.keystore.location",
    "https.ssl.keystore.password",
    "https.ssl.keystore.type",
    "https.ssl.key.password",
    "http.connect.timeout.ms",
    "http.request.timeout.ms",
    "batch.max.size",
    "batch.max.bytes",
    "batch.linger.ms",
    "retry.on.status.codes",
    "max.retries",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
    "behavior.on.error",
    "behavior.on.null.values",
    "reporter.bootstrap.servers",
    "reporter.result.topic.name",
    "reporter.result.topic.partitions",
    "reporter.result.topic.replication.factor",
    "reporter.error.topic.name",
    "reporter.error.topic.partitions",
    "reporter.error.topic.replication.factor",
    "report.errors.as",
];

/// Confluent's other names for options above, applied as those.
pub const ALIASES: &[&str] = &["batch.seperator"];

/// Options of the `json-batch` formatter that builds the bodies.
pub const FORMATTER_OPTIONS: &[&str] = &[
    "request.body.format",
    "batch.prefix",
    "batch.suffix",
    "batch.separator",
    "batch.json.as.array",
];

/// The `sink` table, taking its options from `opts`.
pub fn sink(opts: &mut Options, _problems: &mut Vec<Problem>) -> toml::Table {
    let mut sink = toml::Table::new();
    sink.insert("type".into(), "http".into());
    for key in SINK_OPTIONS {
        if let Some(v) = opts.take(key) {
            sink.insert((*key).into(), v.into());
        }
    }
    // OAuth2's options mean nothing with another auth.type: reported, as
    // what nothing took.
    let oauth = sink
        .get("auth.type")
        .and_then(|v| v.as_str())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("OAUTH2"));
    if !oauth {
        let keys: Vec<String> = sink
            .keys()
            .filter(|k| k.starts_with("oauth2."))
            .cloned()
            .collect();
        for k in keys {
            if let Some(toml::Value::String(v)) = sink.remove(&k) {
                opts.put_back(&k, v);
            }
        }
    }
    // Confluent's misspelt alias, still defined beside the right name.
    if let Some(v) = opts.take("batch.seperator") {
        sink.entry("batch.separator").or_insert(v.into());
    }
    let mut config = toml::Table::new();
    if let Some(v) = sink.remove("batch.separator") {
        config.insert("batch.separator".into(), v);
    }
    for key in FORMATTER_OPTIONS {
        if let Some(v) = opts.take(key) {
            config.insert((*key).into(), v.into());
        }
    }
    let mut formatter = toml::Table::new();
    formatter.insert("plugin".into(), "json-batch".into());
    if !config.is_empty() {
        formatter.insert("config".into(), toml::Value::Table(config));
    }
    sink.insert("formatter".into(), toml::Value::Table(formatter));
    sink
}

/// Why a Confluent HTTP Sink option Sluice does not implement is not applied.
pub fn not_implemented(key: &str) -> Option<&'static str> {
    Some(match key {
        "batch.key.pattern" => {
            "a batch holds one partition's records in order, whatever their keys"
        }
        "regex.patterns" | "regex.replacements" | "regex.separator" => {
            "body rewriting belongs in a transform plugin"
        }
        "http.proxy.host" | "http.proxy.port" | "http.proxy.user" | "http.proxy.password" => {
            "set HTTPS_PROXY / HTTP_PROXY in the environment instead"
        }
        "https.host.verifier.enabled" => "host names are always verified",
        "report.errors.as.null.values"
        | "reporter.result.topic.value.format"
        | "reporter.error.topic.value.format"
        | "reporter.result.topic.key.format"
        | "reporter.error.topic.key.format" => "reporter records are plain text",
        "sensitive.headers" => "header values are never logged",
        "deletes.send.in.order" => "records and tombstones are always sent in offset order",
        "json.decimal.format" => "decimals are written as the converter left them",
        "csfle.enabled" => "client-side field-level encryption needs Confluent's licence and rules",
        "connection.disallow.local.ips"
        | "connection.disallow.private.ips"
        | "connection.disallow.class.e.ips"
        | "connection.disallow.cidr.ranges"
        | "connection.allow.cidr.ranges" => {
            "address filtering is not implemented; restrict the worker's egress with a network policy"
        }
        k if k.starts_with("oauth2.jwt.") => {
            "JWT assertions in the token request are not implemented: the client id and secret authenticate"
        }
        k if k.starts_with("oauth2.") => "applies only with auth.type=OAUTH2",
        k if k.starts_with("https.ssl.") => {
            "TLS follows rustls's defaults (TLS 1.2 and 1.3, verified host names); trust and key stores and PEM files are applied"
        }
        k if k.starts_with("reporter.") => {
            "reporter topics take only their name, partitions, replication factor and bootstrap servers"
        }
        "retry.backoff.policy" => {
            "retry delays always grow exponentially with jitter, up to retry.backoff.max.ms"
        }
        "ssl.enabled" => "TLS follows the URL's scheme",
        "input.data.format"
        | "kafka.auth.mode"
        | "kafka.api.key"
        | "kafka.api.secret"
        | "kafka.service.account.id"
        | "schema.context.name"
        | "max.poll.interval.ms"
        | "max.poll.records" => {
            "a Confluent Cloud setting; Kafka settings go in consumer.override.*"
        }
        _ => return None,
    })
}
