//! A real HTTP server on 127.0.0.1:0 that records every request and answers
//! from a script (e.g. 503 twice, then 200), for the sink's tests.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};

/// One request as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The status it was answered with.
    pub status: u16,
    /// When it arrived.
    pub at: std::time::Instant,
}

impl Received {
    fn new(method: &Method, uri: &Uri, headers: HeaderMap, body: Bytes, status: u16) -> Self {
        Received {
            method: method.to_string(),
            path: uri.path().to_string(),
            headers,
            body,
            status,
            at: std::time::Instant::now(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            let shown = &self.body[..self.body.len().min(300)];
            panic!(
                "body is not JSON ({e}); its first {} of {} bytes: {shown:?}",
                shown.len(),
                self.body.len()
            )
        })
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    /// Status and `Retry-After` seconds of the next answers.
    script: VecDeque<(u16, Option<u64>)>,
    /// When set, every request is answered with this redirect status and location.
    redirect: Option<(u16, String)>,
    /// How long each answer takes.
    delay: std::time::Duration,
    /// Body bytes of the requests being answered now, and the most there were at once.
    in_flight: usize,
    max_in_flight: usize,
    /// When set, `/oauth/token` issues tokens and every other path needs one.
    oauth: Option<TokenEndpoint>,
    /// Tokens issued: the token and until when it is valid.
    tokens: Vec<(String, std::time::Instant)>,
    /// Fixed answers by path: content type and body, with status 200.
    fixed: std::collections::HashMap<String, (String, String)>,
}

/// An OAuth2 client-credentials token endpoint the receiver serves at
/// `/oauth/token`, as an identity provider does; the receiver then answers
/// 401 to any other request without a valid `Bearer` token of its own.
#[derive(Clone, Debug)]
pub struct TokenEndpoint {
    pub client_id: String,
    pub client_secret: String,
    /// The client proves itself in the form (`client_id`, `client_secret`)
    /// rather than with `Authorization: Basic`.
    pub in_form: bool,
    /// The answer's property holding the token.
    pub token_property: String,
    /// `expires_in` of each token; it is refused after that.
    pub lifetime: std::time::Duration,
}

/// The path of the token endpoint.
pub const TOKEN_PATH: &str = "/oauth/token";

/// The receiver; it runs until dropped with its runtime.
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
}

