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

/// The librdkafka property a key of the `kafka` table sets: Connect's
/// `consumer.override.` or `consumer.` prefix, if any, is dropped.
pub fn property(key: &str) -> &str {
    key.strip_prefix("consumer.override.")
        .or_else(|| key.strip_prefix("consumer."))
        .unwrap_or(key)
}

/// The consumer properties of connector `name`, or the problems found.
pub fn consumer_properties(
    name: &str,
    raw: &BTreeMap<String, toml::Value>,
) -> Result<BTreeMap<String, String>, Vec<super::Problem>> {
    let mut props = BTreeMap::new();
    let mut problems = Vec::new();
    for (key, value) in raw {
        let key = property(key);
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
            k if k.starts_with(crate::kafka::oauth::RESERVED_PREFIX) => problems.push(problem(
                key,
                "keys starting with \"sluice.\" are Sluice's own; remove this key",
            )),
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
    if let Err(found) = translate_sasl(&mut props) {
        problems.extend(
            found
                .into_iter()
                .map(|(key, message)| problem(&key, message)),
        );
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
    const PREFIXES: [&str; 9] = [
        "bootstrap.servers",
        "security.protocol",
        "sasl.",
        "ssl.",
        "socket.",
        "broker.address.",
        "client.id",
        "enable.ssl.",
        crate::kafka::oauth::RESERVED_PREFIX,
    ];
    consumer
        .iter()
        .filter(|(k, _)| PREFIXES.iter().any(|p| k.starts_with(p)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A JAAS login configuration as Kafka reads `sasl.jaas.config`: one login
/// module, its control flag, and its options.
#[derive(Debug, PartialEq)]
pub struct Jaas {
    /// The login module's class name.
    pub module: String,
    /// The options, by name.
    pub options: BTreeMap<String, String>,
}

impl Jaas {
    /// The module's class name without its package.
    fn short_module(&self) -> &str {
        self.module.rsplit('.').next().unwrap_or(&self.module)
    }
}

/// Parses `<LoginModule> <flag> name="value" name=value ... ;` as Kafka's
/// `JaasConfig` does: quoted values may hold spaces, `;` and `\"`.
pub fn parse_jaas(text: &str) -> Result<Jaas, String> {
    let mut rest = text.trim_start();
    let word = |rest: &mut &str| -> String {
        let end = rest
            .find(|c: char| c.is_whitespace() || c == ';' || c == '=')
            .unwrap_or(rest.len());
        let w = rest[..end].to_string();
        *rest = rest[end..].trim_start();
        w
    };
    let module = word(&mut rest);
    if module.is_empty() {
        return Err("expected a login module class first, e.g. org.apache.kafka.common.security.plain.PlainLoginModule required username=\"…\" password=\"…\";".into());
    }
    let flag = word(&mut rest);
    if !["required", "requisite", "sufficient", "optional"].contains(&flag.as_str()) {
        return Err(format!(
            "expected a control flag (required, requisite, sufficient or optional) after {module}, found {flag:?}"
        ));
    }
    let mut options = BTreeMap::new();
    loop {
        if let Some(after) = rest.strip_prefix(';') {
            if !after.trim().is_empty() {
                return Err(format!(
                    "one login module only: found {:?} after the ';'",
                    after.trim()
                ));
            }
            return Ok(Jaas { module, options });
        }
        if rest.is_empty() {
            return Err("missing the ';' that ends the login module's options".into());
        }
        let name = word(&mut rest);
        rest = rest
            .strip_prefix('=')
            .ok_or_else(|| format!("option {name:?} has no value: write {name}=\"…\""))?
            .trim_start();
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next() {
                    Some((i, '"')) => break i,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, c)) => value.push(c),
                        None => return Err(format!("the quoted value of {name} is not closed")),
                    },
                    Some((_, c)) => value.push(c),
                    None => return Err(format!("the quoted value of {name} is not closed")),
                }
            };
            rest = quoted[end + 1..].trim_start();
            value
        } else {
            let value = word(&mut rest);
            if value.is_empty() {
                return Err(format!("option {name:?} has no value: write {name}=\"…\""));
            }
            value
        };
        options.insert(name, value);
    }
}

/// The AWS MSK IAM classes of `software.amazon.msk:aws-msk-iam-auth`.
const MSK_CLIENT_HANDLER: &str = "software.amazon.msk.auth.iam.IAMClientCallbackHandler";
const MSK_OAUTH_LOGIN_HANDLER: &str =
    "software.amazon.msk.auth.iam.IAMOAuthBearerLoginCallbackHandler";
