//! Kafka helpers for tests against the shared broker: topics, producing,
//! and reading a group's committed offsets.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

/// Creates `topic` with `partitions` partitions on the shared broker.
pub async fn create_topic(topic: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", super::kafka_bootstrap())
        .create()
        .expect("admin client");
    let results = admin
        .create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .expect("create_topics");
    for r in results {
        r.unwrap_or_else(|(t, e)| panic!("creating topic {t}: {e}"));
    }
}

/// A producer to the shared broker.
pub fn producer() -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", super::kafka_bootstrap())
        .set("linger.ms", "5")
        .create()
        .expect("producer")
}

/// Produces `values` (with `keys`) to `topic` partition `partition`, in order, and waits for each.
pub async fn produce(
    producer: &FutureProducer,
    topic: &str,
    partition: i32,
    records: &[(Option<String>, Option<String>)],
) {
    for (key, value) in records {
        let mut r: FutureRecord<'_, String, String> = FutureRecord::to(topic).partition(partition);
        if let Some(k) = key {
            r = r.key(k);
        }
        if let Some(v) = value {
            r = r.payload(v);
        }
        producer
            .send(r, Duration::from_secs(10))
            .await
            .unwrap_or_else(|(e, _)| panic!("produce to {topic}: {e}"));
    }
}

/// Waits up to 30 s until `group` has committed offset `want` on
/// one-partition `topic`; fails naming what it has.
pub async fn wait_committed_single(group: &str, topic: &str, want: i64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while committed(group, topic, 1) != [Some(want)] {
        assert!(
            std::time::Instant::now() < deadline,
            "{group}: offsets not committed: {:?}",
            committed(group, topic, 1)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The committed offset of `group` on each of `partitions` of `topic` (`None` if none).
pub fn committed(group: &str, topic: &str, partitions: i32) -> Vec<Option<i64>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", super::kafka_bootstrap())
        .set("group.id", group)
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    // A group's coordinator may still be moving (NotCoordinator): ask again.
    let mut attempts = 0;
    let got = loop {
        match consumer.committed_offsets(tpl.clone(), Duration::from_secs(10)) {
            Ok(got) => break got,
            Err(e) if attempts < 10 => {
                attempts += 1;
                eprintln!("committed offsets of {group}: {e}; asking again");
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(e) => panic!("committed offsets of {group}: {e}"),
        }
    };
    (0..partitions)
        .map(|p| match got.find_partition(topic, p).map(|e| e.offset()) {
            Some(Offset::Offset(o)) => Some(o),
            _ => None,
        })
        .collect()
}

/// How many members of `group` currently hold a partition assignment.
pub fn members_with_partitions(group: &str) -> usize {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", super::kafka_bootstrap())
        .create()
        .expect("consumer");
    let list = consumer
        .client()
        .fetch_group_list(Some(group), Duration::from_secs(10))
        .expect("group list");
    list.groups()
        .iter()
        .filter(|g| g.name() == group)
        .map(|g| {
            g.members()
                .iter()
                .filter(|m| m.assignment().is_some_and(|a| a.len() > 8))
                .count()
        })
        .sum()
}

/// A record to produce, bytes as they are.
#[derive(Clone, Debug, Default)]
pub struct RawRecord {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// The partition to produce to (default 0).
    pub partition: i32,
    /// The record's timestamp in ms (default: the producer's clock).
    pub timestamp: Option<i64>,
}

impl RawRecord {
    /// A record with this value and no key.
    pub fn value(v: impl Into<Vec<u8>>) -> Self {
        RawRecord {
            value: Some(v.into()),
            ..Default::default()
        }
    }
}

/// Creates `topic` with one partition and these topic configs.
pub async fn create_topic_with(topic: &str, configs: &[(&str, &str)]) {
    create_topic_partitions_with(topic, 1, configs).await
}

/// Creates `topic` with `partitions` partitions and these topic configs.
pub async fn create_topic_partitions_with(topic: &str, partitions: i32, configs: &[(&str, &str)]) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", super::kafka_bootstrap())
        .create()
        .expect("admin client");
    let mut new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    for (k, v) in configs {
        new = new.set(k, v);
    }
    for r in admin
        .create_topics(&[new], &AdminOptions::new())
        .await
        .expect("create_topics")
    {
        r.unwrap_or_else(|(t, e)| panic!("creating topic {t}: {e}"));
    }
}

/// Produces `records` to their partitions of `topic`, in order (one producer,
/// idempotent, so retries cannot reorder them), and waits for all.
pub async fn produce_raw(topic: &str, records: &[RawRecord]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", super::kafka_bootstrap())
        .set("enable.idempotence", "true")
        .set("message.max.bytes", "16777216")
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    let sends = records.iter().map(|r| {
        let mut headers = OwnedHeaders::new();
        for (k, v) in &r.headers {
            headers = headers.insert(Header {
                key: k,
                value: v.as_deref(),
            });
        }
        let mut fr: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic)
            .partition(r.partition)
            .headers(headers);
        if let Some(ts) = r.timestamp {
            fr = fr.timestamp(ts);
        }
        if let Some(k) = &r.key {
            fr = fr.key(&k[..]);
        }
        if let Some(v) = &r.value {
            fr = fr.payload(&v[..]);
        }
        producer.send(fr, Duration::from_secs(30))
    });
    for result in futures_util::future::join_all(sends).await {
        result.unwrap_or_else(|(e, _)| panic!("produce to {topic}: {e}"));
    }
}

/// Produces one record with `payload` to partition 0 of `topic`, with one
/// header named `name`, which need not be UTF-8: librdkafka's C API takes
/// any bytes, as the wire format does, where rust-rdkafka's `Header` takes a
/// `&str`.
pub fn produce_with_header_name(topic: &str, name: &[u8], header_value: &[u8], payload: &[u8]) {
    use rdkafka::bindings as rd;
    use rdkafka::producer::{BaseProducer, Producer};
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", super::kafka_bootstrap())
        .create()
        .expect("producer");
    let topic_c = std::ffi::CString::new(topic).expect("a topic name without NUL");
    let len = |b: &[u8]| isize::try_from(b.len()).expect("a header that fits");
    // SAFETY: the header list is new and owned here until librdkafka takes
    // it (on success); RD_KAFKA_MSG_F_COPY copies the payload before
    // returning; every pointer outlives the call.
    let err = unsafe {
        let headers = rd::rd_kafka_headers_new(1);
        rd::rd_kafka_header_add(
            headers,
            name.as_ptr().cast(),
            len(name),
            header_value.as_ptr().cast(),
            len(header_value),
        );
        let err = rd::rd_kafka_producev(
            producer.client().native_ptr(),
            rd::rd_kafka_vtype_t::RD_KAFKA_VTYPE_TOPIC,
            topic_c.as_ptr(),
            rd::rd_kafka_vtype_t::RD_KAFKA_VTYPE_PARTITION,
            0i32,
            rd::rd_kafka_vtype_t::RD_KAFKA_VTYPE_MSGFLAGS,
            rd::RD_KAFKA_MSG_F_COPY,
            rd::rd_kafka_vtype_t::RD_KAFKA_VTYPE_VALUE,
            payload.as_ptr() as *mut std::ffi::c_void,
            payload.len(),
            rd::rd_kafka_vtype_t::RD_KAFKA_VTYPE_HEADERS,
            headers,
            rd::rd_kafka_vtype_t::RD_KAFKA_VTYPE_END,
        );
        if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            rd::rd_kafka_headers_destroy(headers);
        }
        err
    };
    assert_eq!(
        err,
        rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR,
        "produce to {topic}"
    );
    producer
        .flush(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("produce to {topic}: {e}"));
}

