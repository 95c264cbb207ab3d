//! Confluent's `AvroConverter` as Sluice runs it: records produced with
//! Confluent's Python Avro serializer against a real registry (Apicurio),
//! a connector JSON naming `io.confluent.connect.avro.AvroConverter` with
//! `schema.registry.url` posted unchanged to the REST API, and the values
//! delivered over HTTP as the Connect data Confluent's `AvroData` makes of
//! them; a record that is not Avro dead-lettered with the reason; the
//! offsets committed once delivered.

use serde_json::{Value, json};
use sluice_tests::registry;

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
    registry::converter_reads_through_registry(
        "avro",
        &schema(),
        &(0..30).map(order).collect::<Vec<_>>(),
        "not avro",
        "io.confluent.connect.avro.AvroConverter",
        &(0..30).map(connect_value).collect::<Vec<_>>(),
    )
    .await;
}
