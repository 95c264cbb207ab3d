//! Plugins given by URL, as MSK Connect takes custom plugins from S3: an
//! `http(s)://` or `s3://` plugin with its SHA-256 is downloaded once into
//! the cache, verified, and refused on a mismatch; `sluice validate` runs the
//! real binary against a real HTTP server and MinIO.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};
use sluice_tests::{outcome, plugin, s3, sluice};

/// Serves `bytes` at `/p/json.wasm` on 127.0.0.1; returns the base URL and
/// the count of requests served.
async fn serve(bytes: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    let app = axum::Router::new().route(
        "/p/json.wasm",
        axum::routing::get(move || {
            let bytes = bytes.clone();
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                bytes
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), served)
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `sluice validate` of a connector whose value converter is `converter`
/// (a TOML inline table), with its own cache; returns (ok, output).
fn validate(dir: &Path, converter: &str, env: &[(&str, String)]) -> (bool, String) {
    let manifest = dir.join("m.toml");
    let plugins = sluice_tests::plugin_dir();
    std::fs::write(
        &manifest,
        format!(
            r#"plugin_dir = "{}"
cache_dir = "cache"
[[connectors]]
name = "c1"
topics = "t"
kafka = {{ "bootstrap.servers" = "127.0.0.1:1" }}
"value.converter" = {converter}
sink = {{ type = "http", "http.api.url" = "http://127.0.0.1:1/in" }}
"#,
            plugins.display()
        ),
    )
    .unwrap();
    outcome(
        &sluice()
            .arg("validate")
            .arg(&manifest)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_given_by_url_is_downloaded_once_verified_and_cached() {
    let bytes = std::fs::read(plugin("json")).unwrap();
    let digest = sha256(&bytes);
    let (base, served) = serve(bytes.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let converter = format!(
        r#"{{ plugin = "{base}/p/json.wasm", sha256 = "{}", config = {{ "schemas.enable" = false }} }}"#,
        digest.to_uppercase()
    );
    for _ in 0..2 {
        let (ok, out) = tokio::task::block_in_place(|| validate(dir.path(), &converter, &[]));
        assert!(ok, "{out}");
    }
    assert_eq!(
        served.load(Ordering::SeqCst),
        1,
        "downloaded once, then used from the cache"
    );
    let cached = dir
        .path()
        .join("cache/downloads")
        .join(&digest)
        .join("json.wasm");
    assert_eq!(std::fs::read(&cached).unwrap(), bytes);

    // A cached copy that changed is refused, not run.
    std::fs::write(&cached, b"\0asm tampered").unwrap();
    let (ok, out) = tokio::task::block_in_place(|| validate(dir.path(), &converter, &[]));
    assert!(!ok);
    assert!(
        out.contains("the cached copy") && out.contains(&digest),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_digest_mismatch_is_refused_naming_the_url_and_both_digests() {
    let bytes = std::fs::read(plugin("json")).unwrap();
    let (base, _) = serve(bytes.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let wrong = "0".repeat(64);
    let url = format!("{base}/p/json.wasm");
    let converter = format!(r#"{{ plugin = "{url}", sha256 = "{wrong}" }}"#);
    let (ok, out) = tokio::task::block_in_place(|| validate(dir.path(), &converter, &[]));
    assert!(!ok, "{out}");
    for expected in [url.as_str(), "SHA-256 mismatch", &wrong, &sha256(&bytes)] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert!(
        !dir.path().join("cache/downloads").join(&wrong).exists(),
        "nothing cached"
    );
}

#[test]
fn a_url_needs_a_sha256_and_a_local_file_is_checked_against_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = validate(
        dir.path(),
        r#"{ plugin = "https://plugins.example.com/json.wasm" }"#,
        &[],
    );
    assert!(!ok);
    assert!(
        out.contains("\"value.converter\".sha256: required for a plugin given by URL"),
        "{out}"
    );
    let (ok, out) = validate(
        dir.path(),
        r#"{ plugin = "json", sha256 = "not-hex" }"#,
        &[],
    );
    assert!(!ok);
    assert!(out.contains("is not a SHA-256"), "{out}");
    let local = sha256(&std::fs::read(plugin("json")).unwrap());
    let (ok, out) = validate(
        dir.path(),
        &format!(
            r#"{{ plugin = "json", sha256 = "{local}", config = {{ "schemas.enable" = false }} }}"#
        ),
        &[],
    );
    assert!(ok, "{out}");
    let (ok, out) = validate(
        dir.path(),
        &format!(r#"{{ plugin = "json", sha256 = "{}" }}"#, "1".repeat(64)),
        &[],
    );
    assert!(!ok);
    assert!(
        out.contains(&format!("SHA-256 {local}, not the manifest's")),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_from_s3_is_downloaded_with_the_aws_credential_chain() {
    let bytes = std::fs::read(plugin("json")).unwrap();
    let bucket = s3::unique_bucket("plugins");
    s3::create_bucket(&bucket).await;
    s3::client()
        .put_object()
        .bucket(&bucket)
        .key("team/json.wasm")
        .body(bytes.clone().into())
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let converter = format!(
        r#"{{ plugin = "s3://{bucket}/team/json.wasm", sha256 = "{}", config = {{ "schemas.enable" = false }} }}"#,
        sha256(&bytes)
    );
    let env = [
        ("AWS_ENDPOINT_URL", s3::endpoint()),
        ("AWS_ACCESS_KEY_ID", s3::ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", s3::SECRET_KEY.to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
    ];
    let (ok, out) = tokio::task::block_in_place(|| validate(dir.path(), &converter, &env));
    assert!(ok, "{out}");
    let (ok, out) = tokio::task::block_in_place(|| {
        validate(
            dir.path(),
            &converter.replace("team/json.wasm", "team/missing.wasm"),
            &env,
        )
    });
    assert!(!ok);
    assert!(
        out.contains(&format!("s3://{bucket}/team/missing.wasm: cannot download")),
        "{out}"
    );
}
