//! `sluice import`: Connect connector JSON to a manifest that
//! `sluice validate` accepts, with what it does not apply reported.

use sluice_tests::{outcome, plugin_dir, sluice};

const TD: &str = r#"{
  "name": "td-sink",
  "config": {
    "connector.class": "io.confluent.connect.http.HttpSinkConnector",
    "tasks.max": "1",
    "topics": "events",
    "http.api.url": "https://us01.records.in.treasuredata.com/my_db/events",
    "headers": "Authorization: TD1 ${env:TD_API_KEY}|Content-Type: application/vnd.treasuredata.v1+json",
    "request.body.format": "json",
    "batch.json.as.array": "true",
    "batch.max.size": "500",
    "batch.prefix": "{\"records\":",
    "batch.suffix": "}",
    "batch.key.pattern": "${key}",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
    "transforms": "addTopic",
    "transforms.addTopic.type": "org.apache.kafka.connect.transforms.InsertField$Value",
    "transforms.addTopic.topic.field": "kafka_topic"
  }
}"#;

#[test]
fn imported_connector_json_validates_as_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("td.json");
    std::fs::write(&json, TD).unwrap();
    let out = sluice()
        .arg("import")
        .arg(&json)
        .args(["--bootstrap-servers", "broker:9092"])
        .output()
        .unwrap();
    let (ok, text) = outcome(&out);
    assert!(ok, "{text}");
    let manifest = String::from_utf8_lossy(&out.stdout).into_owned();
    for want in [
        "# not applied: batch.key.pattern",
        "\"bootstrap.servers\" = \"broker:9092\"",
        "plugin = \"json-batch\"",
        "plugin = \"insert-field\"",
        "\"batch.max.size\" = \"500\"",
        "${env:TD_API_KEY}",
    ] {
        assert!(manifest.contains(want), "{want} in\n{manifest}");
    }
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("warning"),
        "{text}"
    );
    let path = dir.path().join("td.toml");
    std::fs::write(&path, &manifest).unwrap();
    let (ok, text) = outcome(
        &sluice()
            .arg("validate")
            .arg(&path)
            .env("SLUICE_PLUGIN_DIR", plugin_dir())
            .env("TD_API_KEY", "k")
            .output()
            .unwrap(),
    );
    assert!(
        ok,
        "the imported manifest validates, plugins and all: {text}"
    );
}

#[test]
fn import_refuses_unknown_classes_and_options_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bad.json");
    let bad = TD
        .replace(
            "org.apache.kafka.connect.json.JsonConverter",
            "io.confluent.connect.avro.AvroConverter",
        )
        .replace("\"batch.max.size\"", "\"batch.max.sise\"");
    std::fs::write(&json, bad).unwrap();
    let (ok, text) = outcome(&sluice().arg("import").arg(&json).output().unwrap());
    assert!(!ok);
    for want in [
        "2 problems",
        "AvroConverter",
        "batch.max.sise: unknown option",
        "bad.json",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
}
