//! The `schema-registry` capability: the host speaks Confluent's Schema
//! Registry REST API for the plugins granted it, with Kafka Connect's option
//! names, and caches the answers (an id's schema never changes; a subject's
//! latest version is kept for `latest.cache.ttl.sec`). Plugins never get the
//! network or the registry's credentials: the options are taken out of the
//! plugin's configuration before it sees it.
//!
//! A registry that cannot be reached (a refused connection, a timeout, a 5xx)
//! is an outage, not a record's problem: the call that met it is retried by
//! the pipeline until the registry answers, and nothing is committed before.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The options of the capability, as a converter's configuration names them
/// (Confluent's `schema.registry.url`, `basic.auth.*`, `bearer.auth.*`,
/// `schema.registry.ssl.*`, `latest.cache.ttl.sec`).
pub const OPTION_PREFIXES: [&str; 4] = [
    "schema.registry.",
    "basic.auth.",
    "bearer.auth.",
    "latest.cache.",
];

/// How the host reaches a registry: checked, pure data.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RegistryConfig {
    /// Base URLs, tried in turn (`schema.registry.url`, comma-separated).
    pub urls: Vec<String>,
    pub auth: RegistryAuth,
    /// PEM CA certificates to trust, from a file or given inline.
    pub trust: Option<Pem>,
    /// A PEM client certificate and key, for mutual TLS.
    pub identity: Option<Pem>,
    /// How long a subject's latest version is kept; `None`: until restart
    /// (Confluent's default, `-1`).
    pub latest_ttl: Option<Duration>,
}

/// PEM text, or a file holding it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Pem {
    File(PathBuf),
    Inline(String),
}

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
}

impl std::fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RegistryAuth::None => "None",
            RegistryAuth::Basic { .. } => "Basic(..)",
            RegistryAuth::Bearer(_) => "Bearer(..)",
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
        const KNOWN: [&str; 11] = [
            "schema.registry.url",
            "basic.auth.credentials.source",
            "basic.auth.user.info",
            "bearer.auth.credentials.source",
            "bearer.auth.token",
            "schema.registry.ssl.truststore.location",
            "schema.registry.ssl.truststore.type",
            "schema.registry.ssl.truststore.certificates",
            "schema.registry.ssl.keystore.location",
            "schema.registry.ssl.keystore.type",
            "latest.cache.ttl.sec",
        ];
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
                match get("basic.auth.user.info").and_then(|u| u.split_once(':')) {
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
            (None, Some(other)) => {
                bad(
                    "bearer.auth.credentials.source",
                    format!(
                        "{other:?}: Sluice takes STATIC_TOKEN (OAuth token endpoints are not supported yet)"
                    ),
                );
                RegistryAuth::None
            }
            (None, None) => RegistryAuth::None,
        };
        let pem = |location: &str,
                   kind: &str,
                   inline: Option<&str>,
                   bad: &mut dyn FnMut(&str, String)| {
            if let Some(t) = get(kind)
                && !t.eq_ignore_ascii_case("PEM")
            {
                bad(
                    kind,
                    format!(
                        "{t:?}: Sluice reads PEM only; convert a JKS or PKCS12 store with `keytool -exportcert -rfc` / `openssl pkcs12 -nodes`"
                    ),
                );
            }
            match (get(location), inline) {
                (Some(p), _) => Some(Pem::File(PathBuf::from(p))),
                (None, Some(text)) => Some(Pem::Inline(text.to_string())),
                (None, None) => None,
            }
        };
        let trust = pem(
            "schema.registry.ssl.truststore.location",
            "schema.registry.ssl.truststore.type",
            get("schema.registry.ssl.truststore.certificates"),
            &mut bad,
        );
        let identity = pem(
            "schema.registry.ssl.keystore.location",
            "schema.registry.ssl.keystore.type",
            None,
            &mut bad,
        );
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
            trust,
            identity,
            latest_ttl,
        }))
    }
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

/// How long one request may take before the registry counts as unreachable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Cache {
    by_id: HashMap<u32, Registered>,
    by_version: HashMap<(String, i32), Registered>,
    latest: HashMap<String, (Instant, Registered)>,
    ids: HashMap<(String, NewSchema), u32>,
    /// What the entries hold, by [`weight`].
    bytes: usize,
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

/// A registry client with its cache, shared by a plugin's instances.
pub struct RegistryClient {
    config: RegistryConfig,
    http: reqwest::Client,
    cache: Mutex<Cache>,
    /// The URL that answered last: tried first.
    current: AtomicUsize,
}

