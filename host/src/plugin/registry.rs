//! The `schema-registry` capability: the host speaks Confluent's Schema
//! Registry REST API for the plugins granted it, with Kafka Connect's option
//! names, and caches the answers (an id's schema never changes; a subject's
//! latest version is kept for `latest.cache.ttl.sec`; a "not found" for
//! `missing.*.cache.ttl.sec`, none by default as in Confluent's client). It
//! reaches a registry over TLS with the Java key and trust stores Connect's
//! `schema.registry.ssl.*` options name, and authenticates with Basic
//! credentials, a static bearer token or OAuth2 client-credentials tokens
//! (`bearer.auth.credentials.source=OAUTHBEARER`). Plugins never get the
//! network or the registry's credentials: the options are taken out of the
//! plugin's configuration before it sees it.
//!
//! A registry that cannot be reached (a refused connection, a timeout, a 5xx)
//! is an outage, not a record's problem: the call that met it is retried by
//! the pipeline until the registry answers, and nothing is committed before.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The options of the capability, as a converter's configuration names them
/// (Confluent's `schema.registry.url`, `basic.auth.*`, `bearer.auth.*`,
/// `schema.registry.ssl.*`, `latest.cache.*`, the `missing.*` caches,
/// `proxy.*` and the two `http.*.timeout.ms`).
pub const OPTION_PREFIXES: [&str; 11] = [
    "schema.registry.",
    "basic.auth.",
    "bearer.auth.",
    "latest.cache.",
    "missing.id.cache.",
    "missing.schema.cache.",
    "missing.version.cache.",
    "missing.cache.size",
    "proxy.",
    "http.connect.timeout.ms",
    "http.read.timeout.ms",
];

/// Every option of the capability.
const KNOWN: [&str; 34] = [
    "schema.registry.url",
    "basic.auth.credentials.source",
    "basic.auth.user.info",
    "schema.registry.basic.auth.user.info",
    "proxy.host",
    "proxy.port",
    "http.connect.timeout.ms",
    "http.read.timeout.ms",
    "bearer.auth.credentials.source",
    "bearer.auth.token",
    "bearer.auth.issuer.endpoint.url",
    "bearer.auth.client.id",
    "bearer.auth.client.secret",
    "bearer.auth.scope",
    "bearer.auth.scope.claim.name",
    "bearer.auth.sub.claim.name",
    "bearer.auth.cache.expiry.buffer.seconds",
    "bearer.auth.logical.cluster",
    "bearer.auth.identity.pool.id",
    "schema.registry.ssl.truststore.location",
    "schema.registry.ssl.truststore.password",
    "schema.registry.ssl.truststore.type",
    "schema.registry.ssl.truststore.certificates",
    "schema.registry.ssl.keystore.location",
    "schema.registry.ssl.keystore.password",
    "schema.registry.ssl.keystore.type",
    "schema.registry.ssl.key.password",
    "schema.registry.ssl.endpoint.identification.algorithm",
    "latest.cache.ttl.sec",
    "latest.cache.size",
    "missing.id.cache.ttl.sec",
    "missing.schema.cache.ttl.sec",
    "missing.version.cache.ttl.sec",
    "missing.cache.size",
];

/// Why a Connect option of the registry's client is left out when a
/// connector's configuration is read (`sluice import`, the REST API): Java's
/// TLS engine settings, which rustls's defaults (TLS 1.2 and 1.3, its
/// cipher suites) stand for. `None` for any other option.
pub fn java_only(option: &str) -> Option<&'static str> {
    const JAVA_TLS: [&str; 8] = [
        "schema.registry.ssl.protocol",
        "schema.registry.ssl.enabled.protocols",
        "schema.registry.ssl.cipher.suites",
        "schema.registry.ssl.provider",
        "schema.registry.ssl.keymanager.algorithm",
        "schema.registry.ssl.trustmanager.algorithm",
        "schema.registry.ssl.secure.random.implementation",
        "schema.registry.ssl.engine.factory.class",
    ];
    JAVA_TLS.contains(&option).then_some(
        "a setting of Java's TLS engine: the host's registry client follows rustls's defaults (TLS 1.2 and 1.3, verified certificates)",
    )
}

/// How the host reaches a registry: checked, pure data (no file is read).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RegistryConfig {
    /// Base URLs, tried in turn (`schema.registry.url`, comma-separated).
    pub urls: Vec<String>,
    pub auth: RegistryAuth,
    /// Headers sent with a bearer token: `target-sr-cluster`
    /// (`bearer.auth.logical.cluster`) and `Confluent-Identity-Pool-Id`
    /// (`bearer.auth.identity.pool.id`), as Confluent Cloud asks.
    pub bearer_headers: Vec<(String, String)>,
    /// Certificates to trust besides the system's: a trust store
    /// (`schema.registry.ssl.truststore.location`, JKS, PKCS#12 or PEM, with
    /// `…truststore.password`) or PEM text
    /// (`schema.registry.ssl.truststore.certificates`).
    pub trust: Option<Trust>,
    /// The client certificate and key for mutual TLS: a key store
    /// (`schema.registry.ssl.keystore.location`, JKS, PKCS#12 or PEM, with
    /// `…keystore.password`) and the key's own password
    /// (`schema.registry.ssl.key.password`).
    pub identity: Option<KeyStore>,
    /// Whether the registry's certificate must name its host
    /// (`schema.registry.ssl.endpoint.identification.algorithm`: `https`,
    /// the default; empty or `none` checks the chain only, as Connect does).
    pub check_hostname: bool,
    /// How long a subject's latest version is kept; `None`: until restart
    /// (Confluent's default, `-1`).
    pub latest_ttl: Option<Duration>,
    /// How long "not found" answers are remembered, and how many.
    pub missing: MissingCache,
    /// An HTTP proxy every request goes through, `http://host:port`
    /// (`proxy.host` and `proxy.port`).
    pub proxy: Option<String>,
    /// How long connecting may take (`http.connect.timeout.ms`) and how long
    /// an answer may keep the client waiting (`http.read.timeout.ms`),
    /// before the registry counts as out of reach: 5 s each unless given
    /// (Confluent's client waits 60 s).
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
}

/// Confluent's client remembers that a schema is not in the registry, so a
/// stream of records naming it asks once per period, not once per record:
/// `missing.id.cache.ttl.sec` (a schema id) and
/// `missing.schema.cache.ttl.sec` (a schema looked up under a subject), `0`
/// by default (not remembered), at most `missing.cache.size` (10,000) of
/// each.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MissingCache {
    pub id_ttl: Duration,
    pub schema_ttl: Duration,
    pub size: usize,
}

impl MissingCache {
    /// Whether a "not found" is remembered for `ttl`.
    fn keeps(&self, ttl: Duration) -> bool {
        !ttl.is_zero() && self.size > 0
    }
}

