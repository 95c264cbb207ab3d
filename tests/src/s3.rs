//! S3 helpers for tests against a real S3-compatible server: the MinIO
//! server of one test run (`$SLUICE_TEST_S3`, else started here with
//! `scripts/minio/start`), a client for it, buckets, and what they hold.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

/// The test server's credentials (scripts/minio/start's test-only values).
pub const ACCESS_KEY: &str = "sluice";
pub const SECRET_KEY: &str = "sluice-secret";

/// The endpoint of the S3 server shared by the tests of one run:
/// `$SLUICE_TEST_S3` when set (scripts/test starts one), else one started
/// here with `scripts/minio/start`.
pub fn endpoint() -> String {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT
        .get_or_init(|| crate::shared_server("minio", "SLUICE_TEST_S3"))
        .clone()
}

/// A client of the test server.
pub fn client() -> Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint())
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "tests",
        ))
        .build();
    Client::from_conf(config)
}

/// A bucket name no other test uses (S3 names: lowercase, digits, dashes).
pub fn unique_bucket(prefix: &str) -> String {
    crate::unique_topic(prefix)
        .to_ascii_lowercase()
        .replace('_', "-")
}

/// Creates `bucket`.
pub async fn create_bucket(bucket: &str) {
    client()
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create bucket {bucket}: {e:?}"));
}

/// Every object of `bucket`: key → contents.
pub async fn objects(bucket: &str) -> BTreeMap<String, Vec<u8>> {
    let c = client();
    let mut out = BTreeMap::new();
    let mut pages = c.list_objects_v2().bucket(bucket).into_paginator().send();
    let mut keys = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.unwrap_or_else(|e| panic!("list {bucket}: {e:?}"));
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(String::from)),
        );
    }
    for key in keys {
        let body = c
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("get {key}: {e:?}"))
            .body
            .collect()
            .await
            .expect("read the object")
            .into_bytes()
            .to_vec();
        out.insert(key, body);
    }
    out
}

/// Multipart uploads started in `bucket` and neither completed nor aborted.
/// The server-side encryption of object `key` as the store reports it: the
/// algorithm and the KMS key id.
pub async fn encryption(bucket: &str, key: &str) -> (Option<String>, Option<String>) {
    let head = client()
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("HeadObject {bucket}/{key}: {e:?}"));
    (
        head.server_side_encryption()
            .map(|a| a.as_str().to_string()),
        head.ssekms_key_id().map(String::from),
    )
}

pub async fn pending_uploads(bucket: &str) -> usize {
    client()
        .list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .map(|o| o.uploads().len())
        .unwrap_or(0)
}

/// The `[connectors.sink]` lines of an S3 sink writing to `bucket` on the test server.
pub fn sink(bucket: &str, extra: &str) -> String {
    format!(
        r#""s3.bucket.name" = "{bucket}"
"store.url" = "{endpoint}"
"s3.region" = "us-east-1"
"aws.access.key.id" = "{ACCESS_KEY}"
"aws.secret.access.key" = "{SECRET_KEY}"
{extra}"#,
        endpoint = endpoint()
    )
}

/// Temporary credentials from the test server's STS (MinIO answers
/// AssumeRole for its own users), and the AssumeRole answer that gives
/// them, as AWS's STS words it: what a canned STS endpoint serves so that
/// a sink's S3 requests succeed only with the role's credentials.
pub async fn assumed_role_answer(role_arn: &str) -> String {
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint())
        .credentials_provider(Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "tests",
        ))
        .load()
        .await;
    // The STS client itself: MinIO's answer names no role ARN, which
    // aws-config's own assume-role provider refuses.
    let answer = aws_sdk_sts::Client::new(&conf)
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("tests")
        .send()
        .await
        .expect("temporary credentials from MinIO's STS");
    let creds = answer.credentials().expect("credentials in the answer");
    let expiry = creds
        .expiration()
        .fmt(aws_sdk_sts::primitives::DateTimeFormat::DateTime)
        .expect("an expiry");
    format!(
        r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><AssumedRoleUser><Arn>{role_arn}</Arn><AssumedRoleId>AROATESTS:tests</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>tests</RequestId></ResponseMetadata></AssumeRoleResponse>"#,
        creds.access_key_id(),
        creds.secret_access_key(),
        creds.session_token(),
        expiry,
    )
}
