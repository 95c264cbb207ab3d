//! Who may use the REST API and from where: credentials (bearer or basic,
//! compared in constant time; on every request or only on those that change
//! state), the `Host` header (against DNS rebinding), the `Origin` of a
//! request that changes state (against cross-site requests), its
//! `Content-Type` (a body must be JSON, as Connect's JAX-RS requires), and
//! the security headers of every answer.

use std::sync::{Arc, LazyLock};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::ApiError;

/// Who may change state (and, with [`ApiPolicy::auth_reads`], read) through the API.
#[derive(Debug, Clone, Default)]
pub enum ApiAuth {
    /// Anyone who can reach the listener.
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: Basic base64(user:password)`.
    Basic { user: String, password: String },
}

impl ApiAuth {
    /// Whether `given` (an `Authorization` header) carries the credentials.
    fn accepts(&self, given: Option<&str>) -> bool {
        let same = |given: Option<&str>, want: &str| {
            given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(want.as_bytes())))
        };
        match self {
            ApiAuth::None => true,
            ApiAuth::Bearer(token) => same(given.and_then(|g| g.strip_prefix("Bearer ")), token),
            ApiAuth::Basic { user, password } => {
                use base64::Engine;
                let want =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                same(given.and_then(|g| g.strip_prefix("Basic ")), &want)
            }
        }
    }
}

/// The `Host` names the API answers to.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    /// Names besides IP addresses and `localhost`: `api.example.com`, or
    /// `.example.com` for the domain and every name under it.
    pub names: Vec<String>,
    /// Any `Host` at all (`--api-allowed-hosts '*'`).
    pub any: bool,
}

impl AllowedHosts {
    /// Whether a request with this `Host` header may be answered. IP
    /// addresses and `localhost` always may: DNS rebinding needs a name the
    /// attacker controls, which is neither.
    pub fn allows(&self, host_header: &str) -> bool {
        if self.any {
            return true;
        }
        let host = host_name(host_header).to_ascii_lowercase();
        if host == "localhost" || host.ends_with(".localhost") {
            return true;
        }
        if host.parse::<std::net::IpAddr>().is_ok() {
            return true;
        }
        self.names.iter().any(|n| {
            let n = n.to_ascii_lowercase();
            match n.strip_prefix('.') {
                Some(domain) => host == domain || host.ends_with(&n),
                None => host == n,
            }
        })
    }
}

/// The name of a `Host` header value, without port or IPv6 brackets.
fn host_name(value: &str) -> &str {
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    value.rsplit_once(':').map_or(value, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            value
        }
    })
}

/// How the API guards itself.
#[derive(Debug, Clone, Default)]
pub struct ApiPolicy {
    pub auth: ApiAuth,
    /// Credentials on reads too (every request but `GET /health`).
    pub auth_reads: bool,
    pub hosts: AllowedHosts,
    /// Origins (`https://ui.example.com`) besides the API's own that may
    /// send requests that change state.
    pub origins: Vec<String>,
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses what the policy does not allow, before any handler runs.
pub async fn guard(State(policy): State<Arc<ApiPolicy>>, request: Request, next: Next) -> Response {
    if let Err(e) = check(
        &policy,
        request.method(),
        request.uri().path(),
        request.headers(),
    ) {
        let unauthorized = e.status == StatusCode::UNAUTHORIZED;
        let mut r = e.into_response();
        if unauthorized {
            let scheme = if matches!(policy.auth, ApiAuth::Basic { .. }) {
                "Basic realm=\"sluice\""
            } else {
                "Bearer"
            };
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(scheme));
        }
        return r;
    }
    next.run(request).await
}

