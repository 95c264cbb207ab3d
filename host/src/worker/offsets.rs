//! A sink connector's offsets are its consumer group's committed offsets
//! (`connect-<name>`): read, set or deleted for Connect's `…/offsets`
//! endpoints, with librdkafka's clients (blocking: run off the async threads).

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::admin::AdminOptions;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::{Offset, TopicPartitionList};

use crate::kafka::KafkaContext;

use crate::config::ConnectorSpec;

const TIMEOUT: Duration = Duration::from_secs(10);

/// How long a change of offsets waits for the group to empty: a stopped
/// connector's consumers leave it as they close, and one that did not say
/// so is dropped after its session (10 s by default).
const EMPTY_WAIT: Duration = Duration::from_secs(20);

/// Whether `code` says the group still has members (or is between
/// generations): worth asking again once they have left.
fn members_remain(code: rdkafka::types::RDKafkaErrorCode) -> bool {
    use rdkafka::types::RDKafkaErrorCode as C;
    matches!(
        code,
        C::UnknownMemberId
            | C::IllegalGeneration
            | C::RebalanceInProgress
            | C::NonEmptyGroup
            | C::CoordinatorLoadInProgress
            | C::NotCoordinator
    )
}

/// One partition's committed offset (the next offset to consume).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// Why a connector's offsets could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum OffsetsError {
    #[error("cannot create a Kafka client: {0}")]
    Client(KafkaError),
    /// A Java key or trust store of the connector's Kafka options.
    #[error("cannot read the connector's TLS stores: {0}")]
    Stores(String),
    #[error("cannot read the cluster's topics: {0}")]
    Metadata(KafkaError),
    #[error("\"topics.regex\": {0}")]
    Regex(#[from] regex::Error),
    #[error("cannot read the committed offsets of {group}: {error}")]
    Read { group: String, error: KafkaError },
    /// A partition the connector does not consume: the caller's mistake.
    #[error("{topic}-{partition} is not a partition of the connector's topics")]
    NotConsumed { topic: String, partition: i32 },
    #[error("cannot commit the offsets of {group}: {error}")]
    Commit { group: String, error: KafkaError },
    #[error("cannot delete the consumer group {group}: {reason}")]
    Delete { group: String, reason: String },
}

/// The connector's Kafka client settings, its Java stores read into PEM.
fn properties(spec: &ConnectorSpec) -> Result<BTreeMap<String, String>, OffsetsError> {
    let mut props = spec.kafka.clone();
    crate::stores::kafka_properties(&mut props).map_err(|found| {
        let said: Vec<String> = found.iter().map(|(k, m)| format!("{k}: {m}")).collect();
        OffsetsError::Stores(said.join("; "))
    })?;
    Ok(props)
}

/// A consumer of the connector's cluster with its first token (its calls
/// here never poll: see `crate::kafka::oauth::prime`).
fn consumer(spec: &ConnectorSpec) -> Result<BaseConsumer<KafkaContext>, OffsetsError> {
    let props = properties(spec)?;
    let consumer: BaseConsumer<KafkaContext> = crate::kafka::client_config(&props)
        .create_with_context(crate::kafka::context(&props))
        .map_err(OffsetsError::Client)?;
    crate::kafka::oauth::prime(consumer.client());
    Ok(consumer)
}

fn group(spec: &ConnectorSpec) -> String {
    spec.kafka
        .get("group.id")
        .cloned()
        .unwrap_or_else(|| format!("connect-{}", spec.name))
}

/// The committed offsets of every partition of the connector's topics that
/// has one.
pub fn committed(spec: &ConnectorSpec) -> Result<Vec<PartitionOffset>, OffsetsError> {
    let consumer = consumer(spec)?;
    let mut tpl = TopicPartitionList::new();
    for (topic, partition) in partitions(spec, &consumer)? {
        tpl.add_partition(&topic, partition);
    }
    let got = consumer
        .committed_offsets(tpl, TIMEOUT)
        .map_err(|error| OffsetsError::Read {
            group: group(spec),
            error,
        })?;
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
fn partitions(
    spec: &ConnectorSpec,
    consumer: &BaseConsumer<KafkaContext>,
) -> Result<Vec<(String, i32)>, OffsetsError> {
    let metadata = consumer
        .fetch_metadata(None, TIMEOUT)
        .map_err(OffsetsError::Metadata)?;
    let pattern = match spec.subscription.as_slice() {
        [one] if one.starts_with('^') => Some(regex::Regex::new(one)?),
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

/// Commits `offsets` for the connector's group, which must have no members;
/// every partition must be one of the connector's.
pub fn alter(spec: &ConnectorSpec, offsets: &[PartitionOffset]) -> Result<(), OffsetsError> {
    let consumer = consumer(spec)?;
    let mine = partitions(spec, &consumer)?;
    for o in offsets {
        if !mine.iter().any(|(t, p)| *t == o.topic && *p == o.partition) {
            return Err(OffsetsError::NotConsumed {
                topic: o.topic.clone(),
                partition: o.partition,
            });
        }
    }
    let commit = |error| OffsetsError::Commit {
        group: group(spec),
        error,
    };
    let mut tpl = TopicPartitionList::new();
    for o in offsets {
        tpl.add_partition_offset(&o.topic, o.partition, Offset::Offset(o.offset))
            .map_err(commit)?;
    }
    let deadline = std::time::Instant::now() + EMPTY_WAIT;
    loop {
        match consumer.commit(&tpl, CommitMode::Sync) {
            Err(e)
                if e.rdkafka_error_code().is_some_and(members_remain)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(250));
            }
            done => return done.map_err(commit),
        }
    }
}

/// Deletes the connector's consumer group, and with it its offsets: the
/// next start reads from `auto.offset.reset` (earliest).
pub async fn reset(spec: &ConnectorSpec) -> Result<(), OffsetsError> {
    let admin = crate::kafka::admin(&properties(spec)?).map_err(OffsetsError::Client)?;
    let group = group(spec);
    let delete = |reason: String| OffsetsError::Delete {
        group: group.clone(),
        reason,
    };
    let deadline = tokio::time::Instant::now() + EMPTY_WAIT;
    loop {
        let results = admin
            .delete_groups(
                &[group.as_str()],
                &AdminOptions::new().operation_timeout(Some(TIMEOUT)),
            )
            .await
            .map_err(|e| delete(e.to_string()))?;
        let mut wait = false;
        for r in results {
            match r {
                Ok(_) => {}
                Err((_, rdkafka::types::RDKafkaErrorCode::GroupIdNotFound)) => {}
                Err((_, code))
                    if members_remain(code) && tokio::time::Instant::now() < deadline =>
                {
                    wait = true;
                }
                Err((_, code)) => {
                    return Err(delete(code.to_string()));
                }
            }
        }
        if !wait {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
