//! `/admin/loggers`: log levels read and changed while the worker runs, in
//! Connect's shapes and under Connect's logger names too.

use axum::Json;
use axum::body::Bytes;
use std::sync::Arc;

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::connectors::json_body;
use super::error::ApiError;
use crate::logging::{self, LoggerLevel};
use crate::worker::Herder;

fn level_json(l: &LoggerLevel) -> Value {
    json!({"level": l.level, "last_modified": l.last_modified})
}

/// `GET /admin/loggers`: every logger with a level.
pub async fn list() -> Json<Value> {
    Json(Value::Object(
        logging::levels()
            .iter()
            .map(|(name, l)| (name.clone(), level_json(l)))
            .collect(),
    ))
}

/// `GET /admin/loggers/{logger}`: its level, or its nearest ancestor's for
/// a Connect logger name Sluice maps that has none of its own.
pub async fn get(Path(logger): Path<String>) -> Result<Json<Value>, ApiError> {
    logging::level(&logger)
        .map(|l| Json(level_json(&l)))
        .ok_or_else(|| ApiError::not_found(format!("Logger {logger} not found.")))
}

/// `PUT /admin/loggers/{logger}` with `{"level": "DEBUG"}`: 200 with the
/// loggers changed; a Connect logger name changes the modules it maps to
/// ([`logging::CONNECT_LOGGERS`]). With `?scope=cluster`, 204: every worker
/// of the group sets it, through the config log, as Connect's workers do.
pub async fn put(
    State(w): State<Arc<Herder>>,
    Path(logger): Path<String>,
    RawQuery(q): RawQuery,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = json_body(b)?;
    let Some(level) = value.get("level").and_then(Value::as_str) else {
        return Err(ApiError::bad_request(
            "Desired 'level' parameter was not specified in request.",
        ));
    };
    // Connect takes any other scope for `worker`, with a warning.
    let scope = super::query_values(q.as_deref(), "scope");
    let cluster = scope.iter().any(|s| s.eq_ignore_ascii_case("cluster"));
    if let Some(other) = scope
        .iter()
        .find(|s| !s.eq_ignore_ascii_case("cluster") && !s.eq_ignore_ascii_case("worker"))
    {
        tracing::warn!(scope = %other, "unknown scope for a log level: applied to this worker only");
    }
    let result = if cluster {
        match logging::check(&logger, level) {
            Ok((logger, level)) => {
                w.set_log_level_everywhere(logger, &level).await?;
                return Ok(StatusCode::NO_CONTENT.into_response());
            }
            Err(e) => Err(e),
        }
    } else {
        logging::set(&logger, level)
    };
    match result {
        Ok(changed) => Ok((StatusCode::OK, Json(json!(changed))).into_response()),
        // Connect answers an unknown level with 404.
        Err(e @ logging::LevelError::Level(_)) => Err(ApiError::not_found(e.to_string())),
        Err(e @ (logging::LevelError::NotSetUp | logging::LevelError::Filter(_))) => Err(
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        ),
        Err(e) => Err(ApiError::bad_request(e.to_string())),
    }
}
