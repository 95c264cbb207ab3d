//! The last 15 minutes of each connector's throughput and lag, sampled every
//! few seconds for the status page.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::stats::{ConnectorStats, Snapshot};

/// How often a sample is taken.
pub const INTERVAL: Duration = Duration::from_secs(5);

/// Samples kept per connector: 15 minutes.
pub const KEPT: usize = (15 * 60 / INTERVAL.as_secs()) as usize;

/// One connector at one moment.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sample {
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// Records finished per second since the previous sample.
    pub records_per_sec: f64,
    /// Messages behind the partitions' ends, summed (`None`: not known).
    pub lag: Option<i64>,
}

/// A connector's samples and what the next one is measured from.
struct Series {
    samples: VecDeque<Sample>,
    /// The run the last sample read (a restart starts new counters).
    stats: Arc<ConnectorStats>,
    finished: u64,
    at: Instant,
}

/// Every connector's recent samples.
#[derive(Default)]
pub struct History {
    series: Mutex<BTreeMap<String, Series>>,
}

impl History {
    /// Takes a sample of each of `connectors`, forgetting connectors that
    /// are gone.
    pub fn sample(&self, connectors: &[Snapshot]) {
        self.sample_at(connectors, Instant::now(), now_ms());
    }

    fn sample_at(&self, connectors: &[Snapshot], now: Instant, at_ms: i64) {
        let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        series.retain(|name, _| connectors.iter().any(|c| &c.name == name));
        for c in connectors {
            let finished = c.stats.records_finished.load(Relaxed);
            let lags: Vec<i64> = c
                .stats
                .partitions()
                .iter()
                .map(|(_, p)| p.lag.load(Relaxed))
                .filter(|l| *l >= 0)
                .collect();
            let lag = (!lags.is_empty()).then(|| lags.iter().sum());
            // A connector seen for the first time counts from its start.
            let s = series.entry(c.name.clone()).or_insert_with(|| Series {
                samples: VecDeque::with_capacity(KEPT),
                stats: c.stats.clone(),
                finished: 0,
                at: c.stats.started.min(now),
            });
            // A new run counts from zero.
            let before = if Arc::ptr_eq(&s.stats, &c.stats) {
                s.finished
            } else {
                0
            };
            let secs = now.duration_since(s.at).as_secs_f64();
            let records_per_sec = if secs > 0.0 {
                finished.saturating_sub(before) as f64 / secs
            } else {
                0.0
            };
            if s.samples.len() == KEPT {
                s.samples.pop_front();
            }
            s.samples.push_back(Sample {
                at_ms,
                records_per_sec,
                lag,
            });
            s.stats = c.stats.clone();
            s.finished = finished;
            s.at = now;
        }
    }

    /// Connector `name`'s samples, oldest first.
    pub fn samples(&self, name: &str) -> Vec<Sample> {
        self.series
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .map(|s| s.samples.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Samples the connectors `snapshots` lists into `history` every
/// [`INTERVAL`] until `stop` turns true.
pub async fn keep(
    history: &History,
    snapshots: impl Fn() -> Vec<Snapshot>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut every = tokio::time::interval(INTERVAL);
    loop {
        tokio::select! {
            _ = every.tick() => history.sample(&snapshots()),
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(name: &str, stats: Arc<ConnectorStats>) -> Snapshot {
        Snapshot {
            name: name.into(),
            state: "RUNNING",
            stats,
        }
    }

    #[test]
    fn throughput_is_the_rate_between_samples_and_restarts_count_from_zero() {
        let h = History::default();
        let stats = Arc::new(ConnectorStats::default());
        let t0 = Instant::now();
        h.sample_at(&[view("a", stats.clone())], t0, 0);
        stats.records_finished.store(500, Relaxed);
        stats.partition("t", 0).lag.store(7, Relaxed);
        h.sample_at(&[view("a", stats.clone())], t0 + INTERVAL, 5000);
        let restarted = Arc::new(stats.next_run());
        restarted.records_finished.store(50, Relaxed);
        h.sample_at(&[view("a", restarted)], t0 + 2 * INTERVAL, 10_000);
        let s = h.samples("a");
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].records_per_sec, s[0].lag), (0.0, None));
        assert_eq!((s[1].records_per_sec, s[1].lag), (100.0, Some(7)));
        assert_eq!(s[2].records_per_sec, 10.0);
        h.sample_at(&[], t0 + 3 * INTERVAL, 15_000);
        assert!(
            h.samples("a").is_empty(),
            "a deleted connector is forgotten"
        );
    }

    #[test]
    fn fifteen_minutes_are_kept() {
        let h = History::default();
        let stats = Arc::new(ConnectorStats::default());
        let t0 = Instant::now();
        for i in 0..KEPT as u32 + 10 {
            h.sample_at(&[view("a", stats.clone())], t0 + INTERVAL * i, i64::from(i));
        }
        let s = h.samples("a");
        assert_eq!(s.len(), 180);
        assert_eq!(s[0].at_ms, 10);
    }
}
