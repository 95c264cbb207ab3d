//! Contract 0.1 and 0.2 side by side, and schemas through a real pipeline
//! (broker, `sluice run`, HTTP receiver): plugins of both versions in one
//! connector; a schema'd value from the JSON converter's envelope through
//! transforms to the formatter, compared with what Kafka's own
//! `JsonConverter` writes for the same record.

use base64::Engine as _;
use serde_json::{Value, json};
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{committed, create_topic, produce, producer};
use sluice_tests::process::{Connector, Running};
use sluice_tests::{oracle, plugin_dir, target_dir, unique_topic};

/// A plugin directory with the first-party plugins (contract 0.2) and the
/// 0.1 builds of drop, insert-field and mask-fields as `<name>-0-1.wasm`.
fn both_contracts(dir: &std::path::Path) -> std::path::PathBuf {
    let mixed = sluice_tests::mixed_plugin_dir(dir, &[]);
    plugin_dir();
    for name in ["drop", "insert-field", "mask-fields"] {
        std::fs::copy(
            target_dir()
                .join("plugins-v0.1")
                .join(format!("{name}.wasm")),
            mixed.join(format!("{name}-0-1.wasm")),
        )
        .unwrap();
    }
    mixed
}

const ARRAY_BODY: &str = r#"
[connectors.sink.formatter]
plugin = "json-batch"
config = { "request.body.format" = "json", "batch.json.as.array" = true, "schemas.enable" = SCHEMAS }
"#;

#[tokio::test(flavor = "multi_thread")]
async fn plugins_of_both_contracts_run_in_one_pipeline() {
    let topic = unique_topic("contracts");
    create_topic(&topic, 1).await;
    let mut values: Vec<(Option<String>, Option<String>)> = (0..40)
        .map(|i| (None, Some(format!(r#"{{"n":{i},"secret":"s{i}"}}"#))))
        .collect();
    values.insert(20, (None, None)); // a tombstone, dropped by `drop`
    produce(&producer(), &topic, 0, &values).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let plugins = both_contracts(dir.path());
    let name = format!("contracts-{topic}");
    let sink = format!(
        "\"http.api.url\" = \"{}\"\n\"batch.max.size\" = 500\n\"batch.linger.ms\" = 200\n{}",
        receiver.url("/in"),
        ARRAY_BODY.replace("SCHEMAS", "false")
    );
    let m = Connector {
        name: &name,
        topic: &topic,
        plugins: Some(&plugins),
        sink: &sink,
        extra: r#"transforms = [
  { plugin = "insert-field-0-1", config = { "topic.field" = "t" } },
  { plugin = "drop", config = { predicate = "RecordIsTombstone" } },
  { plugin = "mask-fields-0-1", config = { fields = "secret" } },
]"#,
        ..Connector::default()
    }
    .write(dir.path());
    let run = Running::start(&m);
    let records = receiver.array_records(60, 40).await;
    let expected: Vec<Value> = (0..40)
        .map(|i| json!({"n": i, "secret": "****", "t": topic}))
        .collect();
    assert_eq!(records, expected);
    let stderr = run.stop_cleanly();
    assert_eq!(
        committed(&format!("connect-{name}"), &topic, 1),
        vec![Some(41)],
        "the dropped tombstone is committed too\n{stderr}"
    );
}

/// An order with every kind of field the JSON converter's schemas have:
/// the envelope as a producer using Kafka's JsonConverter writes it.
fn order_envelope(id: i64, note: Option<&str>, secret: Option<&str>) -> String {
    let mut fields = vec![
        json!({"type": "int64", "optional": false, "field": "id"}),
        json!({"type": "string", "optional": true, "field": "note"}),
        json!({"type": "bytes", "optional": false, "name": "org.apache.kafka.connect.data.Decimal",
               "version": 1, "parameters": {"scale": "2"}, "field": "price"}),
        json!({"type": "int64", "optional": false, "name": "org.apache.kafka.connect.data.Timestamp",
               "version": 1, "field": "at"}),
        json!({"type": "array", "items": {"type": "float", "optional": false}, "optional": false, "field": "scores"}),
        json!({"type": "boolean", "optional": true, "default": true, "field": "active"}),
    ];
    let mut payload = json!({
        "id": id,
        "note": note,
        // 1234 unscaled at scale 2: 12.34
        "price": base64::engine::general_purpose::STANDARD.encode([0x04, 0xd2]),
        "at": 1_700_000_000_000i64 + id,
        "scores": [1.5, 2.25],
        "active": null,
    });
    if let Some(s) = secret {
        fields.push(json!({"type": "string", "optional": true, "field": "secret"}));
        payload["secret"] = s.into();
    }
    json!({
        "schema": {"type": "struct", "fields": fields, "optional": false, "name": "shop.Order"},
        "payload": payload,
    })
    .to_string()
}

/// What Kafka's JsonConverter (schemas.enable=true) makes of each value:
/// read, then written back with its schema.
fn kafka_envelopes(values: &[String]) -> Vec<Value> {
    let cases: Vec<Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            json!({
                "id": format!("order-{i}"),
                "value_converter": {
                    "class": "org.apache.kafka.connect.json.JsonConverter",
                    "config": {"schemas.enable": "true"},
                },
                "record": {
                    "topic": "orders",
                    "partition": 0,
                    "offset": i,
                    "value": base64::engine::general_purpose::STANDARD.encode(v),
                },
            })
        })
        .collect();
    oracle::run(&cases)
        .into_iter()
        .map(|a| a["records"][0]["value"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schemad_value_keeps_its_schema_from_the_envelope_to_the_formatter() {
    let topic = unique_topic("schemas");
    create_topic(&topic, 1).await;
    let values = vec![
        order_envelope(1, Some("first"), None),
        order_envelope(2, None, None),
        order_envelope(3, Some("third"), Some("hunter2")),
    ];
    produce(
        &producer(),
        &topic,
        0,
        &values
            .iter()
            .map(|v| (None, Some(v.clone())))
            .collect::<Vec<_>>(),
    )
    .await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let plugins = both_contracts(dir.path());
    let name = format!("schemas-{topic}");
    let sink = format!(
        "\"http.api.url\" = \"{}\"\n\"batch.max.size\" = 500\n\"batch.linger.ms\" = 200\n{}",
        receiver.url("/in"),
        ARRAY_BODY.replace("SCHEMAS", "true")
    );
    let m = Connector {
        name: &name,
        topic: &topic,
        plugins: Some(&plugins),
        value_converter: r#"{ plugin = "json", config = { "schemas.enable" = true } }"#,
        sink: &sink,
        extra: r#"transforms = [
  { plugin = "drop", config = { predicate = "RecordIsTombstone" } },
  { plugin = "drop-0-1", config = { predicate = "RecordIsTombstone" } },
]"#,
        ..Connector::default()
    }
    .write(dir.path());
    let run = Running::start(&m);
    let records = receiver.array_records(60, 3).await;
    let stderr = run.stop_cleanly();
    assert_eq!(records.len(), 3, "{records:?}\n{stderr}");
    // Through a 0.2 transform that keeps the record and a 0.1 transform that
    // gives the value back as it came, schema and payload are Kafka's.
    assert_eq!(records, kafka_envelopes(&values));
    assert_eq!(records[0]["schema"]["name"], "shop.Order");
    assert_eq!(records[2]["payload"]["secret"], "hunter2");
}
