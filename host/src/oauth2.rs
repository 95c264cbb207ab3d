//! OAuth2 client-credentials tokens for the HTTP sink and the schema
//! registry's client: fetched when first needed, cached, renewed before they
//! expire and after a 401, shared by every request of the connector (or
//! plugin). The secret and the tokens are never logged or put in an error
//! message.
//!
//! The exchange is one form POST whose field names, client authentication
//! and answer property are the connectors' options (Confluent's and Aiven's),
//! so it is built on the caller's own `reqwest` client (its TLS settings and
//! timeouts) rather than a generic OAuth2 client that fixes them.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderName, HeaderValue};

/// An OAuth2 client-credentials grant: where to ask for a token and how.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OAuth2Spec {
    pub token_url: String,
    pub client_id: String,
    /// Never logged.
    pub client_secret: String,
    pub client_auth: ClientAuth,
    /// `None`: no `scope` in the request.
    pub scope: Option<String>,
    /// The answer's property holding the token.
    pub token_property: String,
    /// Headers of the token request.
    pub headers: Vec<(String, String)>,
    /// Send `Bearer` whatever the answer's `token_type` says, as Kafka's
    /// token retriever does (the schema registry's client); else the
    /// answer's type is the `Authorization` scheme (the HTTP sink).
    pub always_bearer: bool,
}

impl std::fmt::Debug for OAuth2Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "OAuth2({}, {}, ***)",
            crate::secrets::scrub_url(&self.token_url),
            self.client_id
        )
    }
}

/// How the client proves itself to the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientAuth {
    /// `Authorization: Basic base64(id:secret)`.
    Header,
    /// `client_id` and `client_secret` in the form.
    Url,
}

/// How much of a token's life is left when it is renewed: a tenth of it,
/// at least 5 s and at most 60 s, so a request never leaves with a token
/// about to expire.
fn renewal_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).clamp(Duration::from_secs(5), Duration::from_secs(60))
}

/// When a token fetched at `started` and said to live `secs` seconds is
/// renewed. A lifetime past what the clock can count (an endpoint may answer
/// any number) is taken as a year: the token is renewed then, or at its
/// first 401.
fn renew_at(started: Instant, secs: u64) -> Instant {
    const LONGEST: Duration = Duration::from_secs(365 * 24 * 3600);
    let lifetime = Duration::from_secs(secs).min(LONGEST);
    started + lifetime.saturating_sub(renewal_margin(lifetime))
}

/// The most of a token endpoint's error answer kept in a message.
const KEPT_ERROR_CHARS: usize = 200;

/// The most of a token endpoint's answer read: a token answer is a few KB.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The endpoint could not be reached: worth retrying.
    #[error("OAuth2 token endpoint {url}: {message}")]
    Transport { url: String, message: String },
    /// The endpoint answered with an error status: 5xx is worth retrying,
    /// 4xx (wrong client id or secret) is a mistake to fix.
    #[error("OAuth2 token endpoint {url} answered {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    /// The answer has no token where the token property says (the HTTP
    /// sink's `oauth2.token.property`).
    #[error(
        "OAuth2 token endpoint {url}: the answer has no string {property:?}: is this the token endpoint? (the HTTP sink reads another property with oauth2.token.property)"
    )]
    NoToken { url: String, property: String },
    /// The answer is longer than a token answer can be.
    #[error(
        "OAuth2 token endpoint {url}: the answer is larger than {} MiB, which no token answer is: check the token endpoint's URL",
        MAX_ANSWER_BYTES >> 20
    )]
    TooLarge { url: String },
}

impl TokenError {
    /// Whether asking again later may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            TokenError::Transport { .. } => true,
            TokenError::Status { status, .. } => *status >= 500 || *status == 429,
            TokenError::NoToken { .. } | TokenError::TooLarge { .. } => false,
        }
    }
}

struct Cached {
    header: HeaderValue,
    /// When to renew it; `None` when the endpoint gave no lifetime (then it
    /// is renewed only after a 401).
    renew_at: Option<Instant>,
}

/// A token source: the connector's, or a registry client's.
pub struct Tokens {
    spec: OAuth2Spec,
    client: reqwest::Client,
    cached: tokio::sync::Mutex<Option<Cached>>,
}

