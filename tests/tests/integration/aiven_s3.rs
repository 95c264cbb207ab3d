//! Aiven's S3 sink configs, as their users write them, through the REST API
//! to MinIO: keys from `file.name.template` (and from the deprecated
//! `aws_s3_prefix`), a file per offset commit split by `file.max.records`,
//! and contents byte for byte as Aiven's writers lay them out, restated
//! here from Aiven's source and its tests (`docs/aiven-s3-sink-semantics.md`).

use std::collections::BTreeMap;
use std::io::Read;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{RawRecord, committed, create_topic, produce_raw};
use sluice_tests::rest::ApiWorker;
use sluice_tests::s3::{self, ACCESS_KEY, SECRET_KEY};
use sluice_tests::unique_topic;

/// 2022-04-18T23:00:00Z: records an hour apart cross a day.
const START: i64 = 1_650_322_800_000;

/// Waits until `group` has committed `want` on every partition of `topic`.
async fn wait_committed(api: &ApiWorker, group: &str, topic: &str, want: &[Option<i64>]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = committed(group, topic, want.len() as i32);
        if got == want {
            return;
        }
        if Instant::now() > deadline {
            let (_, status) = api.call("GET", "/connectors?expand=status", None).await;
            panic!("committed {got:?}, want {want:?}; status {status}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .expect("a gzip file of UTF-8");
    out
}

/// ISO-8601 as Java's `DateTimeFormatter.ISO_INSTANT` writes epoch ms.
fn iso(ms: i64) -> String {
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap();
    if ms % 1000 == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_aiven_jsonl_config_writes_aivens_keys_and_lines() {
    let topic = unique_topic("aiven_jsonl");
    create_topic(&topic, 2).await;
    let bucket = s3::unique_bucket("aiven-jsonl");
    s3::create_bucket(&bucket).await;
    // Two partitions of 60 records, an hour apart from 23:00: the first
    // record of each partition is on 2022-04-18, the rest on the next days.
    let mut records = Vec::new();
    for p in 0..2 {
        for i in 0..60i64 {
            records.push(RawRecord {
                key: Some(format!("k{i}").into_bytes()),
                value: Some(format!(r#"{{"n":{i},"p":{p}}}"#).into_bytes()),
                headers: vec![("h".into(), Some(format!("v{i}").into_bytes()))],
                partition: p,
                timestamp: Some(START + i * 3_600_000 + p as i64),
            });
        }
    }
    produce_raw(&topic, &records).await;
    let api = ApiWorker::start(&[]).await;
    // A leading slash, as the widely copied CDC tutorials write it: MinIO
    // stores the key without it.
    let template = "/{{topic}}/{{timestamp:unit=yyyy}}-{{timestamp:unit=MM}}-{{timestamp:unit=dd}}/{{partition:padding=true}}-{{start_offset:padding=true}}.jsonl.gz";
    let config = json!({
        "connector.class": "io.aiven.kafka.connect.s3.AivenKafkaConnectS3SinkConnector",
        "topics": topic,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "aws.access.key.id": ACCESS_KEY,
        "aws.secret.access.key": SECRET_KEY,
        "aws.s3.bucket.name": bucket,
        "aws.s3.endpoint": s3::endpoint(),
        "aws.s3.region": "us-east-1",
        "format.output.type": "jsonl",
        "format.output.fields": "key,value,offset,timestamp,headers",
        "file.name.template": template,
        "file.name.timestamp.source": "event",
        "file.max.records": "7",
        "offset.flush.interval.ms": "2000",
    });
    let (code, v) = api
        .call("PUT", "/connectors/aiven-jsonl/config", Some(&config))
        .await;
    assert_eq!(code, 201, "{v}");
    wait_committed(&api, "connect-aiven-jsonl", &topic, &[Some(60), Some(60)]).await;
    let objects = s3::objects(&bucket).await;
    api.process.stop_cleanly();

    // Every record once, in a file of its partition and day whose key
    // names its first record, at most 7 to a file, lines as Aiven writes.
    let mut seen: BTreeMap<(i32, i64), usize> = BTreeMap::new();
    for (key, bytes) in &objects {
        let rest = key
            .strip_prefix(&format!("{topic}/"))
            .unwrap_or_else(|| panic!("{key}"));
        let (day, file) = rest.split_once('/').unwrap();
        let file = file.strip_suffix(".jsonl.gz").unwrap();
        let (partition, start) = file.split_once('-').unwrap();
        assert_eq!((partition.len(), start.len()), (10, 20), "{key}");
        let (partition, start): (i32, i64) = (partition.parse().unwrap(), start.parse().unwrap());
        let text = gunzip(bytes);
        assert!(
            !text.ends_with('\n'),
            "{key}: Aiven writes no final newline"
        );
        let lines: Vec<&str> = text.split('\n').collect();
        assert!(
            (1..=7).contains(&lines.len()),
            "{key}: {} lines",
            lines.len()
        );
        for (n, line) in lines.iter().enumerate() {
            let offset = start + n as i64;
            let ts = START + offset * 3_600_000 + partition as i64;
            assert_eq!(
                *line,
                format!(
                    r#"{{"headers":[{{"key":"h","value":"v{offset}"}}],"offset":{offset},"value":{{"n":{offset},"p":{partition}}},"key":"k{offset}","timestamp":"{}"}}"#,
                    iso(ts)
                ),
                "{key}"
            );
            assert_eq!(&iso(ts)[..10], day, "{key}: a record of another day");
            *seen.entry((partition, offset)).or_default() += 1;
        }
    }
    let want: BTreeMap<(i32, i64), usize> = (0..2)
        .flat_map(|p| (0..60).map(move |o| ((p, o), 1)))
        .collect();
    assert_eq!(seen, want);
    // A day holds 24 records of a partition: 4 files at most of 7.
    assert!(objects.len() >= 2 * 10, "{:?}", objects.keys());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_aiven_config_of_deprecated_names_writes_csv_under_its_prefix() {
    let topic = unique_topic("aiven_legacy");
    create_topic(&topic, 1).await;
    let bucket = s3::unique_bucket("aiven-legacy");
    s3::create_bucket(&bucket).await;
    let records: Vec<RawRecord> = (0..5i64)
        .map(|i| RawRecord {
            key: (i != 3).then(|| format!("key{i}").into_bytes()),
            value: (i != 4).then(|| format!("value,{i}").into_bytes()),
            timestamp: Some(START + i),
            ..Default::default()
        })
        .collect();
    produce_raw(&topic, &records).await;
    let api = ApiWorker::start(&[]).await;
    // Aiven's README of 2020, with its syntax errors fixed; the default
    // output (csv of Base64 values) and gzip.
    let config = json!({
        "aws_access_key_id": ACCESS_KEY,
        "aws_secret_access_key": SECRET_KEY,
        "aws_s3_bucket": bucket,
        "aws_s3_prefix": "example-s3-sink/",
        "aws_s3_region": "us-east-1",
        "aws_s3_endpoint": s3::endpoint(),
        "connector.class": "io.aiven.kafka.connect.s3.AivenKafkaConnectS3SinkConnector",
        "output_compression": "gzip",
        "output_fields": "value,key,timestamp,offset",
        "tasks.max": "1",
        "topics": topic,
        "offset.flush.interval.ms": "1000",
    });
    let (code, v) = api
        .call("PUT", "/connectors/aiven-legacy/config", Some(&config))
        .await;
    assert_eq!(code, 201, "{v}");
    wait_committed(&api, "connect-aiven-legacy", &topic, &[Some(5)]).await;
    let objects = s3::objects(&bucket).await;
    api.process.stop_cleanly();
    // Nothing but offset.flush.interval.ms closes a file here: the records,
    // produced before the start, are in one file or split at a commit.
    let mut lines = Vec::new();
    for (key, bytes) in &objects {
        let start = key
            .strip_prefix(&format!("example-s3-sink/{topic}-0-"))
            .and_then(|k| k.strip_suffix(".gz"))
            .unwrap_or_else(|| panic!("{key}"));
        assert_eq!(start.len(), 20, "{key}");
        let text = gunzip(bytes);
        let first: Vec<&str> = text.split('\n').collect();
        assert!(first[0].ends_with(&format!(",{}", start.parse::<i64>().unwrap())));
        lines.extend(text.split('\n').map(String::from));
    }
    let b64 = |s: &str| BASE64.encode(s);
    let want: Vec<String> = (0..5i64)
        .map(|i| {
            let value = if i == 4 {
                String::new()
            } else {
                b64(&format!("value,{i}"))
            };
            let key = if i == 3 {
                String::new()
            } else {
                b64(&format!("key{i}"))
            };
            format!("{value},{key},{},{i}", START + i)
        })
        .collect();
    assert_eq!(lines, want);
}

/// Aiven's assume-role config (its documentation's, placeholders filled):
/// the sink asks STS for the role with the options given, signed with the
/// key pair, and writes with the temporary credentials STS answers. The
/// STS here is a canned endpoint serving credentials MinIO issued, and the
/// key pair is one MinIO does not know: objects appear only if every S3
/// request carries the role's credentials.
#[tokio::test(flavor = "multi_thread")]
async fn an_aiven_config_assuming_a_role_writes_with_the_roles_credentials() {
    const ROLE: &str = "arn:aws:iam::123456789012:role/kafka-s3";
    let topic = unique_topic("aiven_sts");
    create_topic(&topic, 1).await;
    let bucket = s3::unique_bucket("aiven-sts");
    s3::create_bucket(&bucket).await;
    let records: Vec<RawRecord> = (0..10i64)
        .map(|i| RawRecord {
            value: Some(format!(r#"{{"n":{i}}}"#).into_bytes()),
            timestamp: Some(START + i),
            ..Default::default()
        })
        .collect();
    produce_raw(&topic, &records).await;
    let sts = Receiver::start().await;
    sts.answer("/", "text/xml", &s3::assumed_role_answer(ROLE).await);
    let api = ApiWorker::start(&[]).await;
    let config = json!({
        "name": "aiven-sts",
        "connector.class": "io.aiven.kafka.connect.s3.AivenKafkaConnectS3SinkConnector",
        "topics": topic,
        "aws.access.key.id": "base-key",
        "aws.secret.access.key": "base-secret",
        "aws.s3.bucket.name": bucket,
        "aws.s3.endpoint": s3::endpoint(),
        "aws.s3.region": "us-east-1",
        "aws.sts.role.arn": ROLE,
        "aws.sts.role.external.id": "ext-1",
        "aws.sts.role.session.name": "kafka-s3",
        "aws.sts.role.session.duration": "900",
        "aws.sts.config.endpoint": sts.url(""),
        "format.output.type": "jsonl",
        "format.output.fields": "value",
        "file.compression.type": "none",
        "offset.flush.interval.ms": "1000",
    });
    let (code, v) = api
        .call("PUT", "/connectors/aiven-sts/config", Some(&config))
        .await;
    assert_eq!(code, 201, "{v}");
    wait_committed(&api, "connect-aiven-sts", &topic, &[Some(10)]).await;
    let objects = s3::objects(&bucket).await;
    api.process.stop_cleanly();
    let lines: Vec<String> = objects
        .values()
        .flat_map(|b| {
            String::from_utf8(b.clone())
                .unwrap()
                .split('\n')
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    // Without a value converter Aiven's JSON lines carry the bytes in Base64.
    let want: Vec<String> = (0..10)
        .map(|i| {
            format!(
                r#"{{"value":"{}"}}"#,
                BASE64.encode(format!(r#"{{"n":{i}}}"#))
            )
        })
        .collect();
    assert_eq!(
        lines, want,
        "every record, written with the role's credentials"
    );
    let asked = sts.received();
    assert!(!asked.is_empty(), "STS was asked for the role");
    for r in &asked {
        let form: Vec<(String, String)> =
            url::form_urlencoded::parse(&r.body).into_owned().collect();
        let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(field("Action"), Some("AssumeRole"));
        assert_eq!(field("RoleArn"), Some(ROLE));
        assert_eq!(field("RoleSessionName"), Some("kafka-s3"));
        assert_eq!(field("ExternalId"), Some("ext-1"));
        assert_eq!(field("DurationSeconds"), Some("900"));
        let auth = r.header("authorization").unwrap_or_default();
        assert!(
            auth.contains("Credential=base-key/") && auth.contains("/us-east-1/sts/"),
            "signed with the key pair, for STS in the bucket's region: {auth}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn aiven_options_sluice_cannot_honour_are_refused_with_the_replacement() {
    let api = ApiWorker::start(&[]).await;
    let base = || {
        json!({
            "connector.class": "io.aiven.kafka.connect.s3.AivenKafkaConnectS3SinkConnector",
            "topics": "t",
            "aws.s3.bucket.name": "b",
            "aws.sts.role.arn": "arn:aws:iam::123456789012:role/kafka-s3",
            "aws.sts.role.session.name": "kafka-s3",
        })
    };
    for (key, value, says) in [
        // With the parquet output below: its rows carry no headers yet.
        (
            "format.output.fields",
            "value,headers",
            "headers in parquet rows are not implemented",
        ),
        ("file.compression.type", "zstd", "gzip or none"),
        (
            "aws.sts.config.endpoint",
            "https://sts.eu-west-1.amazonaws.com",
            "aws.s3.region should be specified together with aws.sts.config.endpoint",
        ),
        ("aws.sts.role.session.duration", "60", "900 to 43200"),
        ("file.name.template", "{{key}}", "{{start_offset}}"),
        (
            "file.name.template",
            "{{topic}}-{{start_offset}}",
            "lacks {{partition}}",
        ),
    ] {
        let mut config = base();
        config[key] = json!(value);
        if key == "format.output.fields" {
            config["format.output.type"] = json!("parquet");
        }
        let (code, v) = api
            .call("PUT", "/connectors/refused/config", Some(&config))
            .await;
        assert_eq!(code, 400, "{key}={value}: {v}");
        let message = v["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(key) && message.contains(says),
            "{key}={value}: {message}"
        );
    }
    api.process.stop_cleanly();
}

/// Aiven's `avro` and `parquet` outputs, as the corpus's Redpanda-to-DuckDB
/// config writes them: each row a `connector_records` record of the key
/// (StringConverter's optional string), the value (its Connect schema as
/// `AvroData` converts it), the offset and the timestamp, read back by
/// fastavro and pyarrow. Without `file.compression.type`, Avro files are
/// wrapped in gzip as `.avro.gz`, and Parquet files are uncompressed under
/// Aiven's `.gz` name (`docs/aiven-s3-sink-semantics.md`).
#[tokio::test(flavor = "multi_thread")]
async fn aivens_avro_and_parquet_outputs_write_connector_records_rows() {
    use serde_json::Value;
    use sluice_tests::registry::{read_avro, read_parquet};
    let topic = unique_topic("aiven_rows");
    create_topic(&topic, 1).await;
    let schema = json!({"type": "struct", "name": "shop.Order", "optional": false, "fields": [
        {"field": "id", "type": "int64", "optional": false},
        {"field": "note", "type": "string", "optional": true},
        {"field": "address", "type": "struct", "name": "shop.Address", "optional": false,
         "fields": [{"field": "city", "type": "string", "optional": false}]}
    ]});
    let value = |i: i64| {
        json!({
            "id": i,
            "note": if i % 2 == 0 { Value::Null } else { json!(format!("n{i}")) },
            "address": {"city": "Lyon"}
        })
    };
    let records: Vec<RawRecord> = (0..4i64)
        .map(|i| RawRecord {
            key: (i != 2).then(|| format!("k{i}").into_bytes()),
            value: Some(
                json!({"schema": schema, "payload": value(i)})
                    .to_string()
                    .into_bytes(),
            ),
            timestamp: Some(START + i),
            ..Default::default()
        })
        .collect();
    produce_raw(&topic, &records).await;
    let api = ApiWorker::start(&[]).await;
    let mut buckets = Vec::new();
    for output in ["avro", "parquet"] {
        let bucket = s3::unique_bucket(&format!("aiven-{output}"));
        s3::create_bucket(&bucket).await;
        let config = json!({
            "connector.class": "io.aiven.kafka.connect.s3.AivenKafkaConnectS3SinkConnector",
            "topics": topic,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "true",
            "aws.access.key.id": ACCESS_KEY,
            "aws.secret.access.key": SECRET_KEY,
            "aws.s3.bucket.name": bucket,
            "aws.s3.endpoint": s3::endpoint(),
            "aws.s3.region": "us-east-1",
            "format.output.type": output,
            "format.output.fields": "key,value,offset,timestamp",
            "offset.flush.interval.ms": "1000",
        });
        let (code, v) = api
            .call(
                "PUT",
                &format!("/connectors/aiven-{output}/config"),
                Some(&config),
            )
            .await;
        assert_eq!(code, 201, "{v}");
        buckets.push(bucket);
    }
    for output in ["avro", "parquet"] {
        wait_committed(&api, &format!("connect-aiven-{output}"), &topic, &[Some(4)]).await;
    }
    let avro_objects = s3::objects(&buckets[0]).await;
    let parquet_objects = s3::objects(&buckets[1]).await;
    api.process.stop_cleanly();
    let rows: Vec<Value> = (0..4i64)
        .map(|i| {
            json!({
                "key": if i == 2 { Value::Null } else { json!(format!("k{i}")) },
                "value": value(i),
                "offset": i,
                "timestamp": START + i,
            })
        })
        .collect();

    let avro_key = format!("{topic}-0-0.avro.gz");
    assert_eq!(
        avro_objects.keys().collect::<Vec<_>>(),
        [&avro_key],
        "one file per flush, named as Aiven names it"
    );
    let mut avro = Vec::new();
    flate2::read::GzDecoder::new(&avro_objects[&avro_key][..])
        .read_to_end(&mut avro)
        .expect("an Avro file in gzip");
    let read = read_avro(&[&avro]);
    assert_eq!(read[0]["codec"], "null");
    assert_eq!(read[0]["records"], json!(rows));
    let written: Value = serde_json::from_str(read[0]["schema"].as_str().unwrap()).unwrap();
    assert_eq!(
        written,
        json!({"type": "record", "name": "connector_records", "namespace": "io.aiven.avro.output.schema",
        "fields": [
            {"name": "key", "type": ["null", "string"]},
            {"name": "value", "type": {"type": "record", "name": "Order", "namespace": "shop", "fields": [
                {"name": "id", "type": "long"},
                {"name": "note", "type": ["null", "string"], "default": null},
                {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
                    {"name": "city", "type": "string"}
                ], "connect.name": "shop.Address"}}
            ], "connect.name": "shop.Order"}},
            {"name": "offset", "type": "long"},
            {"name": "timestamp", "type": "long"}
        ]})
    );

    let parquet_key = format!("{topic}-0-0.gz");
    assert_eq!(parquet_objects.keys().collect::<Vec<_>>(), [&parquet_key]);
    let read = read_parquet(&[&parquet_objects[&parquet_key]]);
    assert_eq!(read[0]["codec"], "UNCOMPRESSED");
    assert_eq!(read[0]["records"], json!(rows));
    let avro_schema: Value = serde_json::from_str(
        read[0]["metadata"]["parquet.avro.schema"]
            .as_str()
            .expect("the Avro schema in the footer"),
    )
    .unwrap();
    assert_eq!(
        (&avro_schema["name"], &avro_schema["namespace"]),
        (
            &json!("connector_records"),
            &json!("io.aiven.parquet.output.schema")
        )
    );
    let columns: Vec<&str> = read[0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[0].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["key", "value", "offset", "timestamp"]);
}
