//! The HTTP receiver every HTTP scenario delivers to: answers 200 at once,
//! counts the events in each request body (by their `"event_id"` field, so
//! batched and single-record requests count alike) and, when asked, records
//! each event's added latency from the `kafka_ts` field the pipeline inserts.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use memchr::memmem;

/// What arrived since the last reset.
#[derive(Default)]
pub struct Tally {
    delivered: AtomicU64,
    requests: AtomicU64,
    /// When the first request arrived, and the events it carried.
    first: Mutex<Option<(Instant, u64)>>,
    latency_on: AtomicBool,
    /// Milliseconds from each event's record timestamp to its arrival.
    latencies_ms: Mutex<Vec<i64>>,
}

impl Tally {
    /// Forgets everything; records latencies from now on if `latency`.
    pub fn reset(&self, latency: bool) {
        self.delivered.store(0, Ordering::SeqCst);
        self.requests.store(0, Ordering::SeqCst);
        *self.first.lock().unwrap() = None;
        self.latencies_ms.lock().unwrap().clear();
        self.latency_on.store(latency, Ordering::SeqCst);
    }

    /// Events received.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::SeqCst)
    }

    /// Requests received.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// When the first request arrived, and the events it carried.
    pub fn first(&self) -> Option<(Instant, u64)> {
        *self.first.lock().unwrap()
    }

    /// The latencies recorded, sorted.
    pub fn latencies(&self) -> Vec<i64> {
        let mut l = self.latencies_ms.lock().unwrap().clone();
        l.sort_unstable();
        l
    }

    fn receive(&self, body: &[u8]) {
        let events = memmem::find_iter(body, b"\"event_id\"").count() as u64;
        self.first
            .lock()
            .unwrap()
            .get_or_insert((Instant::now(), events));
        if self.latency_on.load(Ordering::Relaxed) {
            let now = sluice::pipeline::now_ms();
            let mut l = self.latencies_ms.lock().unwrap();
            for at in memmem::find_iter(body, b"\"kafka_ts\":") {
                let digits = &body[at + 11..];
                let end = digits
                    .iter()
                    .position(|b| !b.is_ascii_digit())
                    .unwrap_or(digits.len());
                if let Some(ts) = std::str::from_utf8(&digits[..end])
                    .ok()
                    .and_then(|d| d.parse::<i64>().ok())
                {
                    l.push(now - ts);
                }
            }
        }
        self.delivered.fetch_add(events, Ordering::SeqCst);
        self.requests.fetch_add(1, Ordering::SeqCst);
    }
}

/// Starts the receiver on 127.0.0.1; returns its address and tally.
pub async fn start() -> anyhow::Result<(SocketAddr, Arc<Tally>)> {
    let tally = Arc::new(Tally::default());
    let app = axum::Router::new().fallback({
        let tally = tally.clone();
        move |body: Bytes| {
            let tally = tally.clone();
            async move {
                tally.receive(&body);
                "ok"
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, tally))
}

/// The `q` quantile (0..=1) of sorted samples.
pub fn quantile(sorted: &[i64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    Some(sorted[i] as f64)
}
