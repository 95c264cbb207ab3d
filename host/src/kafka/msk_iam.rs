//! AWS MSK IAM authentication over SASL/OAUTHBEARER: the token is a
//! SigV4-presigned `kafka-cluster:Connect` request, as AWS's signer
//! libraries make it, signed with credentials from the standard AWS chain.

use std::borrow::Cow;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// How long a token is valid, as AWS's signers make it.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(900);
/// The service name the token is signed for.
const SIGNING_NAME: &str = "kafka-cluster";
/// Everything but SigV4's unreserved characters is percent-encoded.
const AWS_QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A signed token and the time it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The presigned URL, base64url-encoded without padding.
    pub value: String,
    /// When it expires, in milliseconds since the Unix epoch.
    pub expiry_ms: i64,
}

/// Why no token could be made.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "no AWS region for MSK IAM: the bootstrap servers are not MSK host names; set AWS_REGION (or the profile's region)"
    )]
    NoRegion,
    #[error("no AWS credentials for MSK IAM: {0}")]
    Credentials(String),
    #[error("cannot sign the MSK IAM token: {0}")]
    Sign(String),
}

/// The token for `region`'s MSK clusters that `credentials` sign at `now`,
/// the same bytes as AWS's signers make but for the `User-Agent` parameter
/// (`user_agent`, which the broker does not check).
pub fn token(
    region: &str,
    credentials: &Credentials,
    now: SystemTime,
    user_agent: &str,
) -> Result<Token, TokenError> {
    let host = format!("kafka.{region}.amazonaws.com");
    let url = format!("https://{host}/?Action=kafka-cluster%3AConnect");
    let identity: Identity = credentials.clone().into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(TOKEN_LIFETIME);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SIGNING_NAME)
        .time(now)
        .settings(settings)
        .build()
        .map_err(|e| TokenError::Sign(e.to_string()))?
        .into();
    let request = SignableRequest::new(
        "GET",
        url.as_str(),
        [("host", host.as_str())].into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| TokenError::Sign(e.to_string()))?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|e| TokenError::Sign(e.to_string()))?
        .into_parts();
    let mut signed = url;
    let mut added: Vec<(&str, Cow<'_, str>)> = instructions
        .params()
        .iter()
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    // AWS's signers put the signature after the session token: the same
    // order gives the same bytes (the broker reads the parameters by name).
    added.sort_by_key(|(k, _)| *k == "X-Amz-Signature");
    added.push(("User-Agent", Cow::Borrowed(user_agent)));
    for (name, value) in added {
        signed.push('&');
        signed.push_str(name);
        signed.push('=');
        signed.extend(utf8_percent_encode(&value, AWS_QUERY));
    }
    let signed_at = now
        .duration_since(UNIX_EPOCH)
        .map_err(|e| TokenError::Sign(e.to_string()))?
        .as_secs();
    Ok(Token {
        value: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signed),
        expiry_ms: ((signed_at + TOKEN_LIFETIME.as_secs()) * 1000) as i64,
    })
}

/// Where an MSK IAM client's credentials come from, as the JAAS options
/// of AWS's `IAMLoginModule` name them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// The cluster's region; else the AWS chain's.
    pub region: Option<String>,
    /// `awsProfileName`: a named profile of the shared config files.
    pub profile: Option<String>,
    /// `awsRoleArn`: a role assumed with the chain's credentials.
    pub role_arn: Option<String>,
    /// `awsRoleSessionName` (default `MSKSASLDefaultSession`, as AWS's).
    pub role_session_name: Option<String>,
    /// `awsStsRegion`: the region of the STS endpoint for the role.
    pub sts_region: Option<String>,
}

/// Signs MSK IAM tokens, keeping the chain's credentials until five
/// minutes before they expire.
pub struct Signer {
    settings: Settings,
    cached: Mutex<Option<(Credentials, String)>>,
}

