//! Aiven's HTTP sink (`io.aiven.kafka.connect.http.HttpSinkConnector`): its
//! own option names and defaults (one retry, fixed backoff, batching off,
//! newline framing, a null value fails the task) mapped onto the HTTP sink
//! and the `json-batch` formatter.

use super::{Options, Problem};

pub const CLASS: &str = "io.aiven.kafka.connect.http.HttpSinkConnector";

/// Aiven's options Sluice applies.
pub const OPTIONS: &[&str] = &[
    "http.url",
    "http.authorization.type",
    "http.headers.authorization",
    "http.headers.content.type",
    "http.headers.additional",
    "http.ssl.truststore.location",
    "http.ssl.truststore.password",
    "oauth2.access.token.url",
    "oauth2.client.id",
    "oauth2.client.secret",
    "oauth2.client.authorization.mode",
    "oauth2.client.scope",
    "oauth2.response.token.property",
    "http.timeout",
    "batching.enabled",
    "batch.max.size",
    "batch.prefix",
    "batch.suffix",
    "batch.separator",
    "max.retries",
    "retry.backoff.ms",
];

/// The HTTP sink's keys that hold an Aiven option of another name.
pub const RENAMED: &[(&str, &str)] = &[
    ("http.api.url", "http.url"),
    (
        "https.ssl.truststore.location",
        "http.ssl.truststore.location",
    ),
    (
        "https.ssl.truststore.password",
        "http.ssl.truststore.password",
    ),
    ("oauth2.token.url", "oauth2.access.token.url"),
    ("oauth2.token.property", "oauth2.response.token.property"),
    (
        "oauth2.client.auth.mode",
        "oauth2.client.authorization.mode",
    ),
];

/// Aiven's options as its connector defines them (types, defaults and
/// documentation), for the REST API's validation.
pub fn defs() -> Vec<super::defs::OptionDef> {
    use super::defs::{ConfigType, OptionDef};
    use ConfigType::{Boolean, Int, List, Password};
    let def = |name: &str, config_type, required, default: Option<&str>, doc: &str| {
        OptionDef::of("HTTP", name, config_type, required, default, doc)
    };
    vec![
        def(
            "http.url",
            ConfigType::String,
            true,
            None,
            "The URL to send data to.",
        ),
        def(
            "http.authorization.type",
            ConfigType::String,
            true,
            None,
            "The HTTP authorization type: none, static (http.headers.authorization is sent as the Authorization header) or oauth2 (a client-credentials token from oauth2.access.token.url).",
        ),
        def(
            "http.headers.authorization",
            Password,
            false,
            None,
            "The static content of the Authorization header, with http.authorization.type=static.",
        ),
        def(
            "http.ssl.truststore.location",
            ConfigType::String,
            false,
            None,
            "A trust store (JKS, PKCS#12 or PEM) of CAs to trust besides the system's.",
        ),
        def(
            "http.ssl.truststore.password",
            Password,
            false,
            None,
            "The trust store's password.",
        ),
        def(
            "oauth2.access.token.url",
            ConfigType::String,
            false,
            None,
            "The OAuth2 token endpoint, with http.authorization.type=oauth2.",
        ),
        def(
            "oauth2.client.id",
            ConfigType::String,
            false,
            None,
            "The OAuth2 client id, with http.authorization.type=oauth2.",
        ),
        def(
            "oauth2.client.secret",
            Password,
            false,
            None,
            "The OAuth2 client secret, with http.authorization.type=oauth2.",
        ),
        def(
            "oauth2.client.authorization.mode",
            ConfigType::String,
            false,
            Some("HEADER"),
            "How the client authenticates to the token endpoint: HEADER (Authorization: Basic) or URL (client_id and client_secret in the form).",
        ),
        def(
            "oauth2.client.scope",
            ConfigType::String,
            false,
            None,
            "The scope asked for; none when not given.",
        ),
        def(
            "oauth2.response.token.property",
            ConfigType::String,
            false,
            Some("access_token"),
            "The property of the token endpoint's answer that holds the token.",
        ),
        def(
            "http.headers.content.type",
            ConfigType::String,
            false,
            None,
            "The value of Content-Type sent with each request.",
        ),
        def(
            "http.headers.additional",
            List,
            false,
            Some(""),
            "Additional headers sent with each request, as header:value pairs separated by commas.",
        ),
        def(
            "http.timeout",
            Int,
            false,
            Some("30"),
            "HTTP response timeout, in seconds.",
        ),
        def(
            "batching.enabled",
            Boolean,
            false,
            Some("false"),
            "Whether to send several records in one HTTP request.",
        ),
        def(
            "batch.max.size",
            Int,
            false,
            Some("500"),
            "The most records sent in one HTTP request, with batching.enabled.",
        ),
        def(
            "batch.prefix",
            ConfigType::String,
            false,
            Some(""),
            "Written once before the first record of a batch.",
        ),
        def(
            "batch.suffix",
            ConfigType::String,
            false,
            Some("\n"),
            "Written once after the last record of a batch.",
        ),
        def(
            "batch.separator",
            ConfigType::String,
            false,
            Some("\n"),
            "Written between the records of a batch.",
        ),
        def(
            "max.retries",
            Int,
            false,
            Some("1"),
            "How many times a failed request is retried before the task fails.",
        ),
        def(
            "retry.backoff.ms",
            Int,
            false,
            Some("3000"),
            "The time in milliseconds to wait after an error before a retry.",
        ),
    ]
}