/// Reads partition 0 of `topic` from the start until `n` records came, or
/// panics after `secs`.
pub fn consume_n(topic: &str, n: usize, secs: u64) -> Vec<OwnedMessage> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", super::kafka_bootstrap())
        .set("group.id", format!("reader-{topic}"))
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)
        .expect("partition");
    consumer.assign(&tpl).expect("assign");
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    let mut got = Vec::new();
    while got.len() < n {
        assert!(
            std::time::Instant::now() < deadline,
            "{topic}: {} of {n} records after {secs} s",
            got.len()
        );
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => got.push(m.detach()),
            Some(Err(e)) => eprintln!("{topic}: {e}"),
            None => {}
        }
    }
    got
}

/// A header's value of `m` as text.
pub fn header_text(m: &OwnedMessage, name: &str) -> Option<String> {
    let headers = m.headers()?;
    headers
        .iter()
        .find(|h| h.key == name)
        .and_then(|h| h.value)
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Produces `{"n":i}` for each `i` of `range`, record `i` to partition
/// `i % partitions`.
pub async fn produce_numbers(topic: &str, partitions: i32, range: std::ops::Range<i64>) {
    let p = producer();
    for i in range {
        let partition = (i % i64::from(partitions)) as i32;
        produce(
            &p,
            topic,
            partition,
            &[(None, Some(format!(r#"{{"n":{i}}}"#)))],
        )
        .await;
    }
}
