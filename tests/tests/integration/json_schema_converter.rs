//! Confluent's `JsonSchemaConverter` as Sluice runs it: records produced
//! with Confluent's Python JSON Schema serializer against a real registry
//! (Apicurio), a connector JSON naming
//! `io.confluent.connect.json.JsonSchemaConverter` with
//! `schema.registry.url` posted unchanged to the REST API, and the values
//! delivered over HTTP as the Connect data Confluent's `JsonSchemaData`
//! makes of them, with Connect's schema envelope; a record that is not in
//! the wire format dead-lettered with the reason; the offsets committed
//! once delivered; with `json.fail.invalid.schema=true`, values that break
//! a keyword of their schema dead-lettered with the keyword named.

use serde_json::{Value, json};
use sluice_tests::registry;

const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";

/// A JSON Schema as Confluent's converter writes them: `connect.index` for
/// the field order, `connect.type` for widths, a Decimal and a Timestamp by
/// title, a nullable field, an enum, an array, a map and a union.
fn schema() -> String {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Order", "type": "object",
        "properties": {
            "id": {"type": "integer", "connect.index": 0},
            "note": {"connect.index": 1, "oneOf": [{"type": "null"}, {"type": "string"}]},
            "qty": {"type": "integer", "connect.type": "int16", "connect.index": 2},
            "status": {"type": "string", "enum": ["NEW", "PAID"], "connect.index": 3},
            "tags": {"type": "array", "items": {"type": "string"}, "connect.index": 4},
            "attrs": {"type": "object", "connect.type": "map",
                      "additionalProperties": {"type": "number"}, "connect.index": 5},
            "ref": {"connect.index": 6, "oneOf": [{"type": "integer"}, {"type": "string"}]},
            "ts": {"type": "integer", "connect.type": "int64", "title": TIMESTAMP,
                   "connect.version": 1, "connect.index": 7},
            "amount": {"type": "string", "connect.type": "bytes", "title": DECIMAL,
                       "connect.version": 1, "connect.parameters": {"scale": "2"}, "connect.index": 8},
            "address": {"type": "object", "title": "Address", "connect.index": 9, "properties": {
                "city": {"type": "string", "connect.index": 0},
                "zip": {"connect.index": 1, "oneOf": [{"type": "null"}, {"type": "integer"}]}
            }}
        },
        "required": ["id", "qty", "status", "tags", "attrs", "ref", "ts", "amount", "address"]
    })
    .to_string()
}

/// 100.00 + i, as Connect's Decimal payload: the base64 of the unscaled
/// value's two's complement.
fn amount(i: i64) -> String {
    use base64::Engine as _;
    let unscaled = 10_000 + i * 100;
    base64::engine::general_purpose::STANDARD.encode(&unscaled.to_be_bytes()[5..])
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
        "ts": 1_700_000_000_000i64 + i,
        "amount": amount(i),
        "address": {"city": "Lyon", "zip": if i % 2 == 0 { json!(69001) } else { Value::Null }}
    })
}

