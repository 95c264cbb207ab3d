//! The JSON shapes of Connect's REST entities (`ConnectorInfo`,
//! `ConnectorStateInfo`, `TaskInfo`), built from the worker's views.

use serde_json::{Value, json};

use crate::worker::{ConnectorState, ConnectorView};

/// `ConnectorInfo`: name, config (secrets masked), tasks, type.
pub fn info(c: &ConnectorView) -> Value {
    json!({
        "name": c.name,
        "config": masked(&c.config),
        "tasks": tasks(c).iter().map(|id| json!({"connector": c.name, "task": id})).collect::<Vec<_>>(),
        "type": "sink",
    })
}

/// `ConnectorStateInfo`: the connector's state and its tasks', wherever they
/// run. The connector is reported on the worker running its task 0 (Sluice
/// has no connector instance apart from its tasks), so every worker of a
/// group names the same one, as Connect names the worker running the
/// connector; `worker_id` (the worker asked) when task 0 runs nowhere.
pub fn status(c: &ConnectorView, worker_id: &str) -> Value {
    let connector_worker = c
        .tasks
        .iter()
        .find(|t| t.id == 0 && t.state != ConnectorState::Unassigned)
        .map_or(worker_id, |t| t.worker_id.as_str());
    let mut connector = state(&c.state, connector_worker, None);
    // A refused update leaves the running version: the reason is shown
    // where Connect shows a failure's.
    if let Some(e) = c
        .update_error
        .as_ref()
        .filter(|_| connector.get("trace").is_none())
    {
        connector["trace"] = json!(crate::secrets::scrub(e));
    }
    json!({
        "name": c.name,
        "connector": connector,
        "tasks": c.tasks.iter().map(|t| state(&t.state, &t.worker_id, Some(t.id))).collect::<Vec<_>>(),
        "type": "sink",
    })
}

/// Task `id`'s `TaskState`, if the connector has that task.
pub fn task_status(c: &ConnectorView, id: u32) -> Option<Value> {
    c.tasks
        .iter()
        .find(|t| t.id == id)
        .map(|t| state(&t.state, &t.worker_id, Some(t.id)))
}

/// `TaskInfo` list: each task's id and config.
pub fn task_infos(c: &ConnectorView) -> Value {
    Value::Array(
        tasks(c)
            .iter()
            .map(|id| json!({"id": {"connector": c.name, "task": id}, "config": masked(&c.config)}))
            .collect(),
    )
}

/// The task ids of a connector: `0..tasks.max`; a stopped connector has
/// none, as in Connect.
pub fn tasks(c: &ConnectorView) -> Vec<u32> {
    c.tasks.iter().map(|t| t.id).collect()
}

/// A connector's or task's state as Connect writes it. `version` is the
/// connector's, the one `GET /connector-plugins` lists for its class (Sluice
/// runs every connector class itself, so it is Sluice's).
fn state(s: &ConnectorState, worker_id: &str, id: Option<u32>) -> Value {
    let mut v =
        json!({"state": s.name(), "worker_id": worker_id, "version": env!("CARGO_PKG_VERSION")});
    if let Some(id) = id {
        v["id"] = json!(id);
    }
    // A failure's message may quote a URL or value resolved from a config
    // provider: shown with the reference instead, as in the log.
    if let Some(trace) = s.trace().filter(|t| !t.is_empty()) {
        v["trace"] = json!(crate::secrets::scrub(trace));
    }
    v
}

/// A config with its secrets hidden: values from config providers, options
/// whose names say they hold a secret, credential headers, and the user
/// info and query values of URLs. A `PUT` that sends a hidden value back
/// keeps the stored one ([`unmask`]), so `GET | PUT` edits a connector.
pub fn masked(config: &crate::connect::ConnectConfig) -> Value {
    let separator = config.get("header.separator").map_or("|", String::as_str);
    Value::Object(
        config
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(mask_value(k, v, separator))))
            .collect(),
    )
}

/// One option's value as it may be shown.
pub fn mask_value(key: &str, value: &str, header_separator: &str) -> String {
    if is_secret(key) || value.contains("${") {
        HIDDEN.to_string()
    } else if key == "headers" {
        mask_headers(value, header_separator, ':')
    } else if key == "http.headers.additional" {
        mask_headers(value, ",", ':')
    } else if value.contains("-----BEGIN") {
        // An inline PEM key or certificate, whatever the option is called.
        HIDDEN.to_string()
    } else if value.contains("://") {
        crate::secrets::scrub_url(value).into_owned()
    } else {
        value.to_string()
    }
}

/// What a hidden value reads as.
pub const HIDDEN: &str = crate::secrets::HIDDEN;