impl Signer {
    /// A signer for `settings`; credentials are loaded at the first token.
    pub fn new(settings: Settings) -> Self {
        Signer {
            settings,
            cached: Mutex::new(None),
        }
    }

    /// A token signed now.
    pub fn token(&self) -> Result<Token, TokenError> {
        let (credentials, region) = self.credentials()?;
        token(
            &region,
            &credentials,
            SystemTime::now(),
            concat!("sluice/", env!("CARGO_PKG_VERSION")),
        )
    }

    fn credentials(&self) -> Result<(Credentials, String), TokenError> {
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = |c: &Credentials| {
            c.expiry()
                .is_none_or(|e| e > SystemTime::now() + Duration::from_secs(300))
        };
        if let Some((c, region)) = cached.as_ref()
            && fresh(c)
        {
            return Ok((c.clone(), region.clone()));
        }
        let loaded = load(self.settings.clone())?;
        *cached = Some(loaded.clone());
        Ok(loaded)
    }
}

/// Loads credentials and the region from the AWS chain: environment,
/// shared config and credentials files (or `settings.profile`), web
/// identity, ECS and EC2 instance roles; then assumes `settings.role_arn`
/// if set. librdkafka asks for tokens from its own threads, which may be
/// the runtime's: the chain runs on a thread and runtime of its own.
fn load(settings: Settings) -> Result<(Credentials, String), TokenError> {
    let work = move || -> Result<(Credentials, String), TokenError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| TokenError::Credentials(e.to_string()))?;
        runtime.block_on(async move {
            let mut loader = aws_config::defaults(BehaviorVersion::latest());
            if let Some(p) = &settings.profile {
                loader = loader.profile_name(p);
            }
            let shared = loader.load().await;
            let region = settings
                .region
                .clone()
                .or_else(|| shared.region().map(|r| r.to_string()))
                .ok_or(TokenError::NoRegion)?;
            let provider = match &settings.role_arn {
                Some(arn) => {
                    let mut sts = shared.clone().into_builder();
                    let sts_region = settings
                        .sts_region
                        .clone()
                        .unwrap_or_else(|| region.clone());
                    sts = sts.region(aws_config::Region::new(sts_region));
                    let role = aws_config::sts::AssumeRoleProvider::builder(arn)
                        .session_name(
                            settings
                                .role_session_name
                                .as_deref()
                                .unwrap_or("MSKSASLDefaultSession"),
                        )
                        .configure(&sts.build())
                        .build()
                        .await;
                    aws_credential_types::provider::SharedCredentialsProvider::new(role)
                }
                None => shared.credentials_provider().ok_or_else(|| {
                    TokenError::Credentials("the AWS chain has no credentials provider".into())
                })?,
            };
            let credentials =
                tokio::time::timeout(Duration::from_secs(30), provider.provide_credentials())
                    .await
                    .map_err(|_| TokenError::Credentials("no answer in 30 s".into()))?
                    .map_err(|e| TokenError::Credentials(crate::cause::chain(&e)))?;
            Ok((credentials, region))
        })
    };
    std::thread::Builder::new()
        .name("msk-iam-credentials".into())
        .spawn(work)
        .map_err(|e| TokenError::Credentials(e.to_string()))?
        .join()
        .map_err(|_| TokenError::Credentials("the credentials thread panicked".into()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_a_presigned_connect_url_that_expires_with_the_signature() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let at = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let t = token("us-east-1", &creds, at, "sluice/test").unwrap();
        assert_eq!(t.expiry_ms, 1_767_226_500_000);
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&t.value)
            .unwrap();
        let url = String::from_utf8(url).unwrap();
        assert!(
            url.starts_with("https://kafka.us-east-1.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Fus-east-1%2Fkafka-cluster%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature="),
            "{url}"
        );
        assert!(url.ends_with("&User-Agent=sluice%2Ftest"), "{url}");
    }
}
