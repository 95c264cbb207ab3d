//! SASL/OAUTHBEARER tokens Sluice makes for its Kafka clients (AWS MSK IAM
//! tokens, and Kafka's unsecured tokens), handed to librdkafka at its token
//! refresh: librdkafka asks again at 80 % of a token's lifetime and
//! re-authenticates its connections with the new one (KIP-368).

use std::error::Error;
use std::ffi::CString;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use rdkafka::ClientContext;
use rdkafka::client::{Client, OAuthToken};
use rdkafka::consumer::ConsumerContext;

use super::msk_iam;

/// Keys of a client's properties that are Sluice's, not librdkafka's: set by
/// `config::kafka::translate_sasl`, never passed to librdkafka.
pub const RESERVED_PREFIX: &str = "sluice.";

/// The reserved keys that describe a token source.
pub mod keys {
    /// Which tokens: [`MSK_IAM`] or [`UNSECURED_JWT`].
    pub const TOKEN: &str = "sluice.sasl.token";
    /// AWS MSK IAM tokens.
    pub const MSK_IAM: &str = "aws-msk-iam";
    /// Kafka's unsecured (unsigned) JWTs.
    pub const UNSECURED_JWT: &str = "unsecured-jwt";
    /// MSK IAM: the cluster's region, read off its bootstrap host names.
    pub const AWS_REGION: &str = "sluice.sasl.aws.region";
    /// MSK IAM: `awsProfileName`.
    pub const AWS_PROFILE: &str = "sluice.sasl.aws.profile";
    /// MSK IAM: `awsRoleArn`.
    pub const AWS_ROLE_ARN: &str = "sluice.sasl.aws.role.arn";
    /// MSK IAM: `awsRoleSessionName`.
    pub const AWS_ROLE_SESSION: &str = "sluice.sasl.aws.role.session.name";
    /// MSK IAM: `awsStsRegion`.
    pub const AWS_STS_REGION: &str = "sluice.sasl.aws.sts.region";
    /// Unsecured JWT: the claims, a JSON object.
    pub const JWT_CLAIMS: &str = "sluice.sasl.jwt.claims";
    /// Unsecured JWT: the claim that names the principal.
    pub const JWT_PRINCIPAL: &str = "sluice.sasl.jwt.principal.claim";
    /// Unsecured JWT: the lifetime in seconds.
    pub const JWT_LIFETIME: &str = "sluice.sasl.jwt.lifetime.s";
}

/// Where a client's tokens come from.
enum TokenSource {
    MskIam(msk_iam::Signer),
    Unsecured {
        claims: serde_json::Map<String, serde_json::Value>,
        principal_claim: String,
        lifetime_s: u64,
    },
}

/// A client's token source, if Sluice makes its tokens.
#[derive(Clone, Default)]
pub struct Auth(Option<Arc<TokenSource>>);

impl Auth {
    /// The token source `properties` (a client's, translated by
    /// `config::kafka::translate_sasl`) describe; none when librdkafka makes
    /// the tokens itself or the mechanism is not OAUTHBEARER.
    pub fn from_properties(properties: &std::collections::BTreeMap<String, String>) -> Auth {
        let get = |k: &str| properties.get(k).cloned();
        let source = match properties.get(keys::TOKEN).map(String::as_str) {
            Some(keys::MSK_IAM) => TokenSource::MskIam(msk_iam::Signer::new(msk_iam::Settings {
                region: get(keys::AWS_REGION),
                profile: get(keys::AWS_PROFILE),
                role_arn: get(keys::AWS_ROLE_ARN),
                role_session_name: get(keys::AWS_ROLE_SESSION),
                sts_region: get(keys::AWS_STS_REGION),
            })),
            Some(keys::UNSECURED_JWT) => TokenSource::Unsecured {
                claims: get(keys::JWT_CLAIMS)
                    .and_then(|c| serde_json::from_str(&c).ok())
                    .unwrap_or_default(),
                principal_claim: get(keys::JWT_PRINCIPAL).unwrap_or_else(|| "sub".into()),
                lifetime_s: get(keys::JWT_LIFETIME)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(3600),
            },
            _ => return Auth(None),
        };
        Auth(Some(Arc::new(source)))
    }

    /// Whether Sluice makes this client's tokens.
    pub fn is_active(&self) -> bool {
        self.0.is_some()
    }

    /// A new token.
    pub fn token(&self) -> Result<OAuthToken, Box<dyn Error>> {
        let Some(source) = &self.0 else {
            return Err("SASL/OAUTHBEARER needs a token source: set sasl.jaas.config (Kafka's OAuthBearerLoginModule, or AWS's IAMLoginModule with sasl.mechanism=AWS_MSK_IAM), or librdkafka's sasl.oauthbearer.method=oidc".into());
        };
        let token = match source.as_ref() {
            TokenSource::MskIam(signer) => {
                let t = signer.token()?;
                OAuthToken {
                    token: t.value,
                    // MSK takes the principal from the signature.
                    principal_name: "msk-iam".into(),
                    lifetime_ms: t.expiry_ms,
                }
            }
            TokenSource::Unsecured {
                claims,
                principal_claim,
                lifetime_s,
            } => unsecured(claims, principal_claim, *lifetime_s, SystemTime::now())?,
        };
        tracing::info!(
            principal = %token.principal_name,
            expires_in_ms = token.lifetime_ms - now_ms(SystemTime::now()),
            "new SASL/OAUTHBEARER token"
        );
        Ok(token)
    }
}