/// Whether option `key` says where a connector's data or credentials go:
/// a URL, an endpoint, brokers, a bucket, or how it authenticates.
fn names_a_destination(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.ends_with("url")
        || k.ends_with("uri")
        || k.ends_with("endpoint")
        || k.contains("bootstrap.servers")
        || k.ends_with("bucket.name")
        || k.ends_with("region")
        || k.contains("auth.type")
        || k.contains("authorization.type")
        || k.ends_with(".location")
        // What the sink's TLS trusts, whether it checks the host's name and
        // the proxy its requests go through decide who can read them too.
        || k.ends_with(".certificates")
        || k.ends_with("endpoint.identification.algorithm")
        || k.ends_with("proxy.host")
        || k.ends_with("proxy.port")
}

/// Why a config sent with [`HIDDEN`] values was refused; each names the option.
#[derive(Debug, thiserror::Error)]
pub enum UnmaskError {
    #[error(
        "{changed} changed, so the stored secrets ({}) are not sent there: send their values again",
        hidden.join(", ")
    )]
    Moved {
        changed: String,
        hidden: Vec<String>,
    },
    #[error(
        "{0}: {HIDDEN} stands for a secret the worker keeps, but this connector has no stored value for {0}: send the value itself"
    )]
    NoStored(String),
    #[error("{key}: header {header} is sent as {HIDDEN} but has no stored value: send its value")]
    NoStoredHeader { key: String, header: String },
    #[error(
        "{0}: {HIDDEN} stands for the stored value only when the whole value is sent back as GET showed it; send the value itself"
    )]
    Partial(String),
}

/// Refuses a `PATCH` that changes where data goes (a URL, brokers, a
/// bucket, the auth type, a file) while options it did not send (`patched`
/// holds those it did) keep stored secrets: a value a `GET` would not show
/// as it is. The stored secrets never follow a connector to a new
/// destination unless sent again, as with a `PUT` of `[hidden]` values.
pub fn secrets_stay(
    config: &crate::connect::ConnectConfig,
    stored: &crate::connect::ConnectConfig,
    patched: &std::collections::HashSet<String>,
) -> Result<(), UnmaskError> {
    let separator = stored.get("header.separator").map_or("|", String::as_str);
    let kept: Vec<String> = stored
        .iter()
        .filter(|(k, v)| !patched.contains(*k) && mask_value(k, v, separator) != **v)
        .map(|(k, _)| k.clone())
        .collect();
    if kept.is_empty() {
        return Ok(());
    }
    match moved_destination(config, stored, |_| false) {
        Some(k) => Err(UnmaskError::Moved {
            changed: k.clone(),
            hidden: kept,
        }),
        None => Ok(()),
    }
}

/// The first option that says where data goes whose value differs between
/// `config` and `stored`, leaving out those `sent_hidden` holds.
fn moved_destination<'a>(
    config: &'a crate::connect::ConnectConfig,
    stored: &'a crate::connect::ConnectConfig,
    sent_hidden: impl Fn(&str) -> bool,
) -> Option<&'a String> {
    config
        .keys()
        .chain(stored.keys())
        .filter(|k| names_a_destination(k))
        .find(|k| config.get(*k) != stored.get(*k) && !sent_hidden(k))
}

/// Replaces each value of `config` that reads [`HIDDEN`] with the value
/// `stored` has for that option: what a `GET` masked comes back unchanged.
/// An error names an option sent hidden that has no stored value, and
/// refuses hidden values altogether when an option that says where data
/// goes has changed (a new URL would otherwise receive the stored secrets).
pub fn unmask(
    config: &mut crate::connect::ConnectConfig,
    stored: Option<&crate::connect::ConnectConfig>,
) -> Result<(), UnmaskError> {
    let hidden: Vec<String> = config
        .iter()
        .filter(|(_, v)| v.contains(HIDDEN))
        .map(|(k, _)| k.clone())
        .collect();
    if hidden.is_empty() {
        return Ok(());
    }
    if let Some(stored) = stored {
        let sent_hidden: std::collections::HashSet<&str> =
            hidden.iter().map(String::as_str).collect();
        if let Some(k) = moved_destination(config, stored, |k| sent_hidden.contains(k)) {
            return Err(UnmaskError::Moved {
                changed: k.clone(),
                hidden,
            });
        }
    }
    for (k, v) in config.iter_mut() {
        if !v.contains(HIDDEN) {
            continue;
        }
        let Some(old) = stored.and_then(|s| s.get(k)) else {
            return Err(UnmaskError::NoStored(k.clone()));
        };
        let separator = stored
            .and_then(|s| s.get("header.separator"))
            .map_or("|", String::as_str);
        let header_separator = match k.as_str() {
            "headers" => Some(separator),
            "http.headers.additional" => Some(","),
            _ => None,
        };
        // Only a value exactly as GET showed it is taken for the stored one;
        // in a header list, each header sent hidden takes its stored value.
        if *v == mask_value(k, old, separator) {
            *v = old.clone();
        } else if let Some(sep) = header_separator {
            // The stored headers by name (the first of a name), looked up
            // once each: a list of many headers stays linear.
            let mut stored_values = std::collections::HashMap::new();
            for h in old.split(sep) {
                if let Some((n, value)) = h.split_once(':') {
                    stored_values
                        .entry(n.trim().to_ascii_lowercase())
                        .or_insert(value);
                }
            }
            let mut merged = Vec::new();
            for h in v.split(sep) {
                match h.split_once(':') {
                    Some((name, value)) if value.trim() == HIDDEN => {
                        match stored_values.get(&name.trim().to_ascii_lowercase()) {
                            Some(old_value) => merged.push(format!("{name}:{old_value}")),
                            None => {
                                return Err(UnmaskError::NoStoredHeader {
                                    key: k.clone(),
                                    header: name.trim().to_string(),
                                });
                            }
                        }
                    }
                    _ => merged.push(h.to_string()),
                }
            }
            *v = merged.join(sep);
        } else {
            return Err(UnmaskError::Partial(k.clone()));
        }
    }
    Ok(())
}

