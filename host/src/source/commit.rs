//! One offset commit at a time, each awaited to its end.
//!
//! librdkafka retries a commit request that failed with a retriable error
//! (a coordinator loading, a request timed out) after its retry backoff,
//! and holds one sent while the coordinator was away until it is back. A
//! newer commit sent meanwhile lands first, and the older one then moves
//! the group's offset back: records already delivered are read again after
//! a restart or a rebalance. A manual asynchronous commit reports nothing
//! (rust-rdkafka sets no `offset_commit_cb`, and librdkafka posts commit
//! events only for its own auto-commits), so the only commit whose end is
//! known is a synchronous one. The connector therefore sends each
//! commit synchronously, from a blocking thread while it runs, and sends
//! none while another is under way: the periodic commit, the revocation
//! callback's and the final one all take a [`CommitTurn`] first.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer, ConsumerContext};
use rdkafka::{Offset, TopicPartitionList};

use super::tracker::TopicPartition;
use crate::stats::ConnectorStats;

/// How long the revocation callback's commit and the final one wait for a
/// commit under way before they go anyway (and the final one is read back).
/// librdkafka gives up a commit held for an absent coordinator after the
/// group's session timeout; a commit that is answered takes milliseconds.
pub const COMMIT_WAIT: Duration = Duration::from_secs(10);

/// Whether a commit is under way, shared by the connector loop, its
/// blocking commit threads and the revocation callback.
#[derive(Debug, Default)]
pub struct CommitGate {
    busy: Mutex<bool>,
    idle: Condvar,
}

/// The right to send one commit. The gate opens again when it is dropped,
/// so a thread that fails or panics cannot keep it closed.
#[must_use = "the turn ends when it is dropped"]
#[derive(Debug)]
pub struct CommitTurn(Arc<CommitGate>);

impl CommitGate {
    fn busy(&self) -> MutexGuard<'_, bool> {
        self.busy.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The turn if no commit is under way, else `None` (without waiting).
    pub fn try_begin(self: &Arc<Self>) -> Option<CommitTurn> {
        let mut busy = self.busy();
        if *busy {
            return None;
        }
        *busy = true;
        Some(CommitTurn(self.clone()))
    }

    /// Waits at most `wait` for the commit under way to end and takes the
    /// turn; `None` if it was still under way then. Blocks the thread: for
    /// librdkafka's callbacks, which already block on their own commit.
    pub fn begin_within(self: &Arc<Self>, wait: Duration) -> Option<CommitTurn> {
        let (mut busy, _) = self
            .idle
            .wait_timeout_while(self.busy(), wait, |busy| *busy)
            .unwrap_or_else(|p| p.into_inner());
        if *busy {
            return None;
        }
        *busy = true;
        Some(CommitTurn(self.clone()))
    }

    /// Whether a commit is under way now.
    pub fn is_busy(&self) -> bool {
        *self.busy()
    }
}

/// Commits `offsets` and waits for the group's answer (nothing to commit is
/// a success), counted in `stats`. Blocks the thread: call it holding a
/// [`CommitTurn`].
pub fn commit<C: ConsumerContext>(
    consumer: &impl Consumer<C>,
    offsets: &[(TopicPartition, i64)],
    stats: &ConnectorStats,
) -> Result<(), rdkafka::error::KafkaError> {
    if offsets.is_empty() {
        return Ok(());
    }
    let mut tpl = TopicPartitionList::new();
    for (tp, offset) in offsets {
        let _ = tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*offset));
    }
    let started = Instant::now();
    let result = consumer.commit(&tpl, CommitMode::Sync);
    stats.commits.record(result.is_ok(), started.elapsed());
    result
}

/// `topic-partition=offset` strings, for logs.
pub fn offsets_list(offsets: &[(TopicPartition, i64)]) -> Vec<String> {
    offsets.iter().map(|(tp, o)| format!("{tp}={o}")).collect()
}

impl Drop for CommitTurn {
    fn drop(&mut self) {
        *self.0.busy() = false;
        self.0.idle.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_turn_at_a_time_and_the_gate_opens_when_it_ends() {
        let gate = Arc::new(CommitGate::default());
        let turn = gate.try_begin().expect("an idle gate gives the turn");
        assert!(gate.is_busy());
        assert!(gate.try_begin().is_none(), "no second turn while one runs");
        let started = Instant::now();
        assert!(gate.begin_within(Duration::from_millis(50)).is_none());
        assert!(started.elapsed() >= Duration::from_millis(50));
        drop(turn);
        assert!(!gate.is_busy());
        assert!(gate.try_begin().is_some());
    }

    #[test]
    fn a_waiter_gets_the_turn_as_soon_as_the_commit_under_way_ends() {
        let gate = Arc::new(CommitGate::default());
        let turn = gate.try_begin().unwrap();
        let ender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(turn);
        });
        let next = gate.begin_within(Duration::from_secs(30));
        assert!(next.is_some(), "the turn passes on");
        assert!(gate.try_begin().is_none(), "the waiter holds it now");
        ender.join().unwrap();
    }

    #[test]
    fn a_panicking_committer_still_opens_the_gate() {
        let gate = Arc::new(CommitGate::default());
        let turn = gate.try_begin().unwrap();
        let _ = std::thread::spawn(move || {
            let _turn = turn;
            panic!("a commit thread that dies");
        })
        .join();
        assert!(gate.try_begin().is_some());
    }
}
