//! Running a rebalance without asking librdkafka which protocol the group
//! uses: that question can hang for good when a rebalance is served while
//! the consumer closes (librdkafka#4041, rust-rdkafka#509), and it did, in
//! a worker stopping several tasks of one group. The protocol is known from
//! the consumer's own `partition.assignment.strategy`.

use rdkafka::TopicPartitionList;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};

/// Whether `strategy` (`partition.assignment.strategy`) is cooperative.
pub fn is_cooperative(strategy: Option<&str>) -> bool {
    strategy.is_some_and(|s| s.contains("cooperative"))
}

/// What `ConsumerContext::rebalance` does by default, with the protocol
/// given (`cooperative`) instead of asked for.
pub fn run<C: ConsumerContext>(
    context: &C,
    consumer: &BaseConsumer<C>,
    err: RDKafkaRespErr,
    tpl: &mut TopicPartitionList,
    cooperative: bool,
) {
    let tpl: &TopicPartitionList = tpl;
    let assign = err == RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
    let rebalance = match err {
        RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => Rebalance::Assign(tpl),
        RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => Rebalance::Revoke(tpl),
        _ => {
            let code: RDKafkaErrorCode = err.into();
            tracing::error!("rebalance error: {code}");
            Rebalance::Error(KafkaError::Rebalance(code))
        }
    };
    context.pre_rebalance(consumer, &rebalance);
    let done = match (assign, cooperative) {
        (true, true) => consumer.incremental_assign(tpl),
        (true, false) => consumer.assign(tpl),
        (false, true) => consumer.incremental_unassign(tpl),
        (false, false) => consumer.unassign(),
    };
    if let Err(e) = done {
        tracing::warn!("applying a rebalance: {e}");
    }
    context.post_rebalance(consumer, &rebalance);
}

#[cfg(test)]
mod tests {
    use super::is_cooperative;

    #[test]
    fn the_protocol_follows_the_strategy() {
        assert!(is_cooperative(Some("cooperative-sticky")));
        assert!(!is_cooperative(Some("range,roundrobin")));
        assert!(!is_cooperative(None));
    }
}
