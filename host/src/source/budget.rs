//! The worker's memory budget for consumed records: one figure
//! (`sluice run --memory-budget`) that bounds what all of the worker's
//! connectors hold of them, however many partitions they are assigned.
//!
//! Half of it is prefetch, librdkafka's per-partition queues: each consumer
//! is sized when it is created, from the partitions it expects (its topics'
//! partitions over `tasks.max`) among all the partitions the worker's live
//! consumers expect, and from the sink's batch size (prefetch beyond one
//! batch per partition only costs memory). The other half is batches cut and
//! not yet finished: a reader takes the bytes of a batch before handing it
//! to its worker and they come back when the batch is finished, so a
//! lagging topic of many partitions waits for room instead of growing.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::record::BatchLimits;

/// The default budget: 32 MiB, half prefetch and half batches. With it 8
/// partitions get librdkafka's queue of 1 MiB each that `scripts/bench
/// compare` measured as not slower than larger ones; 64 partitions get
/// 128 KiB each instead of 64 times as much.
pub const DEFAULT_BUDGET: usize = 32 << 20;

/// The budget's accounting unit for batches (semaphore permits are `u32`).
const UNIT: usize = 1024;

/// Largest prefetch queue per partition (librdkafka's
/// `queued.max.messages.kbytes`): more measured no faster.
const MAX_QUEUE: usize = 1 << 20;
/// Smallest prefetch queue per partition: below it a partition's fetches
/// bring too little to keep its worker busy.
const MIN_QUEUE: usize = 64 << 10;

/// The worker's memory budget (see the module's documentation).
pub struct MemoryBudget {
    total: usize,
    batches: Arc<Semaphore>,
    /// Partitions the worker's live consumers expect.
    partitions: AtomicUsize,
}

static GLOBAL: OnceLock<Arc<MemoryBudget>> = OnceLock::new();

/// librdkafka's prefetch settings of one consumer, derived from the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefetch {
    /// `queued.max.messages.kbytes`: the queue of each partition, in KiB.
    pub queue_kbytes: usize,
    /// `queued.min.messages`: a partition's queue is refilled while it holds
    /// fewer messages than a batch.
    pub min_messages: usize,
    /// `max.partition.fetch.bytes`: what one fetch brings per partition,
    /// compressed (a quarter of the queue).
    pub fetch_bytes: usize,
    /// `fetch.max.bytes`: what one fetch brings in all.
    pub fetch_max_bytes: usize,
}

impl Prefetch {
    /// Fills in the librdkafka properties this consumer's config does not
    /// set itself (a `consumer.override.*` or manifest `kafka` key wins).
    pub fn apply(&self, props: &mut BTreeMap<String, String>) {
        for (key, value) in [
            ("queued.max.messages.kbytes", self.queue_kbytes),
            ("queued.min.messages", self.min_messages),
            ("max.partition.fetch.bytes", self.fetch_bytes),
            ("fetch.max.bytes", self.fetch_max_bytes),
        ] {
            props.entry(key.into()).or_insert_with(|| value.to_string());
        }
    }
}

/// A consumer's share of the prefetch half: held for the consumer's life.
pub struct Registration {
    budget: Arc<MemoryBudget>,
    partitions: usize,
    /// The settings the consumer was created with.
    pub prefetch: Prefetch,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.budget
            .partitions
            .fetch_sub(self.partitions, Ordering::Relaxed);
    }
}

/// Bytes taken from the budget's batch half: by a batch being filled, then
/// by the batch until it is finished (given back when dropped).
#[derive(Default)]
pub struct BatchPermit(Option<OwnedSemaphorePermit>);

impl BatchPermit {
    /// The bytes it holds.
    pub fn bytes(&self) -> usize {
        self.0.as_ref().map_or(0, |p| p.num_permits() * UNIT)
    }

    /// Adds `other`'s bytes to this one's.
    pub fn merge(&mut self, other: BatchPermit) {
        match (&mut self.0, other.0) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (mine @ None, theirs) => *mine = theirs,
            (_, None) => {}
        }
    }
}

impl MemoryBudget {
    /// A budget of `bytes` (at least 1 MiB).
    pub fn new(bytes: usize) -> Self {
        let total = bytes.max(1 << 20);
        MemoryBudget {
            total,
            batches: Arc::new(Semaphore::new(total / 2 / UNIT)),
            partitions: AtomicUsize::new(0),
        }
    }

    /// Sets the process's budget; false if it was already set (or used).
    pub fn set_global(bytes: usize) -> bool {
        GLOBAL.set(Arc::new(MemoryBudget::new(bytes))).is_ok()
    }

    /// The process's budget: the one set, else [`DEFAULT_BUDGET`].
    pub fn global() -> Arc<MemoryBudget> {
        GLOBAL
            .get_or_init(|| Arc::new(MemoryBudget::new(DEFAULT_BUDGET)))
            .clone()
    }

    /// Bytes of the batch half not taken now.
    pub fn batch_bytes_free(&self) -> usize {
        self.batches.available_permits() * UNIT
    }

