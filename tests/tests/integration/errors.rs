//! Errors that lose nothing, end to end: `errors.tolerance`, the dead letter
//! queue with Kafka Connect's headers (read back by a consumer), plugins that
//! trap, a sink that rejects a batch, and the reporter topics. Real broker,
//! real `sluice` binary, real HTTP receiver.

use std::collections::BTreeSet;

use rdkafka::message::Message;
use sluice_tests::dead_letters::{
    chaos_connector, dead_offset, dead_offsets, dlq_settings, header, received_numbers, td_sink,
};
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{RawRecord, committed, consume_n, create_topic, produce_raw};
use sluice_tests::process::{Running, TD_FORMATTER, manifest};
use sluice_tests::unique_topic;

#[tokio::test(flavor = "multi_thread")]
async fn invalid_json_goes_to_the_dead_letter_queue_with_connects_headers() {
    let topic = unique_topic("dlq-json");
    let dlq = format!("{topic}-dlq");
    create_topic(&topic, 1).await;
    let bad: BTreeSet<i64> = (0..37).map(|i| 5 + 27 * i).collect();
    let records: Vec<RawRecord> = (0..1000i64)
        .map(|i| RawRecord {
            key: Some(format!("k{i}").into_bytes()),
            value: Some(if bad.contains(&i) {
                format!("{{not json {i}").into_bytes()
            } else {
                format!(r#"{{"n":{i}}}"#).into_bytes()
            }),
            headers: vec![("trace".into(), Some(format!("t{i}").into_bytes()))],
            ..Default::default()
        })
        .collect();
    produce_raw(&topic, &records).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("dlq-{topic}");
    let m = manifest(
        dir.path(),
        &name,
        &topic,
        &td_sink(&receiver, 100),
        &dlq_settings(&dlq),
    );
    let run = Running::start(&m);
    let got = receiver
        .wait_for(60, "963 records", |r| received_numbers(r).len() >= 963)
        .await;
    let expected: Vec<i64> = (0..1000).filter(|i| !bad.contains(i)).collect();
    assert_eq!(
        received_numbers(&got),
        expected,
        "the good records, in order"
    );

    let dead = consume_n(&dlq, 37, 30);
    assert_eq!(
        dead_offsets(&dead),
        bad,
        "exactly the invalid records are dead letters"
    );
    for m in &dead {
        let offset = dead_offset(m);
        assert_eq!(
            m.payload(),
            Some(format!("{{not json {offset}").as_bytes()),
            "original value"
        );
        assert_eq!(
            m.key(),
            Some(format!("k{offset}").as_bytes()),
            "original key"
        );
        assert_eq!(
            header(m, "trace"),
            format!("t{offset}"),
            "original header kept"
        );
        assert!(m.timestamp().to_millis().is_some(), "original timestamp");
        assert_eq!(header(m, "__connect.errors.topic"), topic);
        assert_eq!(header(m, "__connect.errors.partition"), "0");
        assert_eq!(header(m, "__connect.errors.connector.name"), name);
        assert_eq!(header(m, "__connect.errors.task.id"), "0");
        assert_eq!(header(m, "__connect.errors.stage"), "VALUE_CONVERTER");
        assert_eq!(
            header(m, "__connect.errors.class.name"),
            "org.apache.kafka.connect.json.JsonConverter"
        );
        assert_eq!(
            header(m, "__connect.errors.exception.class.name"),
            "org.apache.kafka.connect.errors.DataException"
        );
        let message = header(m, "__connect.errors.exception.message");
        assert!(message.contains("not valid JSON"), "{message}");
        assert!(!header(m, "__connect.errors.exception.stacktrace").is_empty());
    }
    let stderr = run.stop_cleanly();
    assert_eq!(
        committed(&format!("connect-{name}"), &topic, 1),
        vec![Some(1000)],
        "committed to the end\n{stderr}"
    );
    assert!(
        stderr.contains("Error encountered in task") && stderr.contains("VALUE_CONVERTER"),
        "errors.log.enable logs each failure\n{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tolerance_none_stops_at_the_first_bad_record_and_commits_up_to_it() {
    let topic = unique_topic("tol-none");
    create_topic(&topic, 1).await;
    let records: Vec<RawRecord> = (0..100i64)
        .map(|i| {
            RawRecord::value(if i == 42 || i == 70 {
                "{broken".to_string()
            } else {
                format!(r#"{{"n":{i}}}"#)
            })
        })
        .collect();
    produce_raw(&topic, &records).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("none-{topic}");
    let m = manifest(
        dir.path(),
        &name,
        &topic,
        &td_sink(&receiver, 100),
        r#""errors.tolerance" = "none""#,
    );
    let (status, stderr) = Running::start(&m).wait_exit(60);
    assert!(!status.success(), "the connector stops\n{stderr}");
    assert!(
        stderr.contains(&format!("{topic} partition 0 offset 42"))
            && stderr.contains("plugin `json`"),
        "the error names topic, partition, offset and plugin\n{stderr}"
    );
    assert_eq!(
        received_numbers(&receiver.accepted()),
        (0..42).collect::<Vec<_>>(),
        "the records before it are delivered, nothing after"
    );
    assert_eq!(
        committed(&format!("connect-{name}"), &topic, 1),
        vec![Some(42)],
        "the committed offset is the bad record's: a restart starts there"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transform_that_traps_on_every_100th_record_loses_only_those() {
    let topic = unique_topic("trap");
    let dlq = format!("{topic}-dlq");
    create_topic(&topic, 1).await;
    let records: Vec<RawRecord> = (0..1000i64)
        .map(|i| {
            RawRecord::value(if i % 100 == 0 {
                "trap".to_string()
            } else {
                format!(r#"{{"n":{i}}}"#)
            })
        })
        .collect();
    produce_raw(&topic, &records).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("trap-{topic}");
    let m = chaos_connector(dir.path(), &name, &topic, &dlq, "", &receiver, 500);
    let run = Running::start(&m);
    let got = receiver
        .wait_for(120, "990 records", |r| received_numbers(r).len() >= 990)
        .await;
    let expected: Vec<i64> = (0..1000).filter(|i| i % 100 != 0).collect();
    assert_eq!(received_numbers(&got), expected);
    let dead = consume_n(&dlq, 10, 30);
    assert_eq!(
        dead_offsets(&dead),
        (0..10).map(|i| i * 100).collect::<BTreeSet<_>>()
    );
    for m in &dead {
        assert_eq!(m.payload(), Some(&b"trap"[..]));
        assert_eq!(header(m, "__connect.errors.stage"), "TRANSFORMATION");
        assert_eq!(header(m, "__connect.errors.class.name"), "chaos@0.0.1");
        assert_eq!(
            header(m, "__connect.errors.exception.class.name"),
            "sluice.plugin.Trap"
        );
        let trace = header(m, "__connect.errors.exception.stacktrace");
        assert!(trace.contains("chaos"), "the wasm backtrace: {trace}");
    }
    let stderr = run.stop_cleanly();
    assert_eq!(
        committed(&format!("connect-{name}"), &topic, 1),
        vec![Some(1000)],
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_the_endpoint_rejects_goes_to_the_dead_letter_queue_and_the_error_topic() {
    let topic = unique_topic("put-400");
    let dlq = format!("{topic}-dlq");
    let (results, errors) = (format!("{topic}-ok"), format!("{topic}-err"));
    create_topic(&topic, 1).await;
    let records: Vec<RawRecord> = (0..30i64)
        .map(|i| RawRecord {
            key: Some(format!("k{i}").into_bytes()),
            value: Some(format!(r#"{{"n":{i}}}"#).into_bytes()),
            headers: Vec::new(),
            ..Default::default()
        })
        .collect();
    produce_raw(&topic, &records).await;
    let receiver = Receiver::start().await;
    // The first request (records 0-9) is refused; 400 is not retried here.
    receiver.script(&[400]);
    let dir = tempfile::tempdir().unwrap();
    let name = format!("put-{topic}");
    let sink = format!(
        r#""http.api.url" = "{url}"
"batch.max.size" = 10
"batch.linger.ms" = 3000
"retry.on.status.codes" = "500-"
"behavior.on.error" = "log"
"reporter.result.topic.name" = "{results}"
"reporter.result.topic.replication.factor" = 1
"reporter.error.topic.name" = "{errors}"
"reporter.error.topic.replication.factor" = 1
"report.errors.as" = "http_response"
{TD_FORMATTER}"#,
        url = receiver.url("/in")
    );
    let m = manifest(dir.path(), &name, &topic, &sink, &dlq_settings(&dlq));
    let run = Running::start(&m);
    let got = receiver
        .wait_for(60, "20 records", |r| received_numbers(r).len() >= 20)
        .await;
    assert_eq!(received_numbers(&got), (10..30).collect::<Vec<_>>());

    let dead = consume_n(&dlq, 10, 30);
    for (i, m) in dead.iter().enumerate() {
        assert_eq!(header(m, "__connect.errors.offset"), i.to_string());
        assert_eq!(header(m, "__connect.errors.stage"), "TASK_PUT");
        assert_eq!(
            header(m, "__connect.errors.class.name"),
            "org.apache.kafka.connect.sink.SinkTask"
        );
        assert!(header(m, "__connect.errors.exception.message").contains("400"));
        assert_eq!(m.payload(), Some(format!(r#"{{"n":{i}}}"#).as_bytes()));
    }
    let reported = consume_n(&errors, 10, 30);
    for (i, m) in reported.iter().enumerate() {
        assert_eq!(header(m, "input_record_offset"), i.to_string());
        assert_eq!(header(m, "input_record_topic"), topic);
        assert_eq!(header(m, "input_record_partition"), "0");
        assert_eq!(header(m, "status_code"), "400");
        assert_eq!(m.key(), Some(format!("k{i}").as_bytes()), "the input key");
        assert_eq!(
            m.payload_view::<str>().unwrap().unwrap(),
            "scripted 400",
            "report.errors.as=http_response: the response body"
        );
    }
    let ok = consume_n(&results, 20, 30);
    let ok_offsets: Vec<String> = ok
        .iter()
        .map(|m| header(m, "input_record_offset"))
        .collect();
    assert_eq!(
        ok_offsets,
        (10..30).map(|i| i.to_string()).collect::<Vec<_>>()
    );
    let stderr = run.stop_cleanly();
    assert_eq!(
        committed(&format!("connect-{name}"), &topic, 1),
        vec![Some(30)],
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_letter_topic_on_a_one_broker_cluster_needs_replication_factor_1() {
    let topic = unique_topic("dlq-rf");
    create_topic(&topic, 1).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let extra = format!(
        r#""errors.tolerance" = "all"
"errors.deadletterqueue.topic.name" = "{topic}-dlq""#
    );
    let m = manifest(
        dir.path(),
        &format!("rf-{topic}"),
        &topic,
        &td_sink(&receiver, 10),
        &extra,
    );
    let (status, stderr) = Running::start(&m).wait_exit(60);
    assert!(!status.success());
    assert!(
        stderr.contains("errors.deadletterqueue.topic.replication.factor")
            && stderr.contains("= 1"),
        "the error says what to set\n{stderr}"
    );
}

#[test]
fn a_dead_letter_topic_that_is_one_of_the_connectors_own_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = manifest(
        dir.path(),
        "loop",
        "orders,payments",
        r#""http.api.url" = "http://127.0.0.1:9/""#,
        r#""errors.tolerance" = "all"
"errors.deadletterqueue.topic.name" = "payments""#,
    );
    let out = sluice_tests::sluice()
        .arg("validate")
        .arg(&m)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("errors.deadletterqueue.topic.name") && stderr.contains("own topics"),
        "{stderr}"
    );
}

/// Records renamed by a router, then failed by a later transform: the dead
/// letter names the topic, partition and offset they were consumed from, as
/// Connect's do; the others reach the routed topic's URL; a predicate picks
/// the records a transform applies to; offsets are committed on the consumed
/// partition.
#[tokio::test(flavor = "multi_thread")]
async fn a_routed_record_that_fails_is_dead_lettered_under_the_topic_it_came_from() {
    let topic = unique_topic("dlq-routed");
    let dlq = format!("{topic}-dlq");
    create_topic(&topic, 1).await;
    let bad: BTreeSet<i64> = (0..6).map(|i| 3 + 10 * i).collect();
    let records: Vec<RawRecord> = (0..60i64)
        .map(|i| RawRecord {
            value: Some(if bad.contains(&i) {
                format!("[{i}]").into_bytes()
            } else {
                format!(r#"{{"a":{i}}}"#).into_bytes()
            }),
            headers: if i % 2 == 0 {
                vec![("even".into(), None)]
            } else {
                Vec::new()
            },
            ..Default::default()
        })
        .collect();
    produce_raw(&topic, &records).await;
    let receiver = Receiver::start().await;
    let sink = format!(
        r#""http.api.url" = "{url}"
"batch.max.size" = 100
"batch.linger.ms" = 200
"retry.backoff.ms" = 50
{TD_FORMATTER}"#,
        url = receiver.url("/in/${topic}")
    );
    let transforms = r#"transforms = [
  { plugin = "regex-router", config = { regex = "(.*)", replacement = "$1-routed" } },
  { plugin = "replace-field", config = { renames = "a:n", "connect.class" = "org.apache.kafka.connect.transforms.ReplaceField$Value" } },
  { plugin = "insert-field", config = { "static.field" = "even", "static.value" = "yes" }, predicate = { type = "HasHeaderKey", name = "even" } },
]"#;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("routed-{topic}");
    let m = manifest(
        dir.path(),
        &name,
        &topic,
        &sink,
        &format!("{}\n{transforms}", dlq_settings(&dlq)),
    );
    let run = Running::start(&m);
    let got = receiver
        .wait_for(60, "54 records", |r| received_numbers(r).len() >= 54)
        .await;
    let expected: Vec<i64> = (0..60).filter(|i| !bad.contains(i)).collect();
    assert_eq!(
        received_numbers(&got),
        expected,
        "the good records, in order"
    );
    let routed = format!("/in/{topic}-routed");
    assert!(got.iter().all(|r| r.path == routed), "{:?}", got[0].path);
    for v in sluice_tests::dead_letters::received_records(&got) {
        let n = v["n"].as_i64().unwrap();
        assert_eq!(
            v.get("even").is_some(),
            n % 2 == 0,
            "the predicate picks the even records only: {v}"
        );
    }
    let dead = consume_n(&dlq, 6, 30);
    assert_eq!(dead_offsets(&dead), bad);
    for m in &dead {
        assert_eq!(
            header(m, "__connect.errors.topic"),
            topic,
            "the topic consumed, not the routed one"
        );
        assert_eq!(header(m, "__connect.errors.partition"), "0");
        assert_eq!(header(m, "__connect.errors.stage"), "TRANSFORMATION");
        assert_eq!(
            header(m, "__connect.errors.class.name"),
            "org.apache.kafka.connect.transforms.ReplaceField$Value"
        );
        let message = header(m, "__connect.errors.exception.message");
        assert!(message.contains("Only Map objects supported"), "{message}");
    }
    let stderr = run.stop_cleanly();
    assert_eq!(
        committed(&format!("connect-{name}"), &topic, 1),
        vec![Some(60)],
        "committed on the consumed partition, to the end\n{stderr}"
    );
}
