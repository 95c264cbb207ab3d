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
fn import_refuses_what_it_cannot_honour_and_warns_of_what_it_ignores() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bad.json");
    let bad = TD
        .replace(
            "org.apache.kafka.connect.json.JsonConverter",
            "com.blueapron.connect.protobuf.ProtobufConverter",
        )
        .replace("\"batch.max.size\"", "\"batch.max.sise\"");
    std::fs::write(&json, bad).unwrap();
    let (ok, text) = outcome(&sluice().arg("import").arg(&json).output().unwrap());
    assert!(!ok);
    for want in [
        "1 problem",
        "ProtobufConverter",
        "batch.max.sise: not an option of io.confluent.connect.http.HttpSinkConnector: ignored, as Connect ignores it; did you mean \"batch.max.size\"?",
        "bad.json",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    // Without the converter, the same config is imported, the typo a warning.
    let json = dir.path().join("typo.json");
    std::fs::write(
        &json,
        TD.replace("\"batch.max.size\"", "\"batch.max.sise\""),
    )
    .unwrap();
    let out = sluice().arg("import").arg(&json).output().unwrap();
    let (ok, text) = outcome(&out);
    assert!(ok, "{text}");
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("# not applied: batch.max.sise: not an option"),
        "{text}"
    );
}

/// A `.properties` file and a bare config map have no `name` of their own
/// wherever Connect takes it from elsewhere: `--name`, else the file's stem.
#[test]
fn import_reads_properties_and_takes_the_name_from_the_flag_or_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let props = dir.path().join("s3-archive.properties");
    std::fs::write(
        &props,
        "# standalone connector\n\
         connector.class=io.confluent.connect.s3.S3SinkConnector\n\
         topics=orders,\\\n    payments\n\
         s3.bucket.name=archive\n\
         s3.region=eu-west-1\n\
         flush.size=1000\n\
         storage.class=io.confluent.connect.s3.storage.S3Storage\n\
         format.class=io.confluent.connect.s3.format.json.JsonFormat\n",
    )
    .unwrap();
    let out = sluice().arg("import").arg(&props).output().unwrap();
    let (ok, text) = outcome(&out);
    assert!(ok, "{text}");
    let manifest = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(manifest.contains("name = \"s3-archive\""), "{manifest}");
    assert!(
        manifest.contains("topics = \"orders,payments\""),
        "{manifest}"
    );
    assert!(
        text.contains("no \"name\"; the connector is named \"s3-archive\" after the file"),
        "{text}"
    );
    let out = sluice()
        .arg("import")
        .arg(&props)
        .args(["--name", "archiver"])
        .output()
        .unwrap();
    let (ok, text) = outcome(&out);
    assert!(ok, "{text}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("name = \"archiver\""));
    // stdin has no file name: --name is asked for.
    let (ok, text) = outcome(&sluice_tests::output_with_stdin(
        sluice().args(["import", "-"]),
        br#"{"connector.class":"io.confluent.connect.s3.S3SinkConnector"}"#,
    ));
    assert!(!ok);
    assert!(text.contains("give one with --name"), "{text}");
}
