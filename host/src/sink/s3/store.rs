//! The bucket: an aws-sdk-s3 client built from the sink's settings, the
//! requests the sink makes, and S3 errors sorted into outages (retried
//! until the store answers) and mistakes (reported with what to fix).

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{Credentials, Region, RequestChecksumCalculation};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;

use super::config::S3SinkSpec;
use crate::stats::ConnectorStats;

/// An S3 request that failed for a reason retrying will not fix.
#[derive(Debug, thiserror::Error)]
#[error("S3 {action} s3://{bucket}/{key} at {endpoint}: {message}{hint}")]
pub struct StoreError {
    pub action: &'static str,
    pub bucket: String,
    pub key: String,
    pub endpoint: String,
    pub message: String,
    /// What to do about it, with its leading `; `.
    pub hint: String,
}

/// A request's failure, sorted.
enum Failure {
    /// The store is unreachable, slow or overloaded: try again later.
    Outage(String),
    /// Anything else, with S3's error code, else the HTTP status (HEAD
    /// answers have no body, so no code) folded into one.
    Mistake {
        code: Option<String>,
        message: String,
    },
}

/// S3's code and a message for a body-less answer (HEAD), from its status.
fn code_of_status(status: u16) -> Option<(&'static str, &'static str)> {
    match status {
        404 => Some(("NoSuchBucket", "the bucket does not exist (404)")),
        403 => Some(("AccessDenied", "access denied (403)")),
        _ => None,
    }
}

fn sort<E: ProvideErrorMetadata + std::error::Error + 'static>(
    e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> Failure {
    let message = DisplayErrorContext(&e).to_string();
    match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Failure::Outage(message)
        }
        SdkError::ServiceError(s) => {
            let status = s.raw().status().as_u16();
            // For body-less answers the SDK makes up `NotFound`/`Forbidden`.
            let (code, message) = match (s.err().code(), code_of_status(status)) {
                (None | Some("NotFound" | "Forbidden"), Some((c, m))) => {
                    (Some(c.to_string()), m.to_string())
                }
                (c, _) => (c.map(String::from), message),
            };
            let throttled = matches!(
                code.as_deref(),
                Some(
                    "SlowDown"
                        | "RequestTimeout"
                        | "InternalError"
                        | "ServiceUnavailable"
                        | "XMinioServerNotInitialized"
                )
            );
            if status >= 500 || status == 408 || status == 429 || throttled {
                Failure::Outage(message)
            } else {
                Failure::Mistake { code, message }
            }
        }
        _ => Failure::Mistake {
            code: None,
            message,
        },
    }
}

/// `shared` with its credentials replaced by `role`'s, which STS gives in
/// exchange for `shared`'s own. The S3 client caches them and asks again
/// before they expire.
async fn assume_role(
    shared: aws_config::SdkConfig,
    role: &super::config::AssumeRole,
) -> aws_config::SdkConfig {
    let mut sts = shared.clone().into_builder();
    if shared.region().is_none() {
        // STS signs in a region; its global endpoint's is us-east-1.
        sts = sts.region(Region::new("us-east-1"));
    }
    if let Some(e) = &role.endpoint {
        sts = sts.endpoint_url(e);
    }
    let mut provider = aws_config::sts::AssumeRoleProvider::builder(&role.role_arn)
        .session_name(&role.session_name)
        .session_length(role.duration)
        .configure(&sts.build());
    if let Some(id) = &role.external_id {
        provider = provider.external_id(id);
    }
    let provider = provider.build().await;
    shared
        .into_builder()
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(provider))
        .build()
}

/// What to do about an S3 error code.
fn hint(code: Option<&str>) -> &'static str {
    match code {
        Some("NoSuchBucket") => "; create the bucket, or fix \"s3.bucket.name\"",
        Some("InvalidAccessKeyId" | "SignatureDoesNotMatch" | "InvalidToken" | "ExpiredToken") => {
            "; check \"aws.access.key.id\" and \"aws.secret.access.key\" (or the AWS credentials in the environment)"
        }
        Some("AccessDenied") => {
            "; check \"aws.access.key.id\" and \"aws.secret.access.key\", and that they may put objects and multipart uploads in this bucket"
        }
        Some("PermanentRedirect" | "AuthorizationHeaderMalformed") => {
            "; the bucket is in another region: fix \"s3.region\""
        }
        _ => "",
    }
}

/// The sink's bucket.
#[derive(Clone)]
pub struct Store {
    client: Client,
    bucket: String,
    endpoint: String,
    outage_backoff: Duration,
    /// Server-side encryption asked for every object.
    encryption: Option<super::config::Encryption>,
    /// Where uploads, retries and outages are counted.
    stats: Arc<ConnectorStats>,
}

