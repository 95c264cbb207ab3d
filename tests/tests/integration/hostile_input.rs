//! Hostile input, none of which may crash, hang or lose data: malformed and
//! huge records, odd keys and headers (a name that is not UTF-8), a batch
//! whose CRC fails on the broker's disk, wrong JsonConverter envelopes, plugins
//! that loop or exhaust memory on one record, an endpoint whose error body
//! never ends, broken plugin files, lying plugin metadata, and a manifest with every kind of mistake. Each outcome
//! is asserted: delivered, dead-lettered, dropped as configured, or refused
//! with an error that names the culprit.

use std::collections::BTreeSet;
use std::path::Path;

use rdkafka::message::Message;
use sluice_tests::dead_letters::{
    chaos_connector, dead_letter, dead_offset, dead_offsets, dlq_settings, header,
    received_numbers, received_records, td_sink,
};
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{
    RawRecord, committed, consume_n, create_topic, create_topic_with, produce_raw,
    produce_with_header_name,
};
use sluice_tests::process::Connector;
use sluice_tests::process::{Running, TD_FORMATTER};
use sluice_tests::{kafka_data_dir, mixed_plugin_dir, plugin, sluice, test_plugin, unique_topic};

#[tokio::test(flavor = "multi_thread")]
async fn malformed_huge_and_odd_records_are_delivered_dead_lettered_or_dropped() {
    let topic = unique_topic("hostile");
    let dlq = format!("{topic}-dlq");
    // Room for the 10 MiB record.
    create_topic_with(&topic, &[("max.message.bytes", "16777216")]).await;
    let big_pad = "x".repeat(10 << 20);
    let many_headers: Vec<(String, Option<Vec<u8>>)> = (0..500)
        .map(|i| (format!("h{i}"), (i % 3 != 0).then(|| vec![b'v'; i % 50])))
        .collect();
    let v = |s: &str| Some(s.as_bytes().to_vec());
    let records = vec![
        /* 0 */ RawRecord::value(r#"{"n":0}"#),
        /* 1 invalid JSON */ RawRecord::value(r#"{"n":"#),
        /* 2 invalid UTF-8 */
        RawRecord::value(b"\xff\xfe{\"n\":2}".to_vec()),
        /* 3 invalid UTF-8 inside a string */
        RawRecord::value(b"{\"n\":3,\"s\":\"\xc3\x28\"}".to_vec()),
        /* 4 empty value: no value, as Jackson reads it */ RawRecord::value(""),
        /* 5 tombstone, with a key */
        RawRecord {
            key: v("gone"),
            value: None,
            headers: vec![],
            ..Default::default()
        },
        /* 6 null key */ RawRecord::value(r#"{"n":6}"#),
        /* 7 empty key */
        RawRecord {
            key: v(""),
            value: v(r#"{"n":7}"#),
            headers: vec![],
            ..Default::default()
        },
        /* 8 a 10 MiB record */
        RawRecord::value(format!(r#"{{"n":8,"pad":"{big_pad}"}}"#)),
        /* 9 500 headers, some null */
        RawRecord {
            key: v("k9"),
            value: v(r#"{"n":9}"#),
            headers: many_headers.clone(),
            ..Default::default()
        },
        /* 10 the JSON literal null: a tombstone after conversion */
        RawRecord::value("null"),
        /* 11 deeply nested JSON past the parser's recursion limit */
        RawRecord::value(format!("{}1{}", "[".repeat(5000), "]".repeat(5000))),
        /* 12 */ RawRecord::value(r#"{"n":12}"#),
    ];
    produce_raw(&topic, &records).await;
    let (run, name, receiver, _dir) = start_with_dlq(&topic, &dlq, "hostile", None).await;
    let got = receiver
        .wait_for(90, "the good records", |r| {
            received_numbers(r).contains(&12)
        })
        .await;
    assert_eq!(
        received_numbers(&got),
        vec![0, 6, 7, 8, 9, 12],
        "every good record, in order"
    );
    let big = received_records(&got)
        .into_iter()
        .find(|v| v["n"] == 8)
        .unwrap();
    assert_eq!(
        big["pad"].as_str().unwrap().len(),
        10 << 20,
        "the 10 MiB record whole"
    );

    let dead = consume_n(&dlq, 4, 30);
    assert_eq!(
        dead_offsets(&dead),
        BTreeSet::from([1, 2, 3, 11]),
        "malformed records are dead letters"
    );
    for m in &dead {
        let offset = dead_offset(m) as usize;
        assert_eq!(
            m.payload(),
            records[offset].value.as_deref(),
            "offset {offset}: the original bytes"
        );
    }
    // Tombstones (5, 10) and the empty value (4) are dropped:
    // behavior.on.null.values=ignore.
    stop_committed_to(run, &name, &topic, 13);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_header_name_that_is_not_utf8_is_read_as_kafkas_java_client_reads_it() {
    let topic = unique_topic("hdr-bytes");
    let dlq = format!("{topic}-dlq");
    create_topic(&topic, 1).await;
    // Any librdkafka producer can send such a name; Java's consumer decodes
    // it as UTF-8 with U+FFFD for each malformed sequence.
    let name = b"\xffbad\xfe";
    produce_with_header_name(&topic, name, b"v", br#"{"n":0}"#);
    produce_with_header_name(&topic, name, b"v", br#"{"n":"#);
    produce_raw(&topic, &[RawRecord::value(r#"{"n":2}"#)]).await;
    let (run, name, receiver, _dir) = start_with_dlq(&topic, &dlq, "hdr-bytes", None).await;
    let got = receiver
        .wait_for(60, "the records on either side", |r| {
            received_numbers(r).contains(&2)
        })
        .await;
    assert_eq!(received_numbers(&got), vec![0, 2]);
    let dead = consume_n(&dlq, 1, 30);
    assert_eq!(dead_offsets(&dead), BTreeSet::from([1]));
    assert_eq!(
        header(&dead[0], "\u{fffd}bad\u{fffd}"),
        "v",
        "the dead letter keeps the header, its name as Java reads it"
    );
    stop_committed_to(run, &name, &topic, 3);
}

/// Records of many small headers hold far more memory (a name and an entry
/// per header) than their bytes in the batch's arena: the memory budget
/// counts that too, so with `--memory-budget 1MiB` (512 KiB for batches)
/// such records go a few at a time, not 40 in one batch.
#[tokio::test(flavor = "multi_thread")]
async fn records_of_many_small_headers_are_held_within_the_memory_budget() {
    let topic = unique_topic("many-headers");
    create_topic(&topic, 1).await;
    let headers: Vec<(String, Option<Vec<u8>>)> =
        (0..2000).map(|_| ("h".to_string(), None)).collect();
    let records: Vec<RawRecord> = (0..40i64)
        .map(|i| RawRecord {
            value: Some(format!(r#"{{"n":{i}}}"#).into_bytes()),
            headers: headers.clone(),
            ..Default::default()
        })
        .collect();
    produce_raw(&topic, &records).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("many-headers-{topic}");
    let m = Connector {
        name: &name,
        topic: &topic,
        sink: &td_sink(&receiver, 50),
        ..Connector::default()
    }
    .write(dir.path());
    let mut cmd = sluice();
    cmd.arg("run").arg(&m).arg("--memory-budget").arg("1MiB");
    let run = Running::spawn(cmd);
    let got = receiver
        .wait_for(60, "all 40 records", |r| received_numbers(r).contains(&39))
        .await;
    assert_eq!(received_numbers(&got), (0..40).collect::<Vec<_>>());
    let most = got
        .iter()
        .map(|r| received_numbers(std::slice::from_ref(r)).len())
        .max()
        .unwrap_or(0);
    // 2,000 headers count some 200 KiB each: two fit the batch half, a
    // third may be read past it before the batch goes.
    assert!(
        most <= 4,
        "at most a few such records per batch, saw {most} in one request"
    );
    stop_committed_to(run, &name, &topic, 40);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_that_fails_its_crc_stops_the_connector_and_nothing_past_it_is_committed() {
    let topic = unique_topic("crc");
    create_topic(&topic, 1).await;
    // Three batches of one record: each send waits for its acknowledgement.
    for value in [r#"{"n":0}"#, r#"{"n":1,"mark":"CORRUPTME"}"#, r#"{"n":2}"#] {
        produce_raw(&topic, &[RawRecord::value(value)]).await;
    }
    // One byte of the middle batch changed on the broker's disk: Kafka
    // serves a segment as it is, so the consumer gets a batch whose CRC
    // fails. librdkafka (check.crcs=true) reports it and reads on after it.
    let segment = kafka_data_dir()
        .join(format!("{topic}-0"))
        .join("00000000000000000000.log");
    let bytes = std::fs::read(&segment).unwrap_or_else(|e| panic!("{}: {e}", segment.display()));
    let at = bytes
        .windows(9)
        .position(|w| w == b"CORRUPTME")
        .expect("the marked record in the segment");
    {
        use std::os::unix::fs::FileExt;
        std::fs::OpenOptions::new()
            .write(true)
            .open(&segment)
            .and_then(|f| f.write_all_at(b"X", at as u64))
            .unwrap_or_else(|e| panic!("{}: {e}", segment.display()));
    }
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("crc-{topic}");
    let m = Connector {
        name: &name,
        topic: &topic,
        sink: &td_sink(&receiver, 1),
        kafka: r#", "check.crcs" = true"#,
        ..Connector::default()
    }
    .write(dir.path());
    let (status, stderr) = Running::start(&m).wait_exit(60);
    assert!(!status.success(), "the connector stops\n{stderr}");
    assert!(
        stderr.contains(&format!("partition {topic}-0"))
            && stderr.contains("could not read the records")
            && stderr.contains("Bad message format")
            && stderr.contains("--reset-offsets"),
        "the error names the partition, what happened and what to do\n{stderr}"
    );
    assert!(
        !received_numbers(&receiver.accepted()).contains(&2),
        "nothing after the bad batch is delivered"
    );
    let committed = committed(&format!("connect-{name}"), &topic, 1);
    assert!(
        committed[0].is_none_or(|c| c <= 1),
        "the commit stops short of the bad batch: {committed:?}\n{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_that_answers_an_endless_error_body_is_reported_with_its_start() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let topic = unique_topic("endless");
    create_topic(&topic, 1).await;
    produce_raw(&topic, &[RawRecord::value(r#"{"n":0}"#)]).await;
    // An endpoint that answers 500 with a chunked body that never ends, at
    // up to 64 MB/s, and counts what it could send.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    let sent = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicBool::new(false));
    let (counted, hung_up) = (sent.clone(), closed.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (counted, hung_up) = (counted.clone(), hung_up.clone());
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head).await.is_err() {
                    return;
                }
                let text = "the endless error body ".repeat(2850);
                let chunk = format!("{:x}\r\n{text}\r\n", text.len());
                while socket.write_all(chunk.as_bytes()).await.is_ok() {
                    counted.fetch_add(text.len(), Ordering::Relaxed);
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                hung_up.store(true, Ordering::Relaxed);
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let name = format!("endless-{topic}");
    let sink = format!(
        r#""http.api.url" = "{url}"
"batch.max.size" = 1
"max.retries" = 0
"http.request.timeout.ms" = 60000
"behavior.on.error" = "log"
{TD_FORMATTER}"#
    );
    let m = Connector {
        name: &name,
        topic: &topic,
        sink: &sink,
        ..Connector::default()
    }
    .write(dir.path());
    let run = Running::start(&m);
    // The sink hangs up long before the request timeout would.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !closed.load(Ordering::Relaxed) {
        assert!(
            std::time::Instant::now() < deadline,
            "the sink kept the endless answer's connection open"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // behavior.on.error=log: the record is reported and passed.
    let stderr = stop_committed_to(run, &name, &topic, 1);
    assert!(
        stderr.contains("answered 500") && stderr.contains("the endless error body the endless"),
        "the error gives the status and the start of the body\n{stderr}"
    );
    let sent = sent.load(Ordering::Relaxed);
    assert!(
        sent < 16 << 20,
        "the sink stopped reading the body after its first MiB, not at the request timeout: {sent} bytes sent"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_envelopes_with_wrong_schemas_are_dead_lettered_with_the_reason() {
    let topic = unique_topic("envelope");
    let dlq = format!("{topic}-dlq");
    create_topic(&topic, 1).await;
    let schema = r#"{"type":"struct","fields":[{"field":"n","type":"int32"}]}"#;
    let records: Vec<RawRecord> = [
        format!(r#"{{"schema":{schema},"payload":{{"n":0}}}}"#),
        // The payload does not match the schema.
        format!(r#"{{"schema":{schema},"payload":{{"n":"one"}}}}"#),
        // A schema without a type.
        r#"{"schema":{"optional":false},"payload":{"n":2}}"#.to_string(),
        // Plain JSON where an envelope is expected.
        r#"{"n":3}"#.to_string(),
        // An envelope with an extra field.
        format!(r#"{{"schema":{schema},"payload":{{"n":4}},"extra":1}}"#),
        // A required field missing.
        format!(r#"{{"schema":{schema},"payload":{{}}}}"#),
        format!(r#"{{"schema":{schema},"payload":{{"n":6}}}}"#),
    ]
    .into_iter()
    .map(RawRecord::value)
    .collect();
    produce_raw(&topic, &records).await;
    let (run, name, receiver, _dir) =
        start_with_dlq(&topic, &dlq, "env", Some(r#"{ plugin = "json" }"#)).await;
    let got = receiver
        .wait_for(60, "records 0 and 6", |r| received_numbers(r).contains(&6))
        .await;
    assert_eq!(received_numbers(&got), vec![0, 6]);
    let dead = consume_n(&dlq, 5, 30);
    assert_eq!(dead_offsets(&dead), BTreeSet::from([1, 2, 3, 4, 5]));
    let reason = |offset: i64| {
        header(
            dead_letter(&dead, offset),
            "__connect.errors.exception.message",
        )
    };
    assert!(
        reason(1).contains("payload.n: expected an integer"),
        "{}",
        reason(1)
    );
    assert!(reason(2).contains("'type'"), "{}", reason(2));
    assert!(reason(3).contains("schemas.enable=false"), "{}", reason(3));
    assert!(
        reason(4).contains("may not contain additional fields"),
        "{}",
        reason(4)
    );
    assert!(
        reason(5).contains("Invalid null value for required INT32 field"),
        "{}",
        reason(5)
    );
    stop_committed_to(run, &name, &topic, 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_that_loops_or_exhausts_memory_on_one_record_loses_only_that_record() {
    let topic = unique_topic("runaway");
    let dlq = format!("{topic}-dlq");
    create_topic(&topic, 1).await;
    let records: Vec<RawRecord> = (0..40i64)
        .map(|i| {
            RawRecord::value(match i {
                7 => "loop".to_string(),
                23 => "alloc".to_string(),
                _ => format!(r#"{{"n":{i}}}"#),
            })
        })
        .collect();
    produce_raw(&topic, &records).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("runaway-{topic}");
    let options = ", cpu_deadline_ms = 300, memory_limit_mib = 32";
    let m = chaos_connector(dir.path(), &name, &topic, &dlq, options, &receiver, 50);
    let run = Running::start(&m);
    let got = receiver
        .wait_for(120, "38 records", |r| received_numbers(r).len() >= 38)
        .await;
    let expected: Vec<i64> = (0..40).filter(|i| *i != 7 && *i != 23).collect();
    assert_eq!(received_numbers(&got), expected);
    let dead = consume_n(&dlq, 2, 30);
    assert_eq!(dead_offsets(&dead), BTreeSet::from([7, 23]));
    let class = |offset: i64| {
        header(
            dead_letter(&dead, offset),
            "__connect.errors.exception.class.name",
        )
    };
    assert_eq!(class(7), "sluice.plugin.CpuDeadlineExceeded");
    assert_eq!(class(23), "sluice.plugin.MemoryLimitExceeded");
    stop_committed_to(run, &name, &topic, 40);
}

/// Stops `run` cleanly and checks that connector `name` committed
/// partition 0 of `topic` up to `end`, and that nothing panicked; returns
/// its stderr.
fn stop_committed_to(run: Running, name: &str, topic: &str, end: i64) -> String {
    let stderr = run.stop_cleanly();
    assert_eq!(
        committed(&format!("connect-{name}"), topic, 1),
        vec![Some(end)],
        "committed to the end\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// Starts a connector named `<prefix>-<topic>` on `topic` with the dead
/// letter queue `dlq` (errors.tolerance=all), the JSON value converter
/// `converter` (default: schemaless) and batches of 50 to a new receiver;
/// the manifest's directory lives as long as the last value returned.
async fn start_with_dlq(
    topic: &str,
    dlq: &str,
    prefix: &str,
    converter: Option<&str>,
) -> (Running, String, Receiver, tempfile::TempDir) {
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("{prefix}-{topic}");
    let defaults = Connector::default();
    let m = Connector {
        name: &name,
        topic,
        value_converter: converter.unwrap_or(defaults.value_converter),
        sink: &td_sink(&receiver, 50),
        extra: &dlq_settings(dlq),
        ..defaults
    }
    .write(dir.path());
    (Running::start(&m), name, receiver, dir)
}

/// `sluice validate` on a manifest whose value converter is `converter`,
/// from `plugins`; returns success and stderr.
fn validate_with(dir: &Path, plugins: &Path, converter: &str) -> (bool, String) {
    let m = Connector {
        name: "c",
        topic: "t",
        plugins: Some(plugins),
        value_converter: converter,
        sink: r#""http.api.url" = "http://127.0.0.1:9/""#,
        ..Connector::default()
    }
    .write(dir);
    let out = sluice().arg("validate").arg(&m).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn broken_plugin_files_are_refused_with_their_path_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    let whole = std::fs::read(plugin("json")).unwrap();
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "truncated",
            whole[..whole.len() / 3].to_vec(),
            "truncated.wasm: invalid or truncated component",
        ),
        (
            "core",
            b"\0asm\x01\0\0\0".to_vec(),
            "core.wasm: a core WebAssembly module, not a component: build the plugin for wasm32-wasip2",
        ),
        (
            "text",
            b"#!/bin/sh\necho hi\n".to_vec(),
            "text.wasm: not a WebAssembly file",
        ),
        (
            "future",
            std::fs::read(test_plugin("future-contract")).unwrap(),
            "built for plugin contract sluice:plugin@9.0.0, but this host supports sluice:plugin@0.1.0",
        ),
        (
            "foreign",
            std::fs::read(test_plugin("foreign-world")).unwrap(),
            "foreign.wasm: not a Sluice plugin",
        ),
    ];
    for (name, bytes, expected) in cases {
        std::fs::write(plugins.join(format!("{name}.wasm")), bytes).unwrap();
        let (ok, stderr) =
            validate_with(dir.path(), &plugins, &format!("{{ plugin = \"{name}\" }}"));
        assert!(!ok, "{name}: refused");
        assert!(
            stderr.contains(expected) && stderr.contains("\"value.converter\""),
            "{name}: expected {expected:?} and the manifest place in:\n{stderr}"
        );
    }
}

#[test]
fn a_plugin_whose_metadata_lies_about_its_config_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = mixed_plugin_dir(dir.path(), &["liar"]);
    let transform = |config: &str| {
        let m = Connector {
            name: "lies",
            topic: "t",
            plugins: Some(&plugins),
            sink: r#""http.api.url" = "http://127.0.0.1:9/""#,
            extra: &format!("transforms = [{{ plugin = \"liar\", config = {{ {config} }} }}]"),
            ..Connector::default()
        }
        .write(dir.path());
        let out = sluice().arg("validate").arg(&m).output().unwrap();
        assert!(!out.status.success(), "refused with config {{ {config} }}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // The key it needs but never declared: the host refuses it as unknown.
    let err = transform(r#"mode = "fast""#);
    assert!(
        err.contains("transforms[0]")
            && err.contains("plugin `liar`")
            && err.contains("unknown key `mode` (known keys: threshold)"),
        "{err}"
    );
    // Without it, the plugin's own configure refuses to start.
    let err = transform("");
    assert!(
        err.contains("plugin `liar` rejected its configuration")
            && err.contains("missing required key `mode`"),
        "{err}"
    );
    // A declared key of the wrong type is refused before the plugin sees it.
    let err = transform(r#"threshold = "ten""#);
    assert!(err.contains("`threshold` must be an integer"), "{err}");
}

#[test]
fn a_manifest_with_every_kind_of_mistake_lists_each_one() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("bad.toml");
    std::fs::write(
        &m,
        r#"
[[connectors]]
name = "a b"
topics = "orders"
kafka = { "enable.auto.commit" = true, "sasl.jaas.config" = "com.example.KerberosLoginModule required;", "value.deserializer" = "x" }
"value.converter" = { plugin = "../json", config = { nested = { a = 1 } }, dirs = ["nocolon"] }
"errors.tolerance" = "most"
"errors.retry.timeout" = -5
"errors.deadletterqueue.topic.name" = "orders"
"errors.deadletterqueue.topic.replication.factor" = 0

[connectors.sink]
type = "http"
"http.api.url" = "ftp://x"
"request.method" = "GET"
"auth.type" = "BASIC"
"batch.max.size" = 0
"behavior.on.null.values" = "delete"
"report.errors.as" = "xml"
"reporter.error.topic.name" = "errs"
"reporter.error.topic.partitions" = 0

[[connectors]]
name = "a b"
"topics.regex" = "(unclosed"
kafka = { "bootstrap.servers" = "b:9092" }
sink = { type = "http", "http.api.url" = "http://x", "retry.on.status.codes" = "abc", "behavior.on.error" = "explode", "https.ssl.certificate.location" = "/c.pem" }
"#,
    )
    .unwrap();
    let out = sluice().arg("validate").arg(&m).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    for expected in [
        "\"a b\" must be non-empty, without spaces",
        "another connector is already called \"a b\"",
        "Sluice commits offsets itself",
        "KerberosLoginModule has no librdkafka equivalent",
        "choose a key.converter / value.converter plugin instead",
        "\"bootstrap.servers\": missing",
        "\"../json\" is not a plugin name",
        "\"value.converter\".config.nested: expected a string, number or boolean",
        "\"nocolon\" is not \"HOST_DIR:/GUEST_DIR\"",
        "\"most\" is not `none` or `all`",
        "\"errors.retry.timeout\": -5 is negative",
        "is one of this connector's own topics",
        "replication.factor\": 0 must be at least 1",
        "\"ftp://x\" is not an http:// or https:// URL",
        "\"GET\" is not POST, PUT or PATCH",
        "BASIC needs \"connection.user\" and \"connection.password\"",
        "batch.max.size\": must be at least 1",
        "put ${key} in http.api.url",
        "\"xml\" is not error_string or http_response",
        "reporter.error.topic.partitions\": 0 must be at least 1",
        "\"topics.regex\": \"(unclosed\" is not a valid regular expression",
        "\"abc\" is not a status code",
        "\"explode\" is not fail, log or ignore",
        "set it together with https.ssl.key.location",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
}