impl Default for MissingCache {
    fn default() -> Self {
        MissingCache {
            id_ttl: Duration::ZERO,
            schema_ttl: Duration::ZERO,
            size: 10_000,
        }
    }
}

/// Certificates to trust: a store file, or PEM text given in the option.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Trust {
    Store(StoreSpec),
    Inline(String),
}

/// A key store and the password of the key in it, if it has its own.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeyStore {
    pub store: StoreSpec,
    pub key_password: Option<String>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyStore({:?})", self.store)
    }
}

use crate::stores::StoreSpec;

/// The credentials sent with every request.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum RegistryAuth {
    None,
    /// `basic.auth.credentials.source=USER_INFO` (or `URL`: taken from the URL).
    Basic {
        user: String,
        password: String,
    },
    /// `bearer.auth.credentials.source=STATIC_TOKEN`.
    Bearer(String),
    /// `bearer.auth.credentials.source=OAUTHBEARER`: client-credentials
    /// tokens from `bearer.auth.issuer.endpoint.url` for
    /// `bearer.auth.client.id`/`.client.secret` (`bearer.auth.scope`).
    OAuth(crate::oauth2::OAuth2Spec),
}

impl std::fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RegistryAuth::None => "None",
            RegistryAuth::Basic { .. } => "Basic(..)",
            RegistryAuth::Bearer(_) => "Bearer(..)",
            RegistryAuth::OAuth(_) => "OAuth(..)",
        })
    }
}

