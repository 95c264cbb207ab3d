//! Confluent's `ProtobufConverter` as Sluice runs it: records produced with
//! Confluent's Python Protobuf serializer against a real registry
//! (Apicurio), which registers the schema and the file it imports (as a
//! reference) as base64 `FileDescriptorProto`s; a connector JSON naming
//! `io.confluent.connect.protobuf.ProtobufConverter` with
//! `schema.registry.url` posted unchanged to the REST API; the values
//! delivered over HTTP as the Connect data Confluent's `ProtobufData` makes
//! of them (oneofs first, well-known types as logical types); a record that
//! is not in the wire format dead-lettered with the reason; the offsets
//! committed once delivered.

use base64::Engine as _;
use serde_json::{Value, json};
use sluice_tests::registry;

const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
const DATE: &str = "org.apache.kafka.connect.data.Date";
const TAG: &str = "io.confluent.connect.protobuf.Tag";

fn field(name: &str, number: u32, ty: &str) -> Value {
    json!({"name": name, "number": number, "label": "LABEL_OPTIONAL", "type": ty})
}

fn message_field(name: &str, number: u32, type_name: &str) -> Value {
    json!({"name": name, "number": number, "label": "LABEL_OPTIONAL",
           "type": "TYPE_MESSAGE", "typeName": type_name})
}

/// Two files as Protobuf's JSON form of `FileDescriptorProto`:
/// `shop/common.proto` (an `Address`) and `shop/order.proto`, which
/// imports it and Google's and Confluent's well-known files. `Order` is the
/// second message of its file, so its message indexes are `[1]`.
fn schema() -> String {
    let common = json!({
        "name": "shop/common.proto", "package": "shop", "syntax": "proto3",
        "messageType": [{"name": "Address", "field": [field("city", 1, "TYPE_STRING")]}]
    });
    let mut coupon = field("coupon", 3, "TYPE_STRING");
    coupon["proto3Optional"] = json!(true);
    coupon["oneofIndex"] = json!(1);
    let mut ref_id = field("ref_id", 10, "TYPE_INT64");
    ref_id["oneofIndex"] = json!(0);
    let mut ref_name = field("ref_name", 11, "TYPE_STRING");
    ref_name["oneofIndex"] = json!(0);
    let mut tags = field("tags", 6, "TYPE_STRING");
    tags["label"] = json!("LABEL_REPEATED");
    let mut attrs = message_field("attrs", 7, ".shop.Order.AttrsEntry");
    attrs["label"] = json!("LABEL_REPEATED");
    let mut status = field("status", 5, "TYPE_ENUM");
    status["typeName"] = json!(".shop.Order.Status");
    let mut amount = message_field("amount", 13, ".confluent.type.Decimal");
    amount["options"] = json!({"[confluent.field_meta]": {"params": {"scale": "2"}}});
    let order = json!({
        "name": "shop/order.proto", "package": "shop", "syntax": "proto3",
        "dependency": ["google/protobuf/timestamp.proto", "google/type/date.proto",
                       "confluent/meta.proto", "confluent/type/decimal.proto",
                       "shop/common.proto"],
        "messageType": [
            {"name": "Audit", "field": [field("by", 1, "TYPE_STRING")]},
            {"name": "Order",
             "field": [
                field("id", 1, "TYPE_INT64"), field("note", 2, "TYPE_STRING"), coupon,
                field("qty", 4, "TYPE_UINT32"), status, tags, attrs, ref_id, ref_name,
                message_field("ts", 12, ".google.protobuf.Timestamp"), amount,
                message_field("address", 14, ".shop.Address"),
                message_field("day", 15, ".google.type.Date")
             ],
             "oneofDecl": [{"name": "ref"}, {"name": "_coupon"}],
             "nestedType": [{"name": "AttrsEntry", "options": {"mapEntry": true},
                             "field": [field("key", 1, "TYPE_STRING"), field("value", 2, "TYPE_DOUBLE")]}],
             "enumType": [{"name": "Status", "value": [{"name": "NEW", "number": 0},
                                                       {"name": "PAID", "number": 1}]}]}
        ]
    });
    json!({"files": [common, order], "message": "shop.Order"}).to_string()
}

/// 100.00 + i: the unscaled value's two's complement, with `len` bytes.
fn unscaled(i: i64, len: usize) -> String {
    let v = 10_000 + i * 100;
    base64::engine::general_purpose::STANDARD.encode(&v.to_be_bytes()[8 - len..])
}

