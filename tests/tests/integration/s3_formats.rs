//! Confluent's S3 `AvroFormat` as Sluice runs it: Avro records produced with
//! Confluent's Python serializer against a real registry, a connector JSON
//! naming `io.confluent.connect.s3.S3SinkConnector`, `AvroConverter` and
//! `io.confluent.connect.s3.format.avro.AvroFormat` posted unchanged to the
//! REST API, and the objects in a real S3 server (MinIO) read back by
//! fastavro, an independent reader: every value as produced, the file's
//! schema as Confluent's `AvroData` writes it, the codec asked for; a new
//! schema version closes the open objects first (`schema.compatibility`
//! NONE), and offsets are committed only for what was uploaded.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sluice_tests::kafka::{committed, create_topic};
use sluice_tests::registry::{self, registry_url};
use sluice_tests::rest::ApiWorker;
use sluice_tests::s3::{self, ACCESS_KEY, SECRET_KEY, create_bucket, unique_bucket};
use sluice_tests::unique_topic;

/// An Avro schema with a nested record, an optional field, an enum, an
/// array, a map, a union of two types and the timestamp and date logical
/// types; `extra` fields are appended (a new version of the schema).
fn schema(extra: &[Value]) -> String {
    let mut fields = vec![
        json!({"name": "id", "type": "long"}),
        json!({"name": "note", "type": ["null", "string"], "default": null}),
        json!({"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}}),
        json!({"name": "tags", "type": {"type": "array", "items": "string"}}),
        json!({"name": "attrs", "type": {"type": "map", "values": "double"}}),
        json!({"name": "ref", "type": ["int", "string"]}),
        json!({"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}}),
        json!({"name": "day", "type": {"type": "int", "logicalType": "date"}}),
        json!({"name": "address", "type": {"type": "record", "name": "Address", "fields": [
            {"name": "city", "type": "string"},
            {"name": "zip", "type": ["null", "int"], "default": null}
        ]}}),
    ];
    fields.extend(extra.iter().cloned());
    json!({"type": "record", "name": "Order", "namespace": "shop", "fields": fields}).to_string()
}

fn order(i: i64) -> Value {
    json!({
        "id": i,
        "note": if i % 2 == 0 { Value::Null } else { json!(format!("n{i}")) },
        "status": if i % 3 == 0 { "PAID" } else { "NEW" },
        "tags": ["a", format!("t{i}")],
        "attrs": {"b": 1.5, "a": 0.25},
        "ref": if i % 2 == 0 { json!(i) } else { json!(format!("r{i}")) },
        "ts": 1_700_000_000_000i64 + i,
        "day": 19_700 + i,
        "address": {"city": "Lyon", "zip": if i % 2 == 0 { json!(69001) } else { Value::Null }}
    })
}

/// A Confluent S3 sink connector reading Avro through the registry and
/// writing `AvroFormat` objects to `bucket`, with `extra` options.
fn connector(topic: &str, bucket: &str, extra: Value) -> Value {
    let mut config = json!({
        "connector.class": "io.confluent.connect.s3.S3SinkConnector",
        "tasks.max": "1",
        "topics": topic,
        "storage.class": "io.confluent.connect.s3.storage.S3Storage",
        "s3.bucket.name": bucket,
        "s3.region": "us-east-1",
        "store.url": s3::endpoint(),
        "aws.access.key.id": ACCESS_KEY,
        "aws.secret.access.key": SECRET_KEY,
        "format.class": "io.confluent.connect.s3.format.avro.AvroFormat",
        "partitioner.class": "io.confluent.connect.storage.partitioner.DefaultPartitioner",
        "schema.compatibility": "NONE",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "io.confluent.connect.avro.AvroConverter",
        "value.converter.schema.registry.url": registry_url(),
        "offset.flush.interval.ms": "1000"
    });
    for (k, v) in extra.as_object().expect("options") {
        config[k] = v.clone();
    }
    config
}

async fn wait_committed(api: &ApiWorker, group: &str, topic: &str, want: i64) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let got = committed(group, topic, 1);
        if got == [Some(want)] {
            return;
        }
        if Instant::now() > deadline {
            let (_, status) = api.call("GET", "/connectors?expand=status", None).await;
            panic!("committed {got:?}, want {want}; status {status}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn avro_format_objects_hold_the_produced_records_as_fastavro_reads_them() {
    let topic = unique_topic("s3-avro");
    let bucket = unique_bucket("avro");
    create_topic(&topic, 1).await;
    create_bucket(&bucket).await;
    let values: Vec<Value> = (0..25).map(order).collect();
    registry::produce(&topic, "avro", &schema(&[]), &values);
    let api = ApiWorker::start(&[]).await;
    let config = connector(
        &topic,
        &bucket,
        json!({"flush.size": "10", "avro.codec": "deflate"}),
    );
    let (code, v) = api
        .call("PUT", "/connectors/s3-avro/config", Some(&config))
        .await;
    assert_eq!(code, 201, "{v}");
    // Two objects of 10; the last 5 stay open, so the commit stops at 20.
    wait_committed(&api, "connect-s3-avro", &topic, 20).await;
    let objects = s3::objects(&bucket).await;
    api.process.stop_cleanly();
    let keys: Vec<&String> = objects.keys().collect();
    assert_eq!(
        keys,
        [
            &format!("topics/{topic}/partition=0/{topic}+0+0000000000.avro"),
            &format!("topics/{topic}/partition=0/{topic}+0+0000000010.avro"),
        ]
    );
    let files: Vec<&[u8]> = objects.values().map(Vec::as_slice).collect();
    let read = registry::read_avro(&files);
    for (n, file) in read.iter().enumerate() {
        assert_eq!(file["codec"], "deflate");
        let got = file["records"].as_array().expect("records");
        assert_eq!(got.as_slice(), &values[n * 10..n * 10 + 10], "file {n}");
        let schema: Value =
            serde_json::from_str(file["schema"].as_str().expect("schema text")).unwrap();
        assert_eq!(schema["name"], "Order", "{schema}");
        assert_eq!(schema["namespace"], "shop", "{schema}");
        let fields: Vec<&str> = schema["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "id", "note", "status", "tags", "attrs", "ref", "ts", "day", "address"
            ]
        );
        let field =
            |n: &str| schema["fields"][fields.iter().position(|f| *f == n).unwrap()].clone();
        assert_eq!(field("note")["type"], json!(["null", "string"]));
        assert_eq!(field("note")["default"], Value::Null);
        assert_eq!(field("status")["type"]["type"], "enum");
        assert_eq!(field("status")["type"]["symbols"], json!(["NEW", "PAID"]));
        assert_eq!(field("ref")["type"], json!(["int", "string"]));
        assert_eq!(field("ts")["type"]["logicalType"], "timestamp-millis");
        assert_eq!(field("day")["type"]["logicalType"], "date");
        assert_eq!(field("address")["type"]["name"], "Address");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_schema_version_closes_the_open_avro_object_first() {
    let topic = unique_topic("s3-avro-v2");
    let bucket = unique_bucket("avro-v2");
    create_topic(&topic, 1).await;
    create_bucket(&bucket).await;
    let v1: Vec<Value> = (0..3).map(order).collect();
    let v2: Vec<Value> = (3..6)
        .map(|i| {
            let mut o = order(i);
            o["coupon"] = json!(format!("c{i}"));
            o
        })
        .collect();
    registry::produce(&topic, "avro", &schema(&[]), &v1);
    let coupon = json!({"name": "coupon", "type": ["null", "string"], "default": null});
    registry::produce(&topic, "avro", &schema(&[coupon]), &v2);
    let api = ApiWorker::start(&[]).await;
    let config = connector(&topic, &bucket, json!({"flush.size": "100"}));
    let (code, v) = api
        .call("PUT", "/connectors/s3-avro-v2/config", Some(&config))
        .await;
    assert_eq!(code, 201, "{v}");
    // The first v2 record closes the v1 object; the v2 one stays open.
    wait_committed(&api, "connect-s3-avro-v2", &topic, 3).await;
    let objects = s3::objects(&bucket).await;
    api.process.stop_cleanly();
    assert_eq!(objects.len(), 1, "{:?}", objects.keys());
    let files: Vec<&[u8]> = objects.values().map(Vec::as_slice).collect();
    let read = registry::read_avro(&files);
    assert_eq!(read[0]["codec"], "null");
    assert_eq!(read[0]["records"], json!(v1));
}