impl RegistryConfig {
    /// Takes the capability's options out of a plugin's `config` and reads
    /// them; each problem names its option. `Ok(None)` when `config` names
    /// no registry option at all.
    pub fn take(config: &mut Vec<(String, String)>) -> Result<Option<Self>, Vec<(String, String)>> {
        let (ours, theirs): (Vec<_>, Vec<_>) = std::mem::take(config)
            .into_iter()
            .partition(|(k, _)| OPTION_PREFIXES.iter().any(|p| k.starts_with(p)));
        *config = theirs;
        if ours.is_empty() {
            return Ok(None);
        }
        let get = |k: &str| {
            ours.iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        let mut problems = Vec::new();
        let mut bad = |k: &str, m: String| problems.push((k.to_string(), m));
        for (k, _) in &ours {
            if !KNOWN.contains(&k.as_str()) {
                bad(
                    k,
                    format!(
                        "not an option of the schema-registry capability (it takes {})",
                        KNOWN.join(", ")
                    ),
                );
            }
        }
        let urls: Vec<String> = get("schema.registry.url")
            .unwrap_or_default()
            .split(',')
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .filter(|u| !u.is_empty())
            .collect();
        if urls.is_empty() {
            bad(
                "schema.registry.url",
                "required: the registry's base URL, e.g. http://registry:8081".into(),
            );
        }
        for u in &urls {
            if let Err(e) = reqwest::Url::parse(u) {
                bad("schema.registry.url", format!("{u:?} is not a URL: {e}"));
            }
        }
        let auth = match (
            get("basic.auth.credentials.source")
                .map(str::to_ascii_uppercase)
                .as_deref(),
            get("bearer.auth.credentials.source")
                .map(str::to_ascii_uppercase)
                .as_deref(),
        ) {
            (Some(_), Some(_)) => {
                bad(
                    "bearer.auth.credentials.source",
                    "give basic or bearer credentials, not both".into(),
                );
                RegistryAuth::None
            }
            (Some("USER_INFO"), None) => {
                // Confluent's client still reads the older name when the
                // newer one is absent.
                match get("basic.auth.user.info")
                    .or_else(|| get("schema.registry.basic.auth.user.info"))
                    .and_then(|u| u.split_once(':'))
                {
                    Some((user, password)) => RegistryAuth::Basic {
                        user: user.into(),
                        password: password.into(),
                    },
                    None => {
                        bad(
                        "basic.auth.user.info",
                        "required with basic.auth.credentials.source=USER_INFO, as USER:PASSWORD".into(),
                    );
                        RegistryAuth::None
                    }
                }
            }
            (Some("URL"), None) => match urls.first().and_then(|u| reqwest::Url::parse(u).ok()) {
                Some(u) if !u.username().is_empty() => RegistryAuth::Basic {
                    user: percent_decode(u.username()),
                    password: percent_decode(u.password().unwrap_or_default()),
                },
                _ => {
                    bad(
                        "schema.registry.url",
                        "basic.auth.credentials.source=URL takes the credentials from the URL (http://USER:PASSWORD@host:port), and it has none".into(),
                    );
                    RegistryAuth::None
                }
            },
            (Some(other), None) => {
                bad(
                    "basic.auth.credentials.source",
                    format!(
                        "{other:?}: Sluice takes USER_INFO or URL (SASL_INHERIT would hand the Kafka credentials to the registry: give them as basic.auth.user.info)"
                    ),
                );
                RegistryAuth::None
            }
            (None, Some("STATIC_TOKEN")) => match get("bearer.auth.token") {
                Some(t) if !t.is_empty() => RegistryAuth::Bearer(t.into()),
                _ => {
                    bad(
                        "bearer.auth.token",
                        "required with bearer.auth.credentials.source=STATIC_TOKEN".into(),
                    );
                    RegistryAuth::None
                }
            },
            (None, Some("OAUTHBEARER")) => {
                let mut required = |key: &str| match get(key).map(str::trim) {
                    Some(v) if !v.is_empty() => v.to_string(),
                    _ => {
                        bad(
                            key,
                            "required with bearer.auth.credentials.source=OAUTHBEARER".into(),
                        );
                        String::new()
                    }
                };
                let token_url = required("bearer.auth.issuer.endpoint.url");
                let client_id = required("bearer.auth.client.id");
                let client_secret = required("bearer.auth.client.secret");
                if !token_url.is_empty()
                    && let Err(e) = reqwest::Url::parse(&token_url)
                {
                    bad("bearer.auth.issuer.endpoint.url", format!("not a URL: {e}"));
                }
                RegistryAuth::OAuth(crate::oauth2::OAuth2Spec {
                    token_url,
                    client_id,
                    client_secret,
                    // Kafka's token retriever, which Confluent's client uses,
                    // sends the client's id and secret as Basic credentials.
                    client_auth: crate::oauth2::ClientAuth::Header,
                    scope: get("bearer.auth.scope")
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                    token_property: "access_token".into(),
                    headers: Vec::new(),
                    always_bearer: true,
                })
            }
            (None, Some(other)) => {
                bad(
                    "bearer.auth.credentials.source",
                    format!(
                        "{other:?}: Sluice takes STATIC_TOKEN or OAUTHBEARER (a custom provider class cannot run in the host)"
                    ),
                );
                RegistryAuth::None
            }
            (None, None) => RegistryAuth::None,
        };
        let mut bearer_headers = Vec::new();
        for (key, header) in [
            ("bearer.auth.logical.cluster", "target-sr-cluster"),
            ("bearer.auth.identity.pool.id", "Confluent-Identity-Pool-Id"),
        ] {
            let Some(value) = get(key).map(str::trim).filter(|v| !v.is_empty()) else {
                continue;
            };
            if !matches!(auth, RegistryAuth::Bearer(_) | RegistryAuth::OAuth(_)) {
                bad(
                    key,
                    "sent with a bearer token only: set bearer.auth.credentials.source (STATIC_TOKEN or OAUTHBEARER)".into(),
                );
            } else if reqwest::header::HeaderValue::from_str(value).is_err() {
                bad(key, "not a value an HTTP header can carry".into());
            } else {
                bearer_headers.push((header.to_string(), value.to_string()));
            }
        }
        if let Some(s) = get("bearer.auth.cache.expiry.buffer.seconds").map(str::trim)
            && s.parse::<u32>().is_err()
        {
            bad(
                "bearer.auth.cache.expiry.buffer.seconds",
                format!("{s:?} is not a whole number of seconds"),
            );
        }
        for kind in [
            "schema.registry.ssl.truststore.type",
            "schema.registry.ssl.keystore.type",
        ] {
            if let Some(Err(why)) = get(kind).map(crate::stores::check_type) {
                bad(kind, why);
            }
        }
        let store = |location: &str, password: &str| {
            get(location).map(|l| StoreSpec {
                location: l.to_string(),
                password: get(password).map(str::to_string),
            })
        };
        let trust = match (
            store(
                "schema.registry.ssl.truststore.location",
                "schema.registry.ssl.truststore.password",
            ),
            get("schema.registry.ssl.truststore.certificates"),
        ) {
            (Some(_), Some(_)) => {
                bad(
                    "schema.registry.ssl.truststore.certificates",
                    "give the certificates to trust once: schema.registry.ssl.truststore.location or schema.registry.ssl.truststore.certificates, not both".into(),
                );
                None
            }
            (Some(s), None) => Some(Trust::Store(s)),
            (None, Some(text)) => Some(Trust::Inline(text.to_string())),
            (None, None) => None,
        };
        let identity = store(
            "schema.registry.ssl.keystore.location",
            "schema.registry.ssl.keystore.password",
        )
        .map(|store| KeyStore {
            store,
            key_password: get("schema.registry.ssl.key.password").map(str::to_string),
        });
        let check_hostname = match get("schema.registry.ssl.endpoint.identification.algorithm")
            .map(|a| a.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("https") => true,
            Some("") | Some("none") => false,
            Some(other) => {
                bad(
                    "schema.registry.ssl.endpoint.identification.algorithm",
                    format!(
                        "{other:?}: give https (the certificate must name the registry's host) or leave it empty (the chain alone is checked)"
                    ),
                );
                true
            }
        };
        let mut seconds = |key: &str| match get(key).map(str::trim) {
            None => Duration::ZERO,
            Some(s) => match s.parse::<u64>() {
                Ok(n) => Duration::from_secs(n),
                Err(_) => {
                    bad(
                        key,
                        format!("{s:?} is not a whole number of seconds (0: not remembered)"),
                    );
                    Duration::ZERO
                }
            },
        };
        let id_ttl = seconds("missing.id.cache.ttl.sec");
        let schema_ttl = seconds("missing.schema.cache.ttl.sec");
        // Confluent's client remembers missing versions only for lookups of
        // deleted ones, which a sink never makes: checked, then unused.
        seconds("missing.version.cache.ttl.sec");
        let mut entries = |key: &str| {
            let s = get(key)?.trim();
            s.parse::<usize>()
                .map_err(|_| bad(key, format!("{s:?} is not a whole number of entries")))
                .ok()
        };
        let size = entries("missing.cache.size").unwrap_or(MissingCache::default().size);
        // Checked, then unused: the host bounds its caches by bytes.
        entries("latest.cache.size");
        // Confluent's defaults, an empty host and port -1, mean no proxy.
        let host = get("proxy.host").map(str::trim).filter(|h| !h.is_empty());
        let port = get("proxy.port")
            .map(str::trim)
            .filter(|p| !p.is_empty() && *p != "-1");
        let proxy = match (host, port) {
            (None, None) => None,
            (Some(host), Some(port)) => match (proxy_url(host), port.parse::<u16>()) {
                (Some(mut url), Ok(port)) if port > 0 => {
                    let _ = url.set_port(Some(port));
                    Some(url.to_string())
                }
                (None, _) => {
                    bad(
                        "proxy.host",
                        format!("{host:?} is not a host name or address"),
                    );
                    None
                }
                _ => {
                    bad("proxy.port", format!("{port:?} is not a port (1-65535)"));
                    None
                }
            },
            (Some(_), None) => {
                bad("proxy.port", "required with proxy.host".into());
                None
            }
            (None, Some(_)) => {
                bad("proxy.host", "required with proxy.port".into());
                None
            }
        };
        let mut millis = |key: &str| match get(key).map(str::trim) {
            None => DEFAULT_TIMEOUT,
            Some(s) => match s.parse::<u64>() {
                Ok(n) if n > 0 => Duration::from_millis(n),
                _ => {
                    bad(
                        key,
                        format!("{s:?} is not a positive number of milliseconds"),
                    );
                    DEFAULT_TIMEOUT
                }
            },
        };
        let connect_timeout = millis("http.connect.timeout.ms");
        let read_timeout = millis("http.read.timeout.ms");
        let latest_ttl = match get("latest.cache.ttl.sec").map(str::trim) {
            None => None,
            Some(s) => match s.parse::<i64>() {
                Ok(n) if n < 0 => None,
                Ok(n) => Some(Duration::from_secs(n as u64)),
                Err(_) => {
                    bad(
                        "latest.cache.ttl.sec",
                        format!("{s:?} is not a whole number of seconds (-1: keep until restart)"),
                    );
                    None
                }
            },
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Some(RegistryConfig {
            urls,
            auth,
            bearer_headers,
            trust,
            identity,
            check_hostname,
            latest_ttl,
            missing: MissingCache {
                id_ttl,
                schema_ttl,
                size,
            },
            proxy,
            connect_timeout,
            read_timeout,
        }))
    }
}

/// `http://HOST/` for a proxy host name or address (an IPv6 address with or
/// without brackets), or `None` when `host` is more than a host: a path,
/// user info or a port would otherwise be read into the URL.
fn proxy_url(host: &str) -> Option<reqwest::Url> {
    let bracketed = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let url = reqwest::Url::parse(&format!("http://{bracketed}/")).ok()?;
    let same_host = url
        .host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case(&bracketed));
    (same_host && url.username().is_empty() && url.port().is_none() && url.path() == "/")
        .then_some(url)
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

pub use sluice_contract::registry::{
    NewSchema, RegisteredSchema as Registered, RegistryError, SchemaReference,
};

/// A reference as the registry's JSON has it.
#[derive(Deserialize, Serialize)]
struct JsonReference {
    name: String,
    subject: String,
    version: i32,
}

impl From<JsonReference> for SchemaReference {
    fn from(r: JsonReference) -> Self {
        SchemaReference {
            name: r.name,
            subject: r.subject,
            version: r.version,
        }
    }
}

/// The registry's answer shapes (Confluent's API).
#[derive(Deserialize)]
struct SchemaAnswer {
    id: Option<u32>,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    schema: String,
    #[serde(default)]
    references: Vec<JsonReference>,
    subject: Option<String>,
    version: Option<i32>,
}

#[derive(Deserialize)]
struct IdAnswer {
    id: u32,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error_code: Option<i64>,
    message: Option<String>,
}

#[derive(Serialize)]
struct SchemaRequest<'a> {
    schema: &'a str,
    #[serde(rename = "schemaType")]
    schema_type: &'a str,
    references: Vec<JsonReference>,
}