/// Order `i` in Protobuf's JSON form, as the producer parses it.
fn order(i: i64) -> Value {
    let mut o = json!({
        "id": i, "note": format!("n{i}"), "qty": i % 7,
        "status": if i % 3 == 0 { "PAID" } else { "NEW" },
        "tags": ["a", format!("t{i}")], "attrs": {"b": 1.5, "a": 0.25},
        "ts": format!("2023-11-14T22:13:20.{i:03}Z"),
        // A leading zero byte the converter drops, as BigInteger does.
        "amount": {"value": unscaled(i, 3), "scale": 2},
        "address": {"city": "Lyon"},
        "day": {"year": 2024, "month": 3, "day": 1 + i % 28}
    });
    if i % 2 == 0 {
        o["refId"] = json!(i);
    } else {
        o["refName"] = json!(format!("r{i}"));
        o["coupon"] = json!(format!("c{i}"));
    }
    o
}

/// What a Connect sink sees of `order(i)`: the oneof first, as a union
/// struct; the unset proto3 `optional` null; the logical types as Connect
/// writes them.
fn connect_value(i: i64) -> Value {
    json!({
        "ref_0": if i % 2 == 0 { json!({"ref_id": i, "ref_name": null}) }
                 else { json!({"ref_id": null, "ref_name": format!("r{i}")}) },
        "id": i, "note": format!("n{i}"),
        "coupon": if i % 2 == 0 { Value::Null } else { json!(format!("c{i}")) },
        "qty": i % 7, "status": if i % 3 == 0 { "PAID" } else { "NEW" },
        "tags": ["a", format!("t{i}")], "attrs": {"a": 0.25, "b": 1.5},
        "ts": 1_700_000_000_000i64 + i, "amount": unscaled(i, 2),
        "address": {"city": "Lyon"}, "day": 19_783 + i % 28
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn protobuf_converter_connector_json_reads_confluents_protobuf_through_the_registry() {
    registry::converter_reads_through_registry(
        "protobuf",
        &schema(),
        &(0..30).map(order).collect::<Vec<_>>(),
        "\u{1}x",
        "io.confluent.connect.protobuf.ProtobufConverter",
        &(0..30).map(connect_value).collect::<Vec<_>>(),
    )
    .await;
}

/// The schema travels with the values: a manifest whose formatter writes
/// Connect's envelope (`schemas.enable`) shows what the converter made of
/// the Protobuf schema: field order, tags, Protobuf types, enum symbols,
/// the union and the logical types.
#[tokio::test(flavor = "multi_thread")]
async fn protobuf_converter_gives_connects_schema_with_the_values() {
    let got =
        registry::envelope_through_registry("protobuf", "protobuf", &schema(), &order(3)).await;
    let schema = &got["schema"];
    assert_eq!(schema["name"], "Order", "{schema}");
    // The registry's version of the schema under `<topic>-value`.
    assert_eq!(schema["version"], 1, "{schema}");
    let fields = registry::field_types(schema);
    assert_eq!(
        fields,
        [
            ("ref_0", "struct"),
            ("id", "int64"),
            ("note", "string"),
            ("coupon", "string"),
            ("qty", "int64"),
            ("status", "string"),
            ("tags", "array"),
            ("attrs", "map"),
            ("ts", "int64"),
            ("amount", "bytes"),
            ("address", "struct"),
            ("day", "int32"),
        ]
    );
    let field = |n: &str| registry::field_schema(schema, n);
    assert_eq!(field("id")["optional"], true);
    assert_eq!(field("id")["parameters"][TAG], "1");
    assert_eq!(
        field("qty")["parameters"]["io.confluent.connect.protobuf.Type"],
        "uint32"
    );
    assert_eq!(
        field("status")["parameters"]["io.confluent.connect.protobuf.Enum.PAID"],
        "1"
    );
    assert_eq!(
        field("ref_0")["name"],
        "io.confluent.connect.protobuf.Union.ref"
    );
    assert_eq!(field("ts")["name"], TIMESTAMP);
    assert_eq!(field("amount")["name"], DECIMAL);
    assert_eq!(field("amount")["parameters"]["scale"], "2");
    assert_eq!(field("day")["name"], DATE);
    assert_eq!(field("address")["name"], "Address");
    assert_eq!(got["payload"], connect_value(3));
}
