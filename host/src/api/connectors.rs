//! `/connectors`: Connect's endpoints for creating, reading, changing and
//! deleting connectors, with its response shapes and status codes.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::ApiError;
use super::{query_values, views};
use crate::connect;
use crate::worker::{ConnectorState, Herder, TargetState};

type ApiResult = Result<Response, ApiError>;

/// Reads a request body, turning the size limit into Connect's error shape.
pub fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        ApiError::new(
            e.status(),
            format!("request body refused: {}", e.body_text()),
        )
    })
}

/// Reads a request body as JSON.
pub fn json_body(b: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    serde_json::from_slice(&body(b)?)
        .map_err(|e| ApiError::bad_request(format!("not valid JSON: {e}")))
}

/// Reads a request body as a JSON object.
pub fn json_object(
    b: Result<Bytes, BytesRejection>,
) -> Result<serde_json::Map<String, Value>, ApiError> {
    match json_body(b)? {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::bad_request("expected a JSON object of options")),
    }
}

/// Refuses a config whose `name` is not the one in the URL, else sets it.
fn name_from_url(config: &mut connect::ConnectConfig, name: &str) -> Result<(), ApiError> {
    match config.get("name") {
        Some(n) if n != name => Err(ApiError::bad_request(format!(
            "Connector name configuration ({n}) doesn't match connector name in the URL ({name})"
        ))),
        _ => {
            config.insert("name".into(), name.to_string());
            Ok(())
        }
    }
}

/// `GET /connectors` (`?expand=status`, `?expand=info`).
pub async fn list(State(w): State<Arc<Herder>>, RawQuery(q): RawQuery) -> Json<Value> {
    let expand = query_values(q.as_deref(), "expand");
    let all = w.list();
    if expand.is_empty() {
        return Json(json!(
            all.iter().map(|c| c.name.clone()).collect::<Vec<_>>()
        ));
    }
    let id = &w.settings().worker_id;
    let mut out = serde_json::Map::new();
    for c in &all {
        let mut entry = serde_json::Map::new();
        if expand.iter().any(|e| e == "status") {
            entry.insert("status".into(), views::status(c, id));
        }
        if expand.iter().any(|e| e == "info") {
            entry.insert("info".into(), views::info(c));
        }
        out.insert(c.name.clone(), Value::Object(entry));
    }
    Json(Value::Object(out))
}

/// `POST /connectors`: 201 with the connector's info, 409 if it exists.
pub async fn create(
    State(w): State<Arc<Herder>>,
    request_headers: HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let request =
        connect::json::parse(&body(b)?).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let Some(name) = request.name else {
        return Err(ApiError::bad_request(
            connect::json::JsonError::NoName.to_string(),
        ));
    };
    if request.config.get("name").is_some_and(|n| *n != name) {
        return Err(ApiError::bad_request(format!(
            "Connector name configuration ({}) doesn't match connector name in the request ({name})",
            request.config["name"]
        )));
    }
    let initial = match request.initial_state.as_deref() {
        None => TargetState::Running,
        Some(s) => TargetState::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "initial_state {s:?}: use RUNNING, PAUSED or STOPPED"
            ))
        })?,
    };
    let mut config = request.config;
    config.insert("name".into(), name.clone());
    check_name(&name)?;
    views::unmask(&mut config, None).map_err(|e| ApiError::bad_request(e.to_string()))?;
    w.put(&name, config, initial, false).await?;
    created(&w, &name, StatusCode::CREATED, &request_headers)
}

/// `PUT /connectors/{name}/config`: 201 if created, 200 if updated.
pub async fn put_config(
    State(w): State<Arc<Herder>>,
    Path(name): Path<String>,
    request_headers: HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let map = json_object(b)?;
    let mut config =
        connect::json::config_map(map).map_err(|e| ApiError::bad_request(e.to_string()))?;
    name_from_url(&mut config, &name)?;
    check_name(&name)?;
    let stored = w.raw_config(&name).ok();
    views::unmask(&mut config, stored.as_ref())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let was_created = w.put(&name, config, TargetState::Running, true).await?;
    let status = if was_created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    created(&w, &name, status, &request_headers)
}

/// A connector's name becomes part of its consumer group, claim topic,
/// metric labels and log lines: Kafka's topic characters only.
fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 249
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && name != "."
        && name != "..";
    if !ok {
        return Err(ApiError::bad_request(format!(
            "connector name {:?} is not valid: use 1 to 249 letters, digits, '.', '_' or '-' (Kafka's topic characters)",
            name.chars().take(80).collect::<String>()
        )));
    }
    Ok(())
}

