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
    // Each plugin by its name, and by the Connect classes it declares.
    let mut wasm = Vec::new();
    for p in &w.plugin_dir().await.plugins {
        let m = &p.metadata;
        for name in std::iter::once(m.name.as_str()).chain(m.connect_classes()) {
            wasm.push((name.to_string(), m.kind, m.version.clone()));
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

/// `PUT /connector-plugins/{type}/config/validate`: Connect's `ConfigInfos`:
/// every option of the class with its definition (type, default,
/// importance, documentation, group), the value given and its errors, each
/// problem under its own key; options given that the class does not apply
/// follow, with why.
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
    let class = if class.is_empty() { kind } else { class };
    let mut errors = Vec::new();
    let name = match config.get("name") {
        Some(n) => n.clone(),
        None => {
            errors.push(connect::defs::missing("name"));
            "validate".into()
        }
    };
    let mut checked = config.clone();
    checked.insert("connector.class".into(), class.clone());
    let unsupported = match w.check(&name, &checked).await {
        Ok((_, unsupported)) => unsupported,
        Err(r) => {
            errors.extend(r.problems);
            r.unsupported
        }
    };
    let mut defs = connect::defs::for_class(&class).unwrap_or_default();
    formatter_docs(&w, &mut defs).await;
    // Each option's messages, gathered once: a config of many keys stays
    // linear.
    let mut by_key: std::collections::HashMap<&str, Vec<String>> = std::collections::HashMap::new();
    for p in errors.iter().chain(&unsupported) {
        by_key
            .entry(p.key.as_str())
            .or_default()
            .push(p.message.clone());
    }
    let errors_of = |key: &str| -> Vec<String> { by_key.get(key).cloned().unwrap_or_default() };
    let mut configs: Vec<Value> = defs
        .iter()
        .map(|d| {
            // Connect shows the default of an option not given.
            let value = config.get(&d.name).or(d.default.as_ref());
            config_value(definition(d), value, errors_of(&d.name))
        })
        .collect();
    // Options given that the class does not define, and problems of keys
    // (transforms.<alias>.*, converter options) that have no definition.
    let mut others: Vec<&str> = config.keys().map(String::as_str).collect();
    others.extend(errors.iter().chain(&unsupported).map(|p| p.key.as_str()));
    others.sort();
    others.dedup();
    let defined: std::collections::HashSet<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    for key in others {
        if key.is_empty() || defined.contains(key) {
            continue;
        }
        let def = key_info(key, "STRING", false, None, "", "Common");
        configs.push(config_value(def, config.get(key), errors_of(key)));
    }
    // Problems about the connector as a whole.
    let general = errors_of("");
    if !general.is_empty() {
        let def = key_info("connector", "STRING", false, None, "", "Common");
        configs.push(config_value(def, None, general));
    }
    let mut groups: Vec<&str> = Vec::new();
    for d in &defs {
        if !groups.contains(&d.group) {
            groups.push(d.group);
        }
    }
    let name = connect::CONNECTOR_CLASSES
        .iter()
        .map(|(c, _)| *c)
        .find(|c| *c == class || c.rsplit('.').next() == Some(class.as_str()))
        .unwrap_or(&class);
    Ok(Json(json!({
        "name": name,
        "error_count": errors.len(),
        "groups": groups,
        "configs": configs,
    })))
}

/// Fills in the formatter options' definitions from the `json-batch`
/// plugin's own metadata, when the plugin directory has it.
async fn formatter_docs(w: &Herder, defs: &mut [connect::defs::OptionDef]) {
    if !defs.iter().any(|d| d.group == "Formatter") {
        return;
    }
    let path = w.settings().plugin_dir.join("json-batch.wasm");
    let Ok(plugin) = w.runtime().load(&path).await else {
        return;
    };
    for d in defs.iter_mut().filter(|d| d.group == "Formatter") {
        if let Some(k) = plugin.metadata.config.iter().find(|k| k.name == d.name) {
            d.documentation = k.description.clone();
            d.default = k.default.clone();
            d.config_type = match k.value_type {
                "integer" => connect::defs::ConfigType::Int,
                "boolean" => connect::defs::ConfigType::Boolean,
                "float" => connect::defs::ConfigType::Double,
                "list" => connect::defs::ConfigType::List,
                _ => connect::defs::ConfigType::String,
            };
        }
    }
}

/// Connect's `ConfigKeyInfo` of `d`; options holding secrets are `PASSWORD`.
fn definition(d: &connect::defs::OptionDef) -> Value {
    let kind = if super::views::is_secret(&d.name) {
        "PASSWORD"
    } else {
        d.config_type.name()
    };
    let mut info = key_info(
        &d.name,
        kind,
        d.required,
        d.default.as_deref(),
        &d.documentation,
        d.group,
    );
    info["importance"] = json!(d.importance());
    info
}

/// `GET /connector-plugins/{plugin}/config`: the options Sluice applies for
/// a connector, converter or transform class, or a Wasm plugin's config keys.
pub async fn config(
    State(w): State<Arc<Herder>>,
    Path(plugin): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if let Some(mut defs) = connect::defs::for_class(&plugin) {
        formatter_docs(&w, &mut defs).await;
        return Ok(Json(Value::Array(defs.iter().map(definition).collect())));
    }
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
                .map(|k| key_info(k, "STRING", required.contains(k), None, "", "Common"))
                .collect(),
        )));
    }
    let unknown = || ApiError::not_found(format!("Unknown plugin {plugin}."));
    if plugin.is_empty() || plugin.contains(['/', '\\']) {
        return Err(unknown());
    }
    let loaded = if plugin.contains('.') {
        // A class a plugin declares: its options are the plugin's keys but
        // the one the host sets to the class.
        let dir = w.plugin_dir().await;
        let found = dir
            .plugins
            .iter()
            .find(|p| p.metadata.connect_classes().contains(&plugin.as_str()));
        found.cloned().ok_or_else(unknown)?
    } else {
        let path = w.settings().plugin_dir.join(format!("{plugin}.wasm"));
        if !path.is_file() {
            return Err(unknown());
        }
        w.runtime().load(&path).await.map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                format!("{plugin}: {e}"),
            )
        })?
    };
    let by_class = plugin.contains('.');
    Ok(Json(Value::Array(
        loaded
            .metadata
            .config
            .iter()
            .filter(|k| !(by_class && k.name == crate::plugin::CONNECT_CLASS_KEY))
            .map(|k| {
                key_info(
                    &k.name,
                    &k.value_type.to_uppercase(),
                    k.required,
                    k.default.as_deref(),
                    &k.description,
                    "Common",
                )
            })
            .collect(),
    )))
}

/// Connect's `ConfigKeyInfo` of one option.
fn key_info(
    name: &str,
    kind: &str,
    required: bool,
    default: Option<&str>,
    doc: &str,
    group: &str,
) -> Value {
    json!({
        "name": name, "type": kind, "required": required, "default_value": default,
        "importance": if required { "HIGH" } else { "MEDIUM" }, "documentation": doc,
        "group": group, "order": -1, "width": "NONE", "display_name": name, "dependents": [],
    })
}

/// Connect's `ConfigInfo`: an option's definition, value and errors.
fn config_value(definition: Value, value: Option<&String>, errors: Vec<String>) -> Value {
    let key = definition["name"].as_str().unwrap_or_default().to_string();
    json!({
        "definition": definition,
        "value": {
            "name": key,
            "value": value.map(|v| super::views::mask_value(&key, v, "|")),
            "recommended_values": [], "errors": errors, "visible": true,
        },
    })
}
