//! Sending one request body with retries: connection errors, timeouts and
//! the configured statuses are retried with exponential backoff and jitter,
//! honouring `Retry-After`; other statuses fail at once.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
};

use super::config::{Auth, HttpSinkSpec, Method};
use crate::stats::ConnectorStats;

/// A request could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("{method} {url} answered {status} after {attempts} attempt(s): {body}")]
    Status {
        method: &'static str,
        url: String,
        status: u16,
        attempts: u32,
        body: String,
    },
    #[error("{method} {url} failed after {attempts} attempt(s): {message}")]
    Transport {
        method: &'static str,
        url: String,
        attempts: u32,
        message: String,
    },
    #[error("{method} {url} not sent after {attempts} attempt(s): {source}")]
    Token {
        method: &'static str,
        url: String,
        attempts: u32,
        source: crate::oauth2::TokenError,
    },
    #[error("building the HTTP client: {0}")]
    Setup(String),
}

/// A request the endpoint accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub status: u16,
    /// The response body (at most [`KEPT_BODY_CHARS`] characters).
    pub body: String,
}

/// How much of a response body is kept for reports and messages.
pub const KEPT_BODY_CHARS: usize = 2000;

/// The bytes read to keep [`KEPT_BODY_CHARS`] characters of any UTF-8.
const KEPT_BODY_BYTES: usize = 4 * KEPT_BODY_CHARS;

/// How much of a longer response body is read (and dropped) so that its
/// connection can be used again; an endpoint that answers more has its
/// connection closed instead, so no answer makes the sink read on until the
/// request times out.
const DRAINED_BODY_BYTES: usize = 1 << 20;

/// The start of `resp`'s body kept for reports and messages (empty when it
/// cannot be read).
async fn kept_body(resp: reqwest::Response) -> String {
    crate::body::read(resp, KEPT_BODY_BYTES, DRAINED_BODY_BYTES)
        .await
        .unwrap_or_default()
        .text(KEPT_BODY_CHARS)
}

/// One HTTP endpoint's client with the sink's settings.
pub struct HttpClient {
    client: reqwest::Client,
    spec: HttpSinkSpec,
    headers: HeaderMap,
    /// Where answers, retries and retried errors are counted.
    stats: Arc<ConnectorStats>,
    /// With `auth.type` `OAUTH2`, where each request's token comes from.
    tokens: Option<crate::oauth2::Tokens>,
}

/// Whether the public roots built into the client are trusted: not when a
/// trust store is named, which then holds every CA trusted, as Java's SSL
/// context trusts only the store it is given (Connect's HTTP sinks load
/// `https.ssl.truststore.location` as their whole trust material).
/// `https.ssl.ca.location` (PEM, Sluice's) adds to them.
fn trusts_public_roots(spec: &HttpSinkSpec) -> bool {
    spec.trust_store.is_none()
}

