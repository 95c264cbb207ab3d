//! The status page at `/ui`: one self-contained HTML page (no external
//! assets) that polls `/ui/data` and drives pause, resume and restart
//! through the API's own endpoints.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::views;
use crate::stats::ConnectorStats;
use crate::worker::{Herder, Origin};

/// The page: HTML, CSS and script in one file.
pub(super) const PAGE: &str = include_str!("ui.html");

/// `GET /ui`.
pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE,
    )
        .into_response()
}

/// `GET /ui/data`: every connector's status, counts, recent errors and the
/// last 15 minutes of throughput and lag.
pub async fn data(State(w): State<Arc<Herder>>) -> Json<Value> {
    let worker_id = &w.settings().worker_id;
    let connectors: Vec<Value> = w
        .list()
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "class": c.config.get("connector.class"),
                "origin": match &c.origin {
                    Origin::Api => "api".to_string(),
                    Origin::Manifest(path) => path.display().to_string(),
                },
                "target": c.target.name(),
                "status": views::status(c, worker_id),
                "counts": counts(&c.stats),
                "history": w.history().samples(&c.name),
                "errors": c.stats.recent_errors.list(),
            })
        })
        .collect();
    Json(json!({
        "worker_id": worker_id,
        "interval_seconds": crate::history::INTERVAL.as_secs(),
        "connectors": connectors,
    }))
}

fn counts(stats: &ConnectorStats) -> Value {
    use std::sync::atomic::Ordering::Relaxed;
    let (mut dropped, mut dead_lettered, mut lag) = (0, 0, None::<i64>);
    for (_, p) in stats.partitions() {
        dropped += p.records_dropped.load(Relaxed);
        dead_lettered += p.records_dead_lettered.load(Relaxed);
        let l = p.lag.load(Relaxed);
        if l >= 0 {
            lag = Some(lag.unwrap_or(0) + l);
        }
    }
    json!({
        "records_in": stats.records_consumed.load(Relaxed),
        "finished": stats.records_finished.load(Relaxed),
        "failed": stats.records_failed.load(Relaxed),
        "dropped": dropped,
        "dead_lettered": dead_lettered,
        "lag": lag,
    })
}