impl RegistryClient {
    /// The client for `config`: reads the PEM files it names.
    pub fn new(config: RegistryConfig) -> Result<Self, String> {
        let read = |pem: &Pem| -> Result<Vec<u8>, String> {
            match pem {
                Pem::Inline(t) => Ok(t.as_bytes().to_vec()),
                Pem::File(p) => crate::files::read_small(p).map_err(|e| e.to_string()),
            }
        };
        let mut builder = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")));
        if let Some(trust) = &config.trust {
            let pem = read(trust)?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("schema.registry.ssl.truststore: not PEM certificates: {e}"))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let Some(identity) = &config.identity {
            let pem = read(identity)?;
            builder = builder.identity(reqwest::Identity::from_pem(&pem).map_err(|e| {
                format!("schema.registry.ssl.keystore: not a PEM certificate and key: {e}")
            })?);
        }
        let http = builder
            .build()
            .map_err(|e| format!("cannot build the schema registry client: {e}"))?;
        Ok(RegistryClient {
            config,
            http,
            cache: Mutex::new(Cache::default()),
            current: AtomicUsize::new(0),
        })
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
    ) -> Result<T, RegistryError> {
        let n = self.config.urls.len();
        let first = self.current.load(Ordering::Relaxed) % n.max(1);
        let mut last = String::from("no schema.registry.url");
        for i in 0..n {
            let at = (first + i) % n;
            let url = format!("{}{path}", self.config.urls[at]);
            // Messages name the registry without credentials a URL may hold.
            let shown = without_credentials(&self.config.urls[at]);
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
            req = match &self.config.auth {
                RegistryAuth::None => req,
                RegistryAuth::Basic { user, password } => req.basic_auth(user, Some(password)),
                RegistryAuth::Bearer(t) => req.bearer_auth(t),
            };
            let response = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    last = format!("schema registry {shown}: {}", e.without_url());
                    continue;
                }
            };
            let status = response.status();
            let answer = match crate::body::read(response, MAX_ANSWER_BYTES, MAX_ANSWER_BYTES).await
            {
                Ok(a) => a,
                Err(e) => {
                    last = format!("schema registry {shown}: {}", e.without_url());
                    continue;
                }
            };
            let text = String::from_utf8_lossy(&answer.bytes);
            if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
                last = format!("schema registry {shown}: HTTP {status}: {}", short(&text));
                continue;
            }
            self.current.store(at, Ordering::Relaxed);
            if status.is_success() {
                if !answer.complete {
                    return Err(RegistryError::Refused(format!(
                        "the schema registry's answer to {path} is larger than {} MiB; no schema of Kafka's is",
                        MAX_ANSWER_BYTES >> 20
                    )));
                }
                return serde_json::from_str(&text).map_err(|e| {
                    RegistryError::Refused(format!("the schema registry's answer to {path} is not what Confluent's API answers: {e}"))
                });
            }
            let detail = serde_json::from_str::<ErrorAnswer>(&text)
                .ok()
                .map(|e| {
                    format!(
                        "{} (error {})",
                        e.message.unwrap_or_default(),
                        e.error_code.unwrap_or(0)
                    )
                })
                .unwrap_or_else(|| short(&text));
            let message = format!("schema registry: {path}: HTTP {status}: {detail}");
            return Err(if status.as_u16() == 404 {
                RegistryError::NotFound(message)
            } else {
                RegistryError::Refused(message)
            });
        }
        Err(RegistryError::Unavailable(last))
    }

    /// The schema with global id `id`.
    pub async fn schema_by_id(&self, id: u32) -> Result<Registered, RegistryError> {
        if let Some(s) = self.cache().by_id.get(&id) {
            return Ok(s.clone());
        }
        let a: SchemaAnswer = self
            .request(reqwest::Method::GET, &format!("/schemas/ids/{id}"), None)
            .await?;
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
        if let Some(id) = self.cache().ids.get(&key) {
            return Ok(*id);
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
            let a: SchemaAnswer = self
                .request(
                    reqwest::Method::POST,
                    &format!("/subjects/{}", segment(subject)),
                    Some(&body),
                )
                .await?;
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
            ("schema.registry.ssl.truststore.type", "JKS"),
            ("schema.registry.ssl.truststore.location", "/x.jks"),
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
    }
}
