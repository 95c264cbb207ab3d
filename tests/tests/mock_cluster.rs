//! The connector in-process against librdkafka's mock cluster, for faults a
//! real broker cannot be made to show on demand: failing offset commits and
//! a broker that goes down mid-stream.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
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
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, 0);
    match c
        .committed_offsets(tpl, Duration::from_secs(5))
        .ok()?
        .find_partition(topic, 0)?
        .offset()
    {
        Offset::Offset(o) => Some(o),
        _ => None,
    }
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
    let mock = MockCluster::new(1).unwrap();
    let topic = "faults";
    mock.create_topic(topic, 1, 1).unwrap();
    let bootstrap = mock.bootstrap_servers();
    produce(&bootstrap, topic, 0, 50);
    // The first offset commits fail.
    mock.request_errors(
        RDKafkaApiKey::OffsetCommit,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_COORDINATOR; 4],
    );

    let receiver = Receiver::start().await;
    let text = format!(
        r#"
plugin_dir = "{plugins}"
cache_dir = "{cache}"
[[connectors]]
name = "faults"
topics = "{topic}"
kafka = {{ "bootstrap.servers" = "{bootstrap}" }}
"offset.flush.interval.ms" = 100
"value.converter" = {{ plugin = "json", config = {{ "schemas.enable" = false }} }}
[connectors.sink]
type = "http"
"http.api.url" = "{url}"
"batch.max.size" = 10
"batch.linger.ms" = 50
"#,
        plugins = plugin_dir().display(),
        cache = cache_dir().display(),
        url = receiver.url("/in"),
    );
    let manifest = sluice::config::parse(std::path::Path::new("faults.toml"), &text).unwrap();
    let runtime = sluice::plugin::Runtime::new(&cache_dir()).unwrap();
    let built = sluice::config::build(&runtime, &manifest).await.unwrap();
    let stats = Arc::new(ConnectorStats::default());
    let (stop, stop_rx) = watch::channel(false);
    let run = tokio::spawn(connector::run(
        Arc::new(built.into_iter().next().unwrap()),
        stop_rx,
        stats.clone(),
    ));

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

    let _ = stop.send(true);
    run.await.unwrap().unwrap();
    assert_eq!(committed(&bootstrap, "connect-faults", topic), Some(100));
    let mut seen: Vec<i64> = receiver
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
    seen.dedup();
    assert_eq!(
        seen,
        (0..100).collect::<Vec<_>>(),
        "every record delivered, in order"
    );
}
