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

/// `ConnectorStateInfo`: the connector's state (on this worker, `worker_id`)
/// and its tasks', wherever they run.
pub fn status(c: &ConnectorView, worker_id: &str) -> Value {
    json!({
        "name": c.name,
        "connector": state(&c.state, worker_id, None),
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

fn state(s: &ConnectorState, worker_id: &str, id: Option<u32>) -> Value {
    let mut v = json!({"state": s.name(), "worker_id": worker_id});
    if let Some(id) = id {
        v["id"] = json!(id);
    }
    if let Some(trace) = s.trace().filter(|t| !t.is_empty()) {
        v["trace"] = json!(trace);
    }
    v
}

/// A config with its secrets hidden: values from config providers, and
/// options whose names say they hold a secret.
pub fn masked(config: &crate::connect::ConnectConfig) -> Value {
    Value::Object(
        config
            .iter()
            .map(|(k, v)| {
                let separator = config.get("header.separator").map_or("|", String::as_str);
                let v = if is_secret(k) || v.contains("${") {
                    HIDDEN.to_string()
                } else if k == "headers" {
                    mask_headers(v, separator, ':')
                } else if k == "http.headers.additional" {
                    mask_headers(v, ",", ':')
                } else {
                    v.clone()
                };
                (k.clone(), Value::String(v))
            })
            .collect(),
    )
}

/// What a hidden value reads as.
pub const HIDDEN: &str = "[hidden]";

/// Option names that hold secrets: passwords, tokens, keys, `Authorization`
/// headers.
pub fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "authorization",
        "sasl.jaas.config",
        "api.key",
        "license",
    ]
    .iter()
    .any(|s| k.contains(s))
}

/// `Name: value` pairs joined by `separator` with credentials' values hidden.
fn mask_headers(headers: &str, separator: &str, colon: char) -> String {
    headers
        .split(separator)
        .map(|h| match h.split_once(colon) {
            Some((name, _))
                if is_secret(name.trim()) || name.trim().eq_ignore_ascii_case("cookie") =>
            {
                format!("{name}{colon} {HIDDEN}")
            }
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
}
