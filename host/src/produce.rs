//! Producing to Kafka for the dead letter queue and the reporter topics: the
//! producer's settings (topics are created by `crate::kafka`).

use std::collections::BTreeMap;

use crate::kafka::Producer;

/// An idempotent producer (acks from every in-sync replica, no duplicates on
/// retry) for the cluster `connection` describes.
pub fn producer(
    connection: &BTreeMap<String, String>,
) -> Result<Producer, rdkafka::error::KafkaError> {
    let mut config = crate::kafka::client_config(connection);
    config
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        // Dead letters carry the original record, which may be large.
        .set("message.max.bytes", "16777216");
    config.create_with_context(crate::kafka::context(connection))
}