/// The connector's info; a 201 names the new connector's URL in `Location`,
/// absolute as Connect gives it (`http://<Host>/connectors/<name>`: the API
/// serves plain HTTP, and the guard already refused a `Host` it does not
/// answer to), relative when the request had no `Host`.
fn created(w: &Herder, name: &str, status: StatusCode, request: &HeaderMap) -> ApiResult {
    let c = w
        .get(name)
        .ok_or_else(|| ApiError::not_found(format!("Connector {name} not found")))?;
    let mut headers = HeaderMap::new();
    let base = request
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|host| format!("http://{host}"))
        .unwrap_or_default();
    if status == StatusCode::CREATED
        && let Ok(v) = format!("{base}/connectors/{name}").parse()
    {
        headers.insert(header::LOCATION, v);
    }
    Ok((status, headers, Json(views::info(&c))).into_response())
}

fn found(w: &Herder, name: &str) -> Result<crate::worker::ConnectorView, ApiError> {
    w.get(name)
        .ok_or_else(|| ApiError::not_found(format!("Connector {name} not found")))
}

/// `GET /connectors/{name}`.
pub async fn get(State(w): State<Arc<Herder>>, Path(name): Path<String>) -> ApiResult {
    Ok(Json(views::info(&found(&w, &name)?)).into_response())
}

/// `GET /connectors/{name}/config`, secrets masked.
pub async fn get_config(State(w): State<Arc<Herder>>, Path(name): Path<String>) -> ApiResult {
    Ok(Json(views::masked(&found(&w, &name)?.config)).into_response())
}

/// `DELETE /connectors/{name}`: 204 once it stopped.
pub async fn delete(State(w): State<Arc<Herder>>, Path(name): Path<String>) -> ApiResult {
    w.delete(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /connectors/{name}/status`.
pub async fn status(State(w): State<Arc<Herder>>, Path(name): Path<String>) -> ApiResult {
    let c = w
        .get(&name)
        .ok_or_else(|| ApiError::not_found(format!("No status found for connector {name}")))?;
    Ok(Json(views::status(&c, &w.settings().worker_id)).into_response())
}

/// `GET /connectors/{name}/tasks`.
pub async fn tasks(State(w): State<Arc<Herder>>, Path(name): Path<String>) -> ApiResult {
    Ok(Json(views::task_infos(&found(&w, &name)?)).into_response())
}

/// `GET /connectors/{name}/tasks/{id}/status`.
pub async fn task_status(
    State(w): State<Arc<Herder>>,
    Path((name, id)): Path<(String, String)>,
) -> ApiResult {
    let missing = || ApiError::not_found(format!("No status found for task {name}-{id}"));
    let c = w.get(&name).ok_or_else(missing)?;
    let id: u32 = id.parse().map_err(|_| missing())?;
    let status = views::task_status(&c, id).ok_or_else(missing)?;
    Ok(Json(status).into_response())
}

/// `GET /connectors/{name}/topics`: the topics it has consumed from; none
/// for a connector that does not exist, as Connect answers (its topic
/// status outlives the connector until reset).
pub async fn topics(State(w): State<Arc<Herder>>, Path(name): Path<String>) -> ApiResult {
    let topics = w.get(&name).map(|c| c.topics).unwrap_or_default();
    Ok(Json(json!({ name: { "topics": topics } })).into_response())
}

/// `PUT /connectors/{name}/pause`: 202; the connector stops consuming, its
/// offsets committed.
pub async fn pause(State(w): State<Arc<Herder>>, Path(name): Path<String>) -> ApiResult {
    target(&w, &name, TargetState::Paused).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `PUT /connectors/{name}/resume`: 202.
pub async fn resume(State(w): State<Arc<Herder>>, Path(name): Path<String>) -> ApiResult {
    target(&w, &name, TargetState::Running).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `PUT /connectors/{name}/stop`: 204.
pub async fn stop(State(w): State<Arc<Herder>>, Path(name): Path<String>) -> ApiResult {
    target(&w, &name, TargetState::Stopped).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn target(w: &Arc<Herder>, name: &str, t: TargetState) -> Result<(), ApiError> {
    w.set_target(name, t).await.map_err(|e| match e {
        crate::worker::WorkerError::NotFound(_) => {
            ApiError::not_found(format!("Unknown connector {name}"))
        }
        e => e.into(),
    })
}

/// `POST /connectors/{name}/restart` (`includeTasks`, `onlyFailed`): 204
/// without parameters, else 202 with the status, restarted parts RESTARTING.
pub async fn restart(
    State(w): State<Arc<Herder>>,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let flag = |k: &str| {
        query_values(q.as_deref(), k)
            .iter()
            .any(|v| v.eq_ignore_ascii_case("true"))
    };
    let (include_tasks, only_failed) = (flag("includeTasks"), flag("onlyFailed"));
    let unknown = || ApiError::not_found(format!("Unknown connector: {name}"));
    let before = w.get(&name).ok_or_else(unknown)?;
    let restarting = !only_failed || matches!(before.state, ConnectorState::Failed(_));
    let request = crate::worker::RestartRequest {
        include_tasks,
        only_failed,
    };
    w.restart(&name, request).await.map_err(|e| match e {
        crate::worker::WorkerError::NotFound(_) => unknown(),
        e => e.into(),
    })?;
    if !include_tasks && !only_failed {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let mut status = views::status(&before, &w.settings().worker_id);
    if restarting {
        status["connector"]["state"] = json!("RESTARTING");
        if include_tasks && let Some(tasks) = status["tasks"].as_array_mut() {
            for t in tasks {
                t["state"] = json!("RESTARTING");
            }
        }
    }
    Ok((StatusCode::ACCEPTED, Json(status)).into_response())
}

/// `POST /connectors/{name}/tasks/{id}/restart`: 204; the worker running
/// the task restarts it.
pub async fn restart_task(
    State(w): State<Arc<Herder>>,
    Path((name, id)): Path<(String, String)>,
) -> ApiResult {
    let c = w
        .get(&name)
        .ok_or_else(|| ApiError::not_found(format!("Unknown connector: {name}")))?;
    let Some(id) = id
        .parse::<u32>()
        .ok()
        .filter(|id| views::tasks(&c).contains(id))
    else {
        return Err(ApiError::not_found(format!("Unknown task: {name}-{id}")));
    };
    w.restart_task(&name, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PATCH /connectors/{name}/config`: the given options replace or (with
/// `null`) remove the connector's; 200 with its info.
pub async fn patch_config(
    State(w): State<Arc<Herder>>,
    Path(name): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let patch = json_object(b)?;
    let stored = w.raw_config(&name)?;
    let mut config = stored.clone();
    let patched: std::collections::HashSet<String> = patch.keys().cloned().collect();
    for (k, v) in patch {
        match v {
            Value::Null => {
                config.remove(&k);
            }
            Value::String(s) => {
                config.insert(k, s);
            }
            Value::Number(_) | Value::Bool(_) => {
                config.insert(k, v.to_string());
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "{k:?}: expected a string, number, boolean or null, not {other}"
                )));
            }
        }
    }
    name_from_url(&mut config, &name)?;
    // The options not sent keep their stored values, secrets among them,
    // only while no option that says where data goes has changed.
    views::secrets_stay(&config, &stored, &patched)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    views::unmask(&mut config, Some(&stored)).map_err(|e| ApiError::bad_request(e.to_string()))?;
    w.put(&name, config, TargetState::Running, true).await?;
    created(&w, &name, StatusCode::OK, &HeaderMap::new())
}

