//! Kafka helpers for tests against the shared broker: topics, producing,
//! and reading a group's committed offsets.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
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
    let got = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed offsets");
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
