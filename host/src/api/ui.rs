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
use crate::config::ConnectorSpec;
use crate::plugin::LoadedPlugin;
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

/// Whether a background load of the plugin directory is under way.
static LOADING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `GET /ui/data`: every connector's status, counts, plugins, sink target,
/// recent errors, per-partition lag and the last 15 minutes of throughput
/// and lag. The counts and the plots' last point (`now`) come from one
/// reading of the counters, so the header and the plots agree.
pub async fn data(State(w): State<Arc<Herder>>) -> Json<Value> {
    let worker_id = &w.settings().worker_id;
    // Versions and contracts of the plugins as last loaded. Loading the
    // directory could compile every plugin before the page answers: it is
    // loaded in the background instead, and a later refresh shows them.
    let loaded = w.plugin_dir_loaded();
    if loaded.is_none() && !LOADING.swap(true, std::sync::atomic::Ordering::AcqRel) {
        let w = w.clone();
        tokio::spawn(async move {
            w.plugin_dir().await;
            LOADING.store(false, std::sync::atomic::Ordering::Release);
        });
    }
    let loaded: &[Arc<LoadedPlugin>] = loaded.as_ref().map_or(&[], |d| &d.plugins);
    let now_ms = crate::history::now_ms();
    let connectors: Vec<Value> = w
        .list()
        .iter()
        .map(|c| {
            let spec = w.spec(&c.name);
            let reading = Reading::of(&c.stats);
            let history = w.history().samples(&c.name);
            let now = json!({
                "at_ms": now_ms,
                // A rate needs an interval: the last sample's.
                "records_per_sec": history.last().map_or(0.0, |s| s.records_per_sec),
                "lag": reading.lag,
            });
            json!({
                "name": c.name,
                "class": c.config.get("connector.class"),
                "origin": match &c.origin {
                    Origin::Api => "api".to_string(),
                    Origin::Manifest(path) => path.display().to_string(),
                },
                "target": c.target.name(),
                "sink": spec.as_ref().map(|s| s.sink.destination()),
                "plugins": spec.as_ref().map(|s| plugins(s, loaded)).unwrap_or_default(),
                "status": views::status(c, worker_id),
                "counts": reading.counts(&c.stats),
                "partitions": reading.partitions,
                "history": history,
                "now": now,
                "errors": c.stats.recent_errors.list(),
            })
        })
        .collect();
    Json(json!({
        "worker_id": worker_id,
        "interval_seconds": crate::history::INTERVAL.as_secs(),
        "window_seconds": crate::history::KEPT as u64 * crate::history::INTERVAL.as_secs(),
        "connectors": connectors,
    }))
}

/// One reading of a connector's partition counters.
struct Reading {
    dropped: u64,
    dead_lettered: u64,
    /// Summed over the partitions whose lag is known.
    lag: Option<i64>,
    partitions: Vec<Value>,
}

impl Reading {
    fn of(stats: &ConnectorStats) -> Reading {
        use std::sync::atomic::Ordering::Relaxed;
        let mut r = Reading {
            dropped: 0,
            dead_lettered: 0,
            lag: None,
            partitions: Vec::new(),
        };
        for ((topic, partition), p) in stats.partitions() {
            r.dropped += p.records_dropped.load(Relaxed);
            r.dead_lettered += p.records_dead_lettered.load(Relaxed);
            let l = p.lag.load(Relaxed);
            let lag = (l >= 0).then_some(l);
            if let Some(l) = lag {
                r.lag = Some(r.lag.unwrap_or(0) + l);
            }
            r.partitions.push(json!({
                "topic": topic,
                "partition": partition,
                "lag": lag,
                "records_in": p.records_in.load(Relaxed),
                "finished": p.records_finished.load(Relaxed),
            }));
        }
        r
    }

    fn counts(&self, stats: &ConnectorStats) -> Value {
        use std::sync::atomic::Ordering::Relaxed;
        json!({
            "records_in": stats.records_consumed.load(Relaxed),
            "finished": stats.records_finished.load(Relaxed),
            "failed": stats.records_failed.load(Relaxed),
            "dropped": self.dropped,
            "dead_lettered": self.dead_lettered,
            "lag": self.lag,
        })
    }
}

/// The plugins connector `spec` runs, in pipeline order, with the version
/// and contract of the loaded file when the plugin directory has it.
fn plugins(spec: &ConnectorSpec, loaded: &[Arc<LoadedPlugin>]) -> Vec<Value> {
    spec.key_converter
        .iter()
        .chain(&spec.value_converter)
        .chain(&spec.transforms)
        .chain(std::iter::once(&spec.formatter))
        .map(|p| {
            let file = loaded
                .iter()
                .find(|l| l.path == p.path)
                .or_else(|| loaded.iter().find(|l| l.metadata.name == p.name));
            json!({
                "role": p.role,
                "name": p.name,
                "version": file.map(|f| f.metadata.version.clone()),
                "contract": file.map(|f| f.contract.as_str()),
            })
        })
        .collect()
}
