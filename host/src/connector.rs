//! Running one connector: a consumer in the connector's group; per assigned
//! partition, a reader that cuts batches from the partition's own queue
//! (see [`crate::source::reader`]) and a worker that runs them through the
//! pipeline one at a time (so order is kept); offsets committed only for
//! finished batches. The loop here serves the consumer's events, records
//! finished batches and commits.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::{mpsc, watch};

use crate::config::BuiltConnector;
use crate::pipeline::{BatchDone, BatchError, BatchFailed, PartitionState, Pipeline, now_ms};
use crate::source::budget::MemoryBudget;
use crate::source::commit::{COMMIT_WAIT, CommitGate, commit, offsets_list};
use crate::source::context::{AssignmentEvent, SourceContext};
use crate::source::reader::{Batch, read_partition, skips_records};
use crate::source::tracker::{BatchTicket, OffsetTracker, TopicPartition};
pub use crate::stats::ConnectorStats;

/// Why a connector stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("connector {connector}: cannot create the Kafka consumer: {error}")]
    Consumer {
        connector: String,
        error: rdkafka::error::KafkaError,
    },
    #[error("connector {connector}: cannot subscribe to {topics:?}: {error}")]
    Subscribe {
        connector: String,
        topics: Vec<String>,
        error: rdkafka::error::KafkaError,
    },
    #[error("connector {connector}: {source}")]
    Start {
        connector: String,
        source: crate::pipeline::StartError,
    },
    #[error("connector {connector}: {message}")]
    Setup { connector: String, message: String },
    /// A condition a fresh consumer clears: the task's supervisor restarts
    /// it (a few times) instead of failing the connector. Nothing from the
    /// record concerned on was committed.
    #[error("connector {connector}: {message}")]
    Restartable { connector: String, message: String },
    #[error(
        "connector {connector} stopped: {source}; nothing from the failed record on was committed"
    )]
    Batch {
        connector: String,
        source: BatchError,
    },
    /// A partition's reader or worker ended on its own: records librdkafka
    /// could not read, or a panic. Nothing of the partition from its first
    /// unfinished record on was committed.
    #[error("connector {connector} stopped: partition {partition}: {message}")]
    Partition {
        connector: String,
        partition: TopicPartition,
        message: String,
    },
}

/// How long in-flight batches may take to finish at shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

enum WorkerMsg {
    Done(BatchTicket, BatchDone),
    Failed(BatchTicket, BatchFailed),
    /// Scheduled rotation ran on an idle partition: what the sink holds now.
    Idle {
        partition: TopicPartition,
        generation: u64,
        result: Result<Option<i64>, BatchError>,
    },
    /// A partition's reader or worker ended before it was revoked
    /// ([`watched`]).
    Stopped {
        partition: TopicPartition,
        message: String,
    },
}

/// Where a connector's run is: it reads and delivers; after a stop it
/// delivers what it read, for at most [`SHUTDOWN_GRACE`]; then it commits
/// and closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Consuming,
    Draining { until: tokio::time::Instant },
    Done,
}

/// The two tasks of an assigned partition.
struct PartitionTasks {
    reader: tokio::task::JoinHandle<()>,
    worker: tokio::task::JoinHandle<()>,
}

impl PartitionTasks {
    fn abort(&self) {
        self.reader.abort();
        self.worker.abort();
    }
}

