//! Which `consumer.override.*` properties a connector created through the
//! REST API may set: Connect's `connector.client.config.override.policy`
//! (`None`, `Principal`, `All`, and KIP-1188's `Allowlist` with
//! `connector.client.config.override.allowlist`), set on the worker.
//!
//! Whatever the policy, a REST caller never gets the librdkafka properties
//! that load code, read or write files, run commands, reach other hosts
//! than the worker's cluster with the worker's credentials, or flood the
//! log: [`ALWAYS_REFUSED`]. The default is `Allowlist` with the consumer's
//! tuning properties ([`DEFAULT_ALLOWLIST`]). A manifest file and the
//! worker's own `--worker consumer.*` settings come from the operator and
//! are not checked here.

use std::collections::BTreeMap;

/// The worker setting naming the policy.
pub const POLICY_KEY: &str = "connector.client.config.override.policy";
/// The worker setting listing what `Allowlist` allows (KIP-1188).
pub const ALLOWLIST_KEY: &str = "connector.client.config.override.allowlist";

/// Properties (or, ending in `.`, prefixes; starting with `.`, suffixes)
/// refused from REST callers under every policy.
pub const ALWAYS_REFUSED: &[&str] = &[
    // Loads a shared library into the worker.
    "plugin.library.paths",
    // OpenSSL engines and providers are native code.
    "ssl.engine.",
    "ssl.providers",
    // Runs kinit and reads keytabs.
    "sasl.kerberos.",
    // OIDC token endpoint and command: where the worker sends credentials.
    "sasl.oauthbearer.token.endpoint.url",
    "sasl.oauthbearer.method",
    "sasl.oauthbearer.config",
    "https.ca.location",
    // Every path on the worker's disk: certificates, keys, CA bundles.
    ".location",
    ".pem",
    "ssl.keystore.",
    "ssl.truststore.",
    "ssl_key",
    "ssl.key.",
    "ssl.certificate.",
    "ssl.ca.",
    "ssl.crl.",
    // Logs every protocol detail, credentials included.
    "debug",
    "log_level",
    "log.",
    // librdkafka's test hooks.
    "test.",
    // The worker's own offset handling.
    "enable.auto.commit",
    "enable.auto.offset.store",
];

/// What `Allowlist` allows when the worker names no list: how the consumer
/// fetches, batches, balances and times out, nothing that says where it
/// connects or with which credentials.
pub const DEFAULT_ALLOWLIST: &[&str] = &[
    "auto.offset.reset",
    "client.id",
    "client.rack",
    "group.id",
    "group.instance.id",
    "partition.assignment.strategy",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "max.poll.interval.ms",
    "max.poll.records",
    "fetch.min.bytes",
    "fetch.max.bytes",
    "fetch.wait.max.ms",
    "fetch.max.wait.ms",
    "fetch.queue.backoff.ms",
    "max.partition.fetch.bytes",
    "queued.min.messages",
    "queued.max.messages.kbytes",
    "isolation.level",
    "check.crcs",
    "request.timeout.ms",
    "socket.timeout.ms",
    "metadata.max.age.ms",
    "topic.metadata.refresh.interval.ms",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
    "connections.max.idle.ms",
    "receive.message.max.bytes",
    "statistics.interval.ms",
    "allow.auto.create.topics",
];

/// Connect's `Principal` policy: the client's identity, nothing else.
const PRINCIPAL: &[&str] = &[
    "sasl.jaas.config",
    "sasl.mechanism",
    "sasl.mechanisms",
    "sasl.username",
    "sasl.password",
    "security.protocol",
];

/// The policy a worker applies to REST connectors' client overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverridePolicy {
    /// No overrides at all.
    None,
    /// `sasl.jaas.config`, `sasl.mechanism`, `security.protocol` (and
    /// librdkafka's `sasl.username`, `sasl.password`, `sasl.mechanisms`).
    Principal,
    /// Every property but [`ALWAYS_REFUSED`], `bootstrap.servers` included.
    All,
    /// The listed properties, minus [`ALWAYS_REFUSED`].
    Allowlist(Vec<String>),
}

impl Default for OverridePolicy {
    fn default() -> Self {
        OverridePolicy::Allowlist(DEFAULT_ALLOWLIST.iter().map(|s| s.to_string()).collect())
    }
}

fn matches(pattern: &str, key: &str) -> bool {
    if let Some(suffix) = pattern.strip_prefix('.') {
        key.ends_with(&format!(".{suffix}")) || key.ends_with(&format!("_{suffix}"))
    } else if pattern.ends_with('.') {
        key.starts_with(pattern)
    } else {
        key == pattern
    }
}

