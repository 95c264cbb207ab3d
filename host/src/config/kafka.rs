//! Kafka client properties: a connector's `kafka` table (Connect's
//! `consumer.override.*` form too) turned into the librdkafka properties
//! Sluice runs with. Sluice's delivery guarantee depends on a few of them, so
//! those are forced or defaulted here, and Java-only keys are translated or
//! refused with the librdkafka equivalent (Java's key and trust stores are
//! read into librdkafka's PEM properties when the connector is built:
//! `crate::stores::kafka_properties`).

use std::collections::BTreeMap;

/// A problem with option `key` of the `kafka` table.
fn problem(key: &str, message: impl Into<String>) -> super::Problem {
    super::Problem::option("kafka", key, message)
}

/// The consumer properties of connector `name`, or the problems found.
pub fn consumer_properties(
    name: &str,
    raw: &BTreeMap<String, toml::Value>,
) -> Result<BTreeMap<String, String>, Vec<super::Problem>> {
    let mut props = BTreeMap::new();
    let mut problems = Vec::new();
    for (key, value) in raw {
        let key = key
            .strip_prefix("consumer.override.")
            .or_else(|| key.strip_prefix("consumer."))
            .unwrap_or(key);
        let value = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Float(f) => f.to_string(),
            other => {
                problems.push(problem(
                    key,
                    format!(
                        "expected a string, number or boolean, not {}",
                        other.type_str()
                    ),
                ));
                continue;
            }
        };
        match key {
            "enable.auto.commit" | "enable.auto.offset.store" if value != "false" => {
                problems.push(problem(
                    key,
                    "Sluice commits offsets itself, only after delivery; remove this key",
                ))
            }
            "sasl.jaas.config" => match translate_jaas(&value) {
                Ok((user, password)) => {
                    props.insert("sasl.username".into(), user);
                    props.insert("sasl.password".into(), password);
                }
                Err(e) => problems.push(problem("sasl.jaas.config", e.to_string())),
            },
            "key.deserializer" | "value.deserializer" => problems.push(problem(
                key,
                "Sluice reads raw bytes; choose a key.converter / value.converter plugin instead",
            )),
            _ => {
                props.insert(key.to_string(), value);
            }
        }
    }
    if !props.contains_key("bootstrap.servers") {
        problems.push(problem("bootstrap.servers", "missing: where is the Kafka cluster? e.g. kafka = { \"bootstrap.servers\" = \"broker:9092\" }"));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    props.insert("enable.auto.commit".into(), "false".into());
    props.insert("enable.auto.offset.store".into(), "false".into());
    props
        .entry("group.id".into())
        .or_insert_with(|| format!("connect-{name}"));
    // Connect's choice: a new group reads the backlog (librdkafka's default is latest).
    props
        .entry("auto.offset.reset".into())
        .or_insert_with(|| "earliest".into());
    props
        .entry("partition.assignment.strategy".into())
        .or_insert_with(|| "cooperative-sticky".into());
    // Failover: a worker that dies holds its partitions until the group
    // notices, after `session.timeout.ms`. Kafka's (and so Connect's) 45 s
    // default stalled a dead worker's partitions for about 45 s; 10 s is
    // what the task claims use, well above the broker's floor
    // (`group.min.session.timeout.ms`, 6 s). librdkafka heartbeats from a
    // thread of its own, so a slow batch does not expire the session (that
    // is `max.poll.interval.ms`); the cost is that a network blip over 10 s
    // moves the partitions, and their unfinished records are delivered again.
    props
        .entry("session.timeout.ms".into())
        .or_insert_with(|| "10000".into());
    props
        .entry("heartbeat.interval.ms".into())
        .or_insert_with(|| "3000".into());
    // Consumer lag per partition for /metrics comes from librdkafka's statistics.
    props
        .entry("statistics.interval.ms".into())
        .or_insert_with(|| "5000".into());
    // librdkafka prefetches up to 64 MiB and 100k messages per partition by
    // default. Each partition has its own queue here (see source::reader),
    // read only while its worker has room; the queue's size and the fetch
    // size come from the worker's memory budget when the consumer is
    // created (see source::budget). Measured by `scripts/bench compare`
    // (8 partitions, see docs/benchmarks.md and docs/notes.md):
    // - one fetch at a time goes to a broker; when it holds only partitions
    //   with nothing new, the broker keeps it for `fetch.wait.max.ms` and the
    //   busy partitions wait behind it (500 ms: 160k records/s passthrough,
    //   100 ms: 230-330k);
    // - a full queue is checked again after `fetch.queue.backoff.ms`
    //   (librdkafka's 1000 ms stalled delivery at 4.9k records/s).
    // - librdkafka drops its bootstrap connection once it has learned the
    //   brokers and connects to them after half of `reconnect.backoff.ms`:
    //   at its 100 ms default, 50 of a group join's 60 ms here; at 10 ms the
    //   join took 23-34 ms (a broker that is down is still retried with a
    //   backoff doubling up to `reconnect.backoff.max.ms`).
    for (key, value) in [
        ("fetch.wait.max.ms", "100"),
        ("fetch.queue.backoff.ms", "5"),
        ("reconnect.backoff.ms", "10"),
    ] {
        props.entry(key.into()).or_insert_with(|| value.into());
    }
    Ok(props)
}