    /// Registers a consumer that expects `partitions` partitions and sizes
    /// its prefetch: the prefetch half over every live consumer's expected
    /// partitions, each partition's queue counted twice (the queue, and the
    /// decompressed fetch that fills it), at most one batch of `limits`.
    pub fn register(self: &Arc<Self>, partitions: usize, limits: &BatchLimits) -> Registration {
        let partitions = partitions.max(1);
        let all = self.partitions.fetch_add(partitions, Ordering::Relaxed) + partitions;
        let share = self.total / 2 / all / 2;
        let queue = share.min(limits.max_bytes).clamp(MIN_QUEUE, MAX_QUEUE);
        let fetch_bytes = queue / 4;
        let prefetch = Prefetch {
            queue_kbytes: queue / 1024,
            min_messages: limits.max_records.max(1),
            fetch_bytes,
            fetch_max_bytes: (fetch_bytes * partitions).clamp(1 << 20, 4 << 20),
        };
        Registration {
            budget: self.clone(),
            partitions,
            prefetch,
        }
    }

    /// Takes `bytes` for a batch, waiting while the batch half is spent. A
    /// batch larger than the whole half takes all of it (it waits for the
    /// others to finish, then runs alone).
    pub async fn take(&self, bytes: usize) -> BatchPermit {
        let permit = self
            .batches
            .clone()
            .acquire_many_owned(self.units(bytes))
            .await
            .ok();
        BatchPermit(permit)
    }

    /// Takes `bytes` for a batch if the batch half has them now.
    pub fn try_take(&self, bytes: usize) -> Option<BatchPermit> {
        self.batches
            .clone()
            .try_acquire_many_owned(self.units(bytes))
            .ok()
            .map(|p| BatchPermit(Some(p)))
    }

    /// Permits for `bytes`: at least one, at most the whole batch half.
    fn units(&self, bytes: usize) -> u32 {
        bytes.div_ceil(UNIT).min(self.total / 2 / UNIT).max(1) as u32
    }
}

/// Parses a size as `sluice run --memory-budget` takes it: bytes, or a
/// number with `KiB`, `MiB`, `GiB` (or `K`, `M`, `G`, `KB`, `MB`, `GB`, all
/// powers of 1024).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '_')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: usize = number.replace('_', "").parse().map_err(|_| {
        format!("{text:?} is not a size: write bytes or a number with KiB, MiB or GiB, e.g. 64MiB")
    })?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?}; use KiB, MiB or GiB, e.g. 64MiB"
            ));
        }
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits(records: usize, bytes: usize) -> BatchLimits {
        BatchLimits {
            max_records: records,
            max_bytes: bytes,
            linger: Duration::from_millis(5),
        }
    }

    #[test]
    fn prefetch_shrinks_with_the_partitions_the_worker_expects() {
        let b = Arc::new(MemoryBudget::new(32 << 20));
        let few = b.register(8, &limits(500, 5 << 20));
        assert_eq!(few.prefetch.queue_kbytes, 1024);
        assert_eq!(few.prefetch.min_messages, 500);
        assert_eq!(few.prefetch.fetch_bytes, 256 << 10);
        // A second consumer of 56 more partitions: 64 in all share 16 MiB.
        let many = b.register(56, &limits(500, 5 << 20));
        assert_eq!(many.prefetch.queue_kbytes, 128);
        assert_eq!(many.prefetch.fetch_bytes, 32 << 10);
        drop((few, many));
        // Gone consumers give their share back.
        let again = b.register(16, &limits(500, 5 << 20));
        assert_eq!(again.prefetch.queue_kbytes, 512);
    }

    #[test]
    fn prefetch_stops_at_one_batch_and_at_the_floor() {
        let b = Arc::new(MemoryBudget::new(32 << 20));
        let small_batches = b.register(2, &limits(10, 128 << 10));
        assert_eq!(small_batches.prefetch.queue_kbytes, 128);
        let huge = b.register(100_000, &limits(500, 5 << 20));
        assert_eq!(huge.prefetch.queue_kbytes, 64);
    }

    #[test]
    fn user_settings_win_over_derived_ones() {
        let b = Arc::new(MemoryBudget::new(32 << 20));
        let r = b.register(8, &limits(500, 5 << 20));
        let mut props = BTreeMap::from([("queued.min.messages".to_string(), "7".to_string())]);
        r.prefetch.apply(&mut props);
        assert_eq!(props["queued.min.messages"], "7");
        assert_eq!(props["queued.max.messages.kbytes"], "1024");
    }

    #[tokio::test]
    async fn batches_wait_for_room_and_give_it_back() {
        let b = Arc::new(MemoryBudget::new(4 << 20)); // 2 MiB for batches
        let first = b.take(1 << 20).await;
        let second = b.take(1 << 20).await;
        assert_eq!(b.batch_bytes_free(), 0);
        let third = tokio::spawn({
            let b = b.clone();
            async move { b.take(1 << 20).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!third.is_finished(), "a batch beyond the budget waits");
        drop(first);
        let third = tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .expect("room given back")
            .unwrap();
        drop((second, third));
        // Larger than the whole half: takes all of it rather than waiting forever.
        let whole = b.take(100 << 20).await;
        assert_eq!(b.batch_bytes_free(), 0);
        drop(whole);
        assert_eq!(b.batch_bytes_free(), 2 << 20);
    }

    #[test]
    fn sizes_parse_like_the_docs_say() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert!(parse_size("lots").unwrap_err().contains("64MiB"));
        assert!(
            parse_size("3 furlongs")
                .unwrap_err()
                .contains("unknown unit")
        );
    }
}