impl Tokens {
    /// A source asking `spec`'s endpoint with `client` (the caller's, with
    /// its TLS settings and timeouts).
    pub fn new(spec: OAuth2Spec, client: reqwest::Client) -> Self {
        Tokens {
            spec,
            client,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// The `Authorization` value to send: the cached token while it has
    /// time left, else a new one. Concurrent callers wait for one fetch.
    pub async fn header(&self) -> Result<HeaderValue, TokenError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && c.renew_at.is_none_or(|at| Instant::now() < at)
        {
            return Ok(c.header.clone());
        }
        let fresh = self.fetch().await?;
        let header = fresh.header.clone();
        *cached = Some(fresh);
        Ok(header)
    }

    /// The token [`header`](Self::header) would send now, if one is held;
    /// never asks for one.
    pub async fn current(&self) -> Option<HeaderValue> {
        self.cached.lock().await.as_ref().map(|c| c.header.clone())
    }

    /// Forgets `used` after the server refused it (a 401): the next
    /// [`header`](Self::header) asks for a new one. A token another request
    /// already replaced is left alone.
    pub async fn refused(&self, used: &HeaderValue) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| c.header == *used) {
            *cached = None;
        }
    }

    async fn fetch(&self) -> Result<Cached, TokenError> {
        let spec = &self.spec;
        let url = crate::secrets::scrub_url(&spec.token_url).into_owned();
        let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
        if let Some(scope) = &spec.scope {
            form.push(("scope", scope));
        }
        let mut req = self.client.post(&spec.token_url);
        for (name, value) in &spec.headers {
            // Validated names only; a bad one is skipped, not sent garbled.
            if let (Ok(n), Ok(mut v)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value.as_str()),
            ) {
                v.set_sensitive(true);
                req = req.header(n, v);
            }
        }
        match spec.client_auth {
            ClientAuth::Header => {
                req = req.basic_auth(&spec.client_id, Some(&spec.client_secret));
            }
            ClientAuth::Url => {
                form.push(("client_id", &spec.client_id));
                form.push(("client_secret", &spec.client_secret));
            }
        }
        let started = Instant::now();
        let resp = req
            .form(&form)
            .send()
            .await
            .map_err(|e| TokenError::Transport {
                url: url.clone(),
                message: crate::cause::chain(&e.without_url()),
            })?;
        let status = resp.status().as_u16();
        let answer = crate::body::read(resp, MAX_ANSWER_BYTES, MAX_ANSWER_BYTES)
            .await
            .map_err(|e| TokenError::Transport {
                url: url.clone(),
                message: crate::cause::chain(&e.without_url()),
            })?;
        if !(200..300).contains(&status) {
            return Err(TokenError::Status {
                url,
                status,
                body: answer.text(KEPT_ERROR_CHARS),
            });
        }
        if !answer.complete {
            return Err(TokenError::TooLarge { url });
        }
        let answer: serde_json::Value = serde_json::from_slice(&answer.bytes).unwrap_or_default();
        let no_token = || TokenError::NoToken {
            url: url.clone(),
            property: spec.token_property.clone(),
        };
        let token = answer[&spec.token_property].as_str().ok_or_else(no_token)?;
        // "bearer" in any case is sent as the usual "Bearer".
        let kind = match answer["token_type"].as_str() {
            Some(t)
                if !spec.always_bearer && !t.eq_ignore_ascii_case("bearer") && !t.is_empty() =>
            {
                t
            }
            _ => "Bearer",
        };
        let mut header =
            HeaderValue::try_from(format!("{kind} {token}")).map_err(|_| no_token())?;
        header.set_sensitive(true);
        let renew_at = answer["expires_in"]
            .as_u64()
            .or_else(|| answer["expires_in"].as_str()?.parse().ok())
            .map(|secs| renew_at(started, secs));
        tracing::debug!(token_url = %url, lifetime_s = ?answer["expires_in"].as_u64(), "OAuth2 token fetched");
        Ok(Cached { header, renew_at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_lifetime_an_endpoint_gives_is_a_renewal_time() {
        let now = Instant::now();
        assert_eq!(renew_at(now, 3600), now + Duration::from_secs(3540));
        for secs in [u64::MAX, i64::MAX as u64, 1 << 40] {
            assert_eq!(
                renew_at(now, secs),
                now + Duration::from_secs(365 * 24 * 3600 - 60),
                "{secs} s: renewed after a year"
            );
        }
        assert_eq!(renew_at(now, 0), now);
    }

    #[test]
    fn tokens_are_renewed_with_a_tenth_of_their_life_left_within_bounds() {
        assert_eq!(
            renewal_margin(Duration::from_secs(3600)),
            Duration::from_secs(60)
        );
        assert_eq!(
            renewal_margin(Duration::from_secs(300)),
            Duration::from_secs(30)
        );
        assert_eq!(
            renewal_margin(Duration::from_secs(10)),
            Duration::from_secs(5)
        );
    }
}