/// Kafka's OIDC client-credentials login handler (KIP-768), both packages.
const OIDC_LOGIN_HANDLERS: [&str; 2] = [
    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
    "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler",
];

/// Turns the Java client's SASL settings into librdkafka's, in place:
/// - PLAIN and SCRAM JAAS configs into `sasl.username` and `sasl.password`;
/// - `sasl.mechanism=AWS_MSK_IAM` (or OAUTHBEARER with MSK's login handler)
///   into OAUTHBEARER with tokens Sluice signs with the AWS credentials chain;
/// - OAUTHBEARER with Kafka's OIDC login handler into librdkafka's OIDC
///   client-credentials settings;
/// - OAUTHBEARER with Kafka's unsecured login module options into unsigned
///   tokens Sluice makes.
///
/// The problems name the key to change.
pub fn translate_sasl(props: &mut BTreeMap<String, String>) -> Result<(), Vec<(String, String)>> {
    use crate::kafka::oauth::keys;
    let mut problems: Vec<(String, String)> = Vec::new();
    let jaas = match props.remove("sasl.jaas.config") {
        Some(text) => match parse_jaas(&text) {
            Ok(jaas) => Some(jaas),
            Err(e) => return Err(vec![("sasl.jaas.config".into(), e)]),
        },
        None => None,
    };
    let client_handler = props.remove("sasl.client.callback.handler.class");
    let login_handler = props.remove("sasl.login.callback.handler.class");
    // librdkafka reads both spellings.
    let mechanism = props
        .remove("sasl.mechanism")
        .or_else(|| props.remove("sasl.mechanisms"));
    let mut mechanism_out = mechanism.clone();
    let msk = mechanism.as_deref() == Some("AWS_MSK_IAM")
        || login_handler.as_deref() == Some(MSK_OAUTH_LOGIN_HANDLER);
    if let Some(handler) = &client_handler
        && !(handler == MSK_CLIENT_HANDLER && msk)
    {
        problems.push((
            "sasl.client.callback.handler.class".into(),
            format!("{handler} is a Java class Sluice cannot run; Sluice's own SASL mechanisms are PLAIN, SCRAM, OAUTHBEARER (OIDC, or unsecured tokens) and AWS_MSK_IAM"),
        ));
    }
    if msk {
        if let Some(j) = &jaas
            && !["IAMLoginModule", "OAuthBearerLoginModule"].contains(&j.short_module())
        {
            problems.push((
                "sasl.jaas.config".into(),
                format!("{} does not go with AWS MSK IAM: write software.amazon.msk.auth.iam.IAMLoginModule required;", j.module),
            ));
        }
        mechanism_out = Some("OAUTHBEARER".into());
        props.insert(keys::TOKEN.into(), keys::MSK_IAM.into());
        if let Some(region) = props.get("bootstrap.servers").and_then(|b| msk_region(b)) {
            props.insert(keys::AWS_REGION.into(), region);
        }
        for (name, value) in jaas.iter().flat_map(|j| &j.options) {
            let key = match name.as_str() {
                "awsProfileName" => keys::AWS_PROFILE,
                "awsRoleArn" => keys::AWS_ROLE_ARN,
                "awsRoleSessionName" => keys::AWS_ROLE_SESSION,
                "awsStsRegion" => keys::AWS_STS_REGION,
                // The Java library's debug logging and its retry tuning of
                // credential loading: the AWS SDK's own retries apply here.
                "awsDebugCreds" | "awsMaxRetries" | "awsMaxBackOffTimeMs" => continue,
                other => {
                    problems.push((
                        "sasl.jaas.config".into(),
                        format!("unknown IAMLoginModule option {other:?}; the options are awsProfileName, awsRoleArn, awsRoleSessionName, awsStsRegion (awsDebugCreds, awsMaxRetries and awsMaxBackOffTimeMs are accepted and ignored)"),
                    ));
                    continue;
                }
            };
            props.insert(key.into(), value.clone());
        }
    } else if let Some(j) = &jaas {
        match j.short_module() {
            "PlainLoginModule" | "ScramLoginModule" => {
                match (j.options.get("username"), j.options.get("password")) {
                    (Some(u), Some(p)) => {
                        props.insert("sasl.username".into(), u.clone());
                        props.insert("sasl.password".into(), p.clone());
                    }
                    _ => problems.push((
                        "sasl.jaas.config".into(),
                        "expected username=\"…\" and password=\"…\" in the JAAS config".into(),
                    )),
                }
            }
            "IAMLoginModule" => problems.push((
                "sasl.mechanism".into(),
                "IAMLoginModule needs sasl.mechanism=AWS_MSK_IAM".into(),
            )),
            "OAuthBearerLoginModule" => {
                if mechanism.as_deref() != Some("OAUTHBEARER") {
                    problems.push((
                        "sasl.mechanism".into(),
                        "OAuthBearerLoginModule needs sasl.mechanism=OAUTHBEARER".into(),
                    ));
                }
                match login_handler.as_deref() {
                    Some(h) if OIDC_LOGIN_HANDLERS.contains(&h) => {
                        problems.extend(translate_oidc(j, props));
                    }
                    Some(h) => problems.push((
                        "sasl.login.callback.handler.class".into(),
                        format!("{h} is a Java class Sluice cannot run; for OIDC use {}, or set librdkafka's sasl.oauthbearer.* keys", OIDC_LOGIN_HANDLERS[0]),
                    )),
                    None => problems.extend(translate_unsecured(j, props)),
                }
            }
            _ => problems.push((
                "sasl.jaas.config".into(),
                format!("{} has no librdkafka equivalent here; for PLAIN or SCRAM set \"sasl.username\" and \"sasl.password\", for OAUTHBEARER the sasl.oauthbearer.* keys", j.module),
            )),
        }
    } else if let Some(h) = &login_handler {
        problems.push((
            "sasl.login.callback.handler.class".into(),
            format!("{h} needs a sasl.jaas.config with its login module"),
        ));
    }
    if let Some(m) = mechanism_out {
        props.insert("sasl.mechanism".into(), m);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The AWS region of an MSK bootstrap address
/// (`b-1.name.id.c2.kafka.<region>.amazonaws.com:9098`, or
/// `boot-id.c2.kafka-serverless.<region>.amazonaws.com:9098`).
pub fn msk_region(bootstrap: &str) -> Option<String> {
    bootstrap.split(',').find_map(|server| {
        let host = server
            .trim()
            .rsplit_once(':')
            .map_or(server.trim(), |(h, _)| h);
        let labels: Vec<&str> = host.split('.').collect();
        let n = labels.len();
        (n >= 4
            && labels[n - 2] == "amazonaws"
            && ["kafka", "kafka-serverless"].contains(&labels[n - 4]))
        .then(|| labels[n - 3].to_string())
    })
}

/// Kafka's OIDC client-credentials options into librdkafka's.
fn translate_oidc(jaas: &Jaas, props: &mut BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    props.insert("sasl.oauthbearer.method".into(), "oidc".into());
    let mut extensions = Vec::new();
    for (name, value) in &jaas.options {
        match name.as_str() {
            "clientId" => {
                props.insert("sasl.oauthbearer.client.id".into(), value.clone());
            }
            "clientSecret" => {
                props.insert("sasl.oauthbearer.client.secret".into(), value.clone());
            }
            "scope" => {
                props.insert("sasl.oauthbearer.scope".into(), value.clone());
            }
            n if n.starts_with("extension_") => {
                extensions.push(format!("{}={value}", &n["extension_".len()..]));
            }
            other => problems.push((
                "sasl.jaas.config".into(),
                format!("unknown OAuthBearerLoginModule option {other:?} for OIDC; the options are clientId, clientSecret, scope and extension_<name>"),
            )),
        }
    }
    if !extensions.is_empty() {
        props.insert("sasl.oauthbearer.extensions".into(), extensions.join(","));
    }
    if !props.contains_key("sasl.oauthbearer.token.endpoint.url") {
        problems.push((
            "sasl.oauthbearer.token.endpoint.url".into(),
            "missing: the OIDC provider's token endpoint, e.g. https://idp.example.com/oauth2/token".into(),
        ));
    }
    problems
}

/// Kafka's unsecured login module options (`unsecuredLogin*`) into the
/// claims of the unsigned tokens Sluice makes.
fn translate_unsecured(jaas: &Jaas, props: &mut BTreeMap<String, String>) -> Vec<(String, String)> {
    use crate::kafka::oauth::keys;
    let mut problems = Vec::new();
    let mut claims = serde_json::Map::new();
    let mut principal = "sub".to_string();
    let mut lifetime = "3600".to_string();
    let mut bad = |message: String| problems.push(("sasl.jaas.config".to_string(), message));
    for (name, value) in &jaas.options {
        if let Some(claim) = name.strip_prefix("unsecuredLoginStringClaim_") {
            claims.insert(claim.into(), value.clone().into());
        } else if let Some(claim) = name.strip_prefix("unsecuredLoginNumberClaim_") {
            match serde_json::from_str::<serde_json::Number>(value) {
                Ok(n) => {
                    claims.insert(claim.into(), n.into());
                }
                Err(_) => bad(format!("{name}={value:?} is not a number")),
            }
        } else if let Some(claim) = name.strip_prefix("unsecuredLoginListClaim_") {
            // The first character is the delimiter: ",a,b" is ["a", "b"].
            let mut chars = value.chars();
            let list: Vec<serde_json::Value> = match chars.next() {
                Some(delimiter) => chars
                    .as_str()
                    .split(delimiter)
                    .filter(|s| !s.is_empty())
                    .map(|s| s.to_string().into())
                    .collect(),
                None => Vec::new(),
            };
            claims.insert(claim.into(), list.into());
        } else if name == "unsecuredLoginPrincipalClaimName" {
            principal = value.clone();
        } else if name == "unsecuredLoginLifetimeSeconds" {
            match value.parse::<u64>() {
                Ok(s) if s > 0 => lifetime = s.to_string(),
                _ => bad(format!(
                    "{name}={value:?}: expected a number of seconds above 0"
                )),
            }
        } else if name == "unsecuredLoginScopeClaimName" {
            // Names which claim holds the scope; the claim itself is one of
            // the claims above.
        } else if name.starts_with("unsecuredLoginExtension_") {
            bad(format!(
                "{name}: SASL extensions are not supported by Sluice's Kafka client"
            ));
        } else {
            bad(format!(
                "unknown OAuthBearerLoginModule option {name:?}; the unsecured login options are unsecuredLoginStringClaim_<name>, unsecuredLoginNumberClaim_<name>, unsecuredLoginListClaim_<name>, unsecuredLoginPrincipalClaimName, unsecuredLoginLifetimeSeconds and unsecuredLoginScopeClaimName; for OIDC set sasl.login.callback.handler.class={}",
                OIDC_LOGIN_HANDLERS[0]
            ));
        }
    }
    if !matches!(claims.get(&principal), Some(serde_json::Value::String(_))) {
        problems.push((
            "sasl.jaas.config".into(),
            format!("the token's principal is missing: set unsecuredLoginStringClaim_{principal}=\"<user>\""),
        ));
    }
    props.insert(keys::TOKEN.into(), keys::UNSECURED_JWT.into());
    props.insert(
        keys::JWT_CLAIMS.into(),
        serde_json::Value::Object(claims).to_string(),
    );
    props.insert(keys::JWT_PRINCIPAL.into(), principal);
    props.insert(keys::JWT_LIFETIME.into(), lifetime);
    problems
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
    fn jaas_configs_parse_as_kafka_reads_them() {
        let j = parse_jaas(
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="a b" password="q\"uo;te" extra=bare;"#,
        )
        .unwrap();
        assert_eq!(
            j.module,
            "org.apache.kafka.common.security.plain.PlainLoginModule"
        );
        assert_eq!(j.options["username"], "a b");
        assert_eq!(j.options["password"], "q\"uo;te");
        assert_eq!(j.options["extra"], "bare");
        assert!(parse_jaas("software.amazon.msk.auth.iam.IAMLoginModule required;").is_ok());
        for (bad, says) in [
            ("", "login module class"),
            ("X maybe;", "control flag"),
            ("X required user;", "has no value"),
            ("X required user=\"open;", "not closed"),
            ("X required user=\"u\"", "missing the ';'"),
            ("X required; Y required;", "one login module only"),
        ] {
            let e = parse_jaas(bad).unwrap_err();
            assert!(e.contains(says), "{bad:?}: {e}");
        }
    }

    fn translated(
        pairs: &[(&str, &str)],
    ) -> Result<BTreeMap<String, String>, Vec<(String, String)>> {
        let mut p: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        translate_sasl(&mut p).map(|()| p)
    }

    #[test]
    fn msk_iam_configs_become_oauthbearer_with_sluices_signer() {
        use crate::kafka::oauth::keys;
        let p = translated(&[
            ("bootstrap.servers", "b-1.demo.abc123.c2.kafka.eu-central-1.amazonaws.com:9098,b-2.demo.abc123.c2.kafka.eu-central-1.amazonaws.com:9098"),
            ("sasl.mechanism", "AWS_MSK_IAM"),
            ("sasl.jaas.config", r#"software.amazon.msk.auth.iam.IAMLoginModule required awsProfileName="prod" awsDebugCreds=true;"#),
            ("sasl.client.callback.handler.class", "software.amazon.msk.auth.iam.IAMClientCallbackHandler"),
        ])
        .unwrap();
        assert_eq!(p["sasl.mechanism"], "OAUTHBEARER");
        assert_eq!(p[keys::TOKEN], keys::MSK_IAM);
        assert_eq!(p[keys::AWS_REGION], "eu-central-1");
        assert_eq!(p[keys::AWS_PROFILE], "prod");
        assert!(!p.contains_key("sasl.jaas.config"));
        assert!(!p.contains_key("sasl.client.callback.handler.class"));
        // MSK's OAUTHBEARER form, and serverless host names.
        let p = translated(&[
            (
                "bootstrap.servers",
                "boot-abc.c1.kafka-serverless.us-east-2.amazonaws.com:9098",
            ),
            ("sasl.mechanism", "OAUTHBEARER"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
            ),
            (
                "sasl.login.callback.handler.class",
                "software.amazon.msk.auth.iam.IAMOAuthBearerLoginCallbackHandler",
            ),
        ])
        .unwrap();
        assert_eq!(p[keys::TOKEN], keys::MSK_IAM);
        assert_eq!(p[keys::AWS_REGION], "us-east-2");
        let e = translated(&[
            ("sasl.mechanism", "AWS_MSK_IAM"),
            (
                "sasl.jaas.config",
                "software.amazon.msk.auth.iam.IAMLoginModule required awsRegion=\"x\";",
            ),
        ])
        .unwrap_err();
        assert!(
            e[0].1
                .contains("unknown IAMLoginModule option \"awsRegion\""),
            "{e:?}"
        );
    }

    #[test]
    fn oauthbearer_configs_become_oidc_or_unsecured_tokens() {
        use crate::kafka::oauth::keys;
        let p = translated(&[
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.login.callback.handler.class", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"),
            ("sasl.oauthbearer.token.endpoint.url", "https://idp/token"),
            ("sasl.jaas.config", r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="c" clientSecret="s" scope="kafka" extension_logicalCluster="lkc-1";"#),
        ])
        .unwrap();
        assert_eq!(p["sasl.oauthbearer.method"], "oidc");
        assert_eq!(p["sasl.oauthbearer.client.id"], "c");
        assert_eq!(p["sasl.oauthbearer.client.secret"], "s");
        assert_eq!(p["sasl.oauthbearer.scope"], "kafka");
        assert_eq!(p["sasl.oauthbearer.extensions"], "logicalCluster=lkc-1");
        assert!(!p.contains_key(keys::TOKEN));
        let p = translated(&[
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.jaas.config", r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice" unsecuredLoginListClaim_scope=",a,b" unsecuredLoginNumberClaim_n="7" unsecuredLoginLifetimeSeconds="60";"#),
        ])
        .unwrap();
        assert_eq!(p[keys::TOKEN], keys::UNSECURED_JWT);
        assert_eq!(
            p[keys::JWT_CLAIMS],
            r#"{"n":7,"scope":["a","b"],"sub":"alice"}"#
        );
        assert_eq!(p[keys::JWT_LIFETIME], "60");
        let e = translated(&[
            ("sasl.mechanism", "OAUTHBEARER"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
            ),
        ])
        .unwrap_err();
        assert!(e[0].1.contains("unsecuredLoginStringClaim_sub"), "{e:?}");
        let e = translated(&[
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.login.callback.handler.class", "com.example.MyHandler"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
            ),
        ])
        .unwrap_err();
        assert!(
            e[0].1.contains("com.example.MyHandler is a Java class"),
            "{e:?}"
        );
    }

    #[test]
    fn topic_regex_matches_whole_names() {
        assert_eq!(topics_regex("events-.*"), "^(events-.*)$");
    }
}