/// Most answers of one kind kept, and the bytes all kinds may hold (an
/// answer may be a schema of megabytes); a full cache starts over.
const CACHE_ENTRIES: usize = 10_000;
const CACHE_BYTES: usize = 64 << 20;

/// The least time between two tokens asked for because the registry
/// answered 401.
const REFRESH_EVERY: Duration = Duration::from_secs(30);

/// How long connecting, and then waiting for an answer, may each take
/// before the registry counts as unreachable, unless the options say.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Cache {
    by_id: HashMap<u32, Registered>,
    by_version: HashMap<(String, i32), Registered>,
    latest: HashMap<String, (Instant, Registered)>,
    ids: HashMap<(String, NewSchema), u32>,
    /// Ids the registry did not know.
    missing_ids: Missing<u32>,
    /// Schemas a lookup did not find under a subject.
    missing_schemas: Missing<(String, NewSchema)>,
    /// What the found entries hold, by [`weight`].
    bytes: usize,
}

/// The most the "not found" answers of one kind may hold, whatever
/// `missing.cache.size` says: a map that would pass it starts over.
const MISSING_BYTES: usize = 16 << 20;

/// "Not found" answers remembered (`missing.*.cache.ttl.sec`): when the
/// registry said so, its message and what the entry holds. Apart from the
/// found entries' bound, so that unknown ids never push schemas out.
struct Missing<K> {
    entries: HashMap<K, (Instant, String, usize)>,
    bytes: usize,
}

impl<K> Default for Missing<K> {
    fn default() -> Self {
        Missing {
            entries: HashMap::new(),
            bytes: 0,
        }
    }
}

impl<K: Eq + std::hash::Hash> Missing<K> {
    /// A "not found" remembered for less than `ttl`: its message.
    fn recall(&mut self, key: &K, ttl: Duration, option: &str) -> Option<String> {
        let (at, message, _) = self.entries.get(key)?;
        if at.elapsed() < ttl {
            return Some(format!("{message} (remembered for {option})"));
        }
        if let Some((_, _, weight)) = self.entries.remove(key) {
            self.bytes -= weight;
        }
        None
    }

    /// Remembers a "not found" of `weight` bytes. When `size` entries are
    /// held, those older than `ttl` go first; if none has, the map starts
    /// over, as it does before it would hold more than [`MISSING_BYTES`].
    fn remember(&mut self, key: K, message: &str, weight: usize, ttl: Duration, size: usize) {
        let weight = weight + message.len();
        if weight > MISSING_BYTES {
            return;
        }
        if self.entries.len() >= size {
            self.entries.retain(|_, (at, _, _)| at.elapsed() < ttl);
            self.bytes = self.entries.values().map(|(_, _, w)| w).sum();
        }
        if self.entries.len() >= size || self.bytes + weight > MISSING_BYTES {
            *self = Missing::default();
        }
        if let Some((_, _, old)) = self
            .entries
            .insert(key, (Instant::now(), message.to_string(), weight))
        {
            self.bytes -= old;
        }
        self.bytes += weight;
    }
}

impl Cache {
    /// Makes room for an entry of `bytes`: a cache with [`CACHE_ENTRIES`]
    /// of one kind, or that would pass [`CACHE_BYTES`], starts over.
    fn room(&mut self, bytes: usize) {
        let most = [
            self.by_id.len(),
            self.by_version.len(),
            self.latest.len(),
            self.ids.len(),
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        if most >= CACHE_ENTRIES || self.bytes.saturating_add(bytes) > CACHE_BYTES {
            *self = Cache::default();
        }
        self.bytes += bytes;
    }
}

/// What a schema and the subject it is kept under hold in the cache.
fn weight(schema: &str, references: &[SchemaReference], subject: &str) -> usize {
    let references: usize = references
        .iter()
        .map(|r| r.name.len() + r.subject.len() + 32)
        .sum();
    schema.len() + references + 2 * subject.len() + 96
}

/// A request's failure, with the registry's `error_code` when it gave one.
struct Failed {
    error: RegistryError,
    code: Option<i64>,
}

impl From<RegistryError> for Failed {
    fn from(error: RegistryError) -> Self {
        Failed { error, code: None }
    }
}

impl From<Failed> for RegistryError {
    fn from(f: Failed) -> Self {
        f.error
    }
}

/// Whether a 404's `error_code` says the subject or the schema is not there
/// (40401, 40403): only those are remembered, as Confluent's client does, not
/// a 404 from something else on the way (a proxy's, a wrong base URL's).
fn is_missing(code: Option<i64>) -> bool {
    matches!(code, Some(40401 | 40403))
}

/// A registry client with its cache, shared by a plugin's instances.
pub struct RegistryClient {
    config: RegistryConfig,
    http: reqwest::Client,
    /// The token source of `bearer.auth.credentials.source=OAUTHBEARER`.
    tokens: Option<crate::oauth2::Tokens>,
    /// When a 401 last cost a new token.
    refreshed: Mutex<Option<Instant>>,
    cache: Mutex<Cache>,
    /// The URL that answered last: tried first.
    current: AtomicUsize,
}

impl RegistryClient {
    /// The client for `config`: reads the store files it names. A problem
    /// names the option and the file, never a password.
    pub fn new(config: RegistryConfig) -> Result<Self, String> {
        let base = || {
            let builder = reqwest::Client::builder()
                .connect_timeout(config.connect_timeout)
                .read_timeout(config.read_timeout)
                .timeout(config.connect_timeout + config.read_timeout)
                .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")));
            match &config.proxy {
                Some(url) => reqwest::Proxy::all(url)
                    .map(|p| builder.proxy(p))
                    .map_err(|e| format!("proxy.host: {url}: {e}")),
                None => Ok(builder),
            }
        };
        let certificates = match &config.trust {
            None => Vec::new(),
            Some(Trust::Store(store)) => crate::stores::root_certificates(store)
                .map_err(|e| format!("schema.registry.ssl.truststore.location: {e}"))?,
            Some(Trust::Inline(text)) => reqwest::Certificate::from_pem_bundle(text.as_bytes())
                .map_err(|e| {
                    format!(
                        "schema.registry.ssl.truststore.certificates: not PEM certificates: {e}"
                    )
                })?,
        };
        if config.trust.is_some() && certificates.is_empty() {
            return Err(match &config.trust {
                Some(Trust::Store(store)) => format!(
                    "schema.registry.ssl.truststore.location: {}: holds no certificate, so nothing could be trusted",
                    store.location
                ),
                _ => "schema.registry.ssl.truststore.certificates: holds no certificate, so nothing could be trusted".into(),
            });
        }
        // As in Java, certificates named to trust are the only ones trusted
        // for the registry: turning the host check off then accepts no
        // certificate that merely chains to a public root.
        let mut builder = base()?
            .tls_built_in_root_certs(config.trust.is_none())
            .danger_accept_invalid_hostnames(!config.check_hostname);
        for cert in &certificates {
            builder = builder.add_root_certificate(cert.clone());
        }
        if let Some(KeyStore {
            store,
            key_password,
        }) = &config.identity
        {
            builder = builder.identity(
                crate::stores::client_identity(store, key_password.as_deref())
                    .map_err(|e| format!("schema.registry.ssl.keystore.location: {e}"))?,
            );
        }
        let http = builder
            .build()
            .map_err(|e| format!("cannot build the schema registry client: {e}"))?;
        let tokens = match &config.auth {
            RegistryAuth::OAuth(spec) => {
                // The token endpoint gets the client secret: its own
                // client, which always checks the host name, trusts the
                // public roots built in (webpki-roots, Mozilla's list)
                // besides the named ones, as an identity provider is often
                // public, and presents no certificate.
                let mut builder = base()?;
                for cert in certificates {
                    builder = builder.add_root_certificate(cert);
                }
                let client = builder
                    .build()
                    .map_err(|e| format!("cannot build the token endpoint's client: {e}"))?;
                Some(crate::oauth2::Tokens::new(spec.clone(), client))
            }
            _ => None,
        };
        Ok(RegistryClient {
            config,
            http,
            tokens,
            refreshed: Mutex::new(None),
            cache: Mutex::new(Cache::default()),
            current: AtomicUsize::new(0),
        })
    }

