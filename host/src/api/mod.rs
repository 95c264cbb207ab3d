//! The REST API: Kafka Connect's endpoints over the worker's connectors,
//! served by axum next to the pipelines (127.0.0.1:8083 by default). Every
//! request passes the guard (`guard`: Host, Origin, Content-Type,
//! credentials); the server bounds connections, header reads, request time
//! and body size.

mod admin;
mod connectors;
mod error;
mod guard;
mod plugins;
mod ui;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::json;

pub use error::ApiError;
pub use guard::{AllowedHosts, ApiAuth, ApiPolicy};

use crate::worker::Herder;

/// Largest request body accepted, in bytes: far above any connector config.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Connections served at once; more are closed as they arrive.
pub const MAX_CONNECTIONS: usize = 256;

/// Time a client has to send a request's headers (and, on a kept-alive
/// connection, to start the next request).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Time one request may take, body included: above the slowest plugin
/// build a connector change waits for.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// The API's routes over `worker`.
pub fn router(worker: Arc<Herder>, policy: ApiPolicy) -> Router {
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
        .layer(middleware::from_fn_with_state(
            Arc::new(policy),
            guard::guard,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::from_fn(guard::security_headers))
        .with_state(worker)
}

/// Serves the API on `listener` until `stop` turns true: HTTP/1.1, at most
/// [`MAX_CONNECTIONS`] at once, [`HEADER_READ_TIMEOUT`] for headers.
pub async fn serve(
    listener: tokio::net::TcpListener,
    worker: Arc<Herder>,
    policy: ApiPolicy,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    {
        let (worker, stop) = (worker.clone(), stop.clone());
        tokio::spawn(async move {
            crate::history::keep(worker.history(), || worker.snapshots(), stop).await
        });
    }
    let app = router(worker, policy);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, say: wait instead of spinning.
                    tracing::warn!("REST API: cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = async { let _ = stop.wait_for(|s| *s).await; } => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "REST API: {MAX_CONNECTIONS} connections open, closing a new one");
            continue;
        };
        let service = hyper::service::service_fn({
            let app = app.clone();
            move |request: hyper::Request<hyper::body::Incoming>| {
                tower::ServiceExt::oneshot(app.clone(), request.map(axum::body::Body::new))
            }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
    // In-flight requests finish; idle connections close.
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
    Ok(())
}

/// `GET /`: Connect's `ServerInfo`.
async fn server_info(State(worker): State<Arc<Herder>>) -> Response {
    axum::Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": "sluice",
        "kafka_cluster_id": worker.kafka_cluster_id().await,
    }))
    .into_response()
}

/// `GET /health`: 200 once the worker has read every stored config, 503
/// before, as Connect answers while starting.
async fn health(State(worker): State<Arc<Herder>>) -> Response {
    if worker.is_ready() {
        axum::Json(json!({
            "status": "healthy",
            "message": "Herder has completed startup and is ready to handle requests.",
        }))
        .into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "starting", "message": "Herder is still starting up."})),
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
async fn metrics(State(worker): State<Arc<Herder>>) -> Response {
    let text = crate::metrics::render(&worker.snapshots());
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