/// The `sink` table, taking Aiven's options from `opts`.
pub fn sink(
    opts: &mut Options,
    _section: &mut toml::Table,
    problems: &mut Vec<Problem>,
) -> toml::Table {
    let mut sink = toml::Table::new();
    sink.insert("type".into(), "http".into());
    match opts.take("http.url") {
        Some(url) => {
            sink.insert("http.api.url".into(), url.into());
        }
        None => problems.push(Problem::new("http.url", "missing: where records are sent")),
    }
    let mut headers = toml::Table::new();
    let auth = opts.take("http.headers.authorization");
    let auth_type = opts
        .take("http.authorization.type")
        .map(|t| t.trim().to_lowercase());
    match auth_type.as_deref() {
        None => problems.push(Problem::new(
            "http.authorization.type",
            "missing: none, static or oauth2 (Aiven's connector requires it)",
        )),
        Some("none") => {}
        Some("static") => match auth {
            Some(value) => {
                headers.insert("Authorization".into(), value.into());
            }
            None => problems.push(Problem::new(
                "http.headers.authorization",
                "missing: http.authorization.type=static sends this value as the Authorization header",
            )),
        },
        Some("oauth2") => {
            sink.insert("auth.type".into(), "OAUTH2".into());
            for (from, to) in [
                ("oauth2.access.token.url", "oauth2.token.url"),
                ("oauth2.client.id", "oauth2.client.id"),
                ("oauth2.client.secret", "oauth2.client.secret"),
                ("oauth2.response.token.property", "oauth2.token.property"),
            ] {
                if let Some(v) = opts.take(from) {
                    sink.insert(to.into(), v.into());
                }
            }
            let mode = opts
                .take("oauth2.client.authorization.mode")
                .unwrap_or_else(|| "header".into());
            sink.insert(
                "oauth2.client.auth.mode".into(),
                mode.to_ascii_lowercase().into(),
            );
            // Aiven sends no scope unless one is given.
            let scope = opts.take("oauth2.client.scope").unwrap_or_default();
            sink.insert("oauth2.client.scope".into(), scope.into());
        }
        Some(other) => problems.push(Problem::new(
            "http.authorization.type",
            format!("{other:?}: use none, static or oauth2"),
        )),
    }
    for (from, to) in [
        (
            "http.ssl.truststore.location",
            "https.ssl.truststore.location",
        ),
        (
            "http.ssl.truststore.password",
            "https.ssl.truststore.password",
        ),
    ] {
        if let Some(v) = opts.take(from) {
            sink.insert(to.into(), v.into());
        }
    }
    if let Some(ct) = opts.take("http.headers.content.type") {
        headers.insert("Content-Type".into(), ct.into());
    }
    if let Some(additional) = opts.take("http.headers.additional") {
        for pair in additional
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match pair.split_once(':') {
                Some((name, value)) => {
                    headers.insert(name.trim().into(), value.trim().into());
                }
                None => problems.push(Problem::new(
                    "http.headers.additional",
                    format!("{pair:?}: expected Name:value pairs separated by commas"),
                )),
            }
        }
    }
    if !headers.is_empty() {
        sink.insert("http.headers".into(), toml::Value::Table(headers));
    }
    if let Some(secs) = opts.take("http.timeout") {
        match secs
            .trim()
            .parse::<u64>()
            .ok()
            .and_then(|s| s.checked_mul(1000))
        {
            Some(ms) => {
                sink.insert("http.request.timeout.ms".into(), ms.to_string().into());
            }
            None => problems.push(Problem::new(
                "http.timeout",
                format!("{secs:?}: expected whole seconds"),
            )),
        }
    }
    // Aiven's defaults: every status from 400 retried, once, after a fixed 3 s.
    let backoff = opts
        .take("retry.backoff.ms")
        .unwrap_or_else(|| "3000".into());
    sink.insert("retry.on.status.codes".into(), "400-".into());
    sink.insert(
        "max.retries".into(),
        opts.take("max.retries")
            .unwrap_or_else(|| "1".into())
            .into(),
    );
    sink.insert("retry.backoff.ms".into(), backoff.clone().into());
    sink.insert("retry.backoff.max.ms".into(), backoff.into());
    sink.insert("behavior.on.null.values".into(), "fail".into());
    let batching = opts.take("batching.enabled");
    let batching = match batching.as_deref().map(str::trim) {
        None => false,
        Some(b) if b.eq_ignore_ascii_case("true") => true,
        Some(b) if b.eq_ignore_ascii_case("false") => false,
        Some(b) => {
            problems.push(Problem::new(
                "batching.enabled",
                format!("{b:?}: use true or false"),
            ));
            false
        }
    };
    let mut config = toml::Table::new();
    config.insert("request.body.format".into(), "string".into());
    let framing = [
        ("batch.max.size", "500"),
        ("batch.prefix", ""),
        ("batch.suffix", "\n"),
        ("batch.separator", "\n"),
    ];
    for (key, default) in framing {
        let value = opts.take(key);
        if !batching {
            continue;
        }
        let value = value.unwrap_or_else(|| default.into());
        if key == "batch.max.size" {
            sink.insert(key.into(), value.into());
        } else {
            config.insert(key.into(), value.into());
        }
    }
    if !batching {
        // One record per request, its value as the body.
        sink.insert("batch.max.size".into(), "1".into());
    }
    let mut formatter = toml::Table::new();
    formatter.insert("plugin".into(), "json-batch".into());
    formatter.insert("config".into(), toml::Value::Table(config));
    sink.insert("formatter".into(), toml::Value::Table(formatter));
    sink
}

/// Why an Aiven option Sluice does not implement is not applied.
pub fn not_implemented(key: &str) -> Option<&'static str> {
    Some(match key {
        "kafka.retry.backoff.ms" => "a failed batch is retried by max.retries / retry.backoff.ms",
        "http.ssl.trust.all.certs" => "certificates are always verified",
        "decimal.format" => "values are sent as the converter left them",
        "oauth2.request.grant.type.property"
        | "oauth2.grant.type"
        | "oauth2.request.client.id.property"
        | "oauth2.request.client.secret.property" => {
            "the token request uses OAuth2's own field names: grant_type=client_credentials, client_id, client_secret"
        }
        "oauth2.token.renew.on.status.codes" => {
            "a token is renewed before it expires and after a 401"
        }
        k if k.starts_with("oauth2.") => "applies only with http.authorization.type=oauth2",
        "http.proxy.host" | "http.proxy.port" => "set HTTPS_PROXY in the environment instead",
        _ => return None,
    })
}
