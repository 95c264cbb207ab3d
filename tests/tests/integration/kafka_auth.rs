//! SASL/OAUTHBEARER with tokens Sluice makes: AWS MSK IAM tokens are the
//! bytes AWS's own signer makes for the same credentials and time, and
//! tokens are refreshed before the broker ends a session, for the
//! connector's consumer, its dead letter producer and admin client, and a
//! worker's own clients. The test broker's OAUTHBEARER listener uses
//! Kafka's unsecured validator and ends each session when its token expires
//! (`connections.max.reauth.ms`), so a client that does not refresh is cut off.

use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use aws_sdk_s3::config::Credentials;
use base64::Engine;
use rdkafka::Message;
use serde_json::json;
use sluice_tests::dead_letters::{dlq_settings, received_numbers, td_sink};
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{consume_n, create_topic, produce, producer, wait_committed_single};
use sluice_tests::process::Running;
use sluice_tests::rest::{ApiWorker, http_json_connector};
use sluice_tests::{kafka_oauth, plugin_dir, repo_root, sluice, unique_topic};

/// AWS's signer's token for the same inputs: (token, expiry in ms).
fn aws_token(region: &str, key: &str, secret: &str, session: &str, epoch: u64) -> (String, i64) {
    let out = Command::new(sluice_tests::registry::python())
        .env("TZ", "UTC")
        .arg(repo_root().join("tests/kafka/msk_iam_token.py"))
        .args([region, key, secret, session, &epoch.to_string()])
        .output()
        .expect("run tests/kafka/msk_iam_token.py");
    assert!(
        out.status.success(),
        "msk_iam_token.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    (
        v["token"].as_str().expect("token").to_string(),
        v["expiry_ms"].as_i64().expect("expiry_ms"),
    )
}

#[test]
fn msk_iam_tokens_are_the_bytes_aws_signs() {
    // The signer's user agent names the library; the broker ignores it.
    let agent = "aws-msk-iam-sasl-signer-python/1.0.2";
    let cases = [
        (
            "us-east-1",
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "",
            1_767_225_600,
        ),
        // A session token (temporary credentials: roles, web identity) is signed too.
        (
            "eu-west-3",
            "ASIAEXAMPLE",
            "s3cr3t+/=",
            "IQoJb3JpZ2luX2VjEXAMPLE//token+with/chars=",
            1_798_761_599,
        ),
    ];
    for (region, key, secret, session, epoch) in cases {
        let creds = Credentials::new(
            key,
            secret,
            (!session.is_empty()).then(|| session.to_string()),
            None,
            "test",
        );
        let ours = sluice::kafka::msk_iam::token(
            region,
            &creds,
            UNIX_EPOCH + Duration::from_secs(epoch),
            agent,
        )
        .expect("a token");
        let (theirs, expiry) = aws_token(region, key, secret, session, epoch);
        // Compared decoded, so that a difference reads as a URL.
        let url = |t: &str| {
            String::from_utf8(
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(t)
                    .expect("base64url without padding"),
            )
            .expect("UTF-8")
        };
        assert_eq!(
            url(&ours.value),
            url(&theirs),
            "{region}: the same signed URL as AWS's signer"
        );
        assert_eq!(
            ours.value, theirs,
            "{region}: the same token as AWS's signer"
        );
        assert_eq!(ours.expiry_ms, expiry, "{region}: the same expiry");
    }
}

