//! The HTTP sink's section of the manifest as written: Confluent HTTP
//! Sink's option names, so a connector's Connect config maps onto it key for
//! key. `F` is how the manifest names the formatter plugin; the sink itself
//! never reads it.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The HTTP sink: Confluent HTTP Sink's option names and defaults.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHttpSink<F> {
    /// Where requests go; `${topic}` and `${key}` are replaced per record,
    /// in the path and query only (never the host).
    /// Example: `"http.api.url" = "https://in.example.com/v3/event/${topic}"`.
    #[serde(rename = "http.api.url")]
    pub url: String,
    /// `POST`, `PUT` or `PATCH`. Example: `"request.method" = "PUT"`. Default: `POST`.
    #[serde(rename = "request.method")]
    pub method: Option<String>,
    /// Headers as Confluent writes them, `Name: value` pairs split on `header.separator`.
    /// Example: `headers = "Authorization: TD1 ${env:TD_KEY}|Content-Type: application/json"`.
    pub headers: Option<String>,
    /// Separator of `headers`. Example: `"header.separator" = ";"`. Default: `|`.
    #[serde(rename = "header.separator")]
    pub header_separator: Option<String>,
    /// Headers as a table (Sluice's addition; merged over `headers`).
    /// Example: `"http.headers" = { "X-Source" = "sluice" }`.
    #[serde(rename = "http.headers", default)]
    pub header_map: BTreeMap<String, String>,
    /// `NONE`, `BASIC` (`connection.user`/`connection.password`), `BEARER`
    /// (`bearer.token`) or `OAUTH2` (a client-credentials token from
    /// `oauth2.token.url`, renewed before it expires and after a 401).
    /// Example: `"auth.type" = "BASIC"`. Default: `NONE`.
    #[serde(rename = "auth.type")]
    pub auth_type: Option<String>,
    /// User for basic auth. Example: `"connection.user" = "ingest"`.
    #[serde(rename = "connection.user")]
    pub user: Option<String>,
    /// Password for basic auth; use a provider. Example: `"connection.password" = "${env:PASS}"`.
    #[serde(rename = "connection.password")]
    pub password: Option<String>,
    /// Token for bearer auth. Example: `"bearer.token" = "${file:/etc/sluice/secrets.properties:token}"`.
    #[serde(rename = "bearer.token")]
    pub bearer_token: Option<String>,
    /// The OAuth2 token endpoint, with `auth.type` `OAUTH2`: a client-credentials
    /// grant is POSTed there. Example: `"oauth2.token.url" = "https://idp.example.com/oauth2/token"`.
    #[serde(rename = "oauth2.token.url")]
    pub oauth2_token_url: Option<String>,
    /// The OAuth2 client id. Example: `"oauth2.client.id" = "sluice-sink"`.
    #[serde(rename = "oauth2.client.id")]
    pub oauth2_client_id: Option<String>,
    /// The OAuth2 client secret; use a provider. Never logged.
    /// Example: `"oauth2.client.secret" = "${env:OAUTH_SECRET}"`.
    #[serde(rename = "oauth2.client.secret")]
    pub oauth2_client_secret: Option<String>,
    /// How the client authenticates to the token endpoint: `header`
    /// (`Authorization: Basic`) or `url` (`client_id` and `client_secret` in
    /// the form). Example: `"oauth2.client.auth.mode" = "url"`. Default: `header`.
    #[serde(rename = "oauth2.client.auth.mode")]
    pub oauth2_client_auth_mode: Option<String>,
    /// The `scope` asked for; empty asks for none. Example:
    /// `"oauth2.client.scope" = "ingest"`. Default: `any`, as Confluent's.
    #[serde(rename = "oauth2.client.scope")]
    pub oauth2_client_scope: Option<String>,
    /// The property of the token endpoint's JSON answer that holds the token.
    /// Example: `"oauth2.token.property" = "id_token"`. Default: `access_token`.
    #[serde(rename = "oauth2.token.property")]
    pub oauth2_token_property: Option<String>,
    /// Headers of the token request, `Name: value` pairs split on
    /// `oauth2.client.header.separator`. Example: `"oauth2.client.headers" = "X-Tenant: 7"`.
    #[serde(rename = "oauth2.client.headers")]
    pub oauth2_client_headers: Option<String>,
    /// Separator of `oauth2.client.headers`. Example: `"oauth2.client.header.separator" = ";"`.
    /// Default: `|`.
    #[serde(rename = "oauth2.client.header.separator")]
    pub oauth2_client_header_separator: Option<String>,
    /// PEM file of CAs to trust besides the public roots built in (and, with
    /// a trust store, besides its CAs). Example: `"https.ssl.ca.location" = "/etc/ca.pem"`.
    #[serde(rename = "https.ssl.ca.location")]
    pub ca_location: Option<String>,
    /// PEM client certificate. Example: `"https.ssl.certificate.location" = "/etc/client.pem"`.
    #[serde(rename = "https.ssl.certificate.location")]
    pub certificate_location: Option<String>,
    /// PEM client private key. Example: `"https.ssl.key.location" = "/etc/client.key"`.
    #[serde(rename = "https.ssl.key.location")]
    pub key_location: Option<String>,
    /// A trust store of the CAs to trust, instead of the public roots built
    /// in (as Java trusts only the store it is given; `https.ssl.ca.location`
    /// adds to them): JKS, PKCS#12 or PEM, recognised from its contents. Example:
    /// `"https.ssl.truststore.location" = "/etc/sluice/truststore.jks"`.
    #[serde(rename = "https.ssl.truststore.location")]
    pub truststore_location: Option<String>,
    /// The trust store's password (a JKS store's is needed to check it).
    /// Example: `"https.ssl.truststore.password" = "${env:TRUSTSTORE_PASSWORD}"`.
    #[serde(rename = "https.ssl.truststore.password")]
    pub truststore_password: Option<String>,
    /// `JKS`, `PKCS12` or `PEM`; the file's contents decide, as in Java's
    /// compatibility mode. Example: `"https.ssl.truststore.type" = "PKCS12"`. Default: `JKS`.
    #[serde(rename = "https.ssl.truststore.type")]
    pub truststore_type: Option<String>,
    /// A key store holding the client certificate and its key (mutual TLS):
    /// JKS, PKCS#12 or PEM; its first private key entry by alias is used.
    /// Example: `"https.ssl.keystore.location" = "/etc/sluice/client.p12"`.
    #[serde(rename = "https.ssl.keystore.location")]
    pub keystore_location: Option<String>,
    /// The key store's password. Example: `"https.ssl.keystore.password" = "${env:KEYSTORE_PASSWORD}"`.
    #[serde(rename = "https.ssl.keystore.password")]
    pub keystore_password: Option<String>,
    /// `JKS`, `PKCS12` or `PEM`; the file's contents decide. Example:
    /// `"https.ssl.keystore.type" = "PKCS12"`. Default: `JKS`.
    #[serde(rename = "https.ssl.keystore.type")]
    pub keystore_type: Option<String>,
    /// The private key's own password in a JKS key store, when it differs from
    /// the store's. Example: `"https.ssl.key.password" = "${env:KEY_PASSWORD}"`.
    #[serde(rename = "https.ssl.key.password")]
    pub key_password: Option<String>,
    /// Connect timeout in ms. Example: `"http.connect.timeout.ms" = 5000`. Default: 30000.
    #[serde(rename = "http.connect.timeout.ms")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub connect_timeout_ms: Option<u64>,
    /// Whole-request timeout in ms. Example: `"http.request.timeout.ms" = 10000`. Default: 30000.
    #[serde(rename = "http.request.timeout.ms")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub request_timeout_ms: Option<u64>,
    /// Records per request. Example: `"batch.max.size" = 500`. Default: 1, as Confluent's.
    #[serde(rename = "batch.max.size")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub batch_max_size: Option<usize>,
    /// Bytes of record values per request (Sluice's). Example: `"batch.max.bytes" = 1048576`. Default: 5 MiB.
    #[serde(rename = "batch.max.bytes")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub batch_max_bytes: Option<usize>,
    /// How long a partial batch waits for more records, in ms (Sluice's).
    /// Example: `"batch.linger.ms" = 1000`. Default: 500.
    #[serde(rename = "batch.linger.ms")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub batch_linger_ms: Option<u64>,
    /// Statuses that are retried: codes and ranges, `500-` meaning 500 and above.
    /// Example: `"retry.on.status.codes" = "408,429,500-"`. Default: `400-`, as Confluent's.
    #[serde(rename = "retry.on.status.codes")]
    pub retry_on_status_codes: Option<String>,
    /// Retries after the first attempt. Example: `"max.retries" = 5`. Default: 10.
    #[serde(rename = "max.retries")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub max_retries: Option<u32>,
    /// First retry delay in ms; doubles per retry, with jitter. Example: `"retry.backoff.ms" = 500`. Default: 3000.
    #[serde(rename = "retry.backoff.ms")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub retry_backoff_ms: Option<u64>,
    /// Longest retry delay in ms. Example: `"retry.backoff.max.ms" = 30000`. Default: 60000.
    #[serde(rename = "retry.backoff.max.ms")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub retry_backoff_max_ms: Option<u64>,
    /// When retries run out: `fail` (stop the connector), `log` or `ignore` (move on).
    /// Example: `"behavior.on.error" = "log"`. Default: `fail`.
    #[serde(rename = "behavior.on.error")]
    pub behavior_on_error: Option<String>,
    /// Tombstones: `ignore` (skip), `delete` (DELETE to the `${key}` URL), `log` or `fail`.
    /// Example: `"behavior.on.null.values" = "delete"`. Default: `ignore`.
    #[serde(rename = "behavior.on.null.values")]
    pub behavior_on_null_values: Option<String>,
    /// Kafka cluster of the reporter topics. Example:
    /// `"reporter.bootstrap.servers" = "broker:9092"`. Default: the connector's `bootstrap.servers`.
    #[serde(rename = "reporter.bootstrap.servers")]
    pub reporter_bootstrap_servers: Option<String>,
    /// Topic that gets one record per delivered record: the response body, with the
    /// input record's topic, partition, offset and timestamp in headers; created if missing.
    /// `${connector}` is the connector's name. Example: `"reporter.result.topic.name" = "${connector}-success"`.
    /// Default: none (no result reports).
    #[serde(rename = "reporter.result.topic.name")]
    pub reporter_result_topic_name: Option<String>,
    /// Partitions of the result topic when it is created. Example: `"reporter.result.topic.partitions" = 3`. Default: 1.
    #[serde(rename = "reporter.result.topic.partitions")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub reporter_result_topic_partitions: Option<i32>,
    /// Replication factor of the result topic when it is created; 1 on a one-broker cluster.
    /// Example: `"reporter.result.topic.replication.factor" = 1`. Default: 3.
    #[serde(rename = "reporter.result.topic.replication.factor")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub reporter_result_topic_replication_factor: Option<i32>,
    /// Topic that gets one record per record whose request failed for good, with the error.
    /// Example: `"reporter.error.topic.name" = "${connector}-error"`. Default: none (no error reports).
    #[serde(rename = "reporter.error.topic.name")]
    pub reporter_error_topic_name: Option<String>,
    /// Partitions of the error topic when it is created. Example: `"reporter.error.topic.partitions" = 3`. Default: 1.
    #[serde(rename = "reporter.error.topic.partitions")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub reporter_error_topic_partitions: Option<i32>,
    /// Replication factor of the error topic when it is created; 1 on a one-broker cluster.
    /// Example: `"reporter.error.topic.replication.factor" = 1`. Default: 3.
    #[serde(rename = "reporter.error.topic.replication.factor")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub reporter_error_topic_replication_factor: Option<i32>,
    /// Value of error reports: `error_string` (the error message) or `http_response`
    /// (the endpoint's response body). Example: `"report.errors.as" = "http_response"`.
    /// Default: `error_string`.
    #[serde(rename = "report.errors.as")]
    pub report_errors_as: Option<String>,
    /// The formatter building request bodies. Example:
    /// `formatter = { plugin = "json-batch", config = { "request.body.format" = "json" } }`.
    /// Default: `json-batch` with its defaults.
    pub formatter: Option<F>,
}