fn now_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Kafka's unsecured token (`OAuthBearerUnsecuredLoginCallbackHandler`):
/// an unsigned JWT (`alg: none`) with `iat`, `exp` and the configured claims.
fn unsecured(
    claims: &serde_json::Map<String, serde_json::Value>,
    principal_claim: &str,
    lifetime_s: u64,
    now: SystemTime,
) -> Result<OAuthToken, Box<dyn Error>> {
    let principal = claims
        .get(principal_claim)
        .and_then(|v| v.as_str())
        .ok_or_else(|| format!("the token has no {principal_claim:?} claim"))?
        .to_string();
    let iat_ms = now_ms(now);
    let lifetime_ms = i64::try_from(lifetime_s.saturating_mul(1000)).unwrap_or(i64::MAX);
    let exp_ms = iat_ms.saturating_add(lifetime_ms);
    let mut body = claims.clone();
    body.insert("iat".into(), serde_json::json!(iat_ms as f64 / 1000.0));
    body.insert("exp".into(), serde_json::json!(exp_ms as f64 / 1000.0));
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let token = format!(
        "{}.{}.",
        b64(&serde_json::json!({"alg": "none"})),
        b64(&serde_json::Value::Object(body))
    );
    Ok(OAuthToken {
        token,
        principal_name: principal,
        lifetime_ms: exp_ms,
    })
}

/// A context that has a client's token source.
pub trait Authenticated {
    /// The client's token source.
    fn auth(&self) -> &Auth;
}

/// The context of Sluice's Kafka clients that need no callbacks of their
/// own: it answers librdkafka's token refreshes.
#[derive(Clone, Default)]
pub struct KafkaContext {
    auth: Auth,
}

impl KafkaContext {
    /// The context of a client with `properties`.
    pub fn new(properties: &std::collections::BTreeMap<String, String>) -> Self {
        KafkaContext {
            auth: Auth::from_properties(properties),
        }
    }
}

impl Authenticated for KafkaContext {
    fn auth(&self) -> &Auth {
        &self.auth
    }
}

impl ClientContext for KafkaContext {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

    fn generate_oauth_token(&self, _: Option<&str>) -> Result<OAuthToken, Box<dyn Error>> {
        self.auth.token()
    }
}

impl ConsumerContext for KafkaContext {}

/// Gives a client that nothing polls its first token now: rust-rdkafka
/// answers token refreshes only while a client's main queue is polled,
/// which admin clients and one-off metadata or offset calls never do. Such
/// clients live shorter than a token. A failure is handed to librdkafka,
/// which reports it as the client's authentication error.
pub fn prime<C: ClientContext + Authenticated>(client: &Client<C>) {
    let auth = client.context().auth();
    if !auth.is_active() {
        return;
    }
    let mut errstr = [0 as std::ffi::c_char; 512];
    match auth.token() {
        Ok(t) => {
            let (Ok(token), Ok(principal)) =
                (CString::new(t.token), CString::new(t.principal_name))
            else {
                return;
            };
            // SAFETY: the client pointer is valid for the borrow of
            // `client`; librdkafka copies the strings before returning and
            // writes at most `errstr.len()` bytes into `errstr`.
            let code = unsafe {
                rdkafka::bindings::rd_kafka_oauthbearer_set_token(
                    client.native_ptr(),
                    token.as_ptr(),
                    t.lifetime_ms,
                    principal.as_ptr(),
                    std::ptr::null_mut(),
                    0,
                    errstr.as_mut_ptr(),
                    errstr.len(),
                )
            };
            if code != rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                // SAFETY: librdkafka wrote a NUL-terminated message.
                let said = unsafe { std::ffi::CStr::from_ptr(errstr.as_ptr()) };
                tracing::warn!(error = %said.to_string_lossy(), "librdkafka refused the token");
            }
        }
        Err(e) => {
            let Ok(message) = CString::new(e.to_string().replace('\0', " ")) else {
                return;
            };
            // SAFETY: as above; librdkafka copies the message.
            unsafe {
                rdkafka::bindings::rd_kafka_oauthbearer_set_token_failure(
                    client.native_ptr(),
                    message.as_ptr(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsecured_tokens_are_unsigned_jwts_with_kafkas_claims() {
        let claims = serde_json::from_str(r#"{"sub":"alice","scope":["a","b"]}"#).unwrap();
        let at = UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_500);
        let t = unsecured(&claims, "sub", 60, at).unwrap();
        assert_eq!(t.principal_name, "alice");
        assert_eq!(t.lifetime_ms, 1_700_000_060_500);
        let parts: Vec<&str> = t.token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], "");
        let decode = |s: &str| -> serde_json::Value {
            serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(s)
                    .unwrap(),
            )
            .unwrap()
        };
        assert_eq!(decode(parts[0]), serde_json::json!({"alg": "none"}));
        let body = decode(parts[1]);
        assert_eq!(body["sub"], "alice");
        assert_eq!(body["scope"], serde_json::json!(["a", "b"]));
        assert_eq!(body["iat"], serde_json::json!(1_700_000_000.5));
        assert_eq!(body["exp"], serde_json::json!(1_700_000_060.5));
        assert!(unsecured(&claims, "user", 60, at).is_err());
    }
}
