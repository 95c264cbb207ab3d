//! A connector's error policy, checked from Kafka Connect's `errors.*` keys.

use std::time::Duration;

/// A connector's `errors.*` options as written, read by [`ErrorPolicy::check`].
#[derive(Debug, Default, Clone, Copy)]
pub struct ErrorOptions<'a> {
    /// The connector's name, for log lines.
    pub connector: &'a str,
    pub tolerance: Option<&'a str>,
    pub log_enable: Option<bool>,
    pub log_include_messages: Option<bool>,
    pub retry_timeout: Option<i64>,
    pub retry_delay_max_ms: Option<u64>,
    pub dlq_topic_name: Option<&'a str>,
    pub dlq_replication_factor: Option<i32>,
    pub dlq_context_headers_enable: Option<bool>,
}

/// Kafka Connect's `errors.tolerance`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tolerance {
    /// The first failed record stops the connector.
    None,
    /// Failed records are reported and skipped.
    All,
}

/// Where failed records go, and what they carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DlqSpec {
    pub topic: String,
    /// Used only when the topic is created.
    pub replication_factor: i32,
    /// Whether to add the `__connect.errors.*` headers.
    pub context_headers: bool,
}

/// What a connector does with records that fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorPolicy {
    pub tolerance: Tolerance,
    pub log: bool,
    pub log_messages: bool,
    /// How long whole-call plugin failures are retried; `None` is forever.
    pub retry_timeout: Option<Duration>,
    pub retry_delay_max: Duration,
    pub dlq: Option<DlqSpec>,
}

impl Default for ErrorPolicy {
    fn default() -> Self {
        ErrorPolicy {
            tolerance: Tolerance::None,
            log: false,
            log_messages: false,
            retry_timeout: Some(Duration::ZERO),
            retry_delay_max: Duration::from_secs(60),
            dlq: None,
        }
    }
}

impl ErrorPolicy {
    /// Checks the `errors.*` options `raw` against the connector's `topics`;
    /// problems are pushed with the key they concern.
    pub fn check(
        raw: ErrorOptions<'_>,
        topics: &[String],
        topics_regex: Option<&regex::Regex>,
        problems: &mut Vec<crate::problem::Problem>,
    ) -> ErrorPolicy {
        let problem =
            |key: &str, message: String| crate::problem::Problem::option("", key, message);
        let tolerance = match raw.tolerance.unwrap_or("none") {
            "none" => Tolerance::None,
            "all" => Tolerance::All,
            other => {
                problems.push(problem(
                    "errors.tolerance",
                    format!("{other:?} is not `none` or `all`"),
                ));
                Tolerance::None
            }
        };
        let retry_timeout = match raw.retry_timeout.unwrap_or(0) {
            -1 => None,
            ms if ms >= 0 => Some(Duration::from_millis(ms as u64)),
            ms => {
                problems.push(problem(
                    "errors.retry.timeout",
                    format!("{ms} is negative: use -1 to retry forever, 0 for no retries"),
                ));
                Some(Duration::ZERO)
            }
        };
        let dlq = match raw.dlq_topic_name.map(str::trim) {
            None | Some("") => None,
            Some(topic) => {
                let replication_factor = raw.dlq_replication_factor.unwrap_or(3);
                if replication_factor < 1 {
                    problems.push(problem(
                        "errors.deadletterqueue.topic.replication.factor",
                        format!("{replication_factor} must be at least 1"),
                    ));
                }
                if topics.iter().any(|t| t == topic)
                    || topics_regex.is_some_and(|re| re.is_match(topic))
                {
                    problems.push(problem(
                        "errors.deadletterqueue.topic.name",
                        format!(
                            "{topic:?} is one of this connector's own topics: \
                         its dead letters would be consumed again; choose another topic"
                        ),
                    ));
                }
                if tolerance == Tolerance::None {
                    tracing::debug!(
                        connector = raw.connector,
                        "dead letter queue set with errors.tolerance=none: only records the sink rejects with behavior.on.error=log go there"
                    );
                }
                Some(DlqSpec {
                    topic: topic.to_string(),
                    replication_factor,
                    context_headers: raw.dlq_context_headers_enable.unwrap_or(false),
                })
            }
        };
        ErrorPolicy {
            tolerance,
            log: raw.log_enable.unwrap_or(false),
            log_messages: raw.log_include_messages.unwrap_or(false),
            retry_timeout,
            retry_delay_max: Duration::from_millis(raw.retry_delay_max_ms.unwrap_or(60_000)),
            dlq,
        }
    }
}
