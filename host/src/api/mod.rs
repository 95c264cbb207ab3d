//! The REST API: Kafka Connect's endpoints over the worker's connectors,
//! served by axum next to the pipelines (127.0.0.1:8083 by default), with
//! optional bearer or basic auth on every request that changes state and a
//! request body limit.

mod admin;
mod connectors;
mod error;
mod plugins;
mod ui;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::json;

pub use error::ApiError;

use crate::worker::Worker;

/// Largest request body accepted, in bytes: far above any connector config.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Who may change state through the API.
#[derive(Debug, Clone, Default)]
pub enum ApiAuth {
    /// Anyone who can reach the listener.
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: Basic base64(user:password)`.
    Basic { user: String, password: String },
}

/// The API's routes over `worker`.
pub fn router(worker: Arc<Worker>, auth: ApiAuth) -> Router {
    Router::new()
        .route("/", get(server_info))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route(
            "/connectors",
            get(connectors::list).post(connectors::create),
        )
        .route(
            "/connectors/{name}",
            get(connectors::get).delete(connectors::delete),
        )
        .route(
            "/connectors/{name}/config",
            get(connectors::get_config)
                .put(connectors::put_config)
                .patch(connectors::patch_config),
        )
        .route("/connectors/{name}/status", get(connectors::status))
        .route("/connectors/{name}/tasks", get(connectors::tasks))
        .route(
            "/connectors/{name}/tasks/{id}/status",
            get(connectors::task_status),
        )
        .route(
            "/connectors/{name}/tasks/{id}/restart",
            post(connectors::restart_task),
        )
        .route("/connectors/{name}/restart", post(connectors::restart))
        .route("/connectors/{name}/pause", put(connectors::pause))
        .route("/connectors/{name}/resume", put(connectors::resume))
        .route("/connectors/{name}/stop", put(connectors::stop))
        .route("/connectors/{name}/topics", get(connectors::topics))
        .route(
            "/connectors/{name}/topics/reset",
            put(connectors::reset_topics),
        )
        .route(
            "/connectors/{name}/offsets",
            get(connectors::offsets)
                .patch(connectors::alter_offsets)
                .delete(connectors::reset_offsets),
        )
        .route("/connector-plugins", get(plugins::list))
        .route("/connector-plugins/{plugin}/config", get(plugins::config))
        .route("/admin/loggers", get(admin::list))
        .route("/admin/loggers/{logger}", get(admin::get).put(admin::put))
        .route("/openapi.yaml", get(openapi))
        .route("/ui", get(ui::page))
        .route("/ui/data", get(ui::data))
        .route(
            "/connector-plugins/{plugin}/config/validate",
            put(plugins::validate),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(Arc::new(auth), authorize))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(worker)
}

/// Serves the API on `listener` until `stop` turns true.
pub async fn serve(
    listener: tokio::net::TcpListener,
    worker: Arc<Worker>,
    auth: ApiAuth,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    tokio::spawn(worker.clone().keep_history(stop.clone()));
    axum::serve(listener, router(worker, auth))
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await
}

/// `GET /`: Connect's `ServerInfo`.
async fn server_info(State(worker): State<Arc<Worker>>) -> Response {
    axum::Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": "sluice",
        "kafka_cluster_id": worker.kafka_cluster_id().await,
    }))
    .into_response()
}

/// `GET /health`: 200 once the worker has read every stored config, 503
/// before, as Connect answers while starting.
async fn health(State(worker): State<Arc<Worker>>) -> Response {
    if worker.is_ready() {
        axum::Json(json!({
            "status": "healthy",
            "message": "Worker has completed startup and is ready to handle requests.",
        }))
        .into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "starting", "message": "Worker is still starting up."})),
        )
            .into_response()
    }
}

/// The OpenAPI document describing this API.
pub const OPENAPI: &str = include_str!("../../../docs/openapi.yaml");

/// `GET /openapi.yaml`.
async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI).into_response()
}

/// `GET /metrics`: Prometheus (OpenMetrics) text.
async fn metrics(State(worker): State<Arc<Worker>>) -> Response {
    let text = crate::metrics::render(&worker.list());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::not_found("HTTP 404 Not Found")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "HTTP 405 Method Not Allowed",
    )
}

/// Refuses a request that changes state without the configured credentials.
async fn authorize(State(auth): State<Arc<ApiAuth>>, request: Request, next: Next) -> Response {
    let reads = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let allowed = reads
        || match &*auth {
            ApiAuth::None => true,
            ApiAuth::Bearer(token) => {
                given.and_then(|g| g.strip_prefix("Bearer ")) == Some(token.as_str())
            }
            ApiAuth::Basic { user, password } => {
                use base64::Engine;
                let want =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                given.and_then(|g| g.strip_prefix("Basic ")) == Some(want.as_str())
            }
        };
    if allowed {
        next.run(request).await
    } else {
        let mut r = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this request changes state: send the API's credentials in an Authorization header",
        )
        .into_response();
        let scheme = if matches!(*auth, ApiAuth::Basic { .. }) {
            "Basic realm=\"sluice\""
        } else {
            "Bearer"
        };
        if let Ok(v) = scheme.parse() {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        r
    }
}

/// The values of query parameter `key` (repeatable, percent-decoded).
pub fn query_values(query: Option<&str>, key: &str) -> Vec<String> {
    query
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == key).then(|| {
                percent_encoding::percent_decode_str(&v.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            })
        })
        .collect()
}
