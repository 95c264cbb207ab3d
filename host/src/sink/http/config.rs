//! The HTTP sink's settings, checked: Confluent HTTP Sink's names and
//! defaults, turned into types the sink can use without further checks.

use std::time::Duration;

use super::raw::RawHttpSink;
use super::reporter::{ReportErrorsAs, ReportTopic, ReporterSpec};
pub use crate::record::BatchLimits;

/// HTTP methods a batch may be sent with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Post,
    Put,
    Patch,
}

/// What to do when a batch cannot be delivered after all retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnError {
    /// Stop the connector; nothing past the failed batch is committed.
    Fail,
    /// Log the error and move on (the batch's offsets are committed).
    Log,
    /// Move on silently.
    Ignore,
}

/// What to do with tombstones (null values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnNull {
    Ignore,
    Delete,
    Log,
    Fail,
}

/// Why `retry.on.status.codes` cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusSetError {
    #[error("{0:?} is not a status code")]
    NotStatus(String),
    #[error("{0:?} is an empty range")]
    Empty(String),
}

/// Statuses to retry: inclusive ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusSet(Vec<(u16, u16)>);

impl StatusSet {
    /// Parses Confluent's syntax: `400-` (400 and above), `408,429,500-599`.
    pub fn parse(s: &str) -> Result<Self, StatusSetError> {
        let mut ranges = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let num = |x: &str| {
                x.trim()
                    .parse::<u16>()
                    .map_err(|_| StatusSetError::NotStatus(x.to_string()))
            };
            let range = match part.split_once('-') {
                Some((lo, "")) => (num(lo)?, 999),
                Some(("", hi)) => (100, num(hi)?),
                Some((lo, hi)) => (num(lo)?, num(hi)?),
                None => (num(part)?, num(part)?),
            };
            if range.0 > range.1 {
                return Err(StatusSetError::Empty(part.to_string()));
            }
            ranges.push(range);
        }
        Ok(StatusSet(ranges))
    }

    /// Whether `status` is in the set.
    pub fn contains(&self, status: u16) -> bool {
        self.0.iter().any(|&(lo, hi)| (lo..=hi).contains(&status))
    }
}

/// How requests are authenticated.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Basic { user: String, password: String },
    Bearer(String),
    OAuth2(OAuth2Spec),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { user, .. } => write!(f, "Basic({user}, ***)"),
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
            Auth::OAuth2(o) => write!(f, "{o:?}"),
        }
    }
}

pub use crate::oauth2::{ClientAuth, OAuth2Spec};

/// `Name: value` pairs split on `separator`; a pair without `:` is reported
/// under `key`.
fn header_pairs(
    text: &str,
    separator: &str,
    key: &str,
    problem: &mut impl FnMut(&str, String),
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (n, h) in text
        .split(separator)
        .map(str::trim)
        .enumerate()
        .filter(|(_, h)| !h.is_empty())
    {
        match h.split_once(':') {
            Some((name, value)) => out.push((name.trim().to_string(), value.trim().to_string())),
            // The entry is not shown: a wrong separator cuts a stored
            // secret into pieces, and an error must not hand them back.
            None => problem(
                key,
                format!(
                    "entry {} (split on {separator:?}) is not `Name: value`",
                    n + 1
                ),
            ),
        }
    }
    out
}

/// When to retry and how long to wait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub statuses: StatusSet,
    pub max_retries: u32,
    pub backoff: Duration,
    pub backoff_max: Duration,
}

/// The HTTP sink, checked.
#[derive(Clone, Debug)]
pub struct HttpSinkSpec {
    pub url: String,
    pub method: Method,
    /// Header names and values; values may be secrets and are never logged.
    pub headers: Vec<(String, String)>,
    pub auth: Auth,
    pub ca_location: Option<String>,
    pub client_identity: Option<(String, String)>,
    /// A JKS, PKCS#12 or PEM store of the CAs to trust, instead of the
    /// public roots, as Java trusts only the store it is given.
    pub trust_store: Option<crate::stores::StoreSpec>,
    /// A JKS, PKCS#12 or PEM store holding the client certificate and key.
    pub key_store: Option<crate::stores::StoreSpec>,
    /// The key's own password in a JKS key store. Never logged.
    pub key_password: Option<String>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub batch: BatchLimits,
    pub retry: RetryPolicy,
    pub on_error: OnError,
    pub on_null: OnNull,
    /// Result and error reporter topics, if any is named.
    pub reporter: Option<ReporterSpec>,
}