/// Option and header names that hold secrets: passwords, tokens, keys,
/// credentials, `Authorization`, user info; not the options that only say
/// which kind (`http.authorization.type`) or where (`*.location`), nor the
/// `key` of `key.converter` (a record's key, not a secret one).
pub fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    const DESCRIBES: &[&str] = &[
        ".type",
        ".mode",
        ".class",
        ".location",
        ".path",
        ".field",
        ".format",
        ".ignore",
        ".size",
        ".separator",
        ".converter",
        ".pattern",
        ".strategy",
        ".enabled",
        ".source",
        ".id",
        ".method",
    ];
    if DESCRIBES.iter().any(|d| k.ends_with(d)) {
        return false;
    }
    const NAMES: &[&str] = &[
        "password",
        "passwd",
        "secret",
        "token",
        "credential",
        "authorization",
        "jaas",
        "license",
        "apikey",
        "private",
        "cookie",
        "user.info",
        "userinfo",
    ];
    NAMES.iter().any(|s| k.contains(s))
        || k.ends_with(".pem")
        // `key` as a word of the name, except the leading one of Connect's
        // key-side options (`key.converter`, `key.ignore`).
        || k
            .split(['.', '-', '_'])
            .enumerate()
            .any(|(i, segment)| segment == "key" && (i > 0 || k == "key"))
}