impl OverridePolicy {
    /// The worker's policy from its settings; the default when unset.
    pub fn from_worker(settings: &BTreeMap<String, String>) -> Result<Self, super::SettingError> {
        let list = settings.get(ALLOWLIST_KEY).map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        });
        let name = settings.get(POLICY_KEY).map(|p| p.trim());
        let has_list = list.is_some();
        // Connect accepts the alias or the class name.
        let short = name.map(|n| {
            n.rsplit('.')
                .next()
                .unwrap_or(n)
                .trim_end_matches("ConnectorClientConfigOverridePolicy")
                .to_string()
        });
        let policy = match short.as_deref() {
            None => match list {
                Some(l) => OverridePolicy::Allowlist(l),
                None => OverridePolicy::default(),
            },
            Some("None") => OverridePolicy::None,
            Some("Principal") => OverridePolicy::Principal,
            Some("All") => OverridePolicy::All,
            Some("Allowlist") => match list {
                Some(l) => OverridePolicy::Allowlist(l),
                None => OverridePolicy::default(),
            },
            Some(_) => {
                return Err(super::SettingError::new(
                    POLICY_KEY,
                    format!(
                        "{:?}: use None, Principal, All or Allowlist (with {ALLOWLIST_KEY})",
                        name.unwrap_or_default()
                    ),
                ));
            }
        };
        if has_list && !matches!(policy, OverridePolicy::Allowlist(_)) {
            return Err(super::SettingError::new(
                ALLOWLIST_KEY,
                format!("only read with {POLICY_KEY}=Allowlist"),
            ));
        }
        Ok(policy)
    }

    /// Why `property` (without its `consumer.override.` prefix) may not be
    /// overridden by a REST caller, if it may not. `<property>` is a key of
    /// the `kafka` table, judged as the consumer will get it
    /// ([`super::kafka::property`]): `consumer.debug` and
    /// `consumer.override.debug` are `debug`.
    pub fn refusal(&self, property: &str) -> Option<String> {
        let key = super::kafka::property(property).to_ascii_lowercase();
        if ALWAYS_REFUSED.iter().any(|p| matches(p, &key)) {
            return Some(format!(
                "{property} cannot be set by a connector created through the REST API: it reaches the worker's files, code or logs. Set it on the worker (--worker consumer.{property}=…) or in a manifest file"
            ));
        }
        let allowed = match self {
            OverridePolicy::None => false,
            OverridePolicy::Principal => PRINCIPAL.contains(&key.as_str()),
            OverridePolicy::All => true,
            OverridePolicy::Allowlist(list) => list.iter().any(|k| k.eq_ignore_ascii_case(&key)),
        };
        (!allowed).then(|| {
            let policy = match self {
                OverridePolicy::None => "None",
                OverridePolicy::Principal => "Principal",
                OverridePolicy::All => "All",
                OverridePolicy::Allowlist(_) => "Allowlist",
            };
            format!(
                "{property} may not be overridden under this worker's {POLICY_KEY} ({policy}); the operator can allow it with --worker {ALLOWLIST_KEY}=… (or {POLICY_KEY}=All)"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_default_allows_tuning_but_not_targets_files_or_code() {
        let p = OverridePolicy::from_worker(&settings(&[])).unwrap();
        assert_eq!(p.refusal("max.poll.records"), None);
        assert_eq!(p.refusal("auto.offset.reset"), None);
        for bad in [
            "plugin.library.paths",
            "ssl.engine.location",
            "ssl.engine.id",
            "sasl.kerberos.kinit.cmd",
            "sasl.oauthbearer.token.endpoint.url",
            "ssl.ca.location",
            "ssl.key.pem",
            "debug",
            "test.mock.num.brokers",
            "bootstrap.servers",
            "sasl.password",
        ] {
            assert!(p.refusal(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn connects_policies_by_alias_or_class() {
        let all = OverridePolicy::from_worker(&settings(&[(POLICY_KEY, "All")])).unwrap();
        assert_eq!(all.refusal("bootstrap.servers"), None);
        assert!(all.refusal("plugin.library.paths").is_some());
        // A doubled prefix is judged as the property the consumer gets.
        for doubled in [
            "consumer.plugin.library.paths",
            "consumer.override.plugin.library.paths",
            "consumer.debug",
            "consumer.sasl.oauthbearer.token.endpoint.url",
            "consumer.ssl.providers",
        ] {
            assert!(all.refusal(doubled).is_some(), "{doubled}");
        }
        let principal = OverridePolicy::from_worker(&settings(&[(
            POLICY_KEY,
            "org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy",
        )]))
        .unwrap();
        assert_eq!(principal, OverridePolicy::Principal);
        assert_eq!(principal.refusal("sasl.jaas.config"), None);
        assert!(principal.refusal("max.poll.records").is_some());
        let none = OverridePolicy::from_worker(&settings(&[(POLICY_KEY, "None")])).unwrap();
        assert!(none.refusal("client.id").is_some());
        let list = OverridePolicy::from_worker(&settings(&[
            (POLICY_KEY, "Allowlist"),
            (ALLOWLIST_KEY, "client.id, bootstrap.servers"),
        ]))
        .unwrap();
        assert_eq!(list.refusal("bootstrap.servers"), None);
        assert!(list.refusal("max.poll.records").is_some());
        assert!(OverridePolicy::from_worker(&settings(&[(POLICY_KEY, "Some")])).is_err());
    }
}