impl HttpSinkSpec {
    /// Checks `raw`; problems are pushed with the key they concern.
    pub fn from_raw<F>(
        connector: &str,
        raw: &RawHttpSink<F>,
        problems: &mut Vec<crate::problem::Problem>,
    ) -> Option<Self> {
        let before = problems.len();
        let mut problem = |key: &str, msg: String| {
            problems.push(crate::problem::Problem::option("sink", key, msg))
        };
        if !(raw.url.starts_with("http://") || raw.url.starts_with("https://")) {
            problem(
                "http.api.url",
                format!(
                    "{:?} is not an http:// or https:// URL",
                    crate::secrets::scrub_url(&raw.url)
                ),
            );
        } else {
            match reqwest::Url::parse(&without_placeholders(&raw.url)) {
                Err(e) => problem(
                    "http.api.url",
                    format!(
                        "{:?} is not a valid URL: {e}",
                        crate::secrets::scrub_url(&raw.url)
                    ),
                ),
                Ok(url) if record_chooses_host(&url) => problem(
                    "http.api.url",
                    format!(
                        "{:?}: ${{topic}} and ${{key}} may stand in the path and query only, so that no record chooses the host the sink sends its data and credentials to",
                        crate::secrets::scrub_url(&raw.url)
                    ),
                ),
                Ok(_) => {}
            }
        }
        let method = match raw
            .method
            .as_deref()
            .unwrap_or("POST")
            .to_ascii_uppercase()
            .as_str()
        {
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            other => {
                problem(
                    "request.method",
                    format!("{other:?} is not POST, PUT or PATCH"),
                );
                Method::Post
            }
        };
        let separator = raw.header_separator.as_deref().unwrap_or("|");
        let mut headers = header_pairs(
            raw.headers.as_deref().unwrap_or(""),
            separator,
            "headers",
            &mut problem,
        );
        for (name, value) in &raw.header_map {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            headers.push((name.clone(), value.clone()));
        }
        let auth = match raw
            .auth_type
            .as_deref()
            .unwrap_or("NONE")
            .to_ascii_uppercase()
            .as_str()
        {
            "NONE" => Auth::None,
            "BASIC" => match (&raw.user, &raw.password) {
                (Some(u), Some(p)) => Auth::Basic {
                    user: u.clone(),
                    password: p.clone(),
                },
                _ => {
                    problem(
                        "auth.type",
                        "BASIC needs \"connection.user\" and \"connection.password\"".into(),
                    );
                    Auth::None
                }
            },
            "BEARER" => match &raw.bearer_token {
                Some(t) => Auth::Bearer(t.clone()),
                None => {
                    problem("auth.type", "BEARER needs \"bearer.token\"".into());
                    Auth::None
                }
            },
            "OAUTH2" => match oauth2(raw, &mut problem) {
                Some(o) => Auth::OAuth2(o),
                None => Auth::None,
            },
            other => {
                problem(
                    "auth.type",
                    format!("{other:?} is not NONE, BASIC, BEARER or OAUTH2"),
                );
                Auth::None
            }
        };
        for (key, kind) in [
            ("https.ssl.truststore.type", &raw.truststore_type),
            ("https.ssl.keystore.type", &raw.keystore_type),
        ] {
            if let Some(k) = kind
                && !["JKS", "PKCS12", "PEM"].contains(&k.trim().to_ascii_uppercase().as_str())
            {
                problem(key, format!("{k:?} is not JKS, PKCS12 or PEM"));
            }
        }
        let store = |location: &Option<String>, password: &Option<String>| {
            location
                .as_ref()
                .filter(|l| !l.trim().is_empty())
                .map(|l| crate::stores::StoreSpec {
                    location: l.clone(),
                    password: password.clone(),
                })
        };
        let trust_store = store(&raw.truststore_location, &raw.truststore_password);
        let key_store = store(&raw.keystore_location, &raw.keystore_password);
        if key_store.is_some() && raw.certificate_location.is_some() {
            problem(
                "https.ssl.keystore.location",
                "give the client certificate once: a key store, or https.ssl.certificate.location with https.ssl.key.location".into(),
            );
        }
        let client_identity = match (&raw.certificate_location, &raw.key_location) {
            (Some(c), Some(k)) => Some((c.clone(), k.clone())),
            (None, None) => None,
            _ => {
                problem(
                    "https.ssl.certificate.location",
                    "set it together with https.ssl.key.location".into(),
                );
                None
            }
        };
        let statuses = StatusSet::parse(raw.retry_on_status_codes.as_deref().unwrap_or("400-"))
            .unwrap_or_else(|e| {
                problem("retry.on.status.codes", e.to_string());
                StatusSet(Vec::new())
            });
        let on_error = match raw
            .behavior_on_error
            .as_deref()
            .unwrap_or("fail")
            .to_ascii_lowercase()
            .as_str()
        {
            "fail" => OnError::Fail,
            "log" => OnError::Log,
            "ignore" => OnError::Ignore,
            other => {
                problem(
                    "behavior.on.error",
                    format!("{other:?} is not fail, log or ignore"),
                );
                OnError::Fail
            }
        };
        let on_null = match raw
            .behavior_on_null_values
            .as_deref()
            .unwrap_or("ignore")
            .to_ascii_lowercase()
            .as_str()
        {
            "ignore" => OnNull::Ignore,
            "delete" => OnNull::Delete,
            "log" => OnNull::Log,
            "fail" => OnNull::Fail,
            other => {
                problem(
                    "behavior.on.null.values",
                    format!("{other:?} is not ignore, delete, log or fail"),
                );
                OnNull::Ignore
            }
        };
        if on_null == OnNull::Delete && !raw.url.contains("${key}") {
            problem(
                "behavior.on.null.values",
                "delete sends DELETE to the record's ${key} URL: put ${key} in http.api.url".into(),
            );
        }
        let max_records = raw.batch_max_size.unwrap_or(1);
        if max_records == 0 {
            problem("batch.max.size", "must be at least 1".into());
        }
        let reporter = reporter(connector, raw, &mut problem);
        let ms = Duration::from_millis;
        let spec = HttpSinkSpec {
            url: raw.url.clone(),
            method,
            headers,
            auth,
            ca_location: raw.ca_location.clone(),
            client_identity,
            trust_store,
            key_store,
            key_password: raw.key_password.clone(),
            connect_timeout: ms(raw.connect_timeout_ms.unwrap_or(30_000)),
            request_timeout: ms(raw.request_timeout_ms.unwrap_or(30_000)),
            batch: BatchLimits {
                max_records: max_records.max(1),
                max_bytes: raw.batch_max_bytes.unwrap_or(5 << 20).max(1),
                linger: ms(raw.batch_linger_ms.unwrap_or(500)),
            },
            retry: RetryPolicy {
                statuses,
                max_retries: raw.max_retries.unwrap_or(10),
                backoff: ms(raw.retry_backoff_ms.unwrap_or(3_000)),
                backoff_max: ms(raw.retry_backoff_max_ms.unwrap_or(60_000)),
            },
            on_error,
            on_null,
            reporter,
        };
        (problems.len() == before).then_some(spec)
    }
}

