//! Offset tracking: which consumed offsets are finished (delivered, sent to
//! the DLQ or deliberately dropped), and so which offset may be committed.
//!
//! Batches of one partition are registered in consumption order and may
//! finish in any order. The committable offset of a partition is the last
//! offset of the longest finished prefix, plus one (Kafka's committed offset
//! is the next one to read). A partition that is revoked or lost is
//! forgotten; a batch that finishes afterwards is ignored, because its
//! partition's generation changed.

use std::collections::{BTreeMap, VecDeque};

/// A Kafka partition.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// A batch handed to the pipeline: offsets `first..=last` of one partition,
/// in the partition's assignment generation `generation`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchTicket {
    pub partition: TopicPartition,
    pub generation: u64,
    pub first: i64,
    pub last: i64,
}

#[derive(Debug)]
struct PartitionState {
    generation: u64,
    /// Registered batches not yet committable, in offset order: (first, last, finished).
    pending: VecDeque<(i64, i64, bool)>,
    /// The offset to commit next time (last finished + 1), if it moved since the last commit.
    committable: Option<i64>,
    /// The offset last handed to a commit.
    committed: Option<i64>,
    /// The lowest offset the sink still holds (written to an object not
    /// yet uploaded): commits stop there even if batches past it finished.
    held_from: Option<i64>,
}

impl PartitionState {
    /// The offset that may be committed: finished, and not held by the sink.
    fn effective(&self) -> Option<i64> {
        match (self.committable, self.held_from) {
            (Some(c), Some(h)) => Some(c.min(h)),
            (c, _) => c,
        }
    }
}

/// Tracks every assigned partition of one consumer.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: BTreeMap<TopicPartition, PartitionState>,
    next_generation: u64,
}

impl OffsetTracker {
    /// Starts tracking `tp` (on assignment). A partition assigned again gets
    /// a new generation, so completions from before are ignored.
    pub fn assign(&mut self, tp: TopicPartition) {
        self.next_generation += 1;
        let state = PartitionState {
            generation: self.next_generation,
            pending: VecDeque::new(),
            committable: None,
            committed: None,
            held_from: None,
        };
        self.partitions.insert(tp, state);
    }

    /// Stops tracking `tp` (revoked or lost) and returns the offset still to
    /// commit for it, if any, so a clean revocation can commit it first.
    pub fn revoke(&mut self, tp: &TopicPartition) -> Option<i64> {
        self.partitions.remove(tp).and_then(|s| s.effective())
    }

    /// Whether `tp` is tracked (assigned).
    pub fn is_assigned(&self, tp: &TopicPartition) -> bool {
        self.partitions.contains_key(tp)
    }

    /// Registers a batch of consumed offsets `first..=last` of `tp`; returns
    /// the ticket to finish it with, or `None` if `tp` is not assigned.
    pub fn register(&mut self, tp: &TopicPartition, first: i64, last: i64) -> Option<BatchTicket> {
        let state = self.partitions.get_mut(tp)?;
        debug_assert!(
            state.pending.back().is_none_or(|b| b.1 < first),
            "batches registered out of order"
        );
        state.pending.push_back((first, last, false));
        Some(BatchTicket {
            partition: tp.clone(),
            generation: state.generation,
            first,
            last,
        })
    }

    /// Marks a batch finished. Returns false (and changes nothing) when its
    /// partition was revoked or reassigned since the batch was registered.
    pub fn finish(&mut self, ticket: &BatchTicket) -> bool {
        self.finish_through(ticket, ticket.last)
    }

    /// Marks offsets `ticket.first..=last` of a batch finished: all of it,
    /// or, for a batch that failed, the records before its failure (so they
    /// are committed at shutdown and the connector resumes at the failed
    /// record; the rest stays pending for good). Returns false when nothing
    /// was finished or the partition was revoked or reassigned meanwhile.
    pub fn finish_through(&mut self, ticket: &BatchTicket, last: i64) -> bool {
        if last < ticket.first {
            return false;
        }
        let Some(state) = self.partitions.get_mut(&ticket.partition) else {
            return false;
        };
        if state.generation != ticket.generation {
            return false;
        }
        let Some(index) = state
            .pending
            .iter()
            .position(|b| b.0 == ticket.first && b.1 == ticket.last)
        else {
            return false;
        };
        if last < ticket.last {
            state.pending[index] = (ticket.first, last, true);
            state
                .pending
                .insert(index + 1, (last + 1, ticket.last, false));
        } else {
            state.pending[index].2 = true;
        }
        while let Some(&(_, last, true)) = state.pending.front() {
            state.pending.pop_front();
            state.committable = Some(last + 1);
        }
        true
    }

    /// The committable offset of every assigned partition that has one.
    /// Committing an unchanged offset again is harmless, so callers commit
    /// the whole set; a failed commit is then retried by the next one.
    pub fn committable(&self) -> Vec<(TopicPartition, i64)> {
        self.partitions
            .iter()
            .filter_map(|(tp, s)| s.effective().map(|o| (tp.clone(), o)))
            .collect()
    }

    /// The offsets to commit now: for each partition whose committable
    /// offset moved since the last call, that offset. They are marked
    /// committed; call [`Self::uncommit`] if the commit fails.
    pub fn take_commits(&mut self) -> Vec<(TopicPartition, i64)> {
        let mut out = Vec::new();
        for (tp, state) in &mut self.partitions {
            if let Some(offset) = state.effective()
                && state.committed != Some(offset)
            {
                state.committed = Some(offset);
                out.push((tp.clone(), offset));
            }
        }
        out
    }

