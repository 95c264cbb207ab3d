//! Confluent's S3 `AvroFormat` and `ParquetFormat` as Sluice runs them: Avro
//! records produced with Confluent's Python serializer against a real
//! registry, a connector JSON naming `io.confluent.connect.s3.S3SinkConnector`,
//! `AvroConverter` and `io.confluent.connect.s3.format.avro.AvroFormat` (or
//! `…parquet.ParquetFormat`) posted unchanged to the REST API, and the
//! objects in a real S3 server (MinIO) read back by independent readers
//! (fastavro, pyarrow): every value as produced, the file's schema as
//! Confluent's `AvroData` (and parquet-avro) make it, the codec asked for; a
//! new schema version closes the open objects first (`schema.compatibility`
//! NONE), and offsets are committed only for what was uploaded.

use std::time::{Duration, Instant};

use base64::Engine as _;
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

/// Creates connector `name` with `config` on `api`, waits until the first
/// 20 of 25 records are committed (two objects of 10 uploaded, 5 open),
/// stops the worker and returns the bucket's objects, checked to be the two
/// keys with `extension`.
async fn two_objects_of_ten(
    api: ApiWorker,
    name: &str,
    config: &Value,
    topic: &str,
    bucket: &str,
    extension: &str,
) -> std::collections::BTreeMap<String, Vec<u8>> {
    let (code, v) = api
        .call("PUT", &format!("/connectors/{name}/config"), Some(config))
        .await;
    assert_eq!(code, 201, "{v}");
    wait_committed(&api, &format!("connect-{name}"), topic, 20).await;
    let objects = s3::objects(bucket).await;
    api.process.stop_cleanly();
    let keys: Vec<&String> = objects.keys().collect();
    assert_eq!(
        keys,
        [
            &format!("topics/{topic}/partition=0/{topic}+0+0000000000{extension}"),
            &format!("topics/{topic}/partition=0/{topic}+0+0000000010{extension}"),
        ]
    );
    objects
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
        // Sluice's own addition to Confluent's codecs, read by fastavro
        // (the others are read back in the plugin's unit tests).
        json!({"flush.size": "10", "avro.codec": "zstandard"}),
    );
    // Two objects of 10; the last 5 stay open, so the commit stops at 20.
    let objects = two_objects_of_ten(api, "s3-avro", &config, &topic, &bucket, ".avro").await;
    let files: Vec<&[u8]> = objects.values().map(Vec::as_slice).collect();
    let read = registry::read_avro(&files);
    for (n, file) in read.iter().enumerate() {
        assert_eq!(file["codec"], "zstandard");
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

/// `order(i)` as pyarrow reads it from a Parquet file: the enum as its
/// bytes (Arrow has no enum), the union as parquet-avro's `member0`/`member1`.
fn order_in_parquet(i: i64) -> Value {
    let mut o = order(i);
    let status = o["status"].as_str().unwrap().to_string();
    o["status"] = json!(base64::engine::general_purpose::STANDARD.encode(status));
    o["ref"] = if i % 2 == 0 {
        json!({"member0": i, "member1": null})
    } else {
        json!({"member0": null, "member1": format!("r{i}")})
    };
    o
}

#[tokio::test(flavor = "multi_thread")]
async fn parquet_format_objects_hold_the_produced_records_as_pyarrow_reads_them() {
    let topic = unique_topic("s3-parquet");
    let bucket = unique_bucket("parquet");
    create_topic(&topic, 1).await;
    create_bucket(&bucket).await;
    let values: Vec<Value> = (0..25).map(order).collect();
    registry::produce(&topic, "avro", &schema(&[]), &values);
    let api = ApiWorker::start(&[]).await;
    let config = connector(
        &topic,
        &bucket,
        json!({
            "flush.size": "10",
            "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat",
            "parquet.codec": "zstd",
            // Ignored by container formats, as by Confluent's.
            "s3.compression.type": "gzip"
        }),
    );
    let objects =
        two_objects_of_ten(api, "s3-parquet", &config, &topic, &bucket, ".zstd.parquet").await;
    let files: Vec<&[u8]> = objects.values().map(Vec::as_slice).collect();
    let read = registry::read_parquet(&files);
    for (n, file) in read.iter().enumerate() {
        assert_eq!(file["codec"], "ZSTD");
        let want: Vec<Value> = (n as i64 * 10..n as i64 * 10 + 10)
            .map(order_in_parquet)
            .collect();
        assert_eq!(file["records"], json!(want), "file {n}");
        let columns: Vec<(&str, &str)> = file["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c[0].as_str().unwrap(), c[1].as_str().unwrap()))
            .collect();
        assert_eq!(
            columns,
            [
                ("id", "int64"),
                ("note", "string"),
                ("status", "binary"),
                ("tags", "list<array: string not null>"),
                ("attrs", "map<string, double ('attrs')>"),
                ("ref", "struct<member0: int32, member1: string>"),
                ("ts", "timestamp[ms, tz=UTC]"),
                ("day", "date32[day]"),
                ("address", "struct<city: string not null, zip: int32>"),
            ]
        );
        let parquet_schema = file["parquet_schema"].as_str().unwrap();
        assert!(parquet_schema.contains("status (Enum)"), "{parquet_schema}");
        // The footer holds the Avro schema parquet-avro readers rebuild
        // records with, as Confluent's files do.
        assert_eq!(file["metadata"]["writer.model.name"], "avro");
        let avro: Value =
            serde_json::from_str(file["metadata"]["parquet.avro.schema"].as_str().unwrap())
                .unwrap();
        assert_eq!(
            (&avro["name"], &avro["namespace"]),
            (&json!("Order"), &json!("shop"))
        );
    }
}

/// Under `schema.compatibility=NONE` a schema version flipping back and
/// forth (two producers on two versions, say) starts an object at every
/// flip: the small-file storm. Under `BACKWARD` only a newer version starts
/// one; records of the older version are projected onto the object's
/// (newer) schema, its new optional field taking its default.
#[tokio::test(flavor = "multi_thread")]
async fn a_flipping_schema_version_makes_an_object_per_flip_under_none_and_one_under_backward() {
    let topic = unique_topic("s3-flip");
    create_topic(&topic, 1).await;
    let coupon = json!({"name": "coupon", "type": ["null", "string"], "default": null});
    let v2 = |i: i64| {
        let mut o = order(i);
        o["coupon"] = json!(format!("c{i}"));
        o
    };
    // v1, v2, v1, v2, v1: three records each.
    for block in 0..5i64 {
        let range = block * 3..block * 3 + 3;
        if block % 2 == 0 {
            let values: Vec<Value> = range.map(order).collect();
            registry::produce(&topic, "avro", &schema(&[]), &values);
        } else {
            let values: Vec<Value> = range.map(v2).collect();
            registry::produce(
                &topic,
                "avro",
                &schema(std::slice::from_ref(&coupon)),
                &values,
            );
        }
    }
    let api = ApiWorker::start(&[]).await;
    let mut buckets = Vec::new();
    for mode in ["NONE", "BACKWARD"] {
        let bucket = unique_bucket(&format!("flip-{}", mode.to_lowercase()));
        create_bucket(&bucket).await;
        let name = format!("s3-flip-{}", mode.to_lowercase());
        let config = connector(
            &topic,
            &bucket,
            json!({"flush.size": "12", "schema.compatibility": mode}),
        );
        let (code, v) = api
            .call("PUT", &format!("/connectors/{name}/config"), Some(&config))
            .await;
        assert_eq!(code, 201, "{v}");
        // NONE: objects at 0, 3, 6 and 9, the last three records open.
        // BACKWARD: [0, 3) of v1, then [3, 15) of v2, twelve records.
        let want = if mode == "NONE" { 12 } else { 15 };
        wait_committed(&api, &format!("connect-{name}"), &topic, want).await;
        buckets.push(bucket);
    }
    let none = s3::objects(&buckets[0]).await;
    let backward = s3::objects(&buckets[1]).await;
    api.process.stop_cleanly();
    let starts = |objects: &std::collections::BTreeMap<String, Vec<u8>>| -> Vec<String> {
        objects
            .keys()
            .map(|k| k.rsplit('+').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        starts(&none),
        [
            "0000000000.avro",
            "0000000003.avro",
            "0000000006.avro",
            "0000000009.avro"
        ]
    );
    assert_eq!(starts(&backward), ["0000000000.avro", "0000000003.avro"]);
    let files: Vec<&[u8]> = backward.values().map(Vec::as_slice).collect();
    let read = registry::read_avro(&files);
    assert_eq!(
        read[0]["records"],
        json!((0..3).map(order).collect::<Vec<_>>())
    );
    let want: Vec<Value> = (3..15)
        .map(|i| {
            if (i / 3) % 2 == 1 {
                v2(i)
            } else {
                let mut o = order(i);
                o["coupon"] = Value::Null;
                o
            }
        })
        .collect();
    assert_eq!(
        read[1]["records"],
        json!(want),
        "v1 records projected onto v2"
    );
    let schema: Value = serde_json::from_str(read[1]["schema"].as_str().unwrap()).unwrap();
    assert_eq!(schema["connect.version"], 2, "{schema}");
}

/// The other way in: a Confluent S3 connector JSON naming
/// `JsonSchemaConverter` and `ParquetFormat`, turned into a manifest by
/// `sluice import` and run by `sluice run` unchanged. The records, produced
/// with Confluent's JSON Schema serializer, come back from pyarrow as
/// produced, in files of `flush.size` records, and are committed once
/// uploaded.
#[tokio::test(flavor = "multi_thread")]
async fn an_imported_connector_json_with_json_schema_and_parquet_runs_unchanged() {
    let topic = unique_topic("s3-import");
    let bucket = unique_bucket("import");
    create_topic(&topic, 1).await;
    create_bucket(&bucket).await;
    let schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Payment", "type": "object",
        "properties": {
            "id": {"type": "integer", "connect.index": 0},
            "payer": {"type": "string", "connect.index": 1},
            "amount": {"type": "number", "connect.index": 2},
            "memo": {"connect.index": 3, "oneOf": [{"type": "null"}, {"type": "string"}]}
        },
        "required": ["id", "payer", "amount"]
    })
    .to_string();
    let payment = |i: i64| {
        json!({
            "id": i,
            "payer": format!("p{}", i % 4),
            "amount": i as f64 * 1.25,
            "memo": if i % 2 == 0 { Value::Null } else { json!(format!("m{i}")) }
        })
    };
    let values: Vec<Value> = (0..25).map(payment).collect();
    registry::produce(&topic, "json", &schema, &values);
    let name = format!("import-{topic}");
    let config = connector(
        &topic,
        &bucket,
        json!({
            "flush.size": "10",
            "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat",
            "value.converter": "io.confluent.connect.json.JsonSchemaConverter"
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("connector.json");
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&json!({"name": name, "config": config})).unwrap(),
    )
    .unwrap();
    let out = sluice_tests::sluice()
        .arg("import")
        .arg(&json_path)
        .args(["--bootstrap-servers", &sluice_tests::kafka_bootstrap()])
        .output()
        .unwrap();
    let (ok, text) = sluice_tests::outcome(&out);
    assert!(ok, "sluice import: {text}");
    let manifest = dir.path().join("connector.toml");
    std::fs::write(&manifest, &out.stdout).unwrap();
    // The plugins come from the directory a user sets for every manifest.
    let mut cmd = sluice_tests::sluice();
    cmd.arg("run")
        .arg(&manifest)
        .env("SLUICE_PLUGIN_DIR", sluice_tests::plugin_dir());
    let run = sluice_tests::process::Running::spawn(cmd);
    let group = format!("connect-{name}");
    let deadline = Instant::now() + Duration::from_secs(90);
    while committed(&group, &topic, 1) != [Some(20)] {
        if Instant::now() > deadline {
            let (_, log) = run.stop();
            panic!(
                "committed {:?}, want 20; the manifest:\n{}\nsluice's log:\n{log}",
                committed(&group, &topic, 1),
                String::from_utf8_lossy(&out.stdout)
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let objects = s3::objects(&bucket).await;
    run.stop_cleanly();
    let keys: Vec<&String> = objects.keys().collect();
    assert_eq!(
        keys,
        [
            &format!("topics/{topic}/partition=0/{topic}+0+0000000000.snappy.parquet"),
            &format!("topics/{topic}/partition=0/{topic}+0+0000000010.snappy.parquet"),
        ]
    );
    let files: Vec<&[u8]> = objects.values().map(Vec::as_slice).collect();
    for (n, file) in registry::read_parquet(&files).iter().enumerate() {
        assert_eq!(file["codec"], "SNAPPY");
        let want: Vec<Value> = (n as i64 * 10..n as i64 * 10 + 10).map(payment).collect();
        assert_eq!(file["records"], json!(want), "file {n}");
    }
}