/// What a Connect sink sees of `order(i)`: the union of an integer and a
/// string is a `OneOf` struct with one field set.
fn connect_value(i: i64) -> Value {
    let mut v = order(i);
    v["ref"] = if i % 2 == 0 {
        json!({"io.confluent.connect.json.OneOf.field.0": i, "io.confluent.connect.json.OneOf.field.1": null})
    } else {
        json!({"io.confluent.connect.json.OneOf.field.0": null, "io.confluent.connect.json.OneOf.field.1": format!("r{i}")})
    };
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn json_schema_converter_connector_json_reads_confluents_json_schema_through_the_registry() {
    registry::converter_reads_through_registry(
        "json",
        &schema(),
        &(0..30).map(order).collect::<Vec<_>>(),
        "{\"id\": 1}",
        "io.confluent.connect.json.JsonSchemaConverter",
        &(0..30).map(connect_value).collect::<Vec<_>>(),
    )
    .await;
}

/// The schema travels with the values: a manifest whose formatter writes
/// Connect's envelope (`schemas.enable`) shows what the converter made of
/// the JSON Schema, field order and logical types included.
#[tokio::test(flavor = "multi_thread")]
async fn json_schema_converter_gives_connects_schema_with_the_values() {
    let got =
        registry::envelope_through_registry("json-schema", "json", &schema(), &order(3)).await;
    let schema = &got["schema"];
    assert_eq!(schema["name"], "Order", "{schema}");
    // The registry's version of the schema under `<topic>-value`.
    assert_eq!(schema["version"], 1, "{schema}");
    let fields = registry::field_types(schema);
    assert_eq!(
        fields,
        [
            ("id", "int64"),
            ("note", "string"),
            ("qty", "int16"),
            ("status", "string"),
            ("tags", "array"),
            ("attrs", "map"),
            ("ref", "struct"),
            ("ts", "int64"),
            ("amount", "bytes"),
            ("address", "struct"),
        ]
    );
    let field = |n: &str| registry::field_schema(schema, n);
    assert_eq!(field("note")["optional"], true);
    assert_eq!(field("id")["optional"], false);
    assert_eq!(field("ts")["name"], TIMESTAMP);
    assert_eq!(field("amount")["name"], DECIMAL);
    assert_eq!(field("amount")["parameters"]["scale"], "2");
    assert_eq!(field("ref")["name"], "io.confluent.connect.json.OneOf");
    assert_eq!(got["payload"], connect_value(3));
}

/// `json.fail.invalid.schema=true`: values written by a producer that skips
/// validation, some breaking a keyword of their schema (`maximum`,
/// `pattern`, `additionalProperties`), are dead-lettered at their offsets
/// with the keyword and place named; the others are delivered in order, and
/// everything is committed.
#[tokio::test(flavor = "multi_thread")]
async fn json_schema_converter_validates_values_when_told_to_and_dead_letters_the_invalid() {
    let schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Reading", "type": "object",
        "properties": {
            "sensor": {"type": "string", "pattern": "^s-[0-9]+$", "connect.index": 0},
            "celsius": {"type": "number", "minimum": -90, "maximum": 60, "connect.index": 1}
        },
        "required": ["sensor", "celsius"],
        "additionalProperties": false
    })
    .to_string();
    let reading = |i: i64| match i % 6 {
        2 => json!({"sensor": format!("s-{i}"), "celsius": 500.5}),
        4 => json!({"sensor": format!("S{i}"), "celsius": 1.5}),
        5 => json!({"sensor": format!("s-{i}"), "celsius": 2.5, "unit": "C"}),
        _ => json!({"sensor": format!("s-{i}"), "celsius": i as f64 + 0.5}),
    };
    let values: Vec<Value> = (0..18).map(reading).collect();
    let valid: Vec<Value> = (0..18)
        .filter(|i| ![2, 4, 5].contains(&(i % 6)))
        .map(reading)
        .collect();
    let topic = sluice_tests::unique_topic("jsonvalid");
    sluice_tests::kafka::create_topic(&topic, 1).await;
    registry::produce_unvalidated(&topic, &schema, &values);
    let got = registry::http_sink_with_converter_options(
        &topic,
        "io.confluent.connect.json.JsonSchemaConverter",
        &[("json.fail.invalid.schema", "true")],
        valid.len(),
        values.len() - valid.len(),
        values.len() as i64,
    )
    .await;
    assert_eq!(got.records, valid);
    let mut dead: Vec<(i64, String)> = got
        .dead
        .iter()
        .map(|m| {
            (
                sluice_tests::dead_letters::dead_offset(m),
                sluice_tests::dead_letters::header(m, "__connect.errors.exception.message"),
            )
        })
        .collect();
    dead.sort();
    let offsets: Vec<i64> = dead.iter().map(|d| d.0).collect();
    assert_eq!(offsets, [2, 4, 5, 8, 10, 11, 14, 16, 17]);
    for (offset, reason) in &dead {
        assert!(reason.contains("does not match schema"), "{reason}");
        let named = match offset % 6 {
            2 => "'/celsius'",
            4 => "'/sensor'",
            _ => "unit",
        };
        assert!(
            reason.contains(named),
            "offset {offset}: {named} not in {reason}"
        );
    }
}
