//! A connector's tasks: up to `tasks.max` consumers in the connector's
//! group, each running the pipeline with its own plugin instances. A
//! standalone worker runs them all; workers sharing a `--group-id` share
//! the task ids out through Kafka itself: each joins a claim group over a
//! topic with `tasks.max` partitions, and the partitions Kafka assigns it
//! are the task ids it runs. Kafka's group protocol does the coordination.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::kafka::KafkaContext;
use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions};
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use tokio::sync::{mpsc, watch};

use super::ConnectorState;
use super::status::{StatusStore, TaskStatus};
use super::store::ensure_topic;
use crate::config::BuiltConnector;
use crate::connector::ConnectorError;
use crate::stats::ConnectorStats;

/// A task that ends with a restartable error is started again, up to this
/// many times within [`RESTART_WINDOW`]; past that the connector fails.
const RESTARTS_IN_WINDOW: usize = 3;
const RESTART_WINDOW: Duration = Duration::from_secs(300);

/// Where a connector's task ids come from.
#[derive(Clone)]
pub enum TaskPlan {
    /// Every task runs in this process (Connect's standalone mode).
    Local,
    /// Task ids are claimed through Kafka; states go to the status topic.
    Shared(Arc<SharedTasks>),
}

/// What workers sharing a group need to claim tasks.
pub struct SharedTasks {
    /// Kafka client properties (`bootstrap.servers`, security).
    pub client: BTreeMap<String, String>,
    /// The workers' `--group-id`.
    pub group: String,
    /// This worker's id in statuses.
    pub worker_id: String,
    pub status: StatusStore,
}

/// The claim topic (and group) of connector `name` for the workers of
/// `group`: both names made a legal topic name, with a digest of the
/// connector's name if it had to change.
pub fn claim_topic(group: &str, name: &str) -> String {
    // No `.` in the parts: Kafka refuses a topic whose name differs from
    // another's only in `.` versus `_`, so a changed name gets a digest.
    let legal = |s: &str, max: usize| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "_-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .take(max)
            .collect()
    };
    let safe = legal(name, 120);
    let group = legal(group, 100);
    if safe == name {
        format!("{group}.tasks.{safe}")
    } else {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(name.as_bytes());
        let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        format!("{group}.tasks.{safe}.{hex}")
    }
}

impl SharedTasks {
    fn publish(&self, connector: &str, task: u32, state: &ConnectorState) {
        self.status.publish(TaskStatus {
            connector: connector.to_string(),
            task,
            state: state.name().to_string(),
            trace: state.trace().map(String::from),
            worker_id: self.worker_id.clone(),
        });
    }
}

/// The tasks running here and their states, shared with the worker.
#[derive(Default)]
pub struct TaskBoard {
    states: Mutex<BTreeMap<u32, ConnectorState>>,
}

impl TaskBoard {
    /// Task `id`'s state here, if this worker runs or ran it.
    pub fn state(&self, id: u32) -> Option<ConnectorState> {
        self.lock().get(&id).cloned()
    }

