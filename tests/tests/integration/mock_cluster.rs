//! The connector in-process against librdkafka's mock cluster, for faults a
//! real broker cannot be made to show on demand: failing offset commits and
//! a broker that goes down mid-stream.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, DefaultProducerContext, Producer};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use sluice::connector::{self, ConnectorStats};
use sluice_tests::http_receiver::Receiver;
use sluice_tests::{cache_dir, plugin_dir};
use tokio::sync::watch;

fn produce(bootstrap: &str, topic: &str, from: usize, n: usize) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    for i in from..from + n {
        let v = format!(r#"{{"n":{i}}}"#);
        producer
            .send(BaseRecord::<(), _>::to(topic).payload(&v).partition(0))
            .unwrap();
    }
    producer.flush(Duration::from_secs(10)).unwrap();
}

fn committed(bootstrap: &str, group: &str, topic: &str) -> Option<i64> {
    committed_by(&group_client(bootstrap, group), topic)
}

/// A client of `group` that only reads its committed offsets.
fn group_client(bootstrap: &str, group: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .unwrap()
}

/// The offset `client`'s group holds for partition 0 of `topic`.
fn committed_by(client: &BaseConsumer, topic: &str) -> Option<i64> {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, 0);
    match client
        .committed_offsets(tpl, Duration::from_secs(5))
        .ok()?
        .find_partition(topic, 0)?
        .offset()
    {
        Offset::Offset(o) => Some(o),
        _ => None,
    }
}

/// A one-broker mock cluster holding `topic` (one partition) and its
/// bootstrap address.
fn mock_with(topic: &str) -> (MockCluster<'static, DefaultProducerContext>, String) {
    let mock = MockCluster::new(1).unwrap();
    mock.create_topic(topic, 1, 1).unwrap();
    let bootstrap = mock.bootstrap_servers();
    (mock, bootstrap)
}

/// A one-connector manifest against the mock cluster: JSON values in
/// batches of 10 to `url`; `extra` adds connector lines.
fn mock_manifest(name: &str, topic: &str, bootstrap: &str, url: &str, extra: &str) -> String {
    format!(
        r#"
plugin_dir = "{plugins}"
cache_dir = "{cache}"
[[connectors]]
name = "{name}"
topics = "{topic}"
kafka = {{ "bootstrap.servers" = "{bootstrap}" }}
"offset.flush.interval.ms" = 100
"value.converter" = {{ plugin = "json", config = {{ "schemas.enable" = false }} }}
{extra}
[connectors.sink]
type = "http"
"http.api.url" = "{url}"
"batch.max.size" = 10
"batch.linger.ms" = 50
"#,
        plugins = plugin_dir().display(),
        cache = cache_dir().display(),
    )
}

