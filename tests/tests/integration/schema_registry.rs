//! The `schema-registry` capability against a real registry (Apicurio
//! Registry's Confluent-compatible API): records produced with Confluent's
//! Python serializer, read by a converter that looks each schema id up
//! through the host; the host's cache proven by counting the requests that
//! reach the registry; the registry out of reach mid-run (nothing committed
//! until it is back, nothing lost); a plugin importing the capability
//! without the grant refused when it starts.

use std::time::Duration;

use serde_json::{Value, json};
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{committed, create_topic};
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
    let out = sluice_tests::sluice()
        .arg("validate")
        .arg(&manifest)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
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