/// `PUT /connectors/{name}/topics/reset`: 202; the topics it used are forgotten.
pub async fn reset_topics(State(w): State<Arc<Herder>>, Path(name): Path<String>) -> ApiResult {
    w.reset_topics(&name)?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `GET /connectors/{name}/offsets`: its consumer group's committed offsets.
pub async fn offsets(State(w): State<Arc<Herder>>, Path(name): Path<String>) -> ApiResult {
    let offsets = w.offsets(&name).await?;
    let entries: Vec<Value> = offsets
        .iter()
        .map(|o| {
            json!({
                "partition": {"kafka_topic": o.topic, "kafka_partition": o.partition},
                "offset": {"kafka_offset": o.offset},
            })
        })
        .collect();
    Ok(Json(json!({ "offsets": entries })).into_response())
}

/// `PATCH /connectors/{name}/offsets` on a stopped connector: commits the
/// given offsets for its consumer group.
pub async fn alter_offsets(
    State(w): State<Arc<Herder>>,
    Path(name): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let value = json_body(b)?;
    let entries = value
        .get("offsets")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "Partitions / offsets need to be provided for an alter offsets request",
            )
        })?;
    let mut to = Vec::new();
    for e in entries {
        let topic = e.pointer("/partition/kafka_topic").and_then(Value::as_str);
        let partition = e
            .pointer("/partition/kafka_partition")
            .and_then(Value::as_i64)
            .and_then(|p| i32::try_from(p).ok());
        let (Some(topic), Some(partition)) = (topic, partition) else {
            return Err(ApiError::bad_request(format!(
                "each partition needs kafka_topic and kafka_partition: {e}"
            )));
        };
        let Some(offset) = e.pointer("/offset/kafka_offset").and_then(Value::as_i64) else {
            return Err(ApiError::bad_request(format!(
                "{topic}-{partition}: a kafka_offset of 0 or more is needed (DELETE …/offsets resets them all)"
            )));
        };
        if offset < 0 {
            return Err(ApiError::bad_request(format!(
                "{topic}-{partition}: kafka_offset {offset} is negative"
            )));
        }
        to.push(crate::worker::PartitionOffset {
            topic: topic.to_string(),
            partition,
            offset,
        });
    }
    w.alter_offsets(&name, to).await?;
    Ok(
        Json(json!({"message": "The offsets for this connector have been altered successfully"}))
            .into_response(),
    )
}

/// `DELETE /connectors/{name}/offsets` on a stopped connector: deletes its
/// consumer group, so it starts again from the earliest records.
pub async fn reset_offsets(State(w): State<Arc<Herder>>, Path(name): Path<String>) -> ApiResult {
    w.reset_offsets(&name).await?;
    Ok(
        Json(json!({"message": "The offsets for this connector have been reset successfully"}))
            .into_response(),
    )
}