    /// Whether a 401 may cost a new token now: at most once in
    /// [`REFRESH_EVERY`], so a registry that refuses for another reason (a
    /// role binding, a wrong logical cluster) does not make every lookup
    /// ask the token endpoint too.
    fn may_refresh(&self) -> bool {
        let mut last = self.refreshed.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|at| at.elapsed() < REFRESH_EVERY) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One request, to each URL in turn until one answers.
    async fn request<T: for<'de> Deserialize<'de>>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&SchemaRequest<'_>>,
    ) -> Result<T, Failed> {
        let n = self.config.urls.len();
        let first = self.current.load(Ordering::Relaxed) % n.max(1);
        let mut last = String::from("no schema.registry.url");
        for i in 0..n {
            let at = (first + i) % n;
            let url = format!("{}{path}", self.config.urls[at]);
            // Messages name the registry without credentials a URL may hold.
            let shown = without_credentials(&self.config.urls[at]);
            // With OAuth a 401 sends the same request once more with a
            // new token (one may have been revoked before it expired).
            let mut refreshed = false;
            let response = loop {
                let mut req = self
                    .http
                    .request(method.clone(), &url)
                    .header("Accept", "application/vnd.schemaregistry.v1+json");
                if let Some(b) = body {
                    // Serialising three strings and a list cannot fail.
                    req = req
                        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                        .body(serde_json::to_vec(b).unwrap_or_default());
                }
                let mut token = None;
                req = match (&self.config.auth, &self.tokens) {
                    (RegistryAuth::Basic { user, password }, _) => {
                        req.basic_auth(user, Some(password))
                    }
                    (RegistryAuth::Bearer(t), _) => req.bearer_auth(t),
                    (_, Some(tokens)) => {
                        // Every token problem holds the connector as an
                        // outage: an endpoint out of reach is retried, and a
                        // refused client (a wrong secret) or an answer
                        // without a token (a wrong URL) is a setting to fix,
                        // not a record's fault. Nothing is committed meanwhile.
                        let header = tokens.header().await.map_err(|e| {
                            RegistryError::Unavailable(format!(
                                "schema registry {shown}: {e}{}",
                                if e.retryable() {
                                    ""
                                } else {
                                    " (check bearer.auth.issuer.endpoint.url, bearer.auth.client.id and bearer.auth.client.secret)"
                                }
                            ))
                        })?;
                        token = Some(header.clone());
                        req.header(reqwest::header::AUTHORIZATION, header)
                    }
                    _ => req,
                };
                for (name, value) in &self.config.bearer_headers {
                    req = req.header(name, value);
                }
                match req.send().await {
                    Ok(r) => {
                        if r.status() == reqwest::StatusCode::UNAUTHORIZED
                            && !refreshed
                            && let (Some(tokens), Some(used)) = (&self.tokens, &token)
                        {
                            refreshed = true;
                            // Another lookup may have replaced the token
                            // already; else a new one, at most once in
                            // REFRESH_EVERY (a 401 still then is held as an
                            // outage below, like any refused credentials).
                            if tokens.current().await.is_some_and(|c| c != *used) {
                                continue;
                            }
                            if self.may_refresh() {
                                tokens.refused(used).await;
                                continue;
                            }
                        }
                        break Ok(r);
                    }
                    Err(e) => break Err(e),
                }
            };
            let response = match response {
                Ok(r) => r,
                Err(e) => {
                    last = format!(
                        "schema registry {shown}: {}",
                        crate::cause::chain(&e.without_url())
                    );
                    continue;
                }
            };
            let status = response.status();
            let answer = match crate::body::read(response, MAX_ANSWER_BYTES, MAX_ANSWER_BYTES).await
            {
                Ok(a) => a,
                Err(e) => {
                    last = format!(
                        "schema registry {shown}: {}",
                        crate::cause::chain(&e.without_url())
                    );
                    continue;
                }
            };
            let text = String::from_utf8_lossy(&answer.bytes);
            if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
                last = format!("schema registry {shown}: HTTP {status}: {}", short(&text));
                continue;
            }
            // Refused credentials are a setting to fix, not the records'
            // fault: held as an outage (nothing committed) rather than a
            // failed record per lookup. A 403 stays the record's: a
            // principal may be denied one subject and not the others.
            if status.as_u16() == 401 {
                let check = match &self.config.auth {
                    RegistryAuth::None => {
                        "the registry wants credentials: set basic.auth.credentials.source or bearer.auth.credentials.source"
                    }
                    RegistryAuth::Basic { .. } => {
                        "check basic.auth.user.info (or the URL's user info)"
                    }
                    RegistryAuth::Bearer(_) => "check bearer.auth.token",
                    RegistryAuth::OAuth(_) => {
                        "check bearer.auth.client.id, bearer.auth.client.secret and the scope the registry wants"
                    }
                };
                return Err(RegistryError::Unavailable(format!(
                    "schema registry {shown}: HTTP {status}: {}: {check}",
                    short(&text)
                ))
                .into());
            }
            self.current.store(at, Ordering::Relaxed);
            if status.is_success() {
                if !answer.complete {
                    return Err(Failed::from(RegistryError::Refused(format!(
                        "the schema registry's answer to {path} is larger than {} MiB; no schema of Kafka's is",
                        MAX_ANSWER_BYTES >> 20
                    ))));
                }
                return serde_json::from_str(&text).map_err(|e| {
                    Failed::from(RegistryError::Refused(format!("the schema registry's answer to {path} is not what Confluent's API answers: {e}")))
                });
            }
            let answer = serde_json::from_str::<ErrorAnswer>(&text).ok();
            let code = answer.as_ref().and_then(|e| e.error_code);
            let detail = answer
                .map(|e| {
                    format!(
                        "{} (error {})",
                        short(&e.message.unwrap_or_default()),
                        e.error_code.unwrap_or(0)
                    )
                })
                .unwrap_or_else(|| short(&text));
            let message = format!("schema registry: {path}: HTTP {status}: {detail}");
            return Err(Failed {
                error: if status.as_u16() == 404 {
                    RegistryError::NotFound(message)
                } else {
                    RegistryError::Refused(message)
                },
                code,
            });
        }
        Err(RegistryError::Unavailable(last).into())
    }

    /// The schema with global id `id`.
    pub async fn schema_by_id(&self, id: u32) -> Result<Registered, RegistryError> {
        let missing = &self.config.missing;
        {
            let mut cache = self.cache();
            if let Some(s) = cache.by_id.get(&id) {
                return Ok(s.clone());
            }
            if let Some(m) =
                cache
                    .missing_ids
                    .recall(&id, missing.id_ttl, "missing.id.cache.ttl.sec")
            {
                return Err(RegistryError::NotFound(m));
            }
        }
        let a: SchemaAnswer = match self
            .request(reqwest::Method::GET, &format!("/schemas/ids/{id}"), None)
            .await
        {
            Err(Failed {
                error: RegistryError::NotFound(m),
                code,
            }) => {
                if missing.keeps(missing.id_ttl) && is_missing(code) {
                    self.cache()
                        .missing_ids
                        .remember(id, &m, 64, missing.id_ttl, missing.size);
                }
                return Err(RegistryError::NotFound(m));
            }
            other => other?,
        };
        let s = registered(a, Some(id));
        let mut cache = self.cache();
        cache.room(weight(&s.schema, &s.references, ""));
        cache.by_id.insert(id, s.clone());
        Ok(s)
    }

    /// A version of `subject` (`None`: the latest).
    pub async fn schema_by_version(
        &self,
        subject: &str,
        version: Option<i32>,
    ) -> Result<Registered, RegistryError> {
        {
            let cache = self.cache();
            match version {
                Some(v) => {
                    if let Some(s) = cache.by_version.get(&(subject.to_string(), v)) {
                        return Ok(s.clone());
                    }
                }
                None => {
                    if let Some((at, s)) = cache.latest.get(subject)
                        && self.config.latest_ttl.is_none_or(|ttl| at.elapsed() < ttl)
                    {
                        return Ok(s.clone());
                    }
                }
            }
        }
        let which = version.map_or("latest".to_string(), |v| v.to_string());
        let a: SchemaAnswer = self
            .request(
                reqwest::Method::GET,
                &format!("/subjects/{}/versions/{which}", segment(subject)),
                None,
            )
            .await?;
        let s = registered(a, None);
        let mut cache = self.cache();
        let w = weight(&s.schema, &s.references, subject);
        if let Some(v) = s.version {
            cache.room(w);
            cache.by_version.insert((subject.to_string(), v), s.clone());
        }
        cache.room(w);
        cache.by_id.insert(s.id, s.clone());
        if version.is_none() {
            cache.room(w);
            cache
                .latest
                .insert(subject.to_string(), (Instant::now(), s.clone()));
        }
        Ok(s)
    }

    /// The id of `schema` under `subject`, registered first when `register`.
    pub async fn schema_id(
        &self,
        subject: &str,
        schema: &NewSchema,
        register: bool,
    ) -> Result<u32, RegistryError> {
        let key = (subject.to_string(), schema.clone());
        let missing = &self.config.missing;
        {
            let mut cache = self.cache();
            if let Some(id) = cache.ids.get(&key) {
                return Ok(*id);
            }
            if !register
                && let Some(m) = cache.missing_schemas.recall(
                    &key,
                    missing.schema_ttl,
                    "missing.schema.cache.ttl.sec",
                )
            {
                return Err(RegistryError::NotFound(m));
            }
        }
        let body = SchemaRequest {
            schema: &schema.schema,
            schema_type: &schema.schema_type,
            references: schema
                .references
                .iter()
                .map(|r| JsonReference {
                    name: r.name.clone(),
                    subject: r.subject.clone(),
                    version: r.version,
                })
                .collect(),
        };
        let id = if register {
            let a: IdAnswer = self
                .request(
                    reqwest::Method::POST,
                    &format!("/subjects/{}/versions", segment(subject)),
                    Some(&body),
                )
                .await?;
            a.id
        } else {
            let a: SchemaAnswer = match self
                .request(
                    reqwest::Method::POST,
                    &format!("/subjects/{}", segment(subject)),
                    Some(&body),
                )
                .await
            {
                Err(Failed {
                    error: RegistryError::NotFound(m),
                    code,
                }) => {
                    if missing.keeps(missing.schema_ttl) && is_missing(code) {
                        let w = weight(&key.1.schema, &key.1.references, &key.0);
                        self.cache().missing_schemas.remember(
                            key,
                            &m,
                            w,
                            missing.schema_ttl,
                            missing.size,
                        );
                    }
                    return Err(RegistryError::NotFound(m));
                }
                other => other?,
            };
            a.id.ok_or_else(|| {
                RegistryError::Refused("the registry's lookup answer has no id".into())
            })?
        };
        let mut cache = self.cache();
        cache.room(weight(&key.1.schema, &key.1.references, &key.0));
        cache.ids.insert(key, id);
        Ok(id)
    }
}