/// The reporter settings; `None` when no reporter topic is named.
fn reporter<F>(
    connector: &str,
    raw: &RawHttpSink<F>,
    problem: &mut impl FnMut(&str, String),
) -> Option<ReporterSpec> {
    let errors_as = match raw.report_errors_as.as_deref().unwrap_or("error_string") {
        "error_string" => ReportErrorsAs::ErrorString,
        "http_response" => ReportErrorsAs::HttpResponse,
        other => {
            problem(
                "report.errors.as",
                format!("{other:?} is not error_string or http_response"),
            );
            ReportErrorsAs::ErrorString
        }
    };
    let mut topic =
        |which: &str, name: &Option<String>, partitions: Option<i32>, rf: Option<i32>| {
            let name = name.as_deref().map(str::trim).filter(|n| !n.is_empty())?;
            let (partitions, replication_factor) = (partitions.unwrap_or(1), rf.unwrap_or(3));
            if partitions < 1 {
                problem(
                    &format!("reporter.{which}.topic.partitions"),
                    format!("{partitions} must be at least 1"),
                );
            }
            if replication_factor < 1 {
                problem(
                    &format!("reporter.{which}.topic.replication.factor"),
                    format!("{replication_factor} must be at least 1"),
                );
            }
            Some(ReportTopic {
                name: name.replace("${connector}", connector),
                partitions,
                replication_factor,
            })
        };
    let result = topic(
        "result",
        &raw.reporter_result_topic_name,
        raw.reporter_result_topic_partitions,
        raw.reporter_result_topic_replication_factor,
    );
    let error = topic(
        "error",
        &raw.reporter_error_topic_name,
        raw.reporter_error_topic_partitions,
        raw.reporter_error_topic_replication_factor,
    );
    (result.is_some() || error.is_some()).then(|| ReporterSpec {
        bootstrap_servers: raw.reporter_bootstrap_servers.clone(),
        result,
        error,
        errors_as,
    })
}

/// What `${topic}` and `${key}` stand as while a URL is checked: a word
/// that can be a host name, so the parsed URL shows where it would land.
const RECORD_WORD: &str = "sluicerecordplaceholder";

/// Whether a record's topic or key would be part of `url`'s host or user
/// info (`url` as [`without_placeholders`] made it).
fn record_chooses_host(url: &reqwest::Url) -> bool {
    url.host_str().is_some_and(|h| h.contains(RECORD_WORD))
        || url.username().contains(RECORD_WORD)
        || url.password().is_some_and(|p| p.contains(RECORD_WORD))
}

