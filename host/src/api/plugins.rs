//! `/connector-plugins`: the connector classes Sluice runs, and with
//! `connectorsOnly=false` the converters and transforms, Wasm plugins of the
//! plugin directory included; config validation as Connect does it.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};

use super::connectors::body;
use super::error::ApiError;
use super::query_values;
use crate::connect::{self, CONNECTOR_CLASSES, CONVERTER_CLASSES, TRANSFORM_CLASSES};
use crate::plugin::PluginKind;
use crate::worker::Worker;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `GET /connector-plugins` (`?connectorsOnly=false` for all kinds).
pub async fn list(State(w): State<Arc<Worker>>, RawQuery(q): RawQuery) -> Json<Value> {
    let connectors_only = !query_values(q.as_deref(), "connectorsOnly")
        .iter()
        .any(|v| v.eq_ignore_ascii_case("false"));
    let entry = |class: &str, kind: &str, version: &str| json!({"class": class, "type": kind, "version": version});
    let mut out: Vec<Value> = CONNECTOR_CLASSES
        .iter()
        .map(|(c, _)| entry(c, "sink", VERSION))
        .collect();
    if connectors_only {
        return Json(Value::Array(out));
    }
    let mut wasm = Vec::new();
    if let Ok(loaded) = w.runtime().load_dir(&w.settings().plugin_dir).await {
        for (_, plugin) in loaded {
            if let Ok(p) = plugin {
                wasm.push((
                    p.metadata.name.clone(),
                    p.metadata.kind,
                    p.metadata.version.clone(),
                ));
            }
        }
    }
    out.extend(
        TRANSFORM_CLASSES
            .iter()
            .map(|(c, ..)| entry(c, "transformation", VERSION)),
    );
    out.extend(
        wasm.iter()
            .filter(|p| p.1 == PluginKind::Transform)
            .map(|p| entry(&p.0, "transformation", &p.2)),
    );
    for p in ["TopicNameMatches", "HasHeaderKey", "RecordIsTombstone"] {
        out.push(entry(
            &format!("org.apache.kafka.connect.transforms.predicates.{p}"),
            "predicate",
            VERSION,
        ));
    }
    out.extend(
        CONVERTER_CLASSES
            .iter()
            .map(|(c, ..)| entry(c, "converter", VERSION)),
    );
    out.extend(
        wasm.iter()
            .filter(|p| p.1 == PluginKind::Converter)
            .map(|p| entry(&p.0, "converter", &p.2)),
    );
    Json(Value::Array(out))
}

/// `PUT /connector-plugins/{type}/config/validate`: Connect's `ConfigInfos`,
/// each option with its errors; options not applied carry theirs too.
pub async fn validate(
    State(w): State<Arc<Worker>>,
    Path(kind): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let value: Value = serde_json::from_slice(&body(b)?)
        .map_err(|e| ApiError::bad_request(format!("not valid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(ApiError::bad_request("expected a JSON object of options"));
    };
    let config = connect::json::config_map(map).map_err(ApiError::bad_request)?;
    let class = config.get("connector.class").cloned().unwrap_or_default();
    let alias = |c: &str| {
        c.rsplit('.')
            .next()
            .unwrap_or(c)
            .trim_end_matches("Connector")
            .to_string()
    };
    if !class.is_empty() && alias(&class) != alias(&kind) {
        return Err(ApiError::bad_request(format!(
            "Included connector type {class} does not match request type {kind}"
        )));
    }
    let name = config
        .get("name")
        .cloned()
        .unwrap_or_else(|| "validate".into());
    let (errors, unsupported) = match w.check(&name, &config) {
        Ok((_, unsupported)) => (Vec::new(), unsupported),
        Err(r) => (r.problems, r.unsupported),
    };
    let mut keys: Vec<String> = config.keys().cloned().collect();
    for p in errors.iter().chain(&unsupported) {
        if !p.key.is_empty() && !keys.contains(&p.key) {
            keys.push(p.key.clone());
        }
    }
    let mut configs: Vec<Value> = keys
        .iter()
        .map(|k| {
            let errs: Vec<String> = errors
                .iter()
                .chain(&unsupported)
                .filter(|p| &p.key == k)
                .map(|p| p.message.clone())
                .collect();
            config_value(k, config.get(k), errs)
        })
        .collect();
    // Problems the manifest's validation found name their own key in the message.
    let general: Vec<String> = errors
        .iter()
        .filter(|p| p.key.is_empty())
        .map(|p| p.message.clone())
        .collect();
    if !general.is_empty() {
        configs.push(config_value("connector", None, general));
    }
    let error_count = errors.len();
    Ok(Json(json!({
        "name": class,
        "error_count": error_count,
        "groups": ["Common", "Sluice"],
        "configs": configs,
    })))
}

fn config_value(key: &str, value: Option<&String>, errors: Vec<String>) -> Value {
    json!({
        "definition": {
            "name": key, "type": "STRING", "required": false, "default_value": null,
            "importance": "MEDIUM", "documentation": "", "group": "Common", "order": -1,
            "width": "NONE", "display_name": key, "dependents": [],
        },
        "value": {
            "name": key,
            "value": value.map(|v| if super::views::is_secret(key) { super::views::HIDDEN.to_string() } else { v.clone() }),
            "recommended_values": [], "errors": errors, "visible": true,
        },
    })
}