    /// Forgets that these offsets were committed, so the next commit retries them.
    pub fn uncommit(&mut self, offsets: &[(TopicPartition, i64)]) {
        for (tp, offset) in offsets {
            if let Some(state) = self.partitions.get_mut(tp)
                && state.committed == Some(*offset)
            {
                state.committed = None;
            }
        }
    }

    /// Records what the sink of `tp` still holds after its latest batch:
    /// the lowest offset not yet safely stored, or `None` when it holds
    /// nothing. Ignored when the partition was reassigned since `generation`.
    pub fn hold(&mut self, tp: &TopicPartition, generation: u64, held_from: Option<i64>) {
        if let Some(state) = self.partitions.get_mut(tp)
            && state.generation == generation
        {
            state.held_from = held_from;
        }
    }

    /// Keeps every commit of `tp` at or below `offset` from now on, whatever
    /// finishes: for a record the connector could not track.
    pub fn cap(&mut self, tp: &TopicPartition, offset: i64) {
        if let Some(state) = self.partitions.get_mut(tp) {
            state.held_from = Some(state.held_from.map_or(offset, |h| h.min(offset)));
        }
    }

    /// Batches registered and not finished, over all partitions.
    pub fn in_flight(&self) -> usize {
        self.partitions
            .values()
            .map(|s| s.pending.iter().filter(|b| !b.2).count())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> TopicPartition {
        TopicPartition {
            topic: "t".into(),
            partition: p,
        }
    }

    #[test]
    fn commit_is_last_finished_offset_plus_one() {
        let mut t = OffsetTracker::default();
        t.assign(tp(0));
        let a = t.register(&tp(0), 0, 499).unwrap();
        assert!(
            t.take_commits().is_empty(),
            "nothing finished, nothing to commit"
        );
        assert!(t.finish(&a));
        assert_eq!(t.take_commits(), vec![(tp(0), 500)]);
        assert!(t.take_commits().is_empty(), "an offset is committed once");
    }

    #[test]
    fn a_failed_batch_commits_only_the_records_before_its_failure() {
        let mut t = OffsetTracker::default();
        t.assign(tp(0));
        let a = t.register(&tp(0), 0, 9).unwrap();
        let b = t.register(&tp(0), 10, 19).unwrap();
        assert!(t.finish(&a));
        assert!(t.finish_through(&b, 14));
        assert_eq!(
            t.take_commits(),
            vec![(tp(0), 15)],
            "resume at the failed record"
        );
        assert_eq!(t.in_flight(), 1, "offsets 15-19 stay unfinished");
        let c = t.register(&tp(0), 20, 29).unwrap();
        assert!(!t.finish_through(&c, 19), "nothing before the first record");
        assert!(t.take_commits().is_empty());
    }

    #[test]
    fn out_of_order_completion_commits_only_the_finished_prefix() {
        let mut t = OffsetTracker::default();
        t.assign(tp(0));
        let a = t.register(&tp(0), 0, 9).unwrap();
        let b = t.register(&tp(0), 10, 19).unwrap();
        let c = t.register(&tp(0), 20, 29).unwrap();
        t.finish(&c);
        t.finish(&b);
        assert!(
            t.take_commits().is_empty(),
            "batch 0-9 still open: nothing past it is committable"
        );
        t.finish(&a);
        assert_eq!(t.take_commits(), vec![(tp(0), 30)]);
        assert_eq!(t.in_flight(), 0);
    }

    #[test]
    fn completions_after_revocation_are_never_committed() {
        let mut t = OffsetTracker::default();
        t.assign(tp(1));
        let done = t.register(&tp(1), 0, 4).unwrap();
        let late = t.register(&tp(1), 5, 9).unwrap();
        t.finish(&done);
        assert_eq!(
            t.revoke(&tp(1)),
            Some(5),
            "the finished prefix is handed back for a last commit"
        );
        assert!(!t.finish(&late));
        // Reassigned: a completion from the old generation still does not count.
        t.assign(tp(1));
        assert!(!t.finish(&late));
        assert!(t.take_commits().is_empty());
        assert!(
            t.register(&tp(2), 0, 1).is_none(),
            "unassigned partitions take no batches"
        );
    }

    #[test]
    fn commits_stop_at_what_the_sink_holds() {
        let mut t = OffsetTracker::default();
        t.assign(tp(0));
        let a = t.register(&tp(0), 0, 99).unwrap();
        let b = t.register(&tp(0), 100, 199).unwrap();
        t.finish(&a);
        t.hold(&tp(0), a.generation, Some(40));
        assert_eq!(
            t.take_commits(),
            vec![(tp(0), 40)],
            "40.. are in an open object"
        );
        t.finish(&b);
        t.hold(&tp(0), b.generation, Some(150));
        assert_eq!(t.take_commits(), vec![(tp(0), 150)]);
        t.hold(&tp(0), b.generation + 1, None);
        assert!(
            t.take_commits().is_empty(),
            "a hold from another generation is ignored"
        );
        t.hold(&tp(0), b.generation, None);
        assert_eq!(t.take_commits(), vec![(tp(0), 200)], "everything uploaded");
    }

    #[test]
    fn a_failed_commit_is_retried() {
        let mut t = OffsetTracker::default();
        t.assign(tp(0));
        let a = t.register(&tp(0), 7, 7).unwrap();
        t.finish(&a);
        let commits = t.take_commits();
        t.uncommit(&commits);
        assert_eq!(t.take_commits(), vec![(tp(0), 8)]);
    }

    #[test]
    fn a_cap_holds_commits_below_it() {
        let mut t = OffsetTracker::default();
        t.assign(tp(0));
        let b = t.register(&tp(0), 0, 9).unwrap();
        t.cap(&tp(0), 5);
        t.finish(&b);
        assert_eq!(t.committable(), vec![(tp(0), 5)]);
    }
}