async fn wait_until(secs: u64, what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_commits_and_a_broker_outage_lose_nothing_and_commit_everything() {
    let topic = "faults";
    let (mock, bootstrap) = mock_with(topic);
    produce(&bootstrap, topic, 0, 50);
    // The first offset commits fail.
    mock.request_errors(
        RDKafkaApiKey::OffsetCommit,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_COORDINATOR; 4],
    );

    let receiver = Receiver::start().await;
    let text = mock_manifest("faults", topic, &bootstrap, &receiver.url("/in"), "");
    let stats = Arc::new(ConnectorStats::default());
    let (stop, stop_rx) = watch::channel(false);
    let run = start_connector(&text, stats.clone(), stop_rx).await;

    wait_until(60, "the first 50 records", || {
        stats.records_finished.load(Ordering::Relaxed) >= 50
    })
    .await;
    wait_until(30, "a commit to succeed after the failures", || {
        committed(&bootstrap, "connect-faults", topic) == Some(50)
    })
    .await;

    // The broker goes away for a while; the connector keeps polling and picks up again.
    mock.broker_down(1).unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    mock.broker_up(1).unwrap();
    produce(&bootstrap, topic, 50, 50);
    wait_until(60, "all 100 records", || {
        stats.records_finished.load(Ordering::Relaxed) >= 100
    })
    .await;
    // Commits resume once the coordinator is found again: on a loaded
    // machine that can take longer than a stop's last commit waits, and a
    // stop then leaves the tail to be delivered again (no loss, but not
    // what this test checks).
    wait_until(30, "commits to resume after the outage", || {
        committed(&bootstrap, "connect-faults", topic) == Some(100)
    })
    .await;

    let _ = stop.send(true);
    run.await.unwrap().unwrap();
    assert_eq!(committed(&bootstrap, "connect-faults", topic), Some(100));
    let seen: Vec<i64> = receiver
        .accepted()
        .iter()
        .flat_map(|r| {
            String::from_utf8_lossy(&r.body)
                .split(',')
                .filter_map(|s| {
                    s.trim_matches(|c: char| !c.is_ascii_digit())
                        .parse::<i64>()
                        .ok()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    // At least once: a partition revoked while the coordinator was away
    // resumes from its last commit, so records after it may come again.
    // Nothing may be lost or reordered, and nothing committed (the first
    // 50, committed before the outage) may come again.
    let mut first = Vec::new();
    let mut again = Vec::new();
    for n in seen {
        if first.contains(&n) {
            again.push(n);
        } else {
            first.push(n);
        }
    }
    assert_eq!(
        first,
        (0..100).collect::<Vec<_>>(),
        "every record delivered, in order"
    );
    assert!(
        again.iter().all(|&n| n >= 50),
        "only records after the last commit come again: {again:?}"
    );
}

/// Builds the one connector of `text` and runs it until `stop` or an error.
async fn start_connector(
    text: &str,
    stats: Arc<ConnectorStats>,
    stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<Result<(), connector::ConnectorError>> {
    let manifest = sluice::config::parse(std::path::Path::new("mock.toml"), text).unwrap();
    let runtime = sluice::plugin::Runtime::new(&cache_dir()).unwrap();
    let built = sluice::config::build(&runtime, &manifest).await.unwrap();
    tokio::spawn(connector::run(
        Arc::new(built.into_iter().next().unwrap()),
        stop,
        stats,
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_is_committed_past_a_record_whose_dead_letter_was_not_acknowledged() {
    let mock = MockCluster::new(1).unwrap();
    let (topic, dlq) = ("dlq-gate", "dlq-gate-dead");
    mock.create_topic(topic, 1, 1).unwrap();
    mock.create_topic(dlq, 1, 1).unwrap();
    let bootstrap = mock.bootstrap_servers();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .create()
        .unwrap();
    for i in 0..30 {
        let v = if i == 15 {
            "{broken".to_string()
        } else {
            format!(r#"{{"n":{i}}}"#)
        };
        producer
            .send(BaseRecord::<(), _>::to(topic).payload(&v).partition(0))
            .unwrap();
    }
    producer.flush(Duration::from_secs(10)).unwrap();
    // Every write to the dead letter queue is refused, for good.
    mock.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED; 50],
    );

    let receiver = Receiver::start().await;
    let errors = format!(
        r#""errors.tolerance" = "all"
"errors.deadletterqueue.topic.name" = "{dlq}"
"errors.deadletterqueue.topic.replication.factor" = 1"#
    );
    let text = mock_manifest("gate", topic, &bootstrap, &receiver.url("/in"), &errors);
    let (_stop, stop_rx) = watch::channel(false);
    let stats = Arc::new(ConnectorStats::default());
    let run = start_connector(&text, stats.clone(), stop_rx).await;
    // The refusal takes the producer's delivery timeout; the bound is loose
    // for loaded runs.
    let err = tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("the connector stops")
        .unwrap()
        .expect_err("a refused dead letter stops the connector");
    assert!(
        err.to_string().contains("dead letter queue"),
        "the error says why: {err}"
    );
    assert_eq!(
        committed(&bootstrap, "connect-gate", topic),
        Some(10),
        "the batch holding offset 15 is not committed"
    );

    // Restarted with a working broker, the record reaches the dead letter
    // queue and everything is committed.
    mock.clear_request_errors(RDKafkaApiKey::Produce);
    let (stop, stop_rx) = watch::channel(false);
    let stats = Arc::new(ConnectorStats::default());
    let mut run = start_connector(&text, stats.clone(), stop_rx.clone()).await;
    // The stopped member may hold the partition until its session times
    // out (45 s) before the group reassigns it: a loose bound again.
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut restarts = 0;
    while stats.records_finished.load(Ordering::Relaxed) < 20 {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for offsets 10-29 finished"
        );
        if run.is_finished() {
            // Under a loaded run a refusal queued before the clear was
            // seen once more (the mock's error stack): the connector
            // stopped again, committing nothing past offset 10. Start it
            // once more, as an operator would.
            // Or, as on any start, its first fetch beat the split of the
            // partition's queue: a restartable stop, as the task
            // supervisor restarts it.
            let err = run.await.unwrap().expect_err("it stopped on an error");
            assert!(
                err.to_string().contains("dead letter queue")
                    || matches!(err, sluice::connector::ConnectorError::Restartable { .. }),
                "{err}"
            );
            assert_eq!(committed(&bootstrap, "connect-gate", topic), Some(10));
            restarts += 1;
            assert!(restarts <= 2, "the connector keeps stopping: {err}");
            mock.clear_request_errors(RDKafkaApiKey::Produce);
            run = start_connector(&text, stats.clone(), stop_rx.clone()).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(true);
    run.await.unwrap().unwrap();
    assert_eq!(committed(&bootstrap, "connect-gate", topic), Some(30));
    assert_eq!(stats.records_failed.load(Ordering::Relaxed), 1);
    let reader: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", "dlq-reader")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(dlq, 0, Offset::Beginning).unwrap();
    reader.assign(&tpl).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let dead = loop {
        assert!(Instant::now() < deadline, "no dead letter");
        if let Some(Ok(m)) = reader.poll(Duration::from_millis(200)) {
            break m.detach();
        }
    };
    assert_eq!(dead.payload(), Some(&b"{broken"[..]));
}

/// librdkafka retries a commit whose request failed, after its retry
/// backoff. A newer commit sent meanwhile must not be overtaken: the
/// connector sends its next commit only once the one under way has
/// landed, so the group's offset never moves back.
#[tokio::test(flavor = "multi_thread")]
async fn a_retried_commit_never_moves_the_committed_offset_back() {
    let topic = "retried";
    let (mock, bootstrap) = mock_with(topic);
    produce(&bootstrap, topic, 0, 10);

    let receiver = Receiver::start().await;
    let text = mock_manifest("retried", topic, &bootstrap, &receiver.url("/in"), "")
        // A retried request waits a second and a half: a wide window for
        // newer commits to land first.
        .replace(
            r#""bootstrap.servers" = "#,
            r#""retry.backoff.ms" = 1500, "retry.backoff.max.ms" = 1500, "bootstrap.servers" = "#,
        );
    let stats = Arc::new(ConnectorStats::default());
    let (stop, stop_rx) = watch::channel(false);
    let run = start_connector(&text, stats.clone(), stop_rx).await;
    wait_until(60, "offset 10 committed", || {
        committed(&bootstrap, "connect-retried", topic) == Some(10)
    })
    .await;

    // The next commit request (offset 10 again, a periodic commit) is
    // refused with an error librdkafka retries; ten more records finish
    // while it waits for its retry.
    mock.request_errors(
        RDKafkaApiKey::OffsetCommit,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS],
    );
    // Commits go every 100 ms: the refused one carries offset 10.
    tokio::time::sleep(Duration::from_millis(300)).await;
    produce(&bootstrap, topic, 10, 10);
    // Every change of the group's offset, sampled for longer than the
    // retry's backoff and until offset 20 is committed (a loaded machine
    // may take longer to deliver the ten records). One client asks
    // throughout, so each answer takes one round trip.
    let sampler = group_client(&bootstrap, "connect-retried");
    let mut seen = vec![Some(10)];
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) || seen.last() != Some(&Some(20)) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "offset 20 never committed: {seen:?}"
        );
        let now = committed_by(&sampler, topic);
        if seen.last() != Some(&now) {
            seen.push(now);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The retried commit ended well; a commit refused for good is counted
    // as failed, and the next one commits again.
    assert_eq!(stats.commits.failed.load(Ordering::Relaxed), 0);
    mock.request_errors(
        RDKafkaApiKey::OffsetCommit,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS],
    );
    wait_until(30, "a failed commit counted", || {
        stats.commits.failed.load(Ordering::Relaxed) == 1
    })
    .await;
    let ok_before = stats.commits.ok.load(Ordering::Relaxed);
    wait_until(30, "the next commit", || {
        stats.commits.ok.load(Ordering::Relaxed) > ok_before
    })
    .await;
    let _ = stop.send(true);
    run.await.unwrap().unwrap();
    let last = committed(&bootstrap, "connect-retried", topic);
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]) && last == Some(20),
        "the committed offset moves only forward and ends at 20: {seen:?}, then {last:?}"
    );
    // /metrics shows both outcomes and the time they took.
    let text = sluice::metrics::render(&[sluice::stats::Snapshot {
        name: "retried".into(),
        state: "RUNNING",
        stats: stats.clone(),
    }]);
    let ok = stats.commits.ok.load(Ordering::Relaxed);
    assert!(
        ok >= 3,
        "the first, the retried and the later commits: {ok}"
    );
    for line in [
        format!(r#"sluice_offset_commits_total{{connector="retried",outcome="ok"}} {ok}"#),
        r#"sluice_offset_commits_total{connector="retried",outcome="failed"} 1"#.to_string(),
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
    }
    let seconds: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix(r#"sluice_offset_commit_seconds_total{connector="retried"} "#))
        .and_then(|v| v.parse().ok())
        .expect("the time spent in commits");
    // The retried commit alone waited out its backoff.
    assert!(seconds >= 0.5, "{seconds} s in commits");
}