impl HttpClient {
    /// Builds the client: timeouts, extra CAs, client certificate, headers,
    /// auth. Answers and retries are counted in `stats`.
    pub fn new(spec: &HttpSinkSpec, stats: Arc<ConnectorStats>) -> Result<Self, DeliveryError> {
        let setup = |e: String| DeliveryError::Setup(e);
        let mut builder = reqwest::Client::builder()
            .tls_built_in_root_certs(trusts_public_roots(spec))
            .connect_timeout(spec.connect_timeout)
            .timeout(spec.request_timeout)
            .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")))
            .redirect(same_origin_redirects());
        if let Some(ca) = &spec.ca_location {
            let pem = crate::files::read_small(std::path::Path::new(ca))
                .map_err(|e| setup(format!("https.ssl.ca.location: {e}")))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| setup(format!("https.ssl.ca.location {ca}: {e}")))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let Some(store) = &spec.trust_store {
            for cert in crate::stores::root_certificates(store)
                .map_err(|e| setup(format!("https.ssl.truststore.location: {e}")))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let Some(store) = &spec.key_store {
            builder = builder.identity(
                crate::stores::client_identity(store, spec.key_password.as_deref())
                    .map_err(|e| setup(format!("https.ssl.keystore.location: {e}")))?,
            );
        }
        if let Some((cert, key)) = &spec.client_identity {
            let mut pem = crate::files::read_small(std::path::Path::new(cert))
                .map_err(|e| setup(format!("https.ssl.certificate.location: {e}")))?;
            pem.extend(
                crate::files::read_small(std::path::Path::new(key))
                    .map_err(|e| setup(format!("https.ssl.key.location: {e}")))?,
            );
            builder = builder.identity(
                reqwest::Identity::from_pem(&pem)
                    .map_err(|e| setup(format!("client certificate: {e}")))?,
            );
        }
        let mut headers = HeaderMap::new();
        for (n, (name, value)) in spec.headers.iter().enumerate() {
            // The name is not shown: a wrong separator can make one of a
            // secret's pieces.
            let name = HeaderName::try_from(name.as_str()).map_err(|e| {
                setup(format!(
                    "header {} of {}: its name is not an HTTP header name: {e}",
                    n + 1,
                    spec.headers.len()
                ))
            })?;
            let mut value = HeaderValue::try_from(value.as_str())
                .map_err(|e| setup(format!("header {name}: {e}")))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let auth = match &spec.auth {
            Auth::None => None,
            Auth::Basic { user, password } => {
                use std::io::Write as _;
                let mut buf = b"Basic ".to_vec();
                let mut enc = base64_writer(&mut buf);
                let _ = write!(enc, "{user}:{password}");
                drop(enc);
                Some(buf)
            }
            Auth::Bearer(token) => Some(format!("Bearer {token}").into_bytes()),
            // Per request, from the token source.
            Auth::OAuth2(_) => None,
        };
        if let Some(a) = auth {
            let mut v =
                HeaderValue::from_bytes(&a).map_err(|e| setup(format!("auth header: {e}")))?;
            v.set_sensitive(true);
            headers.insert(AUTHORIZATION, v);
        }
        let client = builder.build().map_err(|e| setup(e.to_string()))?;
        let tokens = match &spec.auth {
            Auth::OAuth2(o) => Some(crate::oauth2::Tokens::new(o.clone(), client.clone())),
            _ => None,
        };
        Ok(HttpClient {
            client,
            spec: spec.clone(),
            headers,
            stats,
            tokens,
        })
    }

    /// Sends `body` to `url`, retrying as configured. `content_type` is used
    /// unless the configured headers set one.
    pub async fn send(
        &self,
        url: &str,
        body: Bytes,
        content_type: &str,
    ) -> Result<Delivered, DeliveryError> {
        let (method, name) = match self.spec.method {
            Method::Post => (reqwest::Method::POST, "POST"),
            Method::Put => (reqwest::Method::PUT, "PUT"),
            Method::Patch => (reqwest::Method::PATCH, "PATCH"),
        };
        self.send_with(method, name, url, Some(body), content_type)
            .await
    }

    /// Sends a DELETE to `url` (tombstones with `behavior.on.null.values=delete`).
    pub async fn delete(&self, url: &str) -> Result<Delivered, DeliveryError> {
        self.send_with(reqwest::Method::DELETE, "DELETE", url, None, "")
            .await
    }

    async fn send_with(
        &self,
        method: reqwest::Method,
        name: &'static str,
        url: &str,
        body: Option<Bytes>,
        content_type: &str,
    ) -> Result<Delivered, DeliveryError> {
        let retry = &self.spec.retry;
        let mut attempt: u32 = 0;
        // A 401 with an OAuth2 token is answered once by a new token and an
        // immediate retry, which does not count against max.retries.
        let mut renewed = false;
        loop {
            attempt += 1;
            let mut req = self
                .client
                .request(method.clone(), url)
                .headers(self.headers.clone());
            let mut token = None;
            if let Some(tokens) = &self.tokens {
                match tokens.header().await {
                    Ok(t) => {
                        req = req.header(AUTHORIZATION, t.clone());
                        token = Some(t);
                    }
                    Err(source) => {
                        let retryable = source.retryable();
                        let error = DeliveryError::Token {
                            method: name,
                            url: crate::secrets::scrub_url(url).into_owned(),
                            attempts: attempt,
                            source,
                        };
                        if !retryable || attempt > retry.max_retries {
                            return Err(error);
                        }
                        self.wait_to_retry(url, attempt, &error, None).await;
                        continue;
                    }
                }
            }
            if let Some(b) = &body {
                if !self.headers.contains_key(CONTENT_TYPE) && !content_type.is_empty() {
                    req = req.header(CONTENT_TYPE, content_type);
                }
                req = req.body(b.clone());
            }
            let answer = req.send().await;
            match &answer {
                Ok(resp) => self.stats.sink.http_answered(resp.status().as_u16()),
                Err(_) => {
                    self.stats
                        .sink
                        .http_transport_errors
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
            if let (Ok(resp), Some(tokens), Some(used)) = (&answer, &self.tokens, &token)
                && resp.status() == reqwest::StatusCode::UNAUTHORIZED
                && !renewed
            {
                tracing::info!(url = %crate::secrets::scrub_url(url), "answered 401: renewing the OAuth2 token and sending again");
                tokens.refused(used).await;
                renewed = true;
                attempt -= 1;
                continue;
            }
            let (retryable, error, retry_after) = match answer {
                Ok(resp) if resp.status().is_success() => {
                    let status = resp.status().as_u16();
                    return Ok(Delivered {
                        status,
                        body: kept_body(resp).await,
                    });
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = resp
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let body = kept_body(resp).await;
                    let err = DeliveryError::Status {
                        method: name,
                        url: crate::secrets::scrub_url(url).into_owned(),
                        status,
                        attempts: attempt,
                        body,
                    };
                    (retry.statuses.contains(status), err, retry_after)
                }
                Err(e) => {
                    // reqwest's message names the URL; ours names it scrubbed.
                    let message = crate::cause::chain(&e.without_url());
                    (
                        true,
                        DeliveryError::Transport {
                            method: name,
                            url: crate::secrets::scrub_url(url).into_owned(),
                            attempts: attempt,
                            message,
                        },
                        None,
                    )
                }
            };
            if !retryable || attempt > retry.max_retries {
                return Err(error);
            }
            self.wait_to_retry(url, attempt, &error, retry_after).await;
        }
    }

    /// Waits before attempt `attempt + 1`: exponential backoff with jitter,
    /// or the server's `Retry-After` (capped), counted and logged.
    async fn wait_to_retry(
        &self,
        url: &str,
        attempt: u32,
        error: &DeliveryError,
        retry_after: Option<Duration>,
    ) {
        let retry = &self.spec.retry;
        let backoff = crate::retry::Backoff {
            first: retry.backoff,
            max: retry.backoff_max,
            jitter: crate::retry::Jitter::Equal,
        };
        let delay =
            retry_after.map_or_else(|| backoff.delay(attempt), |d| d.min(retry.backoff_max));
        tracing::warn!(url = %crate::secrets::scrub_url(url), attempt, delay_ms = delay.as_millis() as u64, error = %error, "request failed, retrying");
        self.stats.sink.retried();
        self.stats
            .recent_errors
            .push(format!("{error}; retrying in {} ms", delay.as_millis()));
        tokio::time::sleep(delay).await;
    }
}

/// Redirects are followed (up to 10) only when they keep the method and
/// body (307 and 308) and only to the same scheme, host and port: a redirect
/// elsewhere would carry the sink's headers and body (API keys, records) to
/// a host nobody configured, and a 301, 302 or 303 would turn the request
/// into a bodiless GET whose 200 would pass for a delivery. Any other
/// redirect is answered as its status, which fails the request.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if !matches!(attempt.status().as_u16(), 307 | 308) {
            return attempt.stop();
        }
        let first = attempt.previous().first().cloned();
        let same = first.is_some_and(|f| {
            f.scheme() == attempt.url().scheme()
                && f.host_str() == attempt.url().host_str()
                && f.port_or_known_default() == attempt.url().port_or_known_default()
        });
        if attempt.previous().len() > 10 {
            attempt.error("more than 10 redirects")
        } else if same {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

fn base64_writer(
    out: &mut Vec<u8>,
) -> base64::write::EncoderWriter<'_, base64::engine::GeneralPurpose, &mut Vec<u8>> {
    base64::write::EncoderWriter::new(out, &base64::engine::general_purpose::STANDARD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(extra: &str) -> HttpSinkSpec {
        let text = format!("\"http.api.url\" = \"https://in.example/\"\n{extra}");
        let raw: super::super::RawHttpSink<toml::Value> = toml::from_str(&text).unwrap();
        let mut problems = Vec::new();
        let spec = HttpSinkSpec::from_raw("c", &raw, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        spec.expect("a valid sink")
    }

    #[test]
    fn a_named_trust_store_replaces_the_public_roots() {
        assert!(trusts_public_roots(&spec("")));
        assert!(trusts_public_roots(&spec(
            "\"https.ssl.ca.location\" = \"/etc/ca.pem\""
        )));
        assert!(!trusts_public_roots(&spec(
            "\"https.ssl.truststore.location\" = \"/etc/truststore.p12\""
        )));
    }
}