/// `Name: value` pairs joined by `separator` with credentials' values hidden.
fn mask_headers(headers: &str, separator: &str, colon: char) -> String {
    headers
        .split(separator)
        .map(|h| match h.split_once(colon) {
            Some((name, _)) if is_secret(name.trim()) => format!("{name}{colon} {HIDDEN}"),
            _ => h.to_string(),
        })
        .collect::<Vec<_>>()
        .join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_references_and_authorization_headers_are_hidden() {
        let config: crate::connect::ConnectConfig = [
            ("connection.password", "p4ss"),
            ("bearer.token", "t0k"),
            ("http.api.url", "https://x/${env:PATH_PART}"),
            (
                "headers",
                "Authorization: TD1 abc|Content-Type: application/json",
            ),
            ("http.headers.additional", "X-Api-Token:zz,X-Trace:1"),
            ("topics", "events"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let m = masked(&config);
        assert_eq!(m["connection.password"], HIDDEN);
        assert_eq!(m["bearer.token"], HIDDEN);
        assert_eq!(m["http.api.url"], HIDDEN);
        assert_eq!(
            m["headers"],
            "Authorization: [hidden]|Content-Type: application/json"
        );
        assert_eq!(
            m["http.headers.additional"],
            "X-Api-Token: [hidden],X-Trace:1"
        );
        assert_eq!(m["topics"], "events");
    }

    #[test]
    fn names_that_hold_secrets_and_names_that_only_describe() {
        for secret in [
            "oauth2.client.secret",
            "http.proxy.password",
            "aws.secret.access.key",
            "X-API-Key",
            "ssl.key.pem",
            "api.key",
            "sasl.jaas.config",
            "Cookie",
            "key.converter.ssl.key.password",
            "value.converter.basic.auth.user.info",
        ] {
            assert!(is_secret(secret), "{secret}");
        }
        for plain in [
            "http.authorization.type",
            "key.converter",
            "key.converter.schemas.enable",
            "https.ssl.key.location",
            "topics",
            "oauth2.client.auth.mode",
            "keys.field",
        ] {
            assert!(!is_secret(plain), "{plain}");
        }
    }

    #[test]
    fn a_masked_config_sent_back_keeps_the_stored_secrets() {
        let stored: crate::connect::ConnectConfig = [
            ("bearer.token", "t0k3n-123"),
            ("http.api.url", "https://u:pw@api.example.com/in?key=abc"),
            ("headers", "X-Api-Key: zz|Accept: */*"),
            ("http.authorization.type", "none"),
            ("tls", "-----BEGIN PRIVATE KEY-----\nabc"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let shown: crate::connect::ConnectConfig = masked(&stored)
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        assert_eq!(shown["http.authorization.type"], "none");
        assert_eq!(shown["tls"], HIDDEN);
        assert_eq!(
            shown["http.api.url"],
            "https://[hidden]@api.example.com/in?key=[hidden]"
        );
        let mut back = shown.clone();
        unmask(&mut back, Some(&stored)).unwrap();
        assert_eq!(back, stored);
        let mut edited = shown.clone();
        edited.insert(
            "headers".into(),
            "X-Api-Key: [hidden]|Accept: text/plain".into(),
        );
        unmask(&mut edited, Some(&stored)).unwrap();
        assert_eq!(edited["headers"], "X-Api-Key: zz|Accept: text/plain");
        let mut partial = shown.clone();
        partial.insert("bearer.token".into(), "x[hidden]".into());
        assert!(unmask(&mut partial, Some(&stored)).is_err());
        let mut fresh = shown;
        let e = unmask(&mut fresh, None).unwrap_err();
        assert!(matches!(e, UnmaskError::NoStored(_)), "{e}");
        assert!(e.to_string().contains("send the value itself"), "{e}");
    }

    #[test]
    fn a_patch_keeps_what_it_does_not_send_unless_the_destination_moves() {
        let mut stored = crate::connect::ConnectConfig::new();
        // A URL a GET would show changed (scheme and port normalised).
        stored.insert("http.api.url".into(), "HTTPS://Host:443/in?".into());
        stored.insert("bearer.token".into(), "tok".into());
        stored.insert("batch.linger.ms".into(), "50".into());
        let patched = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect();
        let mut config = stored.clone();
        config.insert("batch.linger.ms".into(), "20".into());
        secrets_stay(&config, &stored, &patched(&["batch.linger.ms"])).unwrap();
        let mut moved = stored.clone();
        moved.insert("http.api.url".into(), "https://elsewhere/in".into());
        let e = secrets_stay(&moved, &stored, &patched(&["http.api.url"])).unwrap_err();
        assert!(
            e.to_string().contains("http.api.url changed")
                && e.to_string().contains("bearer.token"),
            "{e}"
        );
        // Sending the secret again moves it knowingly.
        moved.insert("bearer.token".into(), "tok2".into());
        secrets_stay(&moved, &stored, &patched(&["http.api.url", "bearer.token"])).unwrap();
        // Whom the registry client trusts, whether it checks the host and
        // the proxy it goes through say who can read its credentials too.
        let mut registry = crate::connect::ConnectConfig::new();
        registry.insert(
            "value.converter.bearer.auth.client.secret".into(),
            "s".into(),
        );
        for key in [
            "value.converter.bearer.auth.issuer.endpoint.url",
            "value.converter.schema.registry.ssl.truststore.certificates",
            "value.converter.schema.registry.ssl.endpoint.identification.algorithm",
            "value.converter.proxy.host",
            "value.converter.proxy.port",
        ] {
            let mut changed = registry.clone();
            changed.insert(key.into(), "elsewhere".into());
            let e = secrets_stay(&changed, &registry, &patched(&[key])).unwrap_err();
            assert!(e.to_string().contains("client.secret"), "{key}: {e}");
        }
    }

    #[test]
    fn a_long_header_list_sent_back_hidden_takes_each_stored_value() {
        // 50,000 secret headers: one lookup each, not a scan of the list.
        let n = 50_000;
        let list = |value: &dyn Fn(usize) -> String| {
            (0..n)
                .map(|i| format!("X-Token-{i}: {}", value(i)))
                .collect::<Vec<_>>()
                .join("|")
        };
        let mut stored = crate::connect::ConnectConfig::new();
        stored.insert("headers".into(), list(&|i| format!("secret{i}")));
        let mut sent = stored.clone();
        sent.insert(
            "headers".into(),
            list(&|i| if i == 7 { "new".into() } else { HIDDEN.into() }),
        );
        sent.insert(
            "headers".into(),
            format!("{}|Accept: text/plain", sent["headers"]),
        );
        unmask(&mut sent, Some(&stored)).unwrap();
        let want = list(&|i| {
            if i == 7 {
                "new".into()
            } else {
                format!("secret{i}")
            }
        });
        assert_eq!(sent["headers"], format!("{want}|Accept: text/plain"));
    }
}
