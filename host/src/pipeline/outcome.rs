//! The state of one batch on its way through the chain: the records still
//! moving (each tied to the consumed record it came from), the records that
//! failed, and the failure that stops the connector, if any.

use std::collections::{BTreeMap, BTreeSet};

use crate::errors::{Failure, Tolerance};
use crate::plugin::CallError;
use crate::record::Record;
use crate::sink::{Settle, SinkError, SinkFailure};

/// Records moving through the chain, in consumption order; `origins[i]` is
/// the index, in the consumed batch, of the record `records[i]` came from.
#[derive(Default)]
pub struct Work {
    pub records: Vec<Record>,
    pub origins: Vec<usize>,
}

impl Work {
    /// The consumed batch itself.
    pub fn new(records: Vec<Record>) -> Self {
        let origins = (0..records.len()).collect();
        Work { records, origins }
    }

    pub fn push(&mut self, record: Record, origin: usize) {
        self.records.push(record);
        self.origins.push(origin);
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Keeps the records whose origin passes `keep`.
    fn retain_origins(&mut self, keep: impl Fn(usize) -> bool) {
        if self.origins.iter().all(|&o| keep(o)) {
            return;
        }
        let records = std::mem::take(&mut self.records);
        let origins = std::mem::take(&mut self.origins);
        for (r, o) in records.into_iter().zip(origins) {
            if keep(o) {
                self.push(r, o);
            }
        }
    }
}

/// Why a batch stops the connector.
#[derive(Debug)]
pub enum Fatal {
    /// `errors.tolerance=none` and a record failed.
    Record(Failure),
    /// The sink stopped: a null value it must refuse, a delivery or an
    /// upload that failed for good.
    Sink(SinkError),
    /// A formatter call that concerns no record (header, trailer) failed.
    Plugin(&'static str, CallError),
}

/// What happened to a batch so far.
pub struct Outcome {
    tolerance: Tolerance,
    /// The first failure of each consumed record that failed and is skipped.
    pub failed: BTreeMap<usize, Failure>,
    /// The earliest consumed record whose failure stops the connector.
    pub fatal: Option<(usize, Fatal)>,
    /// Consumed records the sink deliberately left out (a null value
    /// skipped, a failed request ignored).
    pub dropped: BTreeSet<usize>,
}

impl Outcome {
    pub fn new(tolerance: Tolerance) -> Self {
        Outcome {
            tolerance,
            failed: BTreeMap::new(),
            fatal: None,
            dropped: BTreeSet::new(),
        }
    }

    /// The first consumed record not to process: everything from the fatal one on.
    pub fn cut(&self) -> usize {
        self.fatal.as_ref().map_or(usize::MAX, |(o, _)| *o)
    }

    /// Records that a converter, transform or formatter failed, by origin:
    /// under `errors.tolerance=none` the first one stops the batch there;
    /// under `all` they are skipped. Either way `work` loses them.
    pub fn reject(&mut self, work: &mut Work, failures: Vec<(usize, Failure)>) {
        if failures.is_empty() {
            return;
        }
        match self.tolerance {
            Tolerance::None => {
                let first = failures
                    .into_iter()
                    .min_by_key(|(o, _)| *o)
                    .expect("not empty");
                self.stop(first.0, Fatal::Record(first.1));
            }
            Tolerance::All => {
                for (origin, failure) in failures {
                    self.failed.entry(origin).or_insert(failure);
                }
            }
        }
        work.retain_origins(|o| self.keeps(o));
    }

    /// Whether records from consumed record `origin` still move on: it did
    /// not fail and comes before the cut.
    pub fn keeps(&self, origin: usize) -> bool {
        origin < self.cut() && !self.failed.contains_key(&origin)
    }

    /// A record the sink could not deliver and moved on from
    /// (`behavior.on.error=log`): reported whatever the tolerance.
    pub fn undelivered(&mut self, origin: usize, failure: Failure) {
        self.failed.entry(origin).or_insert(failure);
    }

    /// A record the sink deliberately leaves out.
    pub fn drop_record(&mut self, origin: usize) {
        self.dropped.insert(origin);
    }

    /// How many of the `n` consumed records were dropped: left out by the
    /// sink, or gone before it (`reached[o]` false) without failing.
    pub fn dropped_of(&self, n: usize, reached: &[bool]) -> usize {
        (0..n.min(self.cut()))
            .filter(|o| !self.failed.contains_key(o) && (!reached[*o] || self.dropped.contains(o)))
            .count()
    }

    /// Stops the batch at `origin` unless an earlier record already did.
    pub fn stop(&mut self, origin: usize, fatal: Fatal) {
        if origin < self.cut() {
            self.fatal = Some((origin, fatal));
        }
    }
}

/// What the sink reports lands in the batch's account.
impl Settle for Outcome {
    fn cut(&self) -> usize {
        Outcome::cut(self)
    }

    fn keeps(&self, origin: usize) -> bool {
        Outcome::keeps(self, origin)
    }

    fn dropped(&mut self, origin: usize) {
        self.drop_record(origin);
    }

    fn rejected(&mut self, origin: usize, f: SinkFailure) {
        let failure = Failure::sink(f.sink, f.class, f.message);
        self.reject(&mut Work::default(), vec![(origin, failure)]);
    }

    fn undelivered(&mut self, origin: usize, f: SinkFailure) {
        Outcome::undelivered(self, origin, Failure::sink(f.sink, f.class, f.message));
    }

    fn stop(&mut self, origin: usize, error: SinkError) {
        Outcome::stop(self, origin, Fatal::Sink(error));
    }
}