/// Runs `connector` until `shutdown` turns true (then drains and returns
/// `Ok`) or a batch fails for good (then returns the error). Either way the
/// offsets of finished batches are committed before returning.
pub async fn run(
    connector: Arc<BuiltConnector>,
    mut shutdown: watch::Receiver<bool>,
    stats: Arc<ConnectorStats>,
) -> Result<(), ConnectorError> {
    let spec = &connector.spec;
    let name = spec.name.clone();
    // The partitions to expect are looked up while the sink starts. A sink
    // that waits out an unreachable store must not hold up a stop (a
    // connector deleted or reconfigured): nothing was consumed yet.
    let starting = async {
        tokio::join!(
            Pipeline::start(connector.clone(), stats.clone()),
            expected_partitions(&spec.kafka, &spec.subscription, spec.tasks_max)
        )
    };
    let (pipeline, expected) = tokio::select! {
        started = starting => started,
        _ = shutdown.wait_for(|stop| *stop) => {
            tracing::info!(connector = %name, "stopped while starting; nothing was consumed");
            return Ok(());
        }
    };
    let pipeline = Arc::new(pipeline.map_err(|source| ConnectorError::Start {
        connector: name.clone(),
        source,
    })?);
    let tracker = Arc::new(Mutex::new(OffsetTracker::default()));
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let limits = spec.sink.batch();
    // Prefetch sized from the worker's memory budget, the partitions this
    // consumer expects and the batch size (see source::budget).
    let budget = MemoryBudget::global();
    let registration = budget.register(expected, &limits);
    let mut props = spec.kafka.clone();
    registration.prefetch.apply(&mut props);
    tracing::debug!(connector = %name, expected_partitions = expected, prefetch = ?registration.prefetch, "consumer prefetch from the memory budget");
    let config = crate::kafka::client_config(&props);
    let readers = Arc::new(Mutex::new(HashMap::new()));
    let commits = Arc::new(CommitGate::default());
    let context = SourceContext {
        connector: name.clone(),
        tracker: tracker.clone(),
        events: events_tx,
        consumer: OnceLock::new(),
        readers: readers.clone(),
        commits: commits.clone(),
        stats: stats.clone(),
        auth: crate::kafka::oauth::Auth::from_properties(&props),
        cooperative: crate::source::rebalance::is_cooperative(
            spec.kafka
                .get("partition.assignment.strategy")
                .map(String::as_str),
        ),
    };
    let consumer: Arc<StreamConsumer<SourceContext>> =
        Arc::new(config.create_with_context(context).map_err(|error| {
            ConnectorError::Consumer {
                connector: name.clone(),
                error,
            }
        })?);
    let _ = consumer.context().consumer.set(Arc::downgrade(&consumer));
    let topics: Vec<&str> = spec.subscription.iter().map(String::as_str).collect();
    consumer
        .subscribe(&topics)
        .map_err(|error| ConnectorError::Subscribe {
            connector: name.clone(),
            topics: spec.subscription.clone(),
            error,
        })?;
    tracing::info!(connector = %name, topics = ?spec.subscription, group = spec.kafka.get("group.id").map(String::as_str), "connector started");

    let (done_tx, mut done) = mpsc::unbounded_channel::<WorkerMsg>();
    let mut tasks: HashMap<TopicPartition, PartitionTasks> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_commit = Instant::now();
    let mut last_report = Instant::now();
    let mut failure: Option<ConnectorError> = None;
    let mut phase = Phase::Consuming;

    // One loop for the connector's whole life: the consumer is served (its
    // rebalance callbacks included) and finished batches are recorded while
    // consuming and while draining alike.
    loop {
        if let Phase::Draining { until } = phase {
            let in_flight = lock(&tracker).in_flight();
            if in_flight == 0 {
                break;
            }
            if tokio::time::Instant::now() >= until {
                tracing::warn!(connector = %name, in_flight, "in-flight batches abandoned at shutdown; they are not committed");
                break;
            }
        }
        let drain_deadline = match phase {
            Phase::Draining { until } => until,
            Phase::Consuming | Phase::Done => tokio::time::Instant::now() + SHUTDOWN_GRACE,
        };
        tokio::select! {
            biased;
            _ = shutdown.changed(), if phase == Phase::Consuming => {
                // Stop reading; in-flight batches may finish for a while.
                for t in tasks.values() {
                    t.reader.abort();
                }
                phase = Phase::Draining { until: tokio::time::Instant::now() + SHUTDOWN_GRACE };
            }
            Some(msg) = done.recv() => match msg {
                WorkerMsg::Done(ticket, done) => finished(&tracker, &stats, &ticket, done),
                WorkerMsg::Failed(ticket, failed) => {
                    failure = Some(batch_error(&name, batch_failed(&name, &tracker, &ticket, failed)));
                    break;
                }
                WorkerMsg::Idle { partition, generation, result } => match result {
                    Ok(held) => lock(&tracker).hold(&partition, generation, held),
                    Err(e) => {
                        failure = Some(batch_error(&name, e));
                        break;
                    }
                },
                WorkerMsg::Stopped { partition, message } => {
                    failure = Some(ConnectorError::Partition { connector: name.clone(), partition, message });
                    break;
                }
            },
            Some(event) = events.recv() => match event {
                // Partitions assigned while draining are left unread: their
                // next owner, or this connector's next run, reads them.
                AssignmentEvent::Assigned(_) if phase != Phase::Consuming => {}
                AssignmentEvent::Assigned(queues) => {
                    let _ = stats.assigned.set(Instant::now());
                    for (tp, queue) in queues {
                        let Some(queue) = queue else {
                            failure = Some(ConnectorError::Setup {
                                connector: name.clone(),
                                message: format!("librdkafka gave no queue of its own to partition {tp}; restart the connector"),
                            });
                            break;
                        };
                        let (tx, rx) = mpsc::channel(1);
                        let worker = tokio::spawn(watched(tp.clone(), done_tx.clone(), {
                            let (pipeline, tp, done_tx) = (pipeline.clone(), tp.clone(), done_tx.clone());
                            async move {
                                worker(pipeline, tp, rx, done_tx).await;
                                Ok(())
                            }
                        }));
                        let reader = tokio::spawn(watched(tp.clone(), done_tx.clone(), {
                            let (tp, tracker, stats, budget) = (tp.clone(), tracker.clone(), stats.clone(), budget.clone());
                            async move {
                                read_partition(queue, tp, limits, tracker, stats, budget, tx)
                                    .await
                                    .map_err(|e| e.to_string())
                            }
                        }));
                        lock_readers(&readers).insert(tp.clone(), reader.abort_handle());
                        if let Some(old) = tasks.insert(tp, PartitionTasks { reader, worker }) {
                            old.abort();
                        }
                    }
                    if failure.is_some() {
                        break;
                    }
                }
                AssignmentEvent::Revoked(tps) => {
                    for tp in tps {
                        // In-flight work is abandoned uncommitted: the tracker forgot the partition.
                        if let Some(t) = tasks.remove(&tp) {
                            t.abort();
                        }
                    }
                }
            },
            () = tokio::time::sleep_until(drain_deadline), if phase != Phase::Consuming => {}
            _ = tick.tick() => {
                let now = Instant::now();
                // One commit at a time, each to its end (source::commit):
                // while one is under way, the next waits for a later tick.
                if now.duration_since(last_commit) >= spec.commit_interval
                    && let Some(turn) = commits.try_begin()
                {
                    let offsets = lock(&tracker).committable();
                    if !offsets.is_empty() {
                        let consumer = consumer.clone();
                        let name = name.clone();
                        let stats = stats.clone();
                        tokio::task::spawn_blocking(move || {
                            let _turn = turn;
                            match commit(&*consumer, &offsets, &stats) {
                                Ok(()) => tracing::debug!(connector = %name, offsets = ?offsets_list(&offsets), "offsets committed"),
                                // A failed commit is retried at the next one.
                                Err(e) => tracing::warn!(connector = %name, error = %e, "offset commit failed; it is retried at the next commit"),
                            }
                        });
                    }
                    last_commit = now;
                }
                if now.duration_since(last_report) >= Duration::from_secs(30) {
                    tracing::info!(connector = %name, consumed = stats.records_consumed.load(Ordering::Relaxed), finished = stats.records_finished.load(Ordering::Relaxed), failed = stats.records_failed.load(Ordering::Relaxed), in_flight = lock(&tracker).in_flight(), "progress");
                    last_report = now;
                }
            },
            // The main queue serves the consumer's events and callbacks;
            // messages come through the partition queues, split as soon as
            // a partition is assigned, so one here is a bug, not data.
            received = consumer.recv() => match received {
                Ok(m) => {
                    // The first fetch of a partition can beat the split of
                    // its queue (librdkafka forwards a partition's queue to
                    // the main one at assign, and the split can only follow
                    // the assign): a fresh consumer reads it again from the
                    // last commit, which stops short of these messages. One
                    // fetch may have brought several partitions' first
                    // messages here: each of them is capped, not only this.
                    let mut first = std::collections::BTreeMap::new();
                    first.insert(TopicPartition { topic: m.topic().to_string(), partition: m.partition() }, m.offset());
                    drop(m);
                    while let Some(Ok(m)) = futures_util::FutureExt::now_or_never(consumer.recv()) {
                        first
                            .entry(TopicPartition { topic: m.topic().to_string(), partition: m.partition() })
                            .or_insert(m.offset());
                    }
                    let mut tracker = lock(&tracker);
                    for (tp, offset) in &first {
                        tracker.cap(tp, *offset);
                    }
                    drop(tracker);
                    let at: Vec<String> = first.iter().map(|(tp, offset)| format!("{tp} at offset {offset}")).collect();
                    failure = Some(ConnectorError::Restartable {
                        connector: name.clone(),
                        message: format!("messages of {} reached the consumer's main queue before the partition's own queue was split; nothing from them on is committed", at.join(", ")),
                    });
                    break;
                }
                // Records skipped before the partition's queue was split:
                // a fresh consumer meets them on that queue, where the
                // reader stops and names the partition.
                Err(e) if skips_records(&e) => {
                    failure = Some(ConnectorError::Restartable {
                        connector: name.clone(),
                        message: format!("librdkafka could not read records of a partition before its own queue was split ({e}); nothing from them on is committed"),
                    });
                    break;
                }
                Err(e) => tracing::warn!(connector = %name, error = %e, "Kafka consumer error"),
            },
        }
    }
    phase = Phase::Done;
    tracing::debug!(connector = %name, ?phase, "connector loop ended");

    for (_, t) in tasks.drain() {
        t.abort();
    }
    lock_readers(&readers).clear();
    // The last commit: a coordinator that just moved or a broker that just
    // came back fails it once or twice; each miss is a replay after restart.
    // Meanwhile the consumer is served: a rebalance under way (the usual
    // cause of an `IllegalGeneration`) ends only when this member answers it.
    // A commit refused because the group's generation moved is not retried:
    // the partitions are another member's now (or about to be), the
    // revocation callback commits what it still can, and holding the
    // hand-over here would stall them. A periodic commit still under way
    // lands first: sent after the last one, it would move the group's
    // offset back (see source::commit).
    let waited = tokio::time::Instant::now() + COMMIT_WAIT;
    while commits.is_busy() && tokio::time::Instant::now() < waited {
        serve(&consumer, &mut events, &name, Duration::from_millis(20)).await;
    }
    let backoff = crate::retry::Backoff::fixed(Duration::from_millis(500));
    for attempt in 1..=5 {
        let turn = commits.try_begin();
        if turn.is_none() && attempt == 1 {
            tracing::warn!(connector = %name, waited = ?COMMIT_WAIT, "an earlier offset commit is still under way; the final one goes now and is read back");
        }
        let offsets = lock(&tracker).committable();
        match commit(&*consumer, &offsets, &stats) {
            Ok(()) => {
                if !offsets.is_empty() {
                    tracing::info!(connector = %name, offsets = ?offsets_list(&offsets), "offsets committed");
                }
                match behind(&consumer, &offsets) {
                    Ok(late) if late.is_empty() => break,
                    Ok(late) => {
                        tracing::warn!(connector = %name, partitions = ?late, "an older offset commit landed after the final one; committing again");
                    }
                    Err(e) => {
                        tracing::debug!(connector = %name, error = %e, "the final commit could not be read back");
                        break;
                    }
                }
            }
            Err(e) if generation_moved(&e) => {
                tracing::warn!(connector = %name, error = %e, "final offset commit refused: the group moved on; records finished since the last commit are delivered again by the partitions' next owner");
                break;
            }
            Err(e) => {
                tracing::warn!(connector = %name, error = %e, attempt, "final offset commit failed; retrying");
            }
        }
        drop(turn);
        serve(&consumer, &mut events, &name, backoff.delay(attempt)).await;
    }
    consumer.unsubscribe();
    tracing::info!(connector = %name, delivered = stats.records_finished.load(Ordering::Relaxed), "connector stopped");
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// How many partitions one task of the connector can expect: its topics'
/// partitions (those matching, for a pattern) over `tasks_max`, from the
/// cluster's metadata. When the cluster does not answer within a few
/// seconds, 8: the consumer then reports the error itself.
async fn expected_partitions(
    kafka: &std::collections::BTreeMap<String, String>,
    subscription: &[String],
    tasks_max: u32,
) -> usize {
    const UNKNOWN: usize = 8;
    let props = crate::config::kafka::connection_properties(kafka);
    let subscription = subscription.to_vec();
    let started = Instant::now();
    let lookup = tokio::task::spawn_blocking(move || -> Result<usize, String> {
        // librdkafka drops its bootstrap connection once it knows the
        // brokers and reconnects to the real one after half of
        // `reconnect.backoff.ms`: 50 ms of a 60 ms lookup at the default.
        let client: rdkafka::consumer::BaseConsumer<crate::kafka::KafkaContext> =
            crate::kafka::client_config(&props)
                .set("reconnect.backoff.ms", "10")
                .create_with_context(crate::kafka::context(&props))
                .map_err(|e| e.to_string())?;
        crate::kafka::oauth::prime(client.client());
        let patterns: Vec<regex::Regex> = subscription
            .iter()
            .filter(|s| s.starts_with('^'))
            .filter_map(|s| regex::Regex::new(s).ok())
            .collect();
        let timeout = Duration::from_secs(5);
        // Named topics one by one: the metadata of every topic of a large
        // cluster is slow to get (60 ms for a test broker's few thousand).
        let mut partitions = 0;
        if patterns.is_empty() {
            for topic in &subscription {
                let metadata = client
                    .fetch_metadata(Some(topic), timeout)
                    .map_err(|e| e.to_string())?;
                partitions += metadata
                    .topics()
                    .iter()
                    .filter(|t| t.name() == topic && t.error().is_none())
                    .map(|t| t.partitions().len())
                    .sum::<usize>();
            }
        } else {
            let metadata = client
                .fetch_metadata(None, timeout)
                .map_err(|e| e.to_string())?;
            partitions = metadata
                .topics()
                .iter()
                .filter(|t| {
                    subscription.iter().any(|s| s == t.name())
                        || patterns.iter().any(|p| p.is_match(t.name()))
                })
                .map(|t| t.partitions().len())
                .sum();
        }
        // Closing a client waits for its threads: not on the way to the
        // consumer's start.
        std::thread::spawn(move || drop(client));
        Ok(partitions)
    });
    let total = match lookup.await {
        Ok(Ok(n)) => {
            tracing::debug!(
                partitions = n,
                took_ms = started.elapsed().as_millis() as u64,
                "partitions to expect, for the memory budget"
            );
            n
        }
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "no partition count for the memory budget");
            UNKNOWN
        }
        Err(_) => UNKNOWN,
    };
    total.div_ceil(tasks_max.max(1) as usize).max(1)
}

