//! Errors as Connect's REST API gives them: `{"error_code": …, "message": …}`
//! with the same status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::worker::WorkerError;

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl From<WorkerError> for ApiError {
    fn from(e: WorkerError) -> Self {
        let status = match &e {
            WorkerError::NotFound(_) => StatusCode::NOT_FOUND,
            WorkerError::Exists(_) => StatusCode::CONFLICT,
            WorkerError::Invalid(_)
            | WorkerError::Offsets(crate::worker::OffsetsError::NotConsumed { .. }) => {
                StatusCode::BAD_REQUEST
            }
            WorkerError::FromManifest { .. } => StatusCode::CONFLICT,
            WorkerError::Store(_)
            | WorkerError::Offsets(_)
            | WorkerError::CannotRun { .. }
            | WorkerError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            WorkerError::NotStopped(_) => StatusCode::BAD_REQUEST,
            WorkerError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
        };
        ApiError::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // A value from a config provider never leaves in a message.
        let body = serde_json::json!({
            "error_code": self.status.as_u16(),
            "message": crate::secrets::scrub(&self.message),
        });
        (self.status, axum::Json(body)).into_response()
    }
}
