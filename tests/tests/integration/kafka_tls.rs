//! Kafka over TLS with the stores Kafka Connect users hold: the test
//! broker's SSL listener requires a client certificate, and connectors reach
//! it with Java's `ssl.truststore.*` / `ssl.keystore.*` options (JKS,
//! PKCS#12, PEM), from a manifest and from a worker's settings through the
//! REST API. A store that cannot be opened is reported naming its option
//! and file.

use std::path::Path;

use serde_json::json;
use sluice_tests::dead_letters::received_numbers;
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{create_topic, produce, producer, wait_committed_single};
use sluice_tests::process::{Running, TD_FORMATTER};
use sluice_tests::rest::{ApiWorker, http_json_connector};
use sluice_tests::{kafka_tls, outcome, plugin_dir, sluice, unique_topic};

const PASSWORD: &str = "sluice-test";

async fn seed(topic: &str, n: i64) {
    create_topic(topic, 1).await;
    let records: Vec<_> = (0..n)
        .map(|i| (None, Some(json!({ "n": i }).to_string())))
        .collect();
    produce(&producer(), topic, 0, &records).await;
}

/// A manifest reading `topic` over TLS with the `kafka` options `tls`.
fn manifest(dir: &Path, name: &str, topic: &str, tls: &str, url: &str) -> std::path::PathBuf {
    let (bootstrap, _) = kafka_tls();
    let text = format!(
        r#"plugin_dir = "{plugins}"

[[connectors]]
name = "{name}"
topics = "{topic}"
kafka = {{ "bootstrap.servers" = "{bootstrap}", "security.protocol" = "SSL", {tls} }}
"offset.flush.interval.ms" = 200
"value.converter" = {{ plugin = "json", config = {{ "schemas.enable" = false }} }}

[connectors.sink]
type = "http"
"http.api.url" = "{url}"
"batch.linger.ms" = 100
{TD_FORMATTER}"#,
        plugins = plugin_dir().display(),
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn java_stores_reach_a_broker_that_requires_client_certificates() {
    let (_, stores) = kafka_tls();
    let s = |f: &str| stores.join(f).display().to_string();
    let variants = [
        (
            "jks",
            format!(
                r#""ssl.truststore.location" = "{}", "ssl.truststore.password" = "{PASSWORD}", "ssl.truststore.type" = "JKS", "ssl.keystore.location" = "{}", "ssl.keystore.password" = "{PASSWORD}", "ssl.key.password" = "{PASSWORD}", "ssl.keystore.type" = "JKS""#,
                s("trust.jks"),
                s("client.jks")
            ),
        ),
        (
            "pkcs12-and-pem",
            format!(
                r#""ssl.truststore.location" = "{}", "ssl.truststore.type" = "PEM", "ssl.keystore.location" = "{}", "ssl.keystore.password" = "{PASSWORD}", "ssl.keystore.type" = "PKCS12""#,
                s("broker.pem"),
                s("client.p12")
            ),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (variant, tls) in variants {
        let topic = unique_topic(&format!("tls-{variant}"));
        seed(&topic, 30).await;
        let receiver = Receiver::start().await;
        let name = format!("tls-{variant}-{topic}");
        let path = manifest(dir.path(), &name, &topic, &tls, &receiver.url("/in"));
        let run = Running::start(&path);
        let got = receiver
            .wait_for(60, &format!("{variant}: 30 records over TLS"), |r| {
                received_numbers(r).len() >= 30
            })
            .await;
        assert_eq!(received_numbers(&got), (0..30).collect::<Vec<_>>());
        wait_committed_single(&format!("connect-{name}"), &topic, 30).await;
        let stderr = run.stop_cleanly();
        assert!(
            !stderr.contains(PASSWORD),
            "{variant}: the store password is never logged\n{stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn worker_stores_serve_api_connectors() {
    let (bootstrap, stores) = kafka_tls();
    let s = |f: &str| stores.join(f).display().to_string();
    let topic = unique_topic("tls-worker");
    seed(&topic, 20).await;
    let receiver = Receiver::start().await;
    let settings = [
        format!("bootstrap.servers={bootstrap}"),
        "consumer.security.protocol=SSL".to_string(),
        format!("consumer.ssl.truststore.location={}", s("trust.jks")),
        format!("consumer.ssl.truststore.password={PASSWORD}"),
        format!("consumer.ssl.keystore.location={}", s("client.p12")),
        format!("consumer.ssl.keystore.password={PASSWORD}"),
    ];
    let mut args = Vec::new();
    for setting in &settings {
        args.extend(["--worker", setting.as_str()]);
    }
    let api = ApiWorker::start(&args).await;
    let name = format!("tls-api-{topic}");
    let connector = http_json_connector(&name, &topic, &receiver.url("/in"));
    let (code, info) = api.call("POST", "/connectors", Some(&connector)).await;
    assert_eq!(code, 201, "{info}");
    let got = receiver
        .wait_for(60, "20 records over TLS", |r| {
            received_numbers(r).len() >= 20
        })
        .await;
    assert_eq!(received_numbers(&got), (0..20).collect::<Vec<_>>());
    wait_committed_single(&format!("connect-{name}"), &topic, 20).await;
}

#[test]
fn a_store_that_cannot_be_opened_is_named_with_its_option() {
    let (_, stores) = kafka_tls();
    let dir = tempfile::tempdir().unwrap();
    let trust = stores.join("trust.jks").display().to_string();
    let cases = [
        (
            format!(
                r#""ssl.truststore.location" = "{trust}", "ssl.truststore.password" = "wrong""#
            ),
            vec![
                "\"ssl.truststore.location\"".to_string(),
                format!("{trust}: cannot open the store (wrong password or damaged file)"),
            ],
        ),
        (
            r#""ssl.keystore.location" = "/nonexistent/client.jks", "ssl.keystore.password" = "x""#
                .to_string(),
            vec![
                "\"ssl.keystore.location\"".to_string(),
                "/nonexistent/client.jks".to_string(),
            ],
        ),
        (
            format!(
                r#""ssl.truststore.location" = "{trust}", "ssl.truststore.password" = "{PASSWORD}", "ssl.ca.location" = "/etc/ssl/certs/ca.pem""#
            ),
            vec!["ssl.truststore.location or ssl.ca.location, not both".to_string()],
        ),
        (
            format!(r#""ssl.truststore.location" = "{trust}", "ssl.truststore.type" = "BKS""#),
            vec!["\"BKS\" is not a store type Sluice reads: JKS, PKCS12 or PEM".to_string()],
        ),
    ];
    for (i, (tls, expected)) in cases.iter().enumerate() {
        let path = manifest(
            dir.path(),
            &format!("bad-{i}"),
            "t",
            tls,
            "http://127.0.0.1:9/in",
        );
        let out = sluice().arg("validate").arg(&path).output().unwrap();
        let (ok, text) = outcome(&out);
        assert!(!ok, "{tls}: {text}");
        for e in expected {
            assert!(text.contains(e.as_str()), "{e:?} missing from:\n{text}");
        }
        assert!(
            !text.contains("\"wrong\""),
            "a password is never echoed: {text}"
        );
    }
}