/// The connection settings of `consumer` (bootstrap servers, security, socket
/// options): what a producer or admin client of the same cluster needs, without
/// consumer-only keys librdkafka would warn about.
pub fn connection_properties(consumer: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    const PREFIXES: [&str; 8] = [
        "bootstrap.servers",
        "security.protocol",
        "sasl.",
        "ssl.",
        "socket.",
        "broker.address.",
        "client.id",
        "enable.ssl.",
    ];
    consumer
        .iter()
        .filter(|(k, _)| PREFIXES.iter().any(|p| k.starts_with(p)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// PLAIN and SCRAM JAAS configs carry a user name and password librdkafka takes directly.
/// Why a JAAS config has no librdkafka equivalent.
#[derive(Debug, thiserror::Error)]
enum JaasError {
    #[error(
        "{0} has no librdkafka equivalent here; for PLAIN or SCRAM set \"sasl.username\" and \"sasl.password\", for OAUTHBEARER the sasl.oauthbearer.* keys"
    )]
    Module(String),
    #[error("expected username=\"…\" and password=\"…\" in the JAAS config")]
    Credentials,
}

fn translate_jaas(jaas: &str) -> Result<(String, String), JaasError> {
    let module = jaas.split_whitespace().next().unwrap_or("");
    if !module.ends_with("PlainLoginModule") && !module.ends_with("ScramLoginModule") {
        return Err(JaasError::Module(module.to_string()));
    }
    let field = |name: &str| {
        let start = jaas.find(&format!("{name}="))? + name.len() + 1;
        let rest = &jaas[start..];
        let rest = rest.strip_prefix('"')?;
        Some(rest[..rest.find('"')?].to_string())
    };
    match (field("username"), field("password")) {
        (Some(u), Some(p)) => Ok((u, p)),
        _ => Err(JaasError::Credentials),
    }
}

/// Java's `Pattern.matches` semantics: the whole name must match. librdkafka
/// treats a subscription as a regex when it starts with `^` and matches it
/// unanchored, so the pattern is anchored at both ends.
pub fn topics_regex(java_regex: &str) -> String {
    format!("^({java_regex})$")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(pairs: &[(&str, &str)]) -> BTreeMap<String, toml::Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), toml::Value::String(v.to_string())))
            .collect()
    }

    #[test]
    fn connect_defaults_and_forced_settings() {
        let p = consumer_properties(
            "td",
            &table(&[("consumer.override.bootstrap.servers", "b:9092")]),
        )
        .unwrap();
        assert_eq!(p["bootstrap.servers"], "b:9092");
        assert_eq!(p["group.id"], "connect-td");
        assert_eq!(p["auto.offset.reset"], "earliest");
        assert_eq!(p["enable.auto.commit"], "false");
        assert_eq!(p["enable.auto.offset.store"], "false");
        assert_eq!(p["partition.assignment.strategy"], "cooperative-sticky");
    }

    #[test]
    fn java_only_keys_are_translated_or_refused_with_the_equivalent() {
        let p = consumer_properties(
            "x",
            &table(&[
                ("bootstrap.servers", "b:9092"),
                ("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p w\";"),
            ]),
        )
        .unwrap();
        assert_eq!(
            (p["sasl.username"].as_str(), p["sasl.password"].as_str()),
            ("u", "p w")
        );
        let errs = consumer_properties("x", &table(&[("enable.auto.commit", "true")])).unwrap_err();
        let options: Vec<_> = errs.iter().filter_map(|p| p.option.as_deref()).collect();
        assert_eq!(options, ["enable.auto.commit", "bootstrap.servers"]);
        let errs = errs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(errs.contains("Sluice commits offsets itself"), "{errs}");
        assert!(errs.contains("bootstrap.servers\": missing"), "{errs}");
    }

    #[test]
    fn topic_regex_matches_whole_names() {
        assert_eq!(topics_regex("events-.*"), "^(events-.*)$");
    }
}
