//! Confluent's `AvroConverter` as Sluice runs it: records produced with
//! Confluent's Python Avro serializer against a real registry (Apicurio),
//! a connector JSON naming `io.confluent.connect.avro.AvroConverter` with
//! `schema.registry.url` posted unchanged to the REST API, and the values
//! delivered over HTTP as the Connect data Confluent's `AvroData` makes of
//! them; a record that is not Avro dead-lettered with the reason; the
//! offsets committed once delivered.

use serde_json::{Value, json};
use sluice_tests::kafka::{create_topic, produce, producer};
use sluice_tests::registry;
use sluice_tests::unique_topic;

/// An Avro schema with a nested record, an optional field, an enum, an
/// array, a map, a union of several types and a `connect.type` annotation.
fn schema() -> String {
    json!({
        "type": "record", "name": "Order", "namespace": "shop", "doc": "An order",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "note", "type": ["null", "string"], "default": null},
            {"name": "qty", "type": {"type": "int", "connect.type": "int16"}, "default": 1},
            {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "attrs", "type": {"type": "map", "values": "double"}},
            {"name": "ref", "type": ["int", "string"]},
            {"name": "paid", "type": "boolean"},
            {"name": "weight", "type": "float"},
            {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
                {"name": "city", "type": "string"},
                {"name": "zip", "type": ["null", "int"], "default": null}
            ]}}
        ]
    })
    .to_string()
}

fn order(i: i64) -> Value {
    json!({
        "id": i,
        "note": if i % 2 == 0 { Value::Null } else { json!(format!("n{i}")) },
        "qty": i % 7,
        "status": if i % 3 == 0 { "PAID" } else { "NEW" },
        "tags": ["a", format!("t{i}")],
        "attrs": {"b": 1.5, "a": 0.25},
        "ref": if i % 2 == 0 { json!(i) } else { json!(format!("r{i}")) },
        "paid": i % 3 == 0,
        "weight": 1.25,
        "address": {"city": "Lyon", "zip": if i % 2 == 0 { json!(69001) } else { Value::Null }}
    })
}

/// What a Connect sink sees of `order(i)` after Confluent's AvroData: the
/// union of an int and a string is a struct with one field set, the map's
/// entries sorted.
fn connect_value(i: i64) -> Value {
    let mut v = order(i);
    v["ref"] = if i % 2 == 0 {
        json!({"int": i, "string": null})
    } else {
        json!({"int": null, "string": format!("r{i}")})
    };
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn avro_converter_connector_json_reads_confluents_avro_through_the_registry() {
    let topic = unique_topic("avro");
    create_topic(&topic, 1).await;
    registry::produce(
        &topic,
        "avro",
        &schema(),
        &(0..20).map(order).collect::<Vec<_>>(),
    );
    // A record that is not in Confluent's wire format, then more orders.
    produce(
        &producer(),
        &topic,
        0,
        &[(None, Some("not avro".to_string()))],
    )
    .await;
    registry::produce(
        &topic,
        "avro",
        &schema(),
        &(20..30).map(order).collect::<Vec<_>>(),
    );
    let got = registry::http_sink_through_registry(
        &topic,
        "io.confluent.connect.avro.AvroConverter",
        30,
        1,
        31,
    )
    .await;
    let want: Vec<Value> = (0..30).map(connect_value).collect();
    assert_eq!(got.records, want);
    assert_eq!(got.dead.len(), 1);
    let reason =
        sluice_tests::dead_letters::header(&got.dead[0], "__connect.errors.exception.message");
    assert!(reason.contains("Unknown magic byte"), "{reason}");
    assert_eq!(sluice_tests::dead_letters::dead_offset(&got.dead[0]), 20);
}