impl Receiver {
    /// Starts a receiver answering 200 unless scripted otherwise.
    pub async fn start() -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = Router::new()
            .fallback(handle)
            .with_state(shared.clone())
            // Large enough for the 10 MiB record of the hostile-input tests.
            .layer(DefaultBodyLimit::max(64 << 20));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Receiver { addr, shared }
    }

    /// Every request to `path` is answered 200 with `body` of
    /// `content_type` (and recorded as any other), as a canned service.
    pub fn answer(&self, path: &str, content_type: &str, body: &str) {
        self.shared
            .lock()
            .unwrap()
            .fixed
            .insert(path.into(), (content_type.into(), body.into()));
    }

    /// The next requests are answered with these statuses, in order; then 200.
    pub fn script(&self, statuses: &[u16]) {
        self.shared
            .lock()
            .unwrap()
            .script
            .extend(statuses.iter().map(|s| (*s, None)));
    }

    /// The next request is answered with `status` and `Retry-After: secs`.
    pub fn script_retry_after(&self, status: u16, secs: u64) {
        self.shared
            .lock()
            .unwrap()
            .script
            .push_back((status, Some(secs)));
    }

    /// Answers every request from now on with `307 Temporary Redirect` to `location`.
    pub fn redirect_all_to(&self, location: &str) {
        self.redirect_all_with(307, location);
    }

    /// Answers every request from now on with redirect `status` to `location`.
    pub fn redirect_all_with(&self, status: u16, location: &str) {
        self.shared.lock().unwrap().redirect = Some((status, location.to_string()));
    }

    /// Every answer from now on takes `delay` (the request counts as in
    /// flight meanwhile).
    pub fn delay_answers(&self, delay: std::time::Duration) {
        self.shared.lock().unwrap().delay = delay;
    }

    /// Serves OAuth2 tokens at [`TOKEN_PATH`] and requires one on every
    /// other request from now on.
    pub fn serve_tokens(&self, endpoint: TokenEndpoint) {
        self.shared.lock().unwrap().oauth = Some(endpoint);
    }

    /// Whether `headers` carry a bearer token this receiver's token endpoint
    /// issued and that has not expired: a service that trusts the same
    /// identity provider checks it so.
    pub fn accepts_bearer(&self, headers: &HeaderMap) -> bool {
        has_valid_token(&self.shared.lock().unwrap(), headers)
    }

    /// Every token issued so far stops being accepted, as a revoked one.
    pub fn revoke_tokens(&self) {
        self.shared.lock().unwrap().tokens.clear();
    }

    /// The requests to the token endpoint.
    pub fn token_requests(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.path == TOKEN_PATH)
            .collect()
    }

    /// Requests other than for tokens answered 401.
    pub fn unauthorized(&self) -> usize {
        self.received()
            .iter()
            .filter(|r| r.path != TOKEN_PATH && r.status == 401)
            .count()
    }

    /// The most request body bytes that were being answered at one time.
    pub fn max_in_flight_bytes(&self) -> usize {
        self.shared.lock().unwrap().max_in_flight
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Requests answered with 2xx (token requests aside).
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status) && r.path != TOKEN_PATH)
            .collect()
    }

    /// Waits until `pred` holds for the accepted requests, or panics after `secs`.
    pub async fn wait_for(
        &self,
        secs: u64,
        what: &str,
        pred: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let got = self.accepted();
            if pred(&got) {
                return got;
            }
            if std::time::Instant::now() > deadline {
                panic!(
                    "timed out after {secs} s waiting for {what}; got {} accepted requests",
                    got.len()
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// The records of the accepted JSON-array bodies, in order, once there
    /// are at least `n` (panics after `secs`).
    pub async fn array_records(&self, secs: u64, n: usize) -> Vec<serde_json::Value> {
        let what = format!("{n} records in JSON-array bodies");
        self.wait_for(secs, &what, |r| {
            r.iter()
                .map(|r| r.json().as_array().map_or(0, Vec::len))
                .sum::<usize>()
                >= n
        })
        .await
        .iter()
        .flat_map(|r| r.json().as_array().cloned().unwrap_or_default())
        .collect()
    }
}

async fn handle(
    State(shared): State<Arc<Mutex<Shared>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, String) {
    let size = body.len();
    let delay = {
        let mut s = shared.lock().unwrap();
        s.in_flight += size;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
        s.delay
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut s = shared.lock().unwrap();
    s.in_flight -= size;
    if let Some((content_type, answer)) = s.fixed.get(uri.path()).cloned() {
        s.received
            .push(Received::new(&method, &uri, headers, body, 200));
        let mut h = HeaderMap::new();
        h.insert(
            "content-type",
            content_type.parse().expect("a content type"),
        );
        return (StatusCode::OK, h, answer);
    }
    if let Some(endpoint) = s.oauth.clone() {
        let (status, answer) = if uri.path() == TOKEN_PATH {
            issue_token(&mut s, &endpoint, &method, &headers, &body)
        } else if has_valid_token(&s, &headers) {
            (0, String::new())
        } else {
            (401, r#"{"error":"invalid_token"}"#.to_string())
        };
        if status != 0 {
            s.received
                .push(Received::new(&method, &uri, headers, body, status));
            return (
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                HeaderMap::new(),
                answer,
            );
        }
    }
    let (status, retry_after) = match &s.redirect {
        Some((status, _)) => (*status, None),
        None => s.script.pop_front().unwrap_or((200, None)),
    };
    s.received
        .push(Received::new(&method, &uri, headers, body, status));
    let mut answer = HeaderMap::new();
    if let Some(location) = s.redirect.as_ref().and_then(|(_, l)| l.parse().ok()) {
        answer.insert("location", location);
    }
    if let Some(secs) = retry_after {
        answer.insert("retry-after", secs.into());
    }
    // A body the sink can report: `{"accepted":true}` or `scripted <status>`.
    let body = if (200..300).contains(&status) {
        r#"{"accepted":true}"#.to_string()
    } else {
        format!("scripted {status}")
    };
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        answer,
        body,
    )
}

/// Whether `headers` carry `Authorization: Bearer <a token issued and not expired>`.
fn has_valid_token(s: &Shared, headers: &HeaderMap) -> bool {
    let now = std::time::Instant::now();
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| s.tokens.iter().any(|(k, until)| k == t && now < *until))
}

/// The token endpoint's answer: a new token for the right client, else the
/// error an identity provider gives.
fn issue_token(
    s: &mut Shared,
    endpoint: &TokenEndpoint,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> (u16, String) {
    use base64::Engine as _;
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(body).into_owned().collect();
    let form_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if method != Method::POST
        || !form_type
        || form.get("grant_type").map(String::as_str) != Some("client_credentials")
    {
        return (400, r#"{"error":"invalid_request"}"#.into());
    }
    let client_ok = if endpoint.in_form {
        form.get("client_id") == Some(&endpoint.client_id)
            && form.get("client_secret") == Some(&endpoint.client_secret)
    } else {
        let want = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", endpoint.client_id, endpoint.client_secret));
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            == Some(want.as_str())
    };
    if !client_ok {
        return (401, r#"{"error":"invalid_client"}"#.into());
    }
    let token = format!("tok-{}-{}", s.tokens.len() + 1, fastrand_suffix());
    s.tokens
        .push((token.clone(), std::time::Instant::now() + endpoint.lifetime));
    let answer = serde_json::json!({
        endpoint.token_property.clone(): token,
        "token_type": "bearer",
        "expires_in": endpoint.lifetime.as_secs(),
    });
    (200, answer.to_string())
}

/// A few characters no other token has.
fn fastrand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{:x}", NEXT.fetch_add(1, Ordering::Relaxed) * 0x9e37_79b9)
}