/// `url` with each `${…}` placeholder replaced by a plain word (a record's
/// `${topic}` and `${key}` by [`RECORD_WORD`], a config provider's reference
/// by `x`), so the rest of the URL can be checked before any record, as
/// the URL parser reads it.
fn without_placeholders(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                let placeholder = &rest[start..=start + end];
                out.push_str(if matches!(placeholder, "${topic}" | "${key}") {
                    RECORD_WORD
                } else {
                    "x"
                });
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The OAuth2 grant of `auth.type` `OAUTH2`, or `None` with every missing or
/// invalid option reported.
fn oauth2<F>(raw: &RawHttpSink<F>, problem: &mut impl FnMut(&str, String)) -> Option<OAuth2Spec> {
    let mut ok = true;
    let mut required = |key: &str, value: &Option<String>| -> String {
        match value.as_deref().map(str::trim) {
            Some(v) if !v.is_empty() => v.to_string(),
            _ => {
                problem(key, "missing: auth.type OAUTH2 needs it".into());
                ok = false;
                String::new()
            }
        }
    };
    let token_url = required("oauth2.token.url", &raw.oauth2_token_url);
    let client_id = required("oauth2.client.id", &raw.oauth2_client_id);
    let client_secret = required("oauth2.client.secret", &raw.oauth2_client_secret);
    if !(token_url.is_empty()
        || token_url.starts_with("http://")
        || token_url.starts_with("https://"))
    {
        problem(
            "oauth2.token.url",
            format!(
                "{:?} is not an http:// or https:// URL",
                crate::secrets::scrub_url(&token_url)
            ),
        );
        ok = false;
    }
    let client_auth = match raw
        .oauth2_client_auth_mode
        .as_deref()
        .unwrap_or("header")
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "header" => ClientAuth::Header,
        "url" => ClientAuth::Url,
        other => {
            problem(
                "oauth2.client.auth.mode",
                format!("{other:?} is not header or url"),
            );
            ok = false;
            ClientAuth::Header
        }
    };
    let scope = match raw.oauth2_client_scope.as_deref().map(str::trim) {
        None => Some("any".to_string()),
        Some("") => None,
        Some(s) => Some(s.to_string()),
    };
    let headers = header_pairs(
        raw.oauth2_client_headers.as_deref().unwrap_or(""),
        raw.oauth2_client_header_separator.as_deref().unwrap_or("|"),
        "oauth2.client.headers",
        problem,
    );
    ok.then(|| OAuth2Spec {
        token_url,
        client_id,
        client_secret,
        client_auth,
        scope,
        token_property: raw
            .oauth2_token_property
            .clone()
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| "access_token".into()),
        headers,
        always_bearer: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_with_their_placeholders_filled() {
        assert_eq!(
            without_placeholders("http://h:1/${topic}/k/${key}?a=${env:A}"),
            format!("http://h:1/{RECORD_WORD}/k/{RECORD_WORD}?a=x")
        );
        assert!(reqwest::Url::parse(&without_placeholders("http://127.0.0.1:1816445/in")).is_err());
        assert!(reqwest::Url::parse(&without_placeholders("http://[::1]:80/${topic}")).is_ok());
        let chooses = |url: &str| {
            reqwest::Url::parse(&without_placeholders(url))
                .map(|u| record_chooses_host(&u))
                .map_err(|e| e.to_string())
        };
        for url in [
            "http://${key}.svc/in",
            "https://${topic}@in.example/",
            "https://u:${key}@in.example/",
            // The parser skips any run of slashes after `http:`.
            "http:///${key}/x",
            "http:${key}/x",
        ] {
            assert_eq!(chooses(url), Ok(true), "{url}");
        }
        for url in [
            "https://in.example/t/${topic}?k=${key}",
            "http://h?${key}",
            "http://[::1]:80/${key}",
            "https://${env:SINK_HOST}/in",
        ] {
            assert_eq!(chooses(url), Ok(false), "{url}");
        }
    }

    #[test]
    fn status_sets_follow_confluents_syntax() {
        let s = StatusSet::parse("408,429,500-").unwrap();
        assert!(s.contains(408) && s.contains(429) && s.contains(503) && s.contains(599));
        assert!(!s.contains(400) && !s.contains(404) && !s.contains(200));
        let all = StatusSet::parse("400-").unwrap();
        assert!(all.contains(400) && all.contains(503) && !all.contains(302));
        assert!(StatusSet::parse("500-400").is_err());
        assert!(StatusSet::parse("abc").is_err());
    }
}