fn batch_error(connector: &str, source: BatchError) -> ConnectorError {
    ConnectorError::Batch {
        connector: connector.to_string(),
        source,
    }
}

fn lock_readers(
    readers: &Mutex<HashMap<TopicPartition, tokio::task::AbortHandle>>,
) -> std::sync::MutexGuard<'_, HashMap<TopicPartition, tokio::task::AbortHandle>> {
    readers.lock().unwrap_or_else(|p| p.into_inner())
}

/// Records a finished batch.
fn finished(
    tracker: &Mutex<OffsetTracker>,
    stats: &ConnectorStats,
    ticket: &BatchTicket,
    done: BatchDone,
) {
    let mut t = lock(tracker);
    t.finish(ticket);
    t.hold(&ticket.partition, ticket.generation, done.held_from);
    drop(t);
    stats.batch_finished(
        &ticket.partition.topic,
        ticket.partition.partition,
        &done.counts,
    );
    let _ = stats.first_batch.set(Instant::now());
}

/// Records how far a failed batch got, so the records before its failure
/// are committed; returns the error that stops the connector.
fn batch_failed(
    connector: &str,
    tracker: &Mutex<OffsetTracker>,
    ticket: &BatchTicket,
    failed: BatchFailed,
) -> BatchError {
    tracing::error!(connector, partition = %ticket.partition, first = ticket.first, last = ticket.last, finished_through = failed.finished_through, error = %failed.error, "batch failed");
    let mut t = lock(tracker);
    if let Some(last) = failed.finished_through {
        t.finish_through(ticket, last);
    }
    t.hold(&ticket.partition, ticket.generation, failed.held_from);
    failed.error
}

