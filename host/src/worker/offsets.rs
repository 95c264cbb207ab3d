//! A sink connector's offsets are its consumer group's committed offsets
//! (`connect-<name>`): read, set or deleted for Connect's `…/offsets`
//! endpoints, with librdkafka's clients (blocking: run off the async threads).

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use crate::config::ConnectorSpec;

const TIMEOUT: Duration = Duration::from_secs(10);

/// One partition's committed offset (the next offset to consume).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

fn client(spec: &ConnectorSpec) -> ClientConfig {
    crate::kafka::client_config(&spec.kafka)
}

fn group(spec: &ConnectorSpec) -> String {
    spec.kafka
        .get("group.id")
        .cloned()
        .unwrap_or_else(|| format!("connect-{}", spec.name))
}

/// The committed offsets of every partition of the connector's topics that
/// has one.
pub fn committed(spec: &ConnectorSpec) -> Result<Vec<PartitionOffset>, String> {
    let consumer: BaseConsumer = client(spec).create().map_err(|e| e.to_string())?;
    let mut tpl = TopicPartitionList::new();
    for (topic, partition) in partitions(spec, &consumer)? {
        tpl.add_partition(&topic, partition);
    }
    let got = consumer
        .committed_offsets(tpl, TIMEOUT)
        .map_err(|e| format!("cannot read the committed offsets of {}: {e}", group(spec)))?;
    let mut out: Vec<PartitionOffset> = got
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some(PartitionOffset {
                topic: e.topic().to_string(),
                partition: e.partition(),
                offset: o,
            }),
            _ => None,
        })
        .collect();
    out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    Ok(out)
}

/// The partitions of the topics `spec` subscribes to, as the cluster has them.
fn partitions(spec: &ConnectorSpec, consumer: &BaseConsumer) -> Result<Vec<(String, i32)>, String> {
    let metadata = consumer
        .fetch_metadata(None, TIMEOUT)
        .map_err(|e| format!("cannot read the cluster's topics: {e}"))?;
    let pattern = match spec.subscription.as_slice() {
        [one] if one.starts_with('^') => {
            Some(regex::Regex::new(one).map_err(|e| format!("topics.regex: {e}"))?)
        }
        _ => None,
    };
    let mut out = Vec::new();
    for t in metadata.topics() {
        let wanted = match &pattern {
            Some(re) => re.is_match(t.name()),
            None => spec.subscription.iter().any(|s| s == t.name()),
        };
        if wanted {
            out.extend(
                t.partitions()
                    .iter()
                    .map(|p| (t.name().to_string(), p.id())),
            );
        }
    }
    Ok(out)
}

/// Why offsets were not changed.
#[derive(Debug)]
pub enum AlterError {
    /// A partition the connector does not consume.
    NotConsumed(String),
    /// Kafka refused or could not be reached.
    Kafka(String),
}

/// Commits `offsets` for the connector's group, which must have no members;
/// every partition must be one of the connector's.
pub fn alter(spec: &ConnectorSpec, offsets: &[PartitionOffset]) -> Result<(), AlterError> {
    let consumer: BaseConsumer = client(spec)
        .create()
        .map_err(|e| AlterError::Kafka(e.to_string()))?;
    let mine = partitions(spec, &consumer).map_err(AlterError::Kafka)?;
    for o in offsets {
        if !mine.iter().any(|(t, p)| *t == o.topic && *p == o.partition) {
            return Err(AlterError::NotConsumed(format!(
                "{}-{} is not a partition of the connector's topics",
                o.topic, o.partition
            )));
        }
    }
    let mut tpl = TopicPartitionList::new();
    for o in offsets {
        tpl.add_partition_offset(&o.topic, o.partition, Offset::Offset(o.offset))
            .map_err(|e| AlterError::Kafka(e.to_string()))?;
    }
    consumer.commit(&tpl, CommitMode::Sync).map_err(|e| {
        AlterError::Kafka(format!("cannot commit the offsets of {}: {e}", group(spec)))
    })
}

/// Deletes the connector's consumer group, and with it its offsets: the
/// next start reads from `auto.offset.reset` (earliest).
pub async fn reset(spec: &ConnectorSpec) -> Result<(), String> {
    let admin: AdminClient<DefaultClientContext> =
        client(spec).create().map_err(|e| e.to_string())?;
    let group = group(spec);
    let results = admin
        .delete_groups(
            &[group.as_str()],
            &AdminOptions::new().operation_timeout(Some(TIMEOUT)),
        )
        .await
        .map_err(|e| format!("cannot delete the consumer group {group}: {e}"))?;
    for r in results {
        match r {
            Ok(_) => {}
            Err((_, rdkafka::types::RDKafkaErrorCode::GroupIdNotFound)) => {}
            Err((_, code)) => {
                return Err(format!("cannot delete the consumer group {group}: {code}"));
            }
        }
    }
    Ok(())
}
