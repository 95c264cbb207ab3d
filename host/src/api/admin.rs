//! `/admin/loggers`: log levels read and changed while the worker runs, in
//! Connect's shapes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::connectors::json_body;
use super::error::ApiError;
use crate::logging::{self, LoggerLevel};

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

/// `GET /admin/loggers/{logger}`.
pub async fn get(Path(logger): Path<String>) -> Result<Json<Value>, ApiError> {
    logging::levels()
        .get(&logger)
        .map(|l| Json(level_json(l)))
        .ok_or_else(|| ApiError::not_found(format!("Logger {logger} not found.")))
}

/// `PUT /admin/loggers/{logger}` with `{"level": "DEBUG"}`: 200 with the
/// loggers changed.
pub async fn put(
    Path(logger): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = json_body(b)?;
    let Some(level) = value.get("level").and_then(Value::as_str) else {
        return Err(ApiError::bad_request(
            "Desired 'level' parameter was not specified in request.",
        ));
    };
    match logging::set(&logger, level) {
        Ok(changed) => Ok((StatusCode::OK, Json(json!(changed))).into_response()),
        // Connect answers an unknown level with 404.
        Err(e @ logging::LevelError::Level(_)) => Err(ApiError::not_found(e.to_string())),
        Err(e @ (logging::LevelError::NotSetUp | logging::LevelError::Filter(_))) => Err(
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        ),
        Err(e) => Err(ApiError::bad_request(e.to_string())),
    }
}