fn check(
    policy: &ApiPolicy,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    // HTTP/1.1 requires Host; without one there is nothing to check it against.
    let host = text(header::HOST).unwrap_or("");
    if !policy.hosts.allows(host) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "this API does not answer to that Host name: call it by IP address or localhost, or start the worker with --api-allowed-hosts naming it",
        ));
    }
    let writes = changes_state(method);
    if writes && let Some(origin) = text(header::ORIGIN) {
        let own = [format!("http://{host}"), format!("https://{host}")];
        let allowed = own.iter().any(|o| o.eq_ignore_ascii_case(origin))
            || policy
                .origins
                .iter()
                .any(|o| o.eq_ignore_ascii_case(origin));
        if !allowed {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "cross-site request refused: a request that changes state must come from the API's own origin (or one listed in --api-allowed-origins)",
            ));
        }
    }
    let needs_credentials = writes || (policy.auth_reads && path != "/health");
    if needs_credentials && !policy.auth.accepts(text(header::AUTHORIZATION)) {
        let what = if writes {
            "this request changes state"
        } else {
            "this API requires credentials on every request"
        };
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            format!("{what}: send the API's credentials in an Authorization header"),
        ));
    }
    if writes {
        let has_body = text(header::CONTENT_LENGTH).is_some_and(|l| l.trim() != "0")
            || headers.contains_key(header::TRANSFER_ENCODING);
        match text(header::CONTENT_TYPE) {
            Some(ct) if is_json(ct) => {}
            None if !has_body => {}
            other => {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!(
                        "HTTP 415 Unsupported Media Type: send the body as Content-Type: application/json{}",
                        other.map(|c| format!(", not {c:?}")).unwrap_or_default()
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// The status page's Content-Security-Policy: its own inline script and
/// style (by hash), requests to itself, nothing else; no framing.
pub static UI_CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = |open: &str, close: &str| {
        let page = super::ui::PAGE;
        let body = page
            .split_once(open)
            .and_then(|(_, rest)| rest.split_once(close))
            .map_or("", |(inner, _)| inner);
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(body.as_bytes()))
    };
    format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        hash("<script>", "</script>"),
        hash("<style>", "</style>"),
    )
});

/// Adds the headers every answer carries.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut r = next.run(request).await;
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if h.get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(b"text/html"))
        && let Ok(v) = HeaderValue::from_str(&UI_CSP)
    {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_by_address_localhost_or_name() {
        let hosts = AllowedHosts {
            names: vec!["api.example.com".into(), ".corp.example".into()],
            any: false,
        };
        for ok in [
            "127.0.0.1:8083",
            "localhost:8083",
            "[::1]:8083",
            "10.0.0.7",
            "api.example.com:8083",
            "corp.example",
            "sluice.corp.example:80",
        ] {
            assert!(hosts.allows(ok), "{ok}");
        }
        for refused in ["rebind.example:8083", "example.com", "evilcorp.example", ""] {
            assert!(!hosts.allows(refused), "{refused}");
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn writes_need_json_their_own_origin_and_credentials() {
        let policy = ApiPolicy {
            auth: ApiAuth::Bearer("s3cret".into()),
            ..ApiPolicy::default()
        };
        let ok = [
            ("host", "127.0.0.1:8083"),
            ("authorization", "Bearer s3cret"),
        ];
        assert!(
            check(
                &policy,
                &Method::POST,
                "/connectors/x/restart",
                &headers(&ok)
            )
            .is_ok()
        );
        let status = |pairs: &[(&str, &str)]| {
            check(&policy, &Method::POST, "/connectors", &headers(pairs))
                .err()
                .map(|e| e.status)
        };
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut v = ok.to_vec();
            v.extend_from_slice(extra);
            status(&v)
        };
        assert_eq!(
            with(&[("content-type", "text/plain"), ("content-length", "2")]),
            Some(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        );
        assert_eq!(
            with(&[("content-length", "2")]),
            Some(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        );
        assert_eq!(
            with(&[
                ("content-type", "application/json; charset=utf-8"),
                ("content-length", "2")
            ]),
            None
        );
        assert_eq!(
            with(&[("origin", "https://evil.example")]),
            Some(StatusCode::FORBIDDEN)
        );
        assert_eq!(with(&[("origin", "http://127.0.0.1:8083")]), None);
        assert_eq!(
            status(&[
                ("host", "127.0.0.1:8083"),
                ("authorization", "Bearer s3cre")
            ]),
            Some(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            status(&[
                ("host", "rebind.example:8083"),
                ("authorization", "Bearer s3cret")
            ]),
            Some(StatusCode::FORBIDDEN)
        );
        // Reads are open unless auth_reads; /health always is.
        let read = |p: &ApiPolicy, path: &str| {
            check(p, &Method::GET, path, &headers(&[("host", "localhost")])).is_ok()
        };
        assert!(read(&policy, "/connectors"));
        let strict = ApiPolicy {
            auth_reads: true,
            ..policy.clone()
        };
        assert!(!read(&strict, "/connectors"));
        assert!(read(&strict, "/health"));
    }
}