/// The `kafka` table of a connector on the OAUTHBEARER listener, with
/// tokens that live `lifetime_s` seconds.
fn oauth_kafka(lifetime_s: u64) -> String {
    format!(
        r#"{{ "bootstrap.servers" = "{}", "security.protocol" = "SASL_PLAINTEXT", "sasl.mechanism" = "OAUTHBEARER", "sasl.jaas.config" = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="sluice" unsecuredLoginLifetimeSeconds="{lifetime_s}";' }}"#,
        kafka_oauth()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn oauthbearer_tokens_are_refreshed_before_the_broker_ends_the_session() {
    let topic = unique_topic("oauth");
    let dlq = format!("{topic}-dlq");
    create_topic(&topic, 1).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("oauth-{topic}");
    let manifest = dir.path().join("oauth.toml");
    std::fs::write(
        &manifest,
        format!(
            r#"plugin_dir = "{plugins}"

[[connectors]]
name = "{name}"
topics = "{topic}"
kafka = {kafka}
"offset.flush.interval.ms" = 200
"value.converter" = {{ plugin = "json", config = {{ "schemas.enable" = false }} }}
{dlq}

[connectors.sink]
type = "http"
{sink}
"#,
            plugins = plugin_dir().display(),
            kafka = oauth_kafka(8),
            dlq = dlq_settings(&dlq),
            sink = td_sink(&receiver, 10),
        ),
    )
    .unwrap();
    let log = dir.path().join("sluice.log");
    let mut cmd = sluice();
    cmd.arg("run").arg(&manifest);
    let run = Running::spawn_logging_to(cmd, &log);
    // Four waves 10 s apart: each finds connections whose first tokens
    // (8 s) have long expired. The last wave holds a record that is not
    // JSON, which goes to the dead letter queue through the producer and
    // admin client, made after several refreshes.
    let mut offset = 0;
    for wave in 0..4i64 {
        let mut records: Vec<_> = (wave * 10..wave * 10 + 10)
            .map(|n| (None, Some(json!({ "n": n }).to_string())))
            .collect();
        if wave == 3 {
            records.insert(5, (None, Some("not json".to_string())));
        }
        offset += records.len() as i64;
        produce(&producer(), &topic, 0, &records).await;
        let want = (wave * 10 + 10) as usize;
        let got = receiver
            .wait_for(30, &format!("wave {wave}: {want} records"), |r| {
                received_numbers(r).len() >= want
            })
            .await;
        assert_eq!(received_numbers(&got), (0..want as i64).collect::<Vec<_>>());
        if wave < 3 {
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
    }
    let dead = consume_n(&dlq, 1, 30);
    assert_eq!(dead[0].payload(), Some(&b"not json"[..]));
    wait_committed_single(&format!("connect-{name}"), &topic, offset).await;
    run.stop_cleanly();
    let stderr = std::fs::read_to_string(&log).unwrap();
    let tokens = stderr.matches("new SASL/OAUTHBEARER token").count();
    // The consumer alone refreshes at 80 % of 8 s over the ~35 s run.
    assert!(tokens >= 6, "{tokens} tokens made:\n{stderr}");
    assert!(
        !stderr.contains("Authentication failed") && !stderr.contains("SASL authentication error"),
        "no session ended for want of a token:\n{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_on_an_oauthbearer_listener_keeps_its_own_clients_authenticated() {
    let topic = unique_topic("oauth-worker");
    create_topic(&topic, 1).await;
    let receiver = Receiver::start().await;
    let jaas = r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="worker" unsecuredLoginLifetimeSeconds="8";"#;
    // `consumer.` settings serve the worker's own clients and its connectors.
    let settings = [
        format!("bootstrap.servers={}", kafka_oauth()),
        "consumer.security.protocol=SASL_PLAINTEXT".to_string(),
        "consumer.sasl.mechanism=OAUTHBEARER".to_string(),
        format!("consumer.sasl.jaas.config={jaas}"),
    ];
    // A group of one: the connector configs, statuses and task claims go
    // through Kafka topics, read and written by the worker's own clients.
    let group = format!("oauth-{topic}");
    let configs = format!("{group}-configs");
    let mut args = vec!["--group-id", &group, "--config-storage-topic", &configs];
    for setting in &settings {
        args.extend(["--worker", setting.as_str()]);
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("worker.log");
    let api = ApiWorker::start_with(&args, Some(&log)).await;
    let name = format!("oauth-api-{topic}");
    let connector = http_json_connector(&name, &topic, &receiver.url("/in"));
    // The config and status topics are read and written after the first
    // tokens expired.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (code, info) = api.call("POST", "/connectors", Some(&connector)).await;
    assert_eq!(code, 201, "{info}");
    let records: Vec<_> = (0..20)
        .map(|n| (None, Some(json!({ "n": n }).to_string())))
        .collect();
    produce(&producer(), &topic, 0, &records).await;
    let got = receiver
        .wait_for(60, "20 records", |r| received_numbers(r).len() >= 20)
        .await;
    assert_eq!(received_numbers(&got), (0..20).collect::<Vec<_>>());
    wait_committed_single(&format!("connect-{name}"), &topic, 20).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (code, status) = api
        .call("GET", &format!("/connectors/{name}/status"), None)
        .await;
    assert_eq!(code, 200, "{status}");
    assert_eq!(status["connector"]["state"], "RUNNING", "{status}");
    drop(api);
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(
        said.matches("new SASL/OAUTHBEARER token").count() >= 6,
        "tokens made and refreshed:\n{said}"
    );
    assert!(
        !said.contains("Authentication failed") && !said.contains("SASL authentication error"),
        "no session ended for want of a token:\n{said}"
    );
}

/// Runs a connector with the `kafka` table `kafka` and environment `env`
/// for a few seconds; its log.
async fn run_briefly(kafka: &str, env: &[(&str, &str)]) -> String {
    let topic = unique_topic("msk-iam");
    create_topic(&topic, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("msk.toml");
    std::fs::write(
        &manifest,
        format!(
            r#"plugin_dir = "{plugins}"

[[connectors]]
name = "msk-{topic}"
topics = "{topic}"
kafka = {kafka}

[connectors.sink]
type = "http"
"http.api.url" = "http://127.0.0.1:9/in"
"#,
            plugins = plugin_dir().display(),
        ),
    )
    .unwrap();
    let log = dir.path().join("sluice.log");
    let mut cmd = sluice();
    cmd.arg("run").arg(&manifest);
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
    ] {
        cmd.env_remove(var);
    }
    // No instance metadata service to wait for here.
    cmd.env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"));
    cmd.envs(env.iter().copied());
    let run = Running::spawn_logging_to(cmd, &log);
    tokio::time::sleep(Duration::from_secs(6)).await;
    run.stop();
    std::fs::read_to_string(&log).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn msk_iam_configs_sign_tokens_with_the_aws_chain() {
    // MSK users' settings, unchanged; the test broker is not MSK, so its
    // unsecured validator refuses the token it receives.
    let kafka = format!(
        r#"{{ "bootstrap.servers" = "{}", "security.protocol" = "SASL_PLAINTEXT", "sasl.mechanism" = "AWS_MSK_IAM", "sasl.jaas.config" = "software.amazon.msk.auth.iam.IAMLoginModule required;", "sasl.client.callback.handler.class" = "software.amazon.msk.auth.iam.IAMClientCallbackHandler" }}"#,
        kafka_oauth()
    );
    let said = run_briefly(
        &kafka,
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
            (
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            ("AWS_REGION", "eu-west-1"),
        ],
    )
    .await;
    assert!(
        said.contains("new SASL/OAUTHBEARER token principal=msk-iam"),
        "a token signed with the environment's credentials:\n{said}"
    );
    assert!(
        said.contains("invalid_token"),
        "the broker read it and refused it:\n{said}"
    );
    assert!(
        !said.contains("wJalrXUtnFEMI"),
        "the secret key is never logged:\n{said}"
    );

    let said = run_briefly(&kafka, &[("AWS_REGION", "eu-west-1")]).await;
    assert!(
        said.contains("no AWS credentials for MSK IAM"),
        "without credentials, the reason is logged:\n{said}"
    );
}
