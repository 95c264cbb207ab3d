//! The `schema-registry` capability against a real registry (Apicurio
//! Registry's Confluent-compatible API): records produced with Confluent's
//! Python serializer, read by a converter that looks each schema id up
//! through the host; the host's cache proven by counting the requests that
//! reach the registry; the registry out of reach mid-run (nothing committed
//! until it is back, nothing lost); a plugin importing the capability
//! without the grant refused when it starts; the registry behind TLS with
//! Java key and trust stores, and "not found" answers remembered.

use std::time::Duration;

use serde_json::{Value, json};
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{committed, create_topic, wait_committed_single};
use sluice_tests::process::{Connector, Running};
use sluice_tests::registry::{Gate, produce};
use sluice_tests::{test_plugin, unique_topic};

fn schema(title: &str) -> String {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": title,
        "type": "object",
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        "required": ["id"],
    })
    .to_string()
}

fn orders(range: std::ops::Range<i64>) -> Vec<Value> {
    range
        .map(|i| json!({"id": i, "name": format!("n{i}")}))
        .collect()
}

/// A connector reading the topic with `registry-probe`, granted the
/// registry behind `gate`, delivering JSON arrays to `receiver`.
fn manifest(
    dir: &std::path::Path,
    name: &str,
    topic: &str,
    gate: &Gate,
    receiver: &Receiver,
) -> std::path::PathBuf {
    let plugins = sluice_tests::mixed_plugin_dir(dir, &["registry-probe"]);
    let converter = format!(
        r#"{{ plugin = "registry-probe", capabilities = ["schema-registry"], config = {{ "schema.registry.url" = "{}" }} }}"#,
        gate.url()
    );
    let sink = format!(
        r#""http.api.url" = "{}"
"batch.max.size" = 25
"batch.linger.ms" = 100
[connectors.sink.formatter]
plugin = "json-batch"
config = {{ "request.body.format" = "json", "batch.json.as.array" = true }}
"#,
        receiver.url("/in")
    );
    Connector {
        name,
        topic,
        plugins: Some(&plugins),
        value_converter: &converter,
        sink: &sink,
        ..Connector::default()
    }
    .write(dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn records_of_a_registry_are_read_and_each_id_is_asked_for_once() {
    let topic = unique_topic("registry");
    create_topic(&topic, 1).await;
    // Two schemas: two ids, each used by 100 records over 8 batches.
    produce(&topic, "json", &schema("A"), &orders(0..100));
    produce(&topic, "json", &schema("B"), &orders(100..200));
    let gate = Gate::start().await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("registry-{topic}");
    let run = Running::start(&manifest(dir.path(), &name, &topic, &gate, &receiver));
    let got = receiver.array_records(90, 200).await;
    let stderr = run.stop_cleanly();
    assert_eq!(got, orders(0..200), "{stderr}");
    assert_eq!(
        gate.count("/schemas/ids/"),
        2,
        "one lookup per schema id, whatever the number of records and batches\n{stderr}"
    );
    assert_eq!(
        committed(&format!("connect-{name}"), &topic, 1),
        vec![Some(200)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_out_of_reach_holds_the_commit_and_loses_nothing() {
    let topic = unique_topic("registry-down");
    create_topic(&topic, 1).await;
    produce(&topic, "json", &schema("Before"), &orders(0..50));
    let gate = Gate::start().await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("registry-down-{topic}");
    let group = format!("connect-{name}");
    let run = Running::start(&manifest(dir.path(), &name, &topic, &gate, &receiver));
    receiver.array_records(90, 50).await;
    // A record of a new schema needs the registry, which is now out of reach.
    gate.set_down(true);
    produce(&topic, "json", &schema("During"), &orders(50..80));
    tokio::time::sleep(Duration::from_secs(8)).await;
    let during = receiver
        .received()
        .iter()
        .map(|r| r.json().as_array().map_or(0, Vec::len))
        .sum::<usize>();
    assert_eq!(during, 50, "nothing past the outage is delivered");
    assert_eq!(
        committed(&group, &topic, 1),
        vec![Some(50)],
        "nothing past the outage is committed"
    );
    gate.set_down(false);
    let got = receiver.array_records(90, 80).await;
    let stderr = run.stop_cleanly();
    assert_eq!(got, orders(0..80), "nothing lost, nothing twice\n{stderr}");
    assert!(stderr.contains("outage"), "the wait is logged\n{stderr}");
    assert_eq!(committed(&group, &topic, 1), vec![Some(80)]);
}

#[test]
fn a_plugin_importing_the_registry_without_the_grant_is_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"value\":\"x\"}\n").unwrap();
    let out = sluice_tests::sluice()
        .args(["plugin", "test"])
        .arg(test_plugin("registry-probe"))
        .arg("-i")
        .arg(&input)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("plugin `registry-probe` imports the schema-registry capability, which it was not granted"),
        "{stderr}"
    );
    // Granted through the manifest's block, it starts; a typo is named.
    let manifest = dir.path().join("m.toml");
    std::fs::write(
        &manifest,
        format!(
            r#"plugin_dir = "{}"
[[connectors]]
name = "c"
topics = "t"
kafka = {{ "bootstrap.servers" = "127.0.0.1:9" }}
"value.converter" = {{ plugin = "json", capabilities = ["schema-registri"], config = {{ "schema.registry.url" = "http://r" }} }}
[connectors.sink]
type = "http"
"http.api.url" = "http://127.0.0.1:9/"
"#,
            sluice_tests::plugin_dir().display()
        ),
    )
    .unwrap();
    let (ok, stderr) = validate(&manifest);
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains("capabilities")
            && stderr
                .contains("\"schema-registri\" is not a capability; there are: schema-registry"),
        "{stderr}"
    );
    assert!(
        stderr.contains("schema.registry.url") && stderr.contains("not granted"),
        "an option of an ungranted capability is named\n{stderr}"
    );
}

/// Runs `manifest` for 8 s and asserts that it delivered nothing to
/// `receiver` and committed nothing; returns Sluice's log.
async fn held_as_an_outage(
    manifest: &std::path::Path,
    receiver: &Receiver,
    name: &str,
    topic: &str,
) -> String {
    let sluice = Running::start(manifest);
    tokio::time::sleep(Duration::from_secs(8)).await;
    let (_, stderr) = sluice.stop();
    assert!(receiver.received().is_empty(), "{stderr}");
    assert_eq!(
        committed(&format!("connect-{name}"), topic, 1),
        vec![None],
        "{stderr}"
    );
    stderr
}

/// A registry slower than the plugin call's time limit: the call that
/// waited is an outage (nothing delivered, nothing committed), not a
/// plugin too slow whose records would fail one by one; once the registry
/// answers in time, every record arrives. A registry slower than the CPU
/// deadline alone interrupts no call: waiting is not the plugin's CPU time.
#[tokio::test(flavor = "multi_thread")]
async fn a_registry_slower_than_the_plugin_call_holds_the_commit_and_loses_nothing() {
    let topic = unique_topic("registry-slow");
    create_topic(&topic, 1).await;
    produce(&topic, "json", &schema("Slow"), &orders(0..10));
    let gate = Gate::start().await;
    gate.set_delay(Duration::from_secs(3));
    let plugins_dir = tempfile::tempdir().unwrap();
    let plugins = sluice_tests::mixed_plugin_dir(plugins_dir.path(), &["registry-probe"]);
    let name = format!("slow-{topic}");
    let (receiver, _dir, manifest) = probe_connector(
        &name,
        &topic,
        &plugins,
        &gate.url(),
        r#""http.read.timeout.ms" = "60000""#,
        ", timeout_ms = 1500",
    )
    .await;
    let sluice = Running::start(&manifest);
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert!(
        receiver.received().is_empty(),
        "nothing delivered meanwhile"
    );
    assert_eq!(
        committed(&format!("connect-{name}"), &topic, 1),
        vec![None],
        "nothing committed meanwhile"
    );
    gate.set_delay(Duration::ZERO);
    let got = receiver.array_records(90, 10).await;
    wait_committed_single(&format!("connect-{name}"), &topic, 10).await;
    let stderr = sluice.stop_cleanly();
    assert_eq!(got, orders(0..10), "{stderr}");
    assert!(
        stderr.contains(
            "the schema registry had not answered when the plugin call's 1500 ms ran out"
        ),
        "{stderr}"
    );

    // A registry slower than the CPU deadline but within the call's time:
    // the wait is not the plugin's CPU time, so no call is interrupted.
    produce(&topic, "json", &schema("Slower"), &orders(10..20));
    gate.set_delay(Duration::from_secs(2));
    let name = format!("slow-cpu-{topic}");
    let (receiver, _dir2, manifest) = probe_connector(
        &name,
        &topic,
        &plugins,
        &gate.url(),
        r#""http.read.timeout.ms" = "60000""#,
        ", cpu_deadline_ms = 1000, timeout_ms = 10000",
    )
    .await;
    let sluice = Running::start(&manifest);
    let got = receiver.array_records(90, 20).await;
    wait_committed_single(&format!("connect-{name}"), &topic, 20).await;
    let stderr = sluice.stop_cleanly();
    assert_eq!(got, orders(0..20), "{stderr}");
    assert!(
        !stderr.contains("CPU deadline"),
        "two 2 s lookups against a 1 s CPU deadline interrupt nothing\n{stderr}"
    );
}

/// `sluice validate` of `manifest`: whether it passed, and its stderr.
fn validate(manifest: &std::path::Path) -> (bool, String) {
    let out = sluice_tests::sluice()
        .arg("validate")
        .arg(manifest)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A connector reading `topic` with `registry-probe` granted the registry
/// at `url` with the options `options` (TOML inline-table entries), failed
/// records skipped and logged, delivering JSON arrays to the receiver it
/// returns, with the manifest's directory and path.
async fn probe_connector(
    name: &str,
    topic: &str,
    plugins: &std::path::Path,
    url: &str,
    options: &str,
    limits: &str,
) -> (Receiver, tempfile::TempDir, std::path::PathBuf) {
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let converter = format!(
        r#"{{ plugin = "registry-probe", capabilities = ["schema-registry"], config = {{ "schema.registry.url" = "{url}", {options} }}{limits} }}"#
    );
    let sink = format!(
        "\"http.api.url\" = \"{}\"\n\"batch.max.size\" = 25\n[connectors.sink.formatter]\nplugin = \"json-batch\"\nconfig = {{ \"request.body.format\" = \"json\", \"batch.json.as.array\" = true }}\n",
        receiver.url("/in")
    );
    let manifest = Connector {
        name,
        topic,
        plugins: Some(plugins),
        value_converter: &converter,
        sink: &sink,
        extra: "\"errors.tolerance\" = \"all\"\n\"errors.log.enable\" = true",
        ..Connector::default()
    }
    .write(dir.path());
    (receiver, dir, manifest)
}

/// `proxy.host`/`proxy.port`: a registry whose name only the proxy can
/// reach. The counting gate serves as the proxy (an HTTP proxy gets the
/// whole URL in its request line and forwards the path), so every lookup
/// it counts went through it.
#[tokio::test(flavor = "multi_thread")]
async fn a_registry_is_reached_through_the_http_proxy_connect_names() {
    let topic = unique_topic("registry-proxy");
    create_topic(&topic, 1).await;
    produce(&topic, "json", &schema("Proxied"), &orders(0..10));
    let gate = Gate::start().await;
    let plugins_dir = tempfile::tempdir().unwrap();
    let plugins = sluice_tests::mixed_plugin_dir(plugins_dir.path(), &["registry-probe"]);
    let options = format!(
        r#""proxy.host" = "127.0.0.1", "proxy.port" = "{}", "http.read.timeout.ms" = "20000""#,
        gate.addr.port()
    );
    let name = format!("proxy-{topic}");
    // `.invalid` never resolves (RFC 2606): only the proxy gets there.
    let (receiver, _dir, manifest) = probe_connector(
        &name,
        &topic,
        &plugins,
        "http://registry.invalid:8081",
        &options,
        "",
    )
    .await;
    let sluice = Running::start(&manifest);
    let got = receiver.array_records(60, 10).await;
    wait_committed_single(&format!("connect-{name}"), &topic, 10).await;
    let stderr = sluice.stop_cleanly();
    assert_eq!(got, orders(0..10), "{stderr}");
    assert_eq!(
        gate.count("/schemas/ids/"),
        1,
        "the lookup went through the proxy\n{stderr}"
    );
}

/// An id no registry of the test holds, framed as Confluent's wire format
/// does (every byte ASCII, so it travels as a string).
const UNKNOWN_ID: u32 = 0x0010_2030;
const UNKNOWN_FRAMED: &str = "\u{0}\u{0}\u{10}\u{20}\u{30}{\"id\":-1}";

/// A registry reached over TLS as Connect users configure it: Java stores
/// (a JKS trust store, a JKS key store whose key has its own password; then
/// both as PKCS#12) through a front that requires a client certificate;
/// `missing.id.cache.ttl.sec` asking for an unknown id once instead of once
/// per record, and Confluent's default (not remembered) beside it; the
/// hostname check turned off as Connect's empty
/// `endpoint.identification.algorithm` does; a wrong store password named
/// with its option and file, never shown.
#[tokio::test(flavor = "multi_thread")]
async fn a_registry_behind_tls_is_reached_with_the_java_stores_connect_configs_name() {
    use sluice_tests::tls::{HttpsProxy, KEY_PASSWORD, STORE_PASSWORD, TlsFiles};
    assert_eq!(
        u32::from_be_bytes([0x00, 0x10, 0x20, 0x30]),
        UNKNOWN_ID,
        "the framed value names the unknown id"
    );
    let tls_dir = tempfile::tempdir().unwrap();
    let files = TlsFiles::generate(tls_dir.path());
    let topic = unique_topic("registry-tls");
    create_topic(&topic, 1).await;
    produce(&topic, "json", &schema("Tls"), &orders(0..20));
    let producer = sluice_tests::kafka::producer();
    let bad: Vec<(Option<String>, Option<String>)> = (0..4)
        .map(|_| (None, Some(UNKNOWN_FRAMED.to_string())))
        .collect();
    sluice_tests::kafka::produce(&producer, &topic, 0, &bad).await;
    let gate = Gate::start().await;
    let proxy = HttpsProxy::start(&files, &gate.url());
    let plugins_dir = tempfile::tempdir().unwrap();
    let plugins = sluice_tests::mixed_plugin_dir(plugins_dir.path(), &["registry-probe"]);
    let jks = format!(
        r#""schema.registry.ssl.truststore.location" = "{}", "schema.registry.ssl.truststore.password" = "{STORE_PASSWORD}", "schema.registry.ssl.truststore.type" = "JKS", "schema.registry.ssl.keystore.location" = "{}", "schema.registry.ssl.keystore.password" = "{STORE_PASSWORD}", "schema.registry.ssl.key.password" = "{KEY_PASSWORD}", "missing.id.cache.ttl.sec" = "600""#,
        files.path("trust.jks"),
        files.path("client.jks")
    );
    let name = format!("tls-jks-{topic}");
    let (receiver, _dir, manifest) =
        probe_connector(&name, &topic, &plugins, &proxy.url(), &jks, "").await;
    let sluice = Running::start(&manifest);
    let got = receiver.array_records(60, 20).await;
    wait_committed_single(&format!("connect-{name}"), &topic, 24).await;
    let stderr = sluice.stop_cleanly();
    assert_eq!(got, orders(0..20), "{stderr}");
    let unknown = format!("/schemas/ids/{UNKNOWN_ID}");
    assert_eq!(
        gate.count(&unknown),
        1,
        "four records of an unknown id, one request while it is remembered\n{stderr}"
    );
    assert!(
        stderr.contains("(remembered for missing.id.cache.ttl.sec)"),
        "the remembered answer says so\n{stderr}"
    );
    let seen = proxy.received();
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(
        seen.iter().all(|r| r["client"] == "sluice-test-client"),
        "each request came with the key store's certificate: {seen:?}"
    );

    // PKCS#12 stores, a URL whose host the certificate does not name (it
    // names IP 127.0.0.1) with the hostname check off, no missing cache.
    let p12 = format!(
        r#""schema.registry.ssl.truststore.location" = "{}", "schema.registry.ssl.truststore.password" = "{STORE_PASSWORD}", "schema.registry.ssl.keystore.location" = "{}", "schema.registry.ssl.keystore.password" = "{STORE_PASSWORD}", "schema.registry.ssl.keystore.type" = "PKCS12", "schema.registry.ssl.endpoint.identification.algorithm" = """#,
        files.path("trust.p12"),
        files.path("client.p12")
    );
    let name = format!("tls-p12-{topic}");
    let localhost = format!("https://localhost:{}", proxy.port);
    let (receiver, _dir2, manifest) =
        probe_connector(&name, &topic, &plugins, &localhost, &p12, "").await;
    let sluice = Running::start(&manifest);
    let got = receiver.array_records(60, 20).await;
    wait_committed_single(&format!("connect-{name}"), &topic, 24).await;
    let stderr = sluice.stop_cleanly();
    assert_eq!(got, orders(0..20), "{stderr}");
    assert_eq!(
        gate.count(&unknown),
        1 + 4,
        "without missing.id.cache.ttl.sec each record asks, as Confluent's client does\n{stderr}"
    );

    // The same stores with the host check left on, as it is by default:
    // the certificate names 127.0.0.1, not localhost, so the registry is out
    // of reach (an outage: nothing delivered, nothing committed).
    let checked = p12.replace(
        r#", "schema.registry.ssl.endpoint.identification.algorithm" = """#,
        "",
    );
    assert_ne!(checked, p12);
    let name = format!("tls-checked-{topic}");
    let (receiver, _dir3, manifest) =
        probe_connector(&name, &topic, &plugins, &localhost, &checked, "").await;
    let stderr = held_as_an_outage(&manifest, &receiver, &name, &topic).await;
    assert!(
        stderr.contains("outage") && stderr.contains("invalid peer certificate"),
        "the certificate's name is why\n{stderr}"
    );

    // A wrong password: named with its option and file, never shown.
    let wrong = jks.replace(
        &format!(r#"truststore.password" = "{STORE_PASSWORD}""#),
        r#"truststore.password" = "not-the-password-1234""#,
    );
    assert_ne!(wrong, jks);
    let (_receiver, _dir4, manifest) =
        probe_connector("tls-wrong", &topic, &plugins, &proxy.url(), &wrong, "").await;
    let (ok, stderr) = validate(&manifest);
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains("schema.registry.ssl.truststore.location")
            && stderr.contains(&files.path("trust.jks"))
            && stderr.contains("wrong password"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-the-password-1234"), "{stderr}");
}

/// `bearer.auth.credentials.source=OAUTHBEARER`, as Confluent Cloud configs
/// give it: a client-credentials token from the issuer endpoint (client id
/// and secret as Basic credentials, the scope in the form), sent with the
/// logical cluster and identity pool headers to a registry that refuses
/// requests without a valid token; a token revoked before it expires is
/// replaced after the registry's 401, and no record is lost for it.
#[tokio::test(flavor = "multi_thread")]
async fn a_registry_behind_an_identity_provider_is_read_with_client_credentials_tokens() {
    use sluice_tests::http_receiver::{TOKEN_PATH, TokenEndpoint};
    const SECRET: &str = "idp-secret-5678";
    let topic = unique_topic("registry-oauth");
    create_topic(&topic, 1).await;
    produce(&topic, "json", &schema("Before"), &orders(0..20));
    let idp = Receiver::start().await;
    idp.serve_tokens(TokenEndpoint {
        client_id: "sluice-client".into(),
        client_secret: SECRET.into(),
        in_form: false,
        token_property: "access_token".into(),
        lifetime: Duration::from_secs(3600),
    });
    let gate = Gate::start().await;
    gate.require_tokens_of(&idp);
    let plugins_dir = tempfile::tempdir().unwrap();
    let plugins = sluice_tests::mixed_plugin_dir(plugins_dir.path(), &["registry-probe"]);
    let options = format!(
        r#""bearer.auth.credentials.source" = "OAUTHBEARER", "bearer.auth.issuer.endpoint.url" = "{}", "bearer.auth.client.id" = "sluice-client", "bearer.auth.client.secret" = "{SECRET}", "bearer.auth.scope" = "registry.read", "bearer.auth.logical.cluster" = "lsrc-12345", "bearer.auth.identity.pool.id" = "pool-abc""#,
        idp.url(TOKEN_PATH)
    );
    let name = format!("oauth-{topic}");
    let (receiver, _dir, manifest) =
        probe_connector(&name, &topic, &plugins, &gate.url(), &options, "").await;
    let sluice = Running::start(&manifest);
    receiver.array_records(60, 20).await;
    assert_eq!(idp.token_requests().len(), 1, "one token for every lookup");
    // The identity provider revokes it; the next schema's lookup meets a 401.
    idp.revoke_tokens();
    produce(&topic, "json", &schema("After"), &orders(20..30));
    let got = receiver.array_records(60, 30).await;
    wait_committed_single(&format!("connect-{name}"), &topic, 30).await;
    let stderr = sluice.stop_cleanly();
    assert_eq!(
        got,
        orders(0..30),
        "nothing lost to the revoked token\n{stderr}"
    );
    assert_eq!(
        gate.unauthorized(),
        1,
        "one 401, then a new token\n{stderr}"
    );
    let asked = idp.token_requests();
    assert_eq!(asked.len(), 2, "{stderr}");
    for request in &asked {
        let form: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(&request.body)
                .into_owned()
                .collect();
        assert_eq!(form["grant_type"], "client_credentials");
        assert_eq!(form["scope"], "registry.read");
        assert!(
            !form.contains_key("client_secret"),
            "Basic credentials, as Kafka's retriever sends them"
        );
    }
    let headers = gate.cloud_headers();
    assert!(
        headers.contains(&("target-sr-cluster".into(), "lsrc-12345".into()))
            && headers.contains(&("confluent-identity-pool-id".into(), "pool-abc".into())),
        "{headers:?}"
    );
    assert!(
        !stderr.contains(SECRET),
        "the secret is never logged\n{stderr}"
    );
    assert!(!stderr.contains("tok-"), "nor a token\n{stderr}");

    // A wrong secret is a setting to fix, not the records' fault: the
    // connector waits as in an outage, nothing is committed, the log says
    // what to check.
    let wrong = options.replace(SECRET, "not-the-secret-9");
    let asked_before = idp.token_requests().len();
    let name = format!("oauth-wrong-{topic}");
    let (receiver, _dir2, manifest) =
        probe_connector(&name, &topic, &plugins, &gate.url(), &wrong, "").await;
    let stderr = held_as_an_outage(&manifest, &receiver, &name, &topic).await;
    assert!(
        stderr.contains("outage") && stderr.contains("bearer.auth.client.secret"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-the-secret-9"), "{stderr}");
    let asked = idp.token_requests().len() - asked_before;
    assert!(
        (1..=10).contains(&asked),
        "the outage's backoff paces the token requests: {asked} in 8 s"
    );
}
