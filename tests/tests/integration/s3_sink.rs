//! Kafka to S3 end to end: a real broker, a real S3-compatible server
//! (MinIO, from scripts/minio), and the real `sluice` binary. Keys and
//! contents are checked exactly against Confluent S3 Sink's rules, computed
//! here independently; offsets are checked against what was uploaded.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sluice_tests::kafka::{
    RawRecord, committed, create_topic, create_topic_partitions_with, produce_raw,
};
use sluice_tests::process::{Connector, Running};
use sluice_tests::s3::{client, create_bucket, objects, pending_uploads, sink, unique_bucket};
use sluice_tests::unique_topic;

const HOUR: i64 = 3_600_000;
/// 2022-04-18T10:00:00Z.
const START: i64 = 1_650_276_000_000;

fn run_s3(dir: &std::path::Path, name: &str, topic: &str, sink_lines: &str) -> Running {
    run_s3_with(dir, name, topic, r#"{ plugin = "bytes" }"#, sink_lines)
}

fn run_s3_with(
    dir: &std::path::Path,
    name: &str,
    topic: &str,
    value_converter: &str,
    sink_lines: &str,
) -> Running {
    let m = Connector {
        name,
        topic,
        value_converter,
        sink_type: "s3",
        sink: sink_lines,
        ..Connector::default()
    }
    .write(dir);
    Running::start(&m)
}

/// Waits until `group`'s committed offsets on `topic` are `want`; on
/// timeout, stops `run` and fails with the end of its log.
fn wait_committed(
    run: Running,
    group: &str,
    topic: &str,
    want: &[Option<i64>],
    secs: u64,
) -> Running {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let got = committed(group, topic, want.len() as i32);
        if got == want {
            return run;
        }
        if Instant::now() > deadline {
            let (_, stderr) = run.stop();
            let tail: String = stderr
                .lines()
                .rev()
                .take(15)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            panic!(
                "committed offsets of {group}: {got:?}, want {want:?}; sluice's log ends:\n{tail}"
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// One JSON line per record, as the jsonl formatter writes an object.
fn lines(values: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        out.extend_from_slice(v);
        out.push(b'\n');
    }
    out
}

/// Confluent's rules for one Kafka partition, restated: each record goes to
/// the open file of its path (the path's first record names the file);
/// before a record is written, a record time `interval` past the set's
/// first, or a path other than the previous record's, uploads every open
/// file; after it, `flush` records over all open files upload them all.
/// Sluice adds one rule: a record for a new path when `open_max` files are
/// open uploads them all first (`open.objects.max`; Confluent has no bound,
/// `usize::MAX`). Returns the uploaded files (key → records) and the offset
/// to commit.
fn confluent_files(
    records: &[(i64, String, Vec<u8>)],
    flush: usize,
    interval: Option<i64>,
    open_max: usize,
    key: impl Fn(&str, i64) -> String,
) -> (BTreeMap<String, Vec<u8>>, i64) {
    let mut uploaded = BTreeMap::new();
    let mut open: Vec<(String, i64, Vec<&[u8]>)> = Vec::new();
    let (mut count, mut base, mut current) = (0, None::<i64>, None::<String>);
    let mut close = |open: &mut Vec<(String, i64, Vec<&[u8]>)>| {
        for (path, start, values) in open.drain(..) {
            uploaded.insert(key(&path, start), lines(&values));
        }
    };
    for (offset, (ts, path, value)) in records.iter().enumerate() {
        if count > 0
            && let Some(interval) = interval
            && (ts - base.unwrap() >= interval || current.as_deref() != Some(path))
        {
            close(&mut open);
            count = 0;
            base = None;
        }
        if count > 0 && open.len() >= open_max && !open.iter().any(|o| &o.0 == path) {
            close(&mut open);
            count = 0;
            base = None;
        }
        match open.iter_mut().find(|o| &o.0 == path) {
            Some(o) => o.2.push(value),
            None => open.push((path.clone(), offset as i64, vec![value])),
        }
        count += 1;
        current = Some(path.clone());
        base.get_or_insert(*ts);
        if count >= flush {
            close(&mut open);
            count = 0;
            base = None;
        }
    }
    let held = open
        .iter()
        .map(|o| o.1)
        .min()
        .unwrap_or(records.len() as i64);
    (uploaded, held)
}

#[tokio::test(flavor = "multi_thread")]
async fn hourly_objects_hold_exactly_the_records_confluents_rules_give() {
    let topic = unique_topic("sensor");
    let bucket = unique_bucket("hourly");
    // Records from 2022: kept whatever their age.
    create_topic_partitions_with(&topic, 3, &[("retention.ms", "-1")]).await;
    create_bucket(&bucket).await;
    // 10,000 records over 3 partitions, timestamps spread evenly over three hours.
    let mut per_partition: Vec<Vec<(i64, String, Vec<u8>)>> = vec![Vec::new(); 3];
    let mut produced = Vec::new();
    for i in 0..10_000i64 {
        let p = (i % 3) as i32;
        let ts = START + 5 * 60_000 + i * (3 * HOUR - 10 * 60_000) / 10_000;
        let value = format!(r#"{{"sensor":{p},"i":{i},"t":{ts}}}"#).into_bytes();
        let hour = (ts - START) / HOUR + 10;
        let path = format!("year=2022/month=04/day=18/hour={hour:02}");
        per_partition[p as usize].push((ts, path, value.clone()));
        produced.push(RawRecord {
            value: Some(value),
            partition: p,
            timestamp: Some(ts),
            ..Default::default()
        });
    }
    produce_raw(&topic, &produced).await;
    let mut expected = BTreeMap::new();
    let mut commits = Vec::new();
    for (p, records) in per_partition.iter().enumerate() {
        let (files, held) =
            confluent_files(records, 1000, Some(HOUR), usize::MAX, |path, start| {
                format!("topics/{topic}/{path}/{topic}+{p}+{start:010}.json")
            });
        expected.extend(files);
        commits.push(Some(held));
    }
    let dir = tempfile::tempdir().unwrap();
    let name = format!("hourly-{topic}");
    let run = run_s3(
        dir.path(),
        &name,
        &topic,
        &sink(
            &bucket,
            r#""flush.size" = 1000
"rotate.interval.ms" = 3600000
"partitioner.class" = "io.confluent.connect.storage.partitioner.HourlyPartitioner"
"timestamp.extractor" = "Record"
timezone = "UTC"
locale = "en-US""#,
        ),
    );
    let run = wait_committed(run, &format!("connect-{name}"), &topic, &commits, 120);
    run.stop_cleanly();
    assert_bucket_holds(&bucket, &expected, "the keys Confluent's rules give").await;
    assert!(
        expected.contains_key(&format!(
            "topics/{topic}/year=2022/month=04/day=18/hour=10/{topic}+0+0000000000.json"
        )),
        "the first object of partition 0"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn default_and_field_partitioners_make_the_expected_keys() {
    let topic = unique_topic("orders");
    create_topic(&topic, 2).await;
    let regions = ["eu", "us", "eu", "us", "eu", "us", "eu", "us"];
    let mut produced = Vec::new();
    for p in 0..2 {
        for (i, r) in regions.iter().enumerate() {
            produced.push(RawRecord {
                value: Some(format!(r#"{{"region":"{r}","n":{i}}}"#).into_bytes()),
                partition: p,
                ..Default::default()
            });
        }
    }
    produce_raw(&topic, &produced).await;
    let dir = tempfile::tempdir().unwrap();
    let (default_bucket, field_bucket) = (unique_bucket("default"), unique_bucket("field"));
    create_bucket(&default_bucket).await;
    create_bucket(&field_bucket).await;
    let default_name = format!("default-{topic}");
    let field_name = format!("field-{topic}");
    let a = run_s3(
        dir.path(),
        &default_name,
        &topic,
        &sink(&default_bucket, r#""flush.size" = 3"#),
    );
    // flush.size counts the records of all open objects of a Kafka partition.
    let b = run_s3(
        dir.path(),
        &field_name,
        &topic,
        &sink(
            &field_bucket,
            r#""flush.size" = 4
"partitioner.class" = "Field"
"partition.field.name" = "region""#,
        ),
    );
    let a = wait_committed(
        a,
        &format!("connect-{default_name}"),
        &topic,
        &[Some(6), Some(6)],
        60,
    );
    let b = wait_committed(
        b,
        &format!("connect-{field_name}"),
        &topic,
        &[Some(8), Some(8)],
        60,
    );
    a.stop_cleanly();
    b.stop_cleanly();
    let line = |r: &str, n: usize| format!("{{\"region\":\"{r}\",\"n\":{n}}}\n");
    let got = objects(&default_bucket).await;
    let mut want = BTreeMap::new();
    for p in 0..2 {
        for start in [0, 3] {
            let body: String = (start..start + 3).map(|n| line(regions[n], n)).collect();
            want.insert(
                format!("topics/{topic}/partition={p}/{topic}+{p}+{start:010}.json"),
                body.into_bytes(),
            );
        }
    }
    assert_eq!(got, want);
    let got = objects(&field_bucket).await;
    let mut want = BTreeMap::new();
    for p in 0..2 {
        for (region, start) in [("eu", 0), ("us", 1), ("eu", 4), ("us", 5)] {
            let first = start - start % 4;
            let body: String = (first..first + 4)
                .filter(|n| regions[*n] == region)
                .map(|n| line(region, n))
                .collect();
            want.insert(
                format!("topics/{topic}/region={region}/{topic}+{p}+{start:010}.json"),
                body.into_bytes(),
            );
        }
    }
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_field_of_many_values_holds_at_most_open_objects_max_objects_open() {
    let topic = unique_topic("tenants");
    let bucket = unique_bucket("tenants");
    create_topic(&topic, 1).await;
    create_bucket(&bucket).await;
    // 400 records over 25 tenants in an order that revisits some soon and
    // others late, as real keys do.
    let mut records = Vec::new();
    let mut produced = Vec::new();
    for i in 0..400u64 {
        let tenant = (i * i + 7 * i) % 25 % (3 + i % 23);
        let value = format!(r#"{{"tenant":"t{tenant}","i":{i}}}"#).into_bytes();
        records.push((0, format!("tenant=t{tenant}"), value.clone()));
        produced.push(RawRecord {
            value: Some(value),
            ..Default::default()
        });
    }
    produce_raw(&topic, &produced).await;
    let key = |path: &str, start: i64| format!("topics/{topic}/{path}/{topic}+0+{start:010}.json");
    let (expected, held) = confluent_files(&records, 60, None, 4, key);
    let (unbounded, _) = confluent_files(&records, 60, None, usize::MAX, key);
    assert_ne!(expected, unbounded, "the bound changes the objects");
    let dir = tempfile::tempdir().unwrap();
    let name = format!("tenants-{topic}");
    let run = run_s3(
        dir.path(),
        &name,
        &topic,
        &sink(
            &bucket,
            r#""flush.size" = 60
"open.objects.max" = 4
"partitioner.class" = "Field"
"partition.field.name" = "tenant""#,
        ),
    );
    let run = wait_committed(run, &format!("connect-{name}"), &topic, &[Some(held)], 60);
    run.stop_cleanly();
    assert_bucket_holds(
        &bucket,
        &expected,
        "a new tenant past four open objects uploads the set first",
    )
    .await;
}

/// Checks that `bucket` holds exactly the objects of `expected`, key by key
/// (`why` says which rule gives those keys) and byte for byte.
async fn assert_bucket_holds(bucket: &str, expected: &BTreeMap<String, Vec<u8>>, why: &str) {
    let got = objects(bucket).await;
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "{why}"
    );
    for (key, body) in expected {
        assert!(got[key] == *body, "{key}: contents differ");
    }
}

fn kib_records(partitions: i32, per_partition: usize) -> Vec<RawRecord> {
    let pad = "x".repeat(1000);
    (0..per_partition)
        .flat_map(|i| {
            let pad = pad.clone();
            (0..partitions).map(move |p| RawRecord {
                value: Some(format!(r#"{{"p":{p},"i":{i},"pad":"{pad}"}}"#).into_bytes()),
                partition: p,
                ..Default::default()
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_upload_then_restart_leaves_the_bucket_of_an_uninterrupted_run() {
    let topic = unique_topic("crash");
    create_topic(&topic, 2).await;
    // 6000 records of ~1 KiB per object: multipart uploads of two parts.
    produce_raw(&topic, &kib_records(2, 15_000)).await;
    let settings = r#""flush.size" = 6000
"s3.part.size" = 5242880"#;
    let keys = |key: &dyn Fn(i32, i64) -> String| -> Vec<String> {
        let mut k: Vec<String> = [(0, 0), (0, 6000), (1, 0), (1, 6000)]
            .iter()
            .map(|&(p, start)| key(p, start))
            .collect();
        k.sort();
        k
    };
    let confluent =
        keys(&|p, start| format!("topics/{topic}/partition={p}/{topic}+{p}+{start:010}.json"));
    let bytes = r#"{ plugin = "bytes" }"#;
    let objects =
        crash_mid_upload_and_compare(&topic, "confluent", bytes, settings, &confluent).await;
    assert_lines(&objects, 6000);
    // Aiven's layout: keys from a template, flush.size counted per object.
    let template =
        r#""file.name.template" = "{{topic}}/{{partition}}/{{start_offset:padding=true}}.json""#;
    let templated = keys(&|p, start| format!("{topic}/{p}/{start:020}.json"));
    let objects = crash_mid_upload_and_compare(
        &topic,
        "template",
        bytes,
        &format!("{settings}\n{template}"),
        &templated,
    )
    .await;
    assert_lines(&objects, 6000);
}

/// Each object holds `n` records, one per line.
fn assert_lines(objects: &BTreeMap<String, Vec<u8>>, n: usize) {
    for (key, body) in objects {
        let lines = body
            .split(|&c| c == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        assert_eq!(lines, n, "{key}: each record exactly once");
    }
}

/// The same crash with Avro container files (`AvroFormat`): schema'd
/// records of ~1 KiB (JsonConverter's envelope), each object a file whose
/// blocks and sync marker must come out byte for byte the same after a
/// `kill -9` mid-upload and a restart, every record in it once, as
/// fastavro reads it.
#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_upload_of_avro_objects_then_restart_writes_the_same_files() {
    let topic = unique_topic("crash-avro");
    create_topic(&topic, 2).await;
    // A map: Avro maps are written in the order of a hash map, which only
    // a fixed hash seed keeps the same from one run to the next.
    let schema = r#"{"type":"struct","name":"shop.Row","fields":[{"field":"p","type":"int32"},{"field":"i","type":"int64"},{"field":"pad","type":"string"},{"field":"tags","type":"map","keys":{"type":"string"},"values":{"type":"int32"}}]}"#;
    let tags: String = (0..12)
        .map(|k| format!(r#""tag{k}":{k}"#))
        .collect::<Vec<_>>()
        .join(",");
    let records: Vec<RawRecord> = kib_records(2, 15_000)
        .into_iter()
        .map(|mut r| {
            let payload = String::from_utf8(r.value.take().unwrap_or_default()).unwrap();
            let payload = format!(r#"{},"tags":{{{tags}}}}}"#, payload.trim_end_matches('}'));
            r.value = Some(format!(r#"{{"schema":{schema},"payload":{payload}}}"#).into_bytes());
            r
        })
        .collect();
    produce_raw(&topic, &records).await;
    let settings = r#""flush.size" = 6000
"s3.part.size" = 5242880
"format.class" = "io.confluent.connect.s3.format.avro.AvroFormat""#;
    let mut keys: Vec<String> = [(0, 0), (0, 6000), (1, 0), (1, 6000)]
        .iter()
        .map(|&(p, start)| format!("topics/{topic}/partition={p}/{topic}+{p}+{start:010}.avro"))
        .collect();
    keys.sort();
    let converter = r#"{ plugin = "json", config = { "schemas.enable" = true } }"#;
    let objects = crash_mid_upload_and_compare(&topic, "avro", converter, settings, &keys).await;
    let files: Vec<&[u8]> = objects.values().map(Vec::as_slice).collect();
    for (key, file) in objects
        .keys()
        .zip(sluice_tests::registry::read_avro(&files))
    {
        let records = file["records"].as_array().expect("records");
        assert_eq!(records.len(), 6000, "{key}: each record exactly once");
        let first = records[0]["i"].as_i64().expect("i");
        for (n, r) in records.iter().enumerate() {
            assert_eq!(r["i"].as_i64(), Some(first + n as i64), "{key}: in order");
        }
        assert_eq!(records[0]["tags"]["tag11"], 11, "{key}");
        // Uncompressed, so that an object takes two parts.
        assert_eq!(file["codec"], "null");
    }
}

/// The same crash with Parquet files (`ParquetFormat`): row groups of about
/// 1 MiB handed to the upload as they close, so a crash comes while a file
/// is half written, half uploaded; restarted, the sink must write the same
/// files byte for byte, every record once and in order as pyarrow reads
/// them.
#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_upload_of_parquet_objects_then_restart_writes_the_same_files() {
    let topic = unique_topic("crash-parquet");
    create_topic(&topic, 2).await;
    let schema = r#"{"type":"struct","name":"shop.Row","fields":[{"field":"p","type":"int32"},{"field":"i","type":"int64"},{"field":"pad","type":"string"}]}"#;
    // ~1 KiB of a different pad per record: dictionary encoding gives up,
    // and an uncompressed object takes two parts.
    let records: Vec<RawRecord> = (0..15_000i64)
        .flat_map(|i| {
            (0..2).map(move |p| {
                let pad = format!("{i:08}").repeat(125);
                RawRecord {
                    value: Some(
                        format!(
                            r#"{{"schema":{schema},"payload":{{"p":{p},"i":{i},"pad":"{pad}"}}}}"#
                        )
                        .into_bytes(),
                    ),
                    partition: p,
                    ..Default::default()
                }
            })
        })
        .collect();
    produce_raw(&topic, &records).await;
    let settings = r#""flush.size" = 6000
"s3.part.size" = 5242880
"format.class" = "io.confluent.connect.s3.format.parquet.ParquetFormat"
"parquet.codec" = "none"
formatter = { plugin = "parquet-format", config = { "parquet.block.size" = 1048576 } }"#;
    let mut keys: Vec<String> = [(0, 0), (0, 6000), (1, 0), (1, 6000)]
        .iter()
        .map(|&(p, start)| format!("topics/{topic}/partition={p}/{topic}+{p}+{start:010}.parquet"))
        .collect();
    keys.sort();
    let converter = r#"{ plugin = "json", config = { "schemas.enable" = true } }"#;
    let objects = crash_mid_upload_and_compare(&topic, "parquet", converter, settings, &keys).await;
    let files: Vec<&[u8]> = objects.values().map(Vec::as_slice).collect();
    for (key, file) in objects
        .keys()
        .zip(sluice_tests::registry::read_parquet(&files))
    {
        let records = file["records"].as_array().expect("records");
        assert_eq!(records.len(), 6000, "{key}: each record exactly once");
        let first = records[0]["i"].as_i64().expect("i");
        for (n, r) in records.iter().enumerate() {
            assert_eq!(r["i"].as_i64(), Some(first + n as i64), "{key}: in order");
        }
        assert!(
            file["row_groups"].as_u64() > Some(4),
            "{key}: row groups as the file grows, {}",
            file["row_groups"]
        );
        assert_eq!(file["codec"], "UNCOMPRESSED");
    }
}

/// Runs `topic` into one bucket cleanly and into another with a `kill -9`
/// while a multipart upload is in flight and a restart, both with the
/// value `converter` and the sink `settings`; the two buckets must hold the
/// same `keys` and bytes, which are returned.
async fn crash_mid_upload_and_compare(
    topic: &str,
    label: &str,
    converter: &str,
    settings: &str,
    keys: &[String],
) -> BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let (clean, crashed) = (
        unique_bucket(&format!("clean-{label}")),
        unique_bucket(&format!("crashed-{label}")),
    );
    create_bucket(&clean).await;
    create_bucket(&crashed).await;
    // Held back: the tail past the last full object, 12000 per partition.
    let want = [Some(12_000), Some(12_000)];

    let name = format!("clean-{label}-{topic}");
    let run = run_s3_with(dir.path(), &name, topic, converter, &sink(&clean, settings));
    let run = wait_committed(run, &format!("connect-{name}"), topic, &want, 180);
    run.stop_cleanly();

    let name = format!("crashed-{label}-{topic}");
    let run = run_s3_with(
        dir.path(),
        &name,
        topic,
        converter,
        &sink(&crashed, settings),
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    while pending_uploads(&crashed).await == 0 {
        assert!(
            Instant::now() < deadline,
            "{label}: no multipart upload started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    run.kill9();
    let before = objects(&crashed).await.len();
    let run = run_s3_with(
        dir.path(),
        &name,
        topic,
        converter,
        &sink(&crashed, settings),
    );
    let run = wait_committed(run, &format!("connect-{name}"), topic, &want, 180);
    run.stop_cleanly();

    let (a, b) = (objects(&clean).await, objects(&crashed).await);
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        keys.iter().collect::<Vec<_>>(),
        "{label}: two objects per partition"
    );
    assert!(
        before < 4,
        "{label}: the kill came before every object was up ({before} were)"
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (key, body) in &a {
        assert!(b[key] == *body, "{key}: contents differ after the crash");
    }
    a
}

#[tokio::test(flavor = "multi_thread")]
async fn large_objects_go_up_in_parts_and_gzip_objects_hold_the_same_records() {
    let topic = unique_topic("big");
    create_topic(&topic, 1).await;
    produce_raw(&topic, &kib_records(1, 7000)).await;
    let dir = tempfile::tempdir().unwrap();
    let (plain, gzip) = (unique_bucket("plain"), unique_bucket("gzip"));
    create_bucket(&plain).await;
    create_bucket(&gzip).await;
    let (a_name, b_name) = (format!("plain-{topic}"), format!("gzip-{topic}"));
    let a = run_s3(
        dir.path(),
        &a_name,
        &topic,
        &sink(&plain, "\"flush.size\" = 7000\n\"s3.part.size\" = 5242880"),
    );
    let b = run_s3(
        dir.path(),
        &b_name,
        &topic,
        &sink(
            &gzip,
            "\"flush.size\" = 7000\n\"s3.compression.type\" = \"gzip\"",
        ),
    );
    let a = wait_committed(a, &format!("connect-{a_name}"), &topic, &[Some(7000)], 120);
    let b = wait_committed(b, &format!("connect-{b_name}"), &topic, &[Some(7000)], 120);
    a.stop_cleanly();
    b.stop_cleanly();
    let key = format!("topics/{topic}/partition=0/{topic}+0+0000000000.json");
    let plain_objects = objects(&plain).await;
    let body = &plain_objects[&key];
    let expected: Vec<u8> = kib_records(1, 7000)
        .iter()
        .flat_map(|r| r.value.clone().unwrap().into_iter().chain([b'\n']))
        .collect();
    assert!(
        body.len() > 5 << 20 && *body == expected,
        "the object reads back intact"
    );
    let head = client()
        .head_object()
        .bucket(&plain)
        .key(&key)
        .send()
        .await
        .unwrap();
    assert!(
        head.e_tag().unwrap_or_default().contains("-2"),
        "a multipart upload of two parts: ETag {:?}",
        head.e_tag()
    );
    let gz_objects = objects(&gzip).await;
    let gz = &gz_objects[&format!("{key}.gz")];
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert!(
        unzipped == expected,
        "the gzip object holds the same records"
    );
    assert!(gz.len() < body.len() / 5, "and is compressed");
}

#[tokio::test(flavor = "multi_thread")]
async fn scheduled_rotation_uploads_an_idle_partitions_object() {
    let topic = unique_topic("idle");
    create_topic(&topic, 1).await;
    let bucket = unique_bucket("idle");
    create_bucket(&bucket).await;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("idle-{topic}");
    let run = run_s3(
        dir.path(),
        &name,
        &topic,
        &sink(
            &bucket,
            "\"flush.size\" = 1000\n\"rotate.schedule.interval.ms\" = 3000\ntimezone = \"UTC\"",
        ),
    );
    let records: Vec<RawRecord> = (0..5)
        .map(|i| RawRecord::value(format!(r#"{{"i":{i}}}"#)))
        .collect();
    produce_raw(&topic, &records).await;
    // No more records come: only the schedule can upload these five.
    let run = wait_committed(run, &format!("connect-{name}"), &topic, &[Some(5)], 60);
    let got = objects(&bucket).await;
    run.stop_cleanly();
    assert_eq!(got.len(), 1, "{:?}", got.keys());
    let body = got.values().next().unwrap();
    assert_eq!(
        String::from_utf8_lossy(body),
        (0..5)
            .map(|i| format!("{{\"i\":{i}}}\n"))
            .collect::<String>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_bucket_or_wrong_credentials_stop_with_what_to_fix() {
    let topic = unique_topic("refused");
    create_topic(&topic, 1).await;
    produce_raw(&topic, &[RawRecord::value("{}")]).await;
    let dir = tempfile::tempdir().unwrap();
    let missing = unique_bucket("missing");
    let run = run_s3(
        dir.path(),
        "missing-bucket",
        &topic,
        &sink(&missing, "\"flush.size\" = 1"),
    );
    let (status, stderr) = run.wait_exit(60);
    assert!(!status.success());
    assert!(
        stderr.contains(&missing) && stderr.contains("create the bucket"),
        "{stderr}"
    );

    let bucket = unique_bucket("creds");
    create_bucket(&bucket).await;
    let wrong = sink(&bucket, "\"flush.size\" = 1").replace("sluice-secret", "not-the-secret");
    let run = run_s3(dir.path(), "wrong-credentials", &topic, &wrong);
    let (status, stderr) = run.wait_exit(60);
    assert!(!status.success());
    assert!(stderr.contains("aws.secret.access.key"), "{stderr}");
    assert_eq!(
        committed("connect-wrong-credentials", &topic, 1),
        [None],
        "nothing committed"
    );
}

/// A TCP relay to the S3 server that can be switched off: while off, it
/// drops every connection, as a store that is down.
struct Relay {
    url: String,
    up: Arc<AtomicBool>,
}

impl Relay {
    async fn start(up: bool) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let target = sluice_tests::s3::endpoint()
            .trim_start_matches("http://")
            .to_string();
        let flag = Arc::new(AtomicBool::new(up));
        let state = flag.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !state.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is reset
                }
                let (target, state) = (target.clone(), state.clone());
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    let copy = tokio::io::copy_bidirectional(&mut inbound, &mut outbound);
                    let watch = async {
                        while state.load(Ordering::SeqCst) {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    };
                    tokio::select! { _ = copy => {}, () = watch => {} }
                });
            }
        });
        Relay { url, up: flag }
    }

    fn set(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn while_the_store_is_down_nothing_is_committed_and_the_connector_resumes() {
    let topic = unique_topic("outage");
    create_topic(&topic, 1).await;
    let bucket = unique_bucket("outage");
    create_bucket(&bucket).await;
    let relay = Relay::start(false).await;
    let lines = sink(
        &bucket,
        "\"flush.size\" = 5\n\"retry.backoff.ms\" = 300\n\"s3.part.retries\" = 1",
    )
    .replace(&sluice_tests::s3::endpoint(), &relay.url);
    let dir = tempfile::tempdir().unwrap();
    let name = format!("outage-{topic}");
    let group = format!("connect-{name}");
    // Started while the store is down: it waits for it.
    let run = run_s3(dir.path(), &name, &topic, &lines);
    let batch = |from: usize| -> Vec<RawRecord> {
        (from..from + 5)
            .map(|i| RawRecord::value(format!(r#"{{"i":{i}}}"#)))
            .collect()
    };
    produce_raw(&topic, &batch(0)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        committed(&group, &topic, 1),
        [None],
        "nothing uploaded, nothing committed"
    );
    relay.set(true);
    let run = wait_committed(run, &group, &topic, &[Some(5)], 60);
    // Down again mid-run.
    relay.set(false);
    produce_raw(&topic, &batch(5)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        committed(&group, &topic, 1),
        [Some(5)],
        "records 5-9 are not uploaded"
    );
    relay.set(true);
    let run = wait_committed(run, &group, &topic, &[Some(10)], 60);
    let stderr = run.stop_cleanly();
    assert!(stderr.contains("retrying"), "the outage is logged");
    let got = objects(&bucket).await;
    assert_eq!(got.len(), 2, "{:?}", got.keys());
}

#[tokio::test(flavor = "multi_thread")]
async fn null_values_fail_by_default_and_are_skipped_or_written_when_asked() {
    let topic = unique_topic("nulls");
    create_topic(&topic, 1).await;
    // Offsets 0-1 values, 2 a tombstone, 3-4 values.
    let records: Vec<RawRecord> = (0..5)
        .map(|i| match i {
            2 => RawRecord::default(),
            _ => RawRecord::value(format!(r#"{{"i":{i}}}"#)),
        })
        .collect();
    produce_raw(&topic, &records).await;
    let dir = tempfile::tempdir().unwrap();
    let (failing, ignoring, writing) = (
        unique_bucket("nullfail"),
        unique_bucket("nullignore"),
        unique_bucket("nullwrite"),
    );
    for b in [&failing, &ignoring, &writing] {
        create_bucket(b).await;
    }
    // fail (the default): 0-1 fill an object (flush.size 2), uploaded and
    // committed; the connector stops at the tombstone, offset 2.
    let name = format!("nullfail-{topic}");
    let run = run_s3(
        dir.path(),
        &name,
        &topic,
        &sink(&failing, "\"flush.size\" = 2"),
    );
    let (status, stderr) = run.wait_exit(60);
    assert!(!status.success());
    assert!(
        stderr.contains("offset 2") && stderr.contains("behavior.on.null.values=fail"),
        "{stderr}"
    );
    assert_eq!(committed(&format!("connect-{name}"), &topic, 1), [Some(2)]);
    let lines = |v: &[usize]| -> Vec<u8> {
        v.iter()
            .flat_map(|i| format!("{{\"i\":{i}}}\n").into_bytes())
            .collect()
    };
    let key = |start: i64| format!("topics/{topic}/partition=0/{topic}+0+{start:010}.json");
    assert_eq!(
        objects(&failing).await,
        BTreeMap::from([(key(0), lines(&[0, 1]))])
    );

    for (bucket, behavior, want) in [
        (&ignoring, "ignore", vec![(key(0), lines(&[0, 1, 3, 4]))]),
        (
            &writing,
            "write",
            vec![
                (key(0), lines(&[0, 1])),
                (key(2), b"null\n{\"i\":3}\n".to_vec()),
            ],
        ),
    ] {
        let name = format!("null{behavior}-{topic}");
        let flush = if behavior == "ignore" { 4 } else { 2 };
        let settings =
            format!("\"flush.size\" = {flush}\n\"behavior.on.null.values\" = \"{behavior}\"");
        let run = run_s3(dir.path(), &name, &topic, &sink(bucket, &settings));
        // ignore: 0,1,3,4 fill one object; write: objects of 2 records, offset 4 held.
        let want_commit = if behavior == "ignore" { 5 } else { 4 };
        let run = wait_committed(
            run,
            &format!("connect-{name}"),
            &topic,
            &[Some(want_commit)],
            60,
        );
        run.stop_cleanly();
        assert_eq!(
            objects(bucket).await,
            BTreeMap::from_iter(want),
            "{behavior}"
        );
    }
}