fn registered(a: SchemaAnswer, id: Option<u32>) -> Registered {
    Registered {
        id: a.id.or(id).unwrap_or_default(),
        schema_type: a.schema_type.unwrap_or_else(|| "AVRO".into()),
        schema: a.schema,
        references: a.references.into_iter().map(Into::into).collect(),
        subject: a.subject,
        version: a.version,
    }
}

/// `url` with any user and password left out.
fn without_credentials(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string().trim_end_matches('/').to_string()
        }
        Err(_) => "(the configured URL)".to_string(),
    }
}

/// A subject as one URL path segment.
fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The most of a registry's answer read. Schemas are records of the
/// registry's Kafka topic, a MiB at most by default; an answer larger than
/// this is refused rather than held.
const MAX_ANSWER_BYTES: usize = 16 << 20;

/// The start of a body, for a message.
fn short(text: &str) -> String {
    let t: String = text.chars().take(300).collect();
    t.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_holds_a_bounded_number_of_bytes() {
        let mut cache = Cache::default();
        let schema = "s".repeat(1 << 20);
        for id in 0..200u32 {
            let s = Registered {
                id,
                schema_type: "AVRO".into(),
                schema: schema.clone(),
                references: Vec::new(),
                subject: None,
                version: None,
            };
            cache.room(weight(&s.schema, &s.references, ""));
            cache.by_id.insert(id, s);
            let held: usize = cache.by_id.values().map(|s| s.schema.len()).sum();
            assert!(held <= CACHE_BYTES, "{held}");
        }
        assert!(cache.by_id.contains_key(&199), "the newest is kept");
    }

    type Taken = Result<Option<RegistryConfig>, Vec<(String, String)>>;

    fn take(pairs: &[(&str, &str)]) -> (Taken, Vec<(String, String)>) {
        let mut config: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let r = RegistryConfig::take(&mut config);
        (r, config)
    }

    #[test]
    fn the_registry_options_are_taken_out_of_the_plugins_config() {
        let (r, left) = take(&[
            ("schema.registry.url", "http://a:8081/, http://b:8081"),
            ("basic.auth.credentials.source", "USER_INFO"),
            ("basic.auth.user.info", "me:s3cr:et"),
            ("latest.cache.ttl.sec", "60"),
            ("enhanced.avro.schema.support", "true"),
        ]);
        let c = r.unwrap().unwrap();
        assert_eq!(c.urls, ["http://a:8081", "http://b:8081"]);
        assert_eq!(
            c.auth,
            RegistryAuth::Basic {
                user: "me".into(),
                password: "s3cr:et".into()
            }
        );
        assert_eq!(c.latest_ttl, Some(Duration::from_secs(60)));
        assert_eq!(
            left,
            [(
                "enhanced.avro.schema.support".to_string(),
                "true".to_string()
            )]
        );
        assert!(
            !format!("{c:?}").contains("s3cr"),
            "credentials stay out of logs"
        );
        assert_eq!(
            without_credentials("http://me:s3cr@reg:8081"),
            "http://reg:8081"
        );
        let (r, _) = take(&[("other", "x")]);
        assert_eq!(r, Ok(None));
    }

    #[test]
    fn bad_registry_options_name_themselves() {
        let (r, _) = take(&[
            ("schema.registry.ssl.truststore.type", "BKS"),
            ("schema.registry.ssl.truststore.location", "/x.bks"),
            ("schema.registry.ssl.truststore.certificates", "-----BEGIN"),
            (
                "schema.registry.ssl.endpoint.identification.algorithm",
                "ldaps",
            ),
            ("missing.id.cache.ttl.sec", "1m"),
            ("basic.auth.credentials.source", "SASL_INHERIT"),
            ("schema.registry.urls", "typo"),
        ]);
        let problems = r.unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|(k, _)| k.as_str()).collect();
        assert!(keys.contains(&"schema.registry.url"), "{problems:?}");
        assert!(keys.contains(&"schema.registry.urls"), "{problems:?}");
        assert!(
            keys.contains(&"schema.registry.ssl.truststore.type"),
            "{problems:?}"
        );
        assert!(
            keys.contains(&"basic.auth.credentials.source"),
            "{problems:?}"
        );
        for key in [
            "schema.registry.ssl.truststore.certificates",
            "schema.registry.ssl.endpoint.identification.algorithm",
            "missing.id.cache.ttl.sec",
        ] {
            assert!(keys.contains(&key), "{key}: {problems:?}");
        }
    }

    #[test]
    fn java_stores_and_the_missing_caches_are_read_as_connect_names_them() {
        let (r, left) = take(&[
            ("schema.registry.url", "https://reg:8081"),
            ("schema.registry.ssl.truststore.location", "/t.jks"),
            ("schema.registry.ssl.truststore.password", "trust-secret"),
            ("schema.registry.ssl.truststore.type", "jks"),
            ("schema.registry.ssl.keystore.location", "/k.p12"),
            ("schema.registry.ssl.keystore.password", "store-secret"),
            ("schema.registry.ssl.key.password", "key-secret"),
            ("schema.registry.ssl.endpoint.identification.algorithm", ""),
            ("missing.id.cache.ttl.sec", "60"),
            ("missing.schema.cache.ttl.sec", "5"),
            ("missing.cache.size", "3"),
            ("latest.cache.size", "100"),
        ]);
        assert!(left.is_empty(), "{left:?}");
        let c = r.unwrap().unwrap();
        assert_eq!(
            c.trust,
            Some(Trust::Store(StoreSpec {
                location: "/t.jks".into(),
                password: Some("trust-secret".into())
            }))
        );
        let k = c.identity.clone().unwrap();
        assert_eq!(k.store.location, "/k.p12");
        assert_eq!(k.key_password.as_deref(), Some("key-secret"));
        assert!(!c.check_hostname);
        assert_eq!(
            c.missing,
            MissingCache {
                id_ttl: Duration::from_secs(60),
                schema_ttl: Duration::from_secs(5),
                size: 3
            }
        );
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("secret"),
            "passwords stay out of logs: {shown}"
        );
        let (r, _) = take(&[("schema.registry.url", "https://reg:8081")]);
        let c = r.unwrap().unwrap();
        assert!(c.check_hostname, "the hostname is checked unless told");
        assert_eq!(c.missing, MissingCache::default());
        assert!(!c.missing.keeps(c.missing.id_ttl), "Confluent's default: 0");
    }

    #[test]
    fn oauth_takes_confluents_options_and_names_what_it_lacks() {
        let (r, _) = take(&[
            ("schema.registry.url", "https://reg"),
            ("bearer.auth.credentials.source", "OAUTHBEARER"),
            ("bearer.auth.issuer.endpoint.url", "https://idp/token"),
            ("bearer.auth.client.id", "me"),
            ("bearer.auth.client.secret", "oauth-secret"),
            ("bearer.auth.scope", "sr"),
            ("bearer.auth.logical.cluster", "lsrc-1"),
            ("bearer.auth.identity.pool.id", "pool-1"),
            ("bearer.auth.scope.claim.name", "scope"),
            ("bearer.auth.cache.expiry.buffer.seconds", "300"),
        ]);
        let c = r.unwrap().unwrap();
        let RegistryAuth::OAuth(spec) = &c.auth else {
            panic!("{:?}", c.auth)
        };
        assert_eq!(spec.token_url, "https://idp/token");
        assert_eq!(spec.client_auth, crate::oauth2::ClientAuth::Header);
        assert_eq!(spec.scope.as_deref(), Some("sr"));
        assert_eq!(
            c.bearer_headers,
            [
                ("target-sr-cluster".to_string(), "lsrc-1".to_string()),
                ("Confluent-Identity-Pool-Id".into(), "pool-1".into())
            ]
        );
        assert!(!format!("{c:?}").contains("oauth-secret"));

        let (r, _) = take(&[
            ("schema.registry.url", "https://reg"),
            ("bearer.auth.credentials.source", "OAUTHBEARER"),
            ("bearer.auth.client.id", "me"),
        ]);
        let problems = r.unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "bearer.auth.issuer.endpoint.url",
                "bearer.auth.client.secret"
            ],
            "{problems:?}"
        );
        let (r, _) = take(&[
            ("schema.registry.url", "https://reg"),
            ("bearer.auth.logical.cluster", "lsrc-1"),
        ]);
        let problems = r.unwrap_err();
        assert!(
            problems[0].0 == "bearer.auth.logical.cluster"
                && problems[0].1.contains("bearer token only"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_proxy_timeouts_and_the_older_user_info_name_are_read() {
        let (r, left) = take(&[
            ("schema.registry.url", "http://reg:8081"),
            ("basic.auth.credentials.source", "USER_INFO"),
            ("schema.registry.basic.auth.user.info", "old:name"),
            ("proxy.host", "squid.internal"),
            ("proxy.port", "3128"),
            ("http.connect.timeout.ms", "2000"),
            ("http.read.timeout.ms", "60000"),
        ]);
        assert!(left.is_empty(), "{left:?}");
        let c = r.unwrap().unwrap();
        assert_eq!(
            c.auth,
            RegistryAuth::Basic {
                user: "old".into(),
                password: "name".into()
            }
        );
        assert_eq!(c.proxy.as_deref(), Some("http://squid.internal:3128/"));
        assert_eq!(c.connect_timeout, Duration::from_secs(2));
        assert_eq!(c.read_timeout, Duration::from_secs(60));
        let (r, _) = take(&[("schema.registry.url", "http://reg")]);
        let c = r.unwrap().unwrap();
        assert_eq!((c.proxy, c.connect_timeout), (None, DEFAULT_TIMEOUT));
        for (host, want) in [
            ("::1", Some("http://[::1]:3128/")),
            ("[::1]", Some("http://[::1]:3128/")),
            ("10.0.0.5", Some("http://10.0.0.5:3128/")),
            ("Squid.Internal", Some("http://squid.internal:3128/")),
            ("squid/x", None),
            ("user:pw@squid", None),
            ("squid:80", None),
        ] {
            let (r, _) = take(&[
                ("schema.registry.url", "http://reg"),
                ("proxy.host", host),
                ("proxy.port", "3128"),
            ]);
            match want {
                Some(url) => assert_eq!(r.unwrap().unwrap().proxy.as_deref(), Some(url), "{host}"),
                None => assert_eq!(r.unwrap_err()[0].0, "proxy.host", "{host}"),
            }
        }
        let (r, _) = take(&[
            ("schema.registry.url", "http://reg"),
            ("proxy.host", ""),
            ("proxy.port", "-1"),
        ]);
        assert_eq!(
            r.unwrap().unwrap().proxy,
            None,
            "Confluent's defaults: none"
        );
        for (pairs, key) in [
            (&[("proxy.host", "squid")][..], "proxy.port"),
            (&[("proxy.port", "3128")][..], "proxy.host"),
            (
                &[("proxy.host", "squid"), ("proxy.port", "0")][..],
                "proxy.port",
            ),
            (
                &[("http.read.timeout.ms", "-1")][..],
                "http.read.timeout.ms",
            ),
        ] {
            let mut all = vec![("schema.registry.url", "http://reg")];
            all.extend_from_slice(pairs);
            let (r, _) = take(&all);
            let problems = r.unwrap_err();
            assert_eq!(problems[0].0, key, "{pairs:?}: {problems:?}");
        }
    }

    #[test]
    fn a_remembered_not_found_expires_and_a_full_map_starts_over() {
        let ttl = Duration::from_secs(60);
        let mut missing = Missing::default();
        missing.remember(1u32, "not found", 64, ttl, 2);
        let m = missing.recall(&1, ttl, "missing.id.cache.ttl.sec");
        assert_eq!(
            m.as_deref(),
            Some("not found (remembered for missing.id.cache.ttl.sec)")
        );
        assert_eq!(missing.recall(&1, Duration::ZERO, "x"), None, "expired");
        assert!(missing.entries.is_empty(), "an expired entry is dropped");
        assert_eq!(missing.bytes, 0, "and what it held");
        for id in 0..5u32 {
            missing.remember(id, "not found", 64, ttl, 2);
            assert!(missing.entries.len() <= 2);
        }
        assert!(missing.entries.contains_key(&4), "the newest is kept");
        // Expired entries go before the live ones when the map is full.
        let short = Duration::from_secs(1);
        let mut missing = Missing::default();
        missing.remember(1u32, "old", 64, short, 2);
        std::thread::sleep(Duration::from_millis(1200));
        missing.remember(2u32, "live", 64, short, 2);
        missing.remember(3u32, "new", 64, short, 2);
        let mut kept: Vec<u32> = missing.entries.keys().copied().collect();
        kept.sort_unstable();
        assert_eq!(kept, [2, 3], "the expired one went, the live one stayed");
        // Bytes are bounded whatever the size says.
        let mut missing = Missing::default();
        for id in 0..100u32 {
            missing.remember(id, "x", 1 << 20, ttl, 10_000);
            assert!(missing.bytes <= MISSING_BYTES);
        }
    }

    #[test]
    fn unknown_ids_never_push_found_schemas_out() {
        let mut cache = Cache::default();
        cache.room(100);
        cache.by_id.insert(
            7,
            Registered {
                id: 7,
                schema_type: "AVRO".into(),
                schema: "{}".into(),
                references: Vec::new(),
                subject: None,
                version: None,
            },
        );
        for id in 0..(CACHE_ENTRIES as u32 + 10) {
            cache
                .missing_ids
                .remember(id, "not found", 64, Duration::from_secs(60), 1_000_000);
        }
        cache.room(100);
        assert!(cache.by_id.contains_key(&7));
        assert!(is_missing(Some(40403)) && is_missing(Some(40401)));
        assert!(!is_missing(Some(40402)) && !is_missing(None));
    }
}