    /// Whether task `id` runs here now.
    pub fn runs(&self, id: u32) -> bool {
        self.lock().get(&id) == Some(&ConnectorState::Running)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u32, ConnectorState>> {
        self.states.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One task, started.
struct Task {
    /// Tells this run of the task from earlier runs of the same id.
    run: u64,
    stop: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

/// A task run's end: its id, which run, and how it ended.
type Ended = (u32, u64, Result<(), ConnectorError>);

/// Runs connector `built`'s tasks until `stop` turns true or one fails (the
/// others are then stopped, and the failure returned). Task ids to run come
/// from `plan`; `restarts` asks for one task to be restarted.
pub async fn supervise(
    built: Arc<BuiltConnector>,
    mut stop: watch::Receiver<bool>,
    stats: Arc<ConnectorStats>,
    plan: TaskPlan,
    board: Arc<TaskBoard>,
    mut restarts: mpsc::UnboundedReceiver<u32>,
) -> Result<(), ConnectorError> {
    let name = built.spec.name.clone();
    let tasks_max = built.spec.tasks_max.max(1);
    // Kept alive while the tasks run: all ids here, or the claim group's.
    let (mut wanted, _all_here, claim) = match &plan {
        TaskPlan::Local => {
            let (all, wanted) = watch::channel((0..tasks_max).collect());
            (wanted, Some(all), None)
        }
        TaskPlan::Shared(shared) => {
            // Kafka may be away, or another worker growing the topic:
            // retried until it works or the connector is stopped.
            let backoff = crate::retry::Backoff {
                first: Duration::from_millis(500),
                max: Duration::from_secs(30),
                jitter: crate::retry::Jitter::Equal,
            };
            let mut attempt = 0;
            loop {
                attempt += 1;
                let delay = backoff.delay(attempt);
                match Claim::join(shared, &name, tasks_max).await {
                    Ok((claim, wanted)) => break (wanted, None, Some(claim)),
                    Err(e) => {
                        tracing::warn!(connector = %name, retry_in = ?delay, "cannot join the task claim group: {e}");
                        stats
                            .recent_errors
                            .push(format!("cannot join the task claim group: {e}"));
                        tokio::select! {
                            _ = tokio::time::sleep(delay) => {}
                            _ = async { stop.wait_for(|s| *s).await.map(|_| ()) } => return Ok(()),
                        }
                    }
                }
            }
        }
    };
    let (done_tx, mut done) = mpsc::unbounded_channel::<Ended>();
    let mut running: BTreeMap<u32, Task> = BTreeMap::new();
    let mut runs = 0u64;
    // When each task was last restarted for a restartable error.
    let mut restarted: BTreeMap<u32, Vec<std::time::Instant>> = BTreeMap::new();
    let publish = |id: u32, state: &ConnectorState| {
        if let TaskPlan::Shared(s) = &plan {
            s.publish(&name, id, state);
        }
    };
    let outcome = loop {
        // Bring the running tasks to the wanted ids.
        let want: BTreeSet<u32> = wanted
            .borrow_and_update()
            .iter()
            .copied()
            .filter(|id| *id < tasks_max)
            .collect();
        let unwanted: Vec<u32> = running
            .keys()
            .copied()
            .filter(|id| !want.contains(id))
            .collect();
        for id in unwanted {
            if let Some(t) = running.remove(&id) {
                tracing::info!(connector = %name, task = id, "task handed over: stopping it here");
                // Before the new owner says RUNNING, as it starts meanwhile.
                publish(id, &ConnectorState::Unassigned);
                board.lock().remove(&id);
                stop_task(t).await;
            }
        }
        for id in want {
            if running.contains_key(&id) {
                continue;
            }
            tracing::info!(connector = %name, task = id, "starting task");
            runs += 1;
            running.insert(id, start_task(id, runs, &built, &stats, &done_tx));
            board.lock().insert(id, ConnectorState::Running);
            publish(id, &ConnectorState::Running);
        }
        tokio::select! {
            _ = async { stop.wait_for(|s| *s).await.map(|_| ()) } => break Ok(()),
            changed = wanted.changed() => {
                if changed.is_err() {
                    break Err(ConnectorError::Setup {
                        connector: name.clone(),
                        message: "the task claim group's consumer stopped".into(),
                    });
                }
            }
            Some((id, run, result)) = done.recv() => {
                // A run stopped on purpose is no longer in `running`; one
                // that ended by itself is a failure.
                if running.get(&id).is_none_or(|t| t.run != run) {
                    continue;
                }
                running.remove(&id);
                if let Err(e @ ConnectorError::Restartable { .. }) = &result {
                    let recent = restarted.entry(id).or_default();
                    recent.retain(|t: &std::time::Instant| t.elapsed() < RESTART_WINDOW);
                    if recent.len() < RESTARTS_IN_WINDOW {
                        recent.push(std::time::Instant::now());
                        tracing::warn!(connector = %name, task = id, error = %e, "restarting the task");
                        runs += 1;
                        running.insert(id, start_task(id, runs, &built, &stats, &done_tx));
                        continue;
                    }
                }
                let error = match result {
                    Err(e) => e,
                    Ok(()) => ConnectorError::Setup {
                        connector: name.clone(),
                        message: format!("task {id} ended unexpectedly"),
                    },
                };
                let failed = ConnectorState::Failed(error.to_string());
                publish(id, &failed);
                board.lock().insert(id, failed);
                // The others stop with it: their ids go to other workers.
                for other in running.keys() {
                    publish(*other, &ConnectorState::Unassigned);
                }
                break Err(error);
            }
            Some(id) = restarts.recv() => {
                if let Some(t) = running.remove(&id) {
                    tracing::info!(connector = %name, task = id, "restarting task");
                    stop_task(t).await;
                    board.lock().remove(&id);
                }
            }
        }
    };
    for (id, t) in std::mem::take(&mut running) {
        stop_task(t).await;
        board.lock().remove(&id);
    }
    if let Some(claim) = claim {
        claim.close().await;
    }
    outcome
}

fn start_task(
    id: u32,
    run: u64,
    built: &Arc<BuiltConnector>,
    stats: &Arc<ConnectorStats>,
    done: &mpsc::UnboundedSender<Ended>,
) -> Task {
    let (stop, stop_rx) = watch::channel(false);
    // Each task's consumer named as Connect names it, so
    // `kafka-consumer-groups --describe --members` shows which task holds
    // which partition (unless the config names the client).
    let mut own = (**built).clone();
    let client_id = format!("connector-consumer-{}-{id}", own.spec.name);
    own.spec
        .kafka
        .entry("client.id".into())
        .or_insert(client_id);
    let built = Arc::new(own);
    let (stats, done) = (stats.clone(), done.clone());
    let handle = tokio::spawn(async move {
        let connector = built.spec.name.clone();
        // A panic ends the run like an error, so the supervisor hears of it.
        let result = match tokio::spawn(crate::connector::run(built, stop_rx, stats)).await {
            Ok(result) => result,
            Err(e) => Err(ConnectorError::Setup {
                connector,
                message: format!("task {id} panicked: {e}"),
            }),
        };
        let _ = done.send((id, run, result));
    });
    Task { run, stop, handle }
}

/// Stops a task: its in-flight batches finish and its offsets are committed.
async fn stop_task(t: Task) {
    let _ = t.stop.send(true);
    let _ = t.handle.await;
}

/// This worker's membership in a connector's claim group.
struct Claim {
    consumer: Arc<StreamConsumer<ClaimContext>>,
    poller: tokio::task::JoinHandle<()>,
}

impl Claim {
    /// Makes sure the claim topic has `tasks_max` partitions, joins its
    /// group, and reports the task ids assigned here.
    async fn join(
        shared: &SharedTasks,
        name: &str,
        tasks_max: u32,
    ) -> Result<(Self, watch::Receiver<BTreeSet<u32>>), ClaimError> {
        let topic = claim_topic(&shared.group, name);
        ensure_topic(&shared.client, &topic, tasks_max as i32, false)
            .await
            .map_err(ClaimError::Topic)?;
        grow(&shared.client, &topic, tasks_max).await?;
        let (assigned, wanted) = watch::channel(BTreeSet::new());
        let consumer: StreamConsumer<ClaimContext> = crate::kafka::client_config(&shared.client)
            .set("group.id", &topic)
            .set("client.id", format!("sluice-{}-tasks", shared.worker_id))
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "latest")
            // Incremental: a worker joining or leaving moves only the ids
            // that must move, and the other tasks keep running.
            .set("partition.assignment.strategy", "cooperative-sticky")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "1000")
            .create_with_context(ClaimContext {
                assigned,
                auth: crate::kafka::oauth::Auth::from_properties(&shared.client),
            })
            .map_err(|error| ClaimError::Group {
                topic: topic.clone(),
                error,
            })?;
        consumer
            .subscribe(&[&topic])
            .map_err(|error| ClaimError::Group {
                topic: topic.clone(),
                error,
            })?;
        let consumer = Arc::new(consumer);
        // Polling serves the group's rebalances; the topic holds no records.
        let poller = tokio::spawn({
            let consumer = consumer.clone();
            async move {
                loop {
                    if let Err(e) = consumer.recv().await {
                        tracing::debug!("task claim group: {e}");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
            }
        });
        Ok((Claim { consumer, poller }, wanted))
    }

    /// Leaves the claim group, so the ids go to other workers at once; off
    /// the runtime, as closing a consumer blocks until the group is told.
    async fn close(self) {
        self.poller.abort();
        let _ = self.poller.await;
        let consumer = self.consumer;
        let _ = tokio::task::spawn_blocking(move || drop(consumer)).await;
    }
}

/// Why a worker could not join a connector's task claims.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error("task claim {0}")]
    Topic(crate::kafka::TopicError),
    #[error("task claim group {topic}: {error}")]
    Group {
        topic: String,
        error: rdkafka::error::KafkaError,
    },
    #[error("task claim topic {topic}: {reason}")]
    Partitions { topic: String, reason: String },
}

/// Adds partitions to the claim topic when `tasks.max` grew.
async fn grow(
    client: &BTreeMap<String, String>,
    topic: &str,
    tasks_max: u32,
) -> Result<(), ClaimError> {
    let failed = |reason: String| ClaimError::Partitions {
        topic: topic.to_string(),
        reason,
    };
    let admin: Arc<AdminClient<KafkaContext>> =
        Arc::new(crate::kafka::admin(client).map_err(|e| failed(e.to_string()))?);
    if partitions(&admin, topic).await? >= tasks_max as usize {
        return Ok(());
    }
    let results = admin
        .create_partitions(
            [&NewPartitions::new(topic, tasks_max as usize)],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await
        .map_err(|e| failed(format!("cannot add partitions: {e}")))?;
    for r in results {
        if let Err((_, code)) = r {
            // Another worker may have grown it first.
            if partitions(&admin, topic).await? >= tasks_max as usize {
                return Ok(());
            }
            return Err(failed(format!("cannot add partitions: {code}")));
        }
    }
    Ok(())
}

/// How many partitions `topic` has; an error while the topic is still being
/// created (read off the runtime: the metadata call blocks).
async fn partitions(
    admin: &Arc<AdminClient<KafkaContext>>,
    topic: &str,
) -> Result<usize, ClaimError> {
    let (admin, name) = (admin.clone(), topic.to_string());
    let failed = |reason: String| ClaimError::Partitions {
        topic: topic.to_string(),
        reason,
    };
    let counted = tokio::task::spawn_blocking(move || {
        let metadata = admin
            .inner()
            .fetch_metadata(Some(&name), Duration::from_secs(10))
            .map_err(|e| e.to_string())?;
        match metadata.topics().first() {
            Some(t) if t.error().is_none() && !t.partitions().is_empty() => {
                Ok(t.partitions().len())
            }
            Some(t) => Err(format!("not ready yet ({:?})", t.error())),
            None => Err("not in the metadata yet".to_string()),
        }
    })
    .await
    .map_err(|e| failed(e.to_string()))?;
    counted.map_err(failed)
}

/// Passes the claim group's assignments on as task ids. Assignments and
/// revocations are increments under the cooperative protocol (and whole
/// sets under the eager one, where a revocation takes everything).
struct ClaimContext {
    assigned: watch::Sender<BTreeSet<u32>>,
    auth: crate::kafka::oauth::Auth,
}

impl ClientContext for ClaimContext {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

    fn generate_oauth_token(
        &self,
        _: Option<&str>,
    ) -> Result<rdkafka::client::OAuthToken, Box<dyn std::error::Error>> {
        self.auth.token()
    }
}

impl ConsumerContext for ClaimContext {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: rdkafka::types::RDKafkaRespErr,
        tpl: &mut rdkafka::TopicPartitionList,
    ) {
        // The claim group is cooperative-sticky (see `Claim::join`).
        crate::source::rebalance::run(self, consumer, err, tpl, true);
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let ids = |tpl: &rdkafka::TopicPartitionList| -> Vec<u32> {
            tpl.elements()
                .iter()
                .filter_map(|e| u32::try_from(e.partition()).ok())
                .collect()
        };
        match rebalance {
            Rebalance::Assign(tpl) => self.assigned.send_modify(|a| a.extend(ids(tpl))),
            Rebalance::Revoke(tpl) => self.assigned.send_modify(|a| {
                for id in ids(tpl) {
                    a.remove(&id);
                }
            }),
            Rebalance::Error(e) => tracing::warn!("task claim group: {e}"),
        }
        tracing::debug!(ids = ?*self.assigned.borrow(), "task ids assigned here");
    }
}

#[cfg(test)]
mod tests {
    use super::claim_topic;

    #[test]
    fn claim_topics_are_legal_topic_names_and_tell_names_apart() {
        assert_eq!(claim_topic("workers", "td-sink"), "workers.tasks.td-sink");
        let odd = claim_topic("my group", "orders to TD");
        assert!(odd.starts_with("my_group.tasks.orders_to_TD."), "{odd}");
        assert_ne!(odd, claim_topic("my group", "orders_to_TD"));
        assert_ne!(odd, claim_topic("my group", "orders/to/TD"));
        let long = claim_topic(&"g".repeat(300), &"n".repeat(300));
        assert!(long.len() <= 249, "{}", long.len());
        assert!(
            long.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        );
    }
}