impl Store {
    /// A client for `spec`'s bucket: the manifest's credentials, else the
    /// standard AWS chain, assuming the manifest's role with them if it names
    /// one; the manifest's region, else the chain's, else `us-west-2`
    /// (Confluent's default).
    pub async fn new(spec: &S3SinkSpec) -> Store {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(r) = &spec.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(c) = &spec.credentials {
            loader = loader.credentials_provider(Credentials::new(
                &c.access_key_id,
                &c.secret_access_key,
                None,
                None,
                "sluice-manifest",
            ));
        }
        let mut shared = loader.load().await;
        if let Some(role) = &spec.assume_role {
            shared = assume_role(shared, role).await;
        }
        let mut config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(spec.path_style)
            // Integrity comes from TLS and S3's own checks; per-request CRCs
            // cost CPU on every byte and some S3-compatible stores reject them.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(spec.retry.retries + 1)
                    .with_initial_backoff(spec.retry.backoff),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(Duration::from_secs(120))
                    .build(),
            );
        if shared.region().is_none() {
            config = config.region(Region::new("us-west-2"));
        }
        if let Some(e) = &spec.endpoint {
            config = config.endpoint_url(e);
        }
        Store {
            client: Client::from_conf(config.build()),
            bucket: spec.bucket.clone(),
            endpoint: spec.endpoint.clone().unwrap_or_else(|| "AWS".into()),
            outage_backoff: spec.retry.outage_backoff,
            encryption: spec.encryption.clone(),
            stats: Arc::default(),
        }
    }

    /// The `x-amz-server-side-encryption` of every object written.
    fn encryption(&self) -> Option<aws_sdk_s3::types::ServerSideEncryption> {
        self.encryption
            .as_ref()
            .map(|e| aws_sdk_s3::types::ServerSideEncryption::from(e.algorithm.as_str()))
    }

    /// The KMS key of every object written, with `aws:kms`.
    fn kms_key(&self) -> Option<String> {
        self.encryption.as_ref().and_then(|e| e.kms_key_id.clone())
    }

    /// Counts uploads, retries and outages in `stats` from now on.
    pub fn counting_into(mut self, stats: Arc<ConnectorStats>) -> Store {
        self.stats = stats;
        self
    }

    fn mistake(
        &self,
        action: &'static str,
        key: &str,
        code: Option<String>,
        message: String,
    ) -> StoreError {
        StoreError {
            action,
            bucket: self.bucket.clone(),
            key: key.to_string(),
            endpoint: self.endpoint.clone(),
            hint: hint(code.as_deref()).to_string(),
            message,
        }
    }

    /// Runs `request` until it succeeds or fails for a reason other than an
    /// outage; outages are logged and waited out.
    async fn until_answered<T, E, F, Fut>(
        &self,
        action: &'static str,
        key: &str,
        mut request: F,
    ) -> Result<T, StoreError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, aws_sdk_s3::config::http::HttpResponse>>>,
    {
        let mut warned = false;
        loop {
            match request().await {
                Ok(v) => {
                    if warned {
                        tracing::info!(bucket = %self.bucket, endpoint = %self.endpoint, "the S3 store answers again");
                    }
                    return Ok(v);
                }
                Err(e) => match sort(e) {
                    Failure::Outage(message) => {
                        tracing::warn!(bucket = %self.bucket, key, endpoint = %self.endpoint, error = %message, retry_in = ?self.outage_backoff, "S3 {action} failed; retrying (nothing past it is committed)");
                        self.stats.sink.retried();
                        self.stats.recent_errors.push(format!(
                            "S3 {action} {key} at {}: {message}; retrying in {:?}",
                            self.endpoint, self.outage_backoff
                        ));
                        warned = true;
                        tokio::time::sleep(self.outage_backoff).await;
                    }
                    Failure::Mistake { code, message } => {
                        return Err(self.mistake(action, key, code, message));
                    }
                },
            }
        }
    }

    /// Checks the bucket exists and the credentials may use it, waiting
    /// out an unreachable store.
    pub async fn check_bucket(&self) -> Result<(), StoreError> {
        self.until_answered("HeadBucket", "", || {
            self.client.head_bucket().bucket(&self.bucket).send()
        })
        .await
        .map(|_| ())
    }

    /// Writes a whole object in one request.
    pub async fn put(&self, key: &str, body: Bytes) -> Result<(), StoreError> {
        let len = body.len();
        self.until_answered("PutObject", key, || {
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .set_server_side_encryption(self.encryption())
                .set_ssekms_key_id(self.kms_key())
                .body(ByteStream::from(body.clone()))
                .send()
        })
        .await?;
        self.stats.sink.s3_sent(len);
        self.stats.sink.s3_uploaded();
        Ok(())
    }

    /// Starts a multipart upload; returns its id.
    pub async fn start_multipart(&self, key: &str) -> Result<String, StoreError> {
        let out = self
            .until_answered("CreateMultipartUpload", key, || {
                self.client
                    .create_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .set_server_side_encryption(self.encryption())
                    .set_ssekms_key_id(self.kms_key())
                    .send()
            })
            .await?;
        out.upload_id.ok_or_else(|| {
            self.mistake(
                "CreateMultipartUpload",
                key,
                None,
                "the reply has no upload id".into(),
            )
        })
    }

    /// Uploads part `number` (from 1).
    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: i32,
        body: Bytes,
    ) -> Result<CompletedPart, StoreError> {
        let len = body.len();
        let out = self
            .until_answered("UploadPart", key, || {
                self.client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(upload_id)
                    .part_number(number)
                    .body(ByteStream::from(body.clone()))
                    .send()
            })
            .await?;
        self.stats.sink.s3_sent(len);
        Ok(CompletedPart::builder()
            .part_number(number)
            .set_e_tag(out.e_tag)
            .build())
    }

    /// Makes a multipart upload's object visible.
    pub async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: Vec<CompletedPart>,
    ) -> Result<(), StoreError> {
        let parts = CompletedMultipartUpload::builder()
            .set_parts(Some(parts))
            .build();
        self.until_answered("CompleteMultipartUpload", key, || {
            self.client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .multipart_upload(parts.clone())
                .send()
        })
        .await?;
        self.stats.sink.s3_uploaded();
        Ok(())
    }

    /// Drops a multipart upload's parts (best effort: one attempt).
    pub async fn abort_multipart(&self, key: &str, upload_id: &str) {
        if let Err(e) = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            tracing::debug!(key, error = %DisplayErrorContext(&e), "cannot abort a multipart upload; a bucket lifecycle rule removes it");
        }
    }
}