fn lock(tracker: &Mutex<OffsetTracker>) -> std::sync::MutexGuard<'_, OffsetTracker> {
    tracker.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs a partition's reader or worker and tells the connector's loop when
/// it ended with an error or a panic: without a word, its partition would
/// stall (nothing read, nothing committed) while the connector shows
/// RUNNING. A task that ends well, or is aborted at revocation or
/// shutdown, sends nothing.
async fn watched(
    partition: TopicPartition,
    done: mpsc::UnboundedSender<WorkerMsg>,
    task: impl Future<Output = Result<(), String>>,
) {
    use futures_util::FutureExt;
    let message = match std::panic::AssertUnwindSafe(task).catch_unwind().await {
        Ok(Ok(())) => return,
        Ok(Err(message)) => message,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            format!(
                "its task panicked ({what}); this is a bug in Sluice: please report it with the log. Restarting the connector reads on from the last commit"
            )
        }
    };
    let _ = done.send(WorkerMsg::Stopped { partition, message });
}

/// Runs one partition's batches in order, keeping its sink state; between
/// batches, wakes for the S3 sink's scheduled rotation.
async fn worker(
    pipeline: Arc<Pipeline>,
    partition: TopicPartition,
    mut rx: mpsc::Receiver<Batch>,
    done: mpsc::UnboundedSender<WorkerMsg>,
) {
    let mut state = PartitionState::default();
    let mut generation = 0;
    loop {
        let idle = pipeline
            .idle_deadline(&state)
            .map(|at| Duration::from_millis(at.saturating_sub(now_ms()).max(0) as u64));
        let wake = async {
            match idle {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            received = rx.recv() => {
                // The permit gives the batch's bytes back to the budget once it is finished.
                let Some(Batch { ticket, records, arena, permit: _permit }) = received else { return };
                generation = ticket.generation;
                let started = Instant::now();
                match pipeline.process(&mut state, records, arena).await {
                    Ok(d) => {
                        crate::metrics::observe_batch(pipeline.name(), d.counts.records, started.elapsed());
                        let _ = done.send(WorkerMsg::Done(ticket, d));
                    }
                    Err(e) => {
                        let _ = done.send(WorkerMsg::Failed(ticket, e));
                        return;
                    }
                }
            }
            () = wake => {
                let result = pipeline.on_idle(&mut state).await;
                let failed = result.is_err();
                let _ = done.send(WorkerMsg::Idle { partition: partition.clone(), generation, result });
                if failed {
                    return;
                }
            }
        }
    }
}

/// Whether a commit was refused because this member's generation is no
/// longer the group's (a rebalance moved on without it).
fn generation_moved(e: &rdkafka::error::KafkaError) -> bool {
    use rdkafka::types::RDKafkaErrorCode::{IllegalGeneration, UnknownMemberId};
    matches!(
        e.rdkafka_error_code(),
        Some(IllegalGeneration | UnknownMemberId)
    )
}

/// The partitions whose offset the group holds is below `offsets`, just
/// committed, as `topic-partition=offset`: an older commit that outlived
/// [`COMMIT_WAIT`] can still land after the final one (see
/// [`crate::source::commit`]).
fn behind(
    consumer: &StreamConsumer<SourceContext>,
    offsets: &[(TopicPartition, i64)],
) -> Result<Vec<String>, rdkafka::error::KafkaError> {
    if offsets.is_empty() {
        return Ok(Vec::new());
    }
    let mut tpl = TopicPartitionList::new();
    for (tp, _) in offsets {
        tpl.add_partition(&tp.topic, tp.partition);
    }
    let held = consumer.committed_offsets(tpl, Duration::from_secs(5))?;
    Ok(offsets
        .iter()
        .filter_map(|(tp, offset)| {
            let group = held.find_partition(&tp.topic, tp.partition)?.offset();
            match group {
                Offset::Offset(o) if o >= *offset => None,
                other => Some(format!("{tp}={other:?}")),
            }
        })
        .collect())
}

/// Serves the consumer's events and callbacks for `wait` while nothing is
/// read: a rebalance under way ends only when this member answers it.
async fn serve(
    consumer: &StreamConsumer<SourceContext>,
    events: &mut mpsc::UnboundedReceiver<AssignmentEvent>,
    name: &str,
    wait: Duration,
) {
    let serve = async {
        loop {
            tokio::select! {
                // Partitions come and go; nothing more is read.
                Some(_) = events.recv() => {}
                received = consumer.recv() => if let Err(e) = received {
                    tracing::debug!(connector = %name, error = %e, "Kafka consumer error while closing");
                },
            }
        }
    };
    let _ = tokio::time::timeout(wait, serve).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_partition_task_that_fails_or_panics_is_reported_and_one_that_ends_well_is_not() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let tp = TopicPartition {
            topic: "t".into(),
            partition: 3,
        };
        watched(tp.clone(), tx.clone(), async { Ok(()) }).await;
        assert!(
            rx.try_recv().is_err(),
            "a task that ended well says nothing"
        );
        watched(tp.clone(), tx.clone(), async {
            Err("unreadable".to_string())
        })
        .await;
        watched(tp.clone(), tx.clone(), async {
            if tp.partition == 3 {
                panic!("a bug");
            }
            Ok(())
        })
        .await;
        let mut said = Vec::new();
        while let Ok(WorkerMsg::Stopped { partition, message }) = rx.try_recv() {
            assert_eq!(partition, tp);
            said.push(message);
        }
        assert_eq!(said.len(), 2, "{said:?}");
        assert_eq!(said[0], "unreadable");
        assert!(
            said[1].contains("its task panicked (a bug)") && said[1].contains("please report it"),
            "{}",
            said[1]
        );
    }
}
