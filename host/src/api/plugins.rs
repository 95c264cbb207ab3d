//! `/connector-plugins`: the connector classes Sluice runs, and with
//! `connectorsOnly=false` the converters and transforms, Wasm plugins of the
//! plugin directory included; config validation as Connect does it.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};

use super::connectors::json_object;
use super::error::ApiError;
use super::query_values;
use crate::connect::{self, CONNECTOR_CLASSES, CONVERTER_CLASSES, TRANSFORM_CLASSES};
use crate::plugin::PluginKind;
use crate::worker::Herder;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `GET /connector-plugins` (`?connectorsOnly=false` for all kinds).
pub async fn list(State(w): State<Arc<Herder>>, RawQuery(q): RawQuery) -> Json<Value> {
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
    State(w): State<Arc<Herder>>,
    Path(kind): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let map = json_object(b)?;
    let config =
        connect::json::config_map(map).map_err(|e| ApiError::bad_request(e.to_string()))?;
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

/// `GET /connector-plugins/{plugin}/config`: the options Sluice applies for
/// a connector, converter or transform class, or a Wasm plugin's config keys.
pub async fn config(
    State(w): State<Arc<Herder>>,
    Path(plugin): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if let Some(options) = connect::class_options(&plugin) {
        let required = [
            "http.api.url",
            "http.url",
            "http.authorization.type",
            "s3.bucket.name",
            "flush.size",
            "connector.class",
        ];
        return Ok(Json(Value::Array(
            options
                .iter()
                .map(|k| key_info(k, "STRING", required.contains(k), None, ""))
                .collect(),
        )));
    }
    let unknown = || ApiError::not_found(format!("Unknown plugin {plugin}."));
    if plugin.is_empty() || plugin.contains(['/', '.', '\\']) {
        return Err(unknown());
    }
    let path = w.settings().plugin_dir.join(format!("{plugin}.wasm"));
    if !path.is_file() {
        return Err(unknown());
    }
    let loaded = w.runtime().load(&path).await.map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            format!("{plugin}: {e}"),
        )
    })?;
    Ok(Json(Value::Array(
        loaded
            .metadata
            .config
            .iter()
            .map(|k| {
                key_info(
                    &k.name,
                    &k.value_type.to_uppercase(),
                    k.required,
                    k.default.as_deref(),
                    &k.description,
                )
            })
            .collect(),
    )))
}

/// Connect's `ConfigKeyInfo` of one option.
fn key_info(name: &str, kind: &str, required: bool, default: Option<&str>, doc: &str) -> Value {
    json!({
        "name": name, "type": kind, "required": required, "default_value": default,
        "importance": if required { "HIGH" } else { "MEDIUM" }, "documentation": doc,
        "group": "Common", "order": -1, "width": "NONE", "display_name": name, "dependents": [],
    })
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
            "value": value.map(|v| super::views::mask_value(key, v, "|")),
            "recommended_values": [], "errors": errors, "visible": true,
        },
    })
}
