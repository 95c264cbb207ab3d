//! Kafka to HTTP end to end: a real broker, the real `sluice` binary with the
//! built plugins, and real HTTP receivers. Offsets are checked exactly.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{committed, create_topic, produce, producer};
use sluice_tests::process::{Running, TD_FORMATTER, manifest};
use sluice_tests::{sluice, unique_topic};

/// An HTTP sink to `url` with Treasure Data's batch format, batches of up
/// to 50 records sent after 100 ms.
fn batches_of_50(url: &str) -> String {
    format!(
        r#""http.api.url" = "{url}"
"batch.max.size" = 50
"batch.linger.ms" = 100
{TD_FORMATTER}"#
    )
}

fn json_values(n: usize) -> Vec<(Option<String>, Option<String>)> {
    (0..n)
        .map(|i| (Some(format!("k{}", i % 7)), Some(format!(r#"{{"n":{i}}}"#))))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn treasure_data_batch_mode_sends_500_500_200_then_commits_1200() {
    let topic = unique_topic("td-batch");
    create_topic(&topic, 1).await;
    produce(&producer(), &topic, 0, &json_values(1200)).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let sink = format!(
        r#""http.api.url" = "{url}"
headers = "Authorization: TD1 test-key|Content-Type: application/vnd.treasuredata.v1+json"
"batch.max.size" = 500
"batch.max.bytes" = 10485760
"batch.linger.ms" = 10000
{TD_FORMATTER}"#,
        url = receiver.url("/my_db/events")
    );
    // A long linger: on a loaded CI machine a fetch once stalled past 3 s and
    // the last 200 records came as 141 + 59.
    let m = manifest(dir.path(), &format!("td-{topic}"), &topic, &sink, "");
    let run = Running::start(&m);
    let got = receiver
        .wait_for(60, "1200 records", |r| {
            r.iter()
                .map(|r| r.json()["records"].as_array().unwrap().len())
                .sum::<usize>()
                >= 1200
        })
        .await;
    let sizes: Vec<usize> = got
        .iter()
        .map(|r| r.json()["records"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![500, 500, 200]);
    let mut n = 0;
    for r in &got {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/my_db/events");
        assert_eq!(r.header("authorization"), Some("TD1 test-key"));
        assert_eq!(
            r.header("content-type"),
            Some("application/vnd.treasuredata.v1+json")
        );
        for rec in r.json()["records"].as_array().unwrap() {
            assert_eq!(rec["n"], n, "records arrive in offset order");
            n += 1;
        }
    }
    let stderr = run.stop_cleanly();
    assert_eq!(
        committed(&format!("connect-td-{topic}"), &topic, 1),
        vec![Some(1200)],
        "committed = last delivered + 1\n{stderr}"
    );
    assert_eq!(receiver.received().len(), 3, "exactly three POSTs");
}

#[tokio::test(flavor = "multi_thread")]
async fn treasure_data_single_record_mode_posts_each_record() {
    let topic = unique_topic("td-single");
    create_topic(&topic, 1).await;
    produce(&producer(), &topic, 0, &json_values(5)).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let sink = format!(
        r#""http.api.url" = "{url}"
headers = "Authorization: TD1 k|Content-Type: application/vnd.treasuredata.v1.single+json"
"batch.max.size" = 1
formatter = {{ plugin = "json-batch", config = {{ "request.body.format" = "json" }} }}"#,
        url = receiver.url("/ingest")
    );
    let m = manifest(dir.path(), &format!("single-{topic}"), &topic, &sink, "");
    let run = Running::start(&m);
    let got = receiver.wait_for(60, "5 requests", |r| r.len() >= 5).await;
    let values: Vec<Value> = got.iter().map(|r| r.json()).collect();
    assert_eq!(
        values,
        (0..5)
            .map(|i| serde_json::json!({ "n": i }))
            .collect::<Vec<_>>()
    );
    assert!(
        got.iter().all(
            |r| r.header("content-type") == Some("application/vnd.treasuredata.v1.single+json")
        )
    );
    run.stop_cleanly();
    assert_eq!(
        committed(&format!("connect-single-{topic}"), &topic, 1),
        vec![Some(5)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_503_twice_then_delivers_and_commits() {
    let topic = unique_topic("retry");
    create_topic(&topic, 1).await;
    produce(&producer(), &topic, 0, &json_values(10)).await;
    let receiver = Receiver::start().await;
    receiver.script(&[503, 503]);
    let dir = tempfile::tempdir().unwrap();
    let sink = format!(
        r#""http.api.url" = "{url}"
"batch.max.size" = 10
"batch.linger.ms" = 100
"retry.backoff.ms" = 100
{TD_FORMATTER}"#,
        url = receiver.url("/in")
    );
    let m = manifest(dir.path(), &format!("retry-{topic}"), &topic, &sink, "");
    let run = Running::start(&m);
    let got = receiver
        .wait_for(60, "the batch accepted", |r| !r.is_empty())
        .await;
    assert_eq!(got[0].json()["records"].as_array().unwrap().len(), 10);
    let statuses: Vec<u16> = receiver.received().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![503, 503, 200]);
    // Each attempt carried the same records.
    assert!(
        receiver
            .received()
            .windows(2)
            .all(|w| w[0].body == w[1].body)
    );
    run.stop_cleanly();
    assert_eq!(
        committed(&format!("connect-retry-{topic}"), &topic, 1),
        vec![Some(10)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_4xx_with_behavior_fail_stops_the_connector_and_commits_nothing_past_it() {
    let topic = unique_topic("fail");
    create_topic(&topic, 1).await;
    produce(&producer(), &topic, 0, &json_values(10)).await;
    let receiver = Receiver::start().await;
    receiver.script(&[200, 400]);
    let dir = tempfile::tempdir().unwrap();
    let sink = format!(
        r#""http.api.url" = "{url}"
"batch.max.size" = 5
"batch.linger.ms" = 100
"retry.on.status.codes" = "500-"
"behavior.on.error" = "fail"
{TD_FORMATTER}"#,
        url = receiver.url("/in")
    );
    let m = manifest(dir.path(), &format!("fail-{topic}"), &topic, &sink, "");
    let (status, stderr) = Running::start(&m).wait_exit(60);
    assert!(
        !status.success(),
        "a failed batch stops sluice with a non-zero status\n{stderr}"
    );
    assert!(stderr.contains("answered 400"), "{stderr}");
    assert!(
        stderr.contains("nothing from the failed record on was committed"),
        "{stderr}"
    );
    // The first batch (offsets 0-4) was delivered; the second failed.
    assert_eq!(
        committed(&format!("connect-fail-{topic}"), &topic, 1),
        vec![Some(5)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn several_topics_and_partitions_keep_their_order_across_requests_and_retries() {
    let (t1, t2) = (unique_topic("order-a"), unique_topic("order-b"));
    create_topic(&t1, 3).await;
    create_topic(&t2, 2).await;
    let p = producer();
    for part in 0..3 {
        produce(&p, &t1, part, &json_values(150)).await;
    }
    for part in 0..2 {
        produce(&p, &t2, part, &json_values(100)).await;
    }
    let receiver = Receiver::start().await;
    receiver.script(&[503, 500]);
    let dir = tempfile::tempdir().unwrap();
    let sink = format!(
        r#""http.api.url" = "{url}"
"batch.max.size" = 40
"batch.linger.ms" = 200
"retry.backoff.ms" = 50
{TD_FORMATTER}"#,
        url = receiver.url("/in")
    );
    let extra = r#"[[connectors.transforms]]
plugin = "insert-field"
config = { "topic.field" = "t", "partition.field" = "p", "offset.field" = "o" }"#;
    let name = format!("order-{t1}");
    let m = manifest(dir.path(), &name, &format!("{t1},{t2}"), &sink, extra);
    let run = Running::start(&m);
    let got = receiver
        .wait_for(90, "650 records", |r| {
            r.iter()
                .map(|r| r.json()["records"].as_array().unwrap().len())
                .sum::<usize>()
                >= 650
        })
        .await;
    let mut next = std::collections::BTreeMap::<(String, i64), i64>::new();
    for r in &got {
        let recs = r.json()["records"].as_array().unwrap().clone();
        let first = (
            recs[0]["t"].as_str().unwrap().to_string(),
            recs[0]["p"].as_i64().unwrap(),
        );
        for rec in recs {
            let tp = (
                rec["t"].as_str().unwrap().to_string(),
                rec["p"].as_i64().unwrap(),
            );
            assert_eq!(tp, first, "a request holds one partition's records");
            let n = next.entry(tp.clone()).or_default();
            assert_eq!(
                rec["o"].as_i64().unwrap(),
                *n,
                "{tp:?} in order, nothing skipped or repeated"
            );
            *n += 1;
        }
    }
    let expected: std::collections::BTreeMap<(String, i64), i64> = (0..3)
        .map(|p| ((t1.clone(), p), 150))
        .chain((0..2).map(|p| ((t2.clone(), p), 100)))
        .collect();
    assert_eq!(next, expected);
    run.stop_cleanly();
    assert_eq!(
        committed(&format!("connect-{name}"), &t1, 3),
        vec![Some(150); 3]
    );
    assert_eq!(
        committed(&format!("connect-{name}"), &t2, 2),
        vec![Some(100); 2]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_then_restart_delivers_everything_and_never_commits_ahead() {
    let topic = unique_topic("crash");
    create_topic(&topic, 1).await;
    // Enough records that the crash lands mid-stream.
    const TOTAL: i64 = 20_000;
    produce(&producer(), &topic, 0, &json_values(TOTAL as usize)).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let sink = batches_of_50(&receiver.url("/in"));
    let extra = r#"[[connectors.transforms]]
plugin = "insert-field"
config = { "offset.field" = "o" }"#;
    let name = format!("crash-{topic}");
    let m = manifest(dir.path(), &name, &topic, &sink, extra);
    let offsets = |r: &[sluice_tests::http_receiver::Received]| -> BTreeSet<i64> {
        r.iter()
            .flat_map(|r| {
                r.json()["records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x["o"].as_i64().unwrap())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let run = Running::start(&m);
    receiver
        .wait_for(60, "some batches", |r| r.len() >= 6)
        .await;
    // Commits happen every 200 ms; give one the chance to land mid-stream.
    tokio::time::sleep(Duration::from_millis(400)).await;
    run.kill9();
    let seen = offsets(&receiver.accepted());
    let committed_at_crash = committed(&format!("connect-{name}"), &topic, 1)[0].unwrap_or(0);
    assert!(
        (seen.len() as i64) < TOTAL,
        "the crash came before everything was delivered"
    );
    assert!(
        committed_at_crash > 0,
        "some offsets were committed before the crash"
    );
    assert!(
        (0..committed_at_crash).all(|o| seen.contains(&o)),
        "committed offset {committed_at_crash} is ahead of what the endpoint received"
    );
    let run = Running::start(&m);
    // 400 requests from a debug build on a shared 2-core machine: the
    // deadline only bounds a hang, it measures nothing.
    let got = receiver
        .wait_for(240, "every offset", |r| offsets(r).len() >= TOTAL as usize)
        .await;
    assert_eq!(
        offsets(&got),
        (0..TOTAL).collect::<BTreeSet<_>>(),
        "nothing lost"
    );
    run.stop_cleanly();
    assert_eq!(
        committed(&format!("connect-{name}"), &topic, 1),
        vec![Some(TOTAL)]
    );
}

/// A manifest for the group tests: one connector on `topic` delivering to
/// `receiver`, each record carrying its partition (`p`) and offset (`o`).
fn coordinates_manifest(
    dir: &std::path::Path,
    name: &str,
    topic: &str,
    receiver: &Receiver,
) -> std::path::PathBuf {
    let sink = format!(
        r#""http.api.url" = "{url}"
"batch.max.size" = 20
"batch.linger.ms" = 50
{TD_FORMATTER}"#,
        url = receiver.url("/in")
    );
    let extra = r#"[[connectors.transforms]]
plugin = "insert-field"
config = { "partition.field" = "p", "offset.field" = "o" }"#;
    manifest(dir, name, topic, &sink, extra)
}

/// The (partition, offset) of every record the receiver got.
fn coordinates(r: &[sluice_tests::http_receiver::Received]) -> BTreeSet<(i64, i64)> {
    r.iter()
        .flat_map(|r| {
            r.json()["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| (x["p"].as_i64().unwrap(), x["o"].as_i64().unwrap()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Waits until two members of `group` hold partitions at once.
async fn two_members_share(group: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while sluice_tests::kafka::members_with_partitions(group) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the two processes never shared the group"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_share_a_group_and_lose_nothing_when_one_stops() {
    let topic = unique_topic("group");
    create_topic(&topic, 6).await;
    let p = producer();
    for part in 0..6 {
        produce(&p, &topic, part, &json_values(200)).await;
    }
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("group-{topic}");
    let m = coordinates_manifest(dir.path(), &name, &topic, &receiver);
    let first = Running::start(&m);
    let second = Running::start(&m);
    let seen = coordinates;
    // Both members hold partitions at the same time before one of them stops.
    two_members_share(&format!("connect-{name}")).await;
    receiver
        .wait_for(60, "some records", |r| !seen(r).is_empty())
        .await;
    let first_log = first.stop_cleanly();
    assert!(first_log.contains("partitions assigned"), "{first_log}");
    let got = receiver
        .wait_for(90, "every record", |r| seen(r).len() >= 1200)
        .await;
    let expected: BTreeSet<(i64, i64)> =
        (0..6).flat_map(|p| (0..200).map(move |o| (p, o))).collect();
    assert_eq!(seen(&got), expected, "every record delivered at least once");
    let second_log = second.stop_cleanly();
    assert!(second_log.contains("partitions assigned"), "{second_log}");
    assert_eq!(
        committed(&format!("connect-{name}"), &topic, 6),
        vec![Some(200); 6]
    );
}

/// Failover under load: two processes share the group, records keep coming,
/// one is killed with SIGKILL (no commit, no leave): the other takes its
/// partitions over once the group notices, and every record arrives. (How
/// fast is the failover benchmark's to measure, not this test's.)
#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_under_load_loses_nothing_and_the_other_takes_over() {
    const PARTITIONS: i32 = 6;
    const PER_PARTITION: usize = 600;
    let topic = unique_topic("failover");
    create_topic(&topic, PARTITIONS).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("failover-{topic}");
    let m = coordinates_manifest(dir.path(), &name, &topic, &receiver);
    let seen = coordinates;
    // A steady feed for the whole test: a tenth of the records every 300 ms.
    let feed = {
        let topic = topic.clone();
        tokio::spawn(async move {
            let p = producer();
            let step = PER_PARTITION / 10;
            for round in 0..10 {
                let values = json_values(PER_PARTITION);
                for part in 0..PARTITIONS {
                    produce(&p, &topic, part, &values[round * step..(round + 1) * step]).await;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        })
    };
    let first = Running::start(&m);
    let second = Running::start(&m);
    two_members_share(&format!("connect-{name}")).await;
    receiver
        .wait_for(60, "some records", |r| !seen(r).is_empty())
        .await;
    first.kill9();
    feed.await.unwrap();
    let total = PARTITIONS as usize * PER_PARTITION;
    let got = receiver
        .wait_for(120, "every record", |r| seen(r).len() >= total)
        .await;
    let expected: BTreeSet<(i64, i64)> = (0..PARTITIONS as i64)
        .flat_map(|p| (0..PER_PARTITION as i64).map(move |o| (p, o)))
        .collect();
    assert_eq!(seen(&got), expected, "every record delivered at least once");
    let log = second.stop_cleanly();
    assert!(log.contains("partitions assigned"), "{log}");
    assert_eq!(
        committed(&format!("connect-{name}"), &topic, PARTITIONS),
        vec![Some(PER_PARTITION as i64); PARTITIONS as usize]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tombstones_with_behavior_delete_send_delete_to_the_key_url_in_order() {
    let topic = unique_topic("nulls");
    create_topic(&topic, 1).await;
    let records = vec![
        (Some("a".to_string()), Some(r#"{"n":0}"#.to_string())),
        (Some("a".to_string()), None),
        (Some("b/1".to_string()), Some(r#"{"n":2}"#.to_string())),
    ];
    produce(&producer(), &topic, 0, &records).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let sink = format!(
        r#""http.api.url" = "{url}"
"request.method" = "PUT"
"batch.max.size" = 10
"batch.linger.ms" = 100
"behavior.on.null.values" = "delete"
formatter = {{ plugin = "json-batch", config = {{ "request.body.format" = "json" }} }}"#,
        url = receiver.url("/items/${key}")
    );
    let name = format!("nulls-{topic}");
    let m = manifest(dir.path(), &name, &topic, &sink, "");
    let run = Running::start(&m);
    let got = receiver
        .wait_for(60, "three requests", |r| r.len() >= 3)
        .await;
    let calls: Vec<(String, String)> = got
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(
        calls,
        vec![
            ("PUT".into(), "/items/a".into()),
            ("DELETE".into(), "/items/a".into()),
            ("PUT".into(), "/items/b%2F1".into())
        ]
    );
    run.stop_cleanly();
    assert_eq!(
        committed(&format!("connect-{name}"), &topic, 1),
        vec![Some(3)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_longer_than_max_poll_interval_keeps_the_group_membership() {
    let topic = unique_topic("slow");
    create_topic(&topic, 1).await;
    produce(&producer(), &topic, 0, &json_values(20)).await;
    let receiver = Receiver::start().await;
    // About 10 s of 503s against a 7 s max.poll.interval.ms.
    receiver.script(&[503; 10]);
    let dir = tempfile::tempdir().unwrap();
    let sink = format!(
        r#""http.api.url" = "{url}"
"batch.max.size" = 10
"batch.linger.ms" = 100
"retry.backoff.ms" = 1000
"retry.backoff.max.ms" = 1000
"max.retries" = 20
{TD_FORMATTER}"#,
        url = receiver.url("/in")
    );
    let name = format!("slow-{topic}");
    let m = manifest(dir.path(), &name, &topic, &sink, "").to_path_buf();
    let text = std::fs::read_to_string(&m).unwrap().replace(
        "\"session.timeout.ms\" = 6000",
        "\"session.timeout.ms\" = 6000, \"max.poll.interval.ms\" = 7000",
    );
    std::fs::write(&m, text).unwrap();
    let run = Running::start(&m);
    receiver
        .wait_for(60, "both batches", |r| r.len() >= 2)
        .await;
    let stderr = run.stop_cleanly();
    assert!(
        !stderr.contains("MAX_POLL_EXCEEDED") && !stderr.contains("max.poll.interval"),
        "left the group:\n{stderr}"
    );
    let revocations = stderr.matches("partitions revoked").count();
    assert!(
        revocations <= 1,
        "the partition was revoked before shutdown:\n{stderr}"
    );
    let delivered: usize = receiver
        .accepted()
        .iter()
        .map(|r| r.json()["records"].as_array().unwrap().len())
        .sum();
    assert_eq!(
        delivered, 20,
        "each record delivered once: no rebalance replayed a batch"
    );
    assert_eq!(
        committed(&format!("connect-{name}"), &topic, 1),
        vec![Some(20)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_auth_is_sent_and_retry_after_is_honoured() {
    let topic = unique_topic("auth");
    create_topic(&topic, 1).await;
    produce(&producer(), &topic, 0, &json_values(3)).await;
    let receiver = Receiver::start().await;
    receiver.script_retry_after(429, 1);
    let dir = tempfile::tempdir().unwrap();
    // A 10 s backoff: only Retry-After can make the retry come after about 1 s.
    let sink = format!(
        r#""http.api.url" = "{url}"
"auth.type" = "BASIC"
"connection.user" = "ingest"
"connection.password" = "s3cret"
"batch.max.size" = 3
"batch.linger.ms" = 100
"retry.backoff.ms" = 10000
{TD_FORMATTER}"#,
        url = receiver.url("/in")
    );
    let name = format!("auth-{topic}");
    let run = Running::start(&manifest(dir.path(), &name, &topic, &sink, ""));
    receiver
        .wait_for(60, "the retried batch", |r| !r.is_empty())
        .await;
    let all = receiver.received();
    assert_eq!(
        all.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![429, 200]
    );
    // base64("ingest:s3cret")
    assert!(
        all.iter()
            .all(|r| r.header("authorization") == Some("Basic aW5nZXN0OnMzY3JldA=="))
    );
    let gap = all[1].at.duration_since(all[0].at);
    assert!(
        gap >= Duration::from_millis(900) && gap < Duration::from_secs(5),
        "retried after {gap:?}, not after Retry-After's 1 s"
    );
    let stderr = run.stop_cleanly();
    assert!(
        !stderr.contains("s3cret"),
        "the password must not reach the log:\n{stderr}"
    );
    assert_eq!(
        committed(&format!("connect-{name}"), &topic, 1),
        vec![Some(3)]
    );
}

/// A backlog on many partitions, several times the worker's memory budget:
/// with `--memory-budget 1MiB` (512 KiB for batches) the partitions take
/// turns, so what is being delivered at once stays within the budget, and
/// everything arrives in order and is committed. The same run with a large
/// budget has every partition's batch in flight at once: the bound is the
/// budget's doing.
#[tokio::test(flavor = "multi_thread")]
async fn the_memory_budget_bounds_what_a_backlog_of_many_partitions_holds() {
    const PARTITIONS: i32 = 12;
    const PER_PARTITION: usize = 100;
    let topic = unique_topic("budget");
    create_topic(&topic, PARTITIONS).await;
    let p = producer();
    let padding = "x".repeat(4000);
    for part in 0..PARTITIONS {
        let values: Vec<_> = (0..PER_PARTITION)
            .map(|i| (None, Some(format!(r#"{{"n":{i},"pad":"{padding}"}}"#))))
            .collect();
        produce(&p, &topic, part, &values).await;
    }
    for (budget, bounded) in [("1MiB", true), ("256MiB", false)] {
        let receiver = Receiver::start().await;
        receiver.delay_answers(Duration::from_millis(150));
        let dir = tempfile::tempdir().unwrap();
        // About 200 KiB per request.
        let sink = format!(
            r#""http.api.url" = "{url}"
"batch.max.size" = 50
"batch.linger.ms" = 100
formatter = {{ plugin = "json-batch", config = {{ "request.body.format" = "json", "batch.json.as.array" = true }} }}"#,
            url = receiver.url("/in")
        );
        let extra = r#"[[connectors.transforms]]
plugin = "insert-field"
config = { "partition.field" = "p" }"#;
        let name = format!("budget-{budget}-{topic}");
        let m = manifest(dir.path(), &name, &topic, &sink, extra);
        let mut cmd = sluice();
        cmd.arg("run").arg(&m).arg("--memory-budget").arg(budget);
        let started = std::time::Instant::now();
        let run = Running::spawn(cmd);
        let total = PARTITIONS as usize * PER_PARTITION;
        let records = receiver.array_records(120, total).await;
        let mut next = vec![0i64; PARTITIONS as usize];
        for r in &records {
            let p = r["p"].as_i64().unwrap() as usize;
            assert_eq!(
                r["n"].as_i64().unwrap(),
                next[p],
                "partition {p} in order, nothing lost or repeated"
            );
            next[p] += 1;
        }
        assert_eq!(next, vec![PER_PARTITION as i64; PARTITIONS as usize]);
        let delivered_in = started.elapsed();
        let stderr = run.stop_cleanly();
        assert_eq!(
            committed(&format!("connect-{name}"), &topic, PARTITIONS),
            vec![Some(PER_PARTITION as i64); PARTITIONS as usize],
            "{stderr}"
        );
        let most = receiver.max_in_flight_bytes();
        eprintln!(
            "--memory-budget {budget}: at most {most} body bytes in flight, {delivered_in:?} from start to the last record"
        );
        if bounded {
            // The batch half, plus at most one record per partition read
            // past it before its batch went, plus the JSON framing.
            assert!(
                most <= (512 << 10) + PARTITIONS as usize * 5000,
                "at most the budget's batch half in flight with --memory-budget {budget}, saw {most} bytes"
            );
        } else {
            assert!(
                most > 1 << 20,
                "a large budget lets every partition deliver at once (saw {most} bytes in flight)"
            );
        }
    }
}

/// Kafka producers compress their batches (`compression.type`); a sink
/// reads every codec Kafka has: gzip, snappy, lz4 and zstd, one partition
/// each, all delivered and committed.
#[tokio::test(flavor = "multi_thread")]
async fn batches_compressed_with_every_kafka_codec_are_read() {
    let topic = unique_topic("codecs");
    create_topic(&topic, 4).await;
    let codecs = ["gzip", "snappy", "lz4", "zstd"];
    for (partition, codec) in codecs.iter().enumerate() {
        let p: rdkafka::producer::FutureProducer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", sluice_tests::kafka_bootstrap())
            .set("compression.type", *codec)
            .set("linger.ms", "20")
            .create()
            .unwrap_or_else(|e| panic!("a {codec} producer: {e}"));
        let values: Vec<_> = (0..25)
            .map(|i| {
                (
                    None,
                    Some(format!(
                        r#"{{"codec":"{codec}","n":{i},"pad":"{}"}}"#,
                        "x".repeat(200)
                    )),
                )
            })
            .collect();
        produce(&p, &topic, partition as i32, &values).await;
    }
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let sink = batches_of_50(&receiver.url("/in"));
    let m = manifest(dir.path(), &format!("codecs-{topic}"), &topic, &sink, "");
    let run = Running::start(&m);
    let count = |r: &[sluice_tests::http_receiver::Received]| {
        r.iter()
            .filter(|x| x.status == 200)
            .map(|x| x.json()["records"].as_array().map_or(0, Vec::len))
            .sum::<usize>()
    };
    let got = receiver
        .wait_for(60, "100 records delivered", |r| count(r) >= 100)
        .await;
    let mut seen: BTreeSet<(String, u64)> = BTreeSet::new();
    for r in got.iter().filter(|x| x.status == 200) {
        for v in r.json()["records"].as_array().unwrap() {
            seen.insert((
                v["codec"].as_str().unwrap().to_string(),
                v["n"].as_u64().unwrap(),
            ));
        }
    }
    assert_eq!(seen.len(), 100, "every record of every codec, once");
    run.stop_cleanly();
    assert_eq!(
        committed(&format!("connect-codecs-{topic}"), &topic, 4),
        vec![Some(25); 4]
    );
}
