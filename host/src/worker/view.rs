//! What the API shows of a connector and its tasks, computed from what the
//! herder knows: the connector's entry, this worker's task board and, in a
//! group, the status topic. Pure: no lock, no I/O beyond reading the
//! statuses already held.

use std::sync::Arc;

use super::status::StatusStore;
use super::tasks::TaskBoard;
use super::{ConnectorState, Origin, TargetState};
use crate::connect::{ConnectConfig, Problem};
use crate::stats::ConnectorStats;

/// What the API shows of a connector.
#[derive(Debug, Clone)]
pub struct ConnectorView {
    /// The connector's name.
    pub name: String,
    /// Its tasks (none when stopped), wherever they run.
    pub tasks: Vec<TaskView>,
    /// Its Connect config, as given.
    pub config: ConnectConfig,
    /// The state it is in.
    pub state: ConnectorState,
    /// The state it was asked to be in.
    pub target: TargetState,
    /// The topics it has consumed from (Connect's active topics).
    pub topics: Vec<String>,
    /// Options given but not applied.
    pub unsupported: Vec<Problem>,
    /// Its counters.
    pub stats: Arc<ConnectorStats>,
    /// Where it was defined.
    pub origin: Origin,
    /// Why a newer version of it (a changed manifest section or plugin
    /// file) is not running: the previous one runs on.
    pub update_error: Option<String>,
}

/// One task of a connector, as the status endpoints show it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskView {
    /// The task's id, 0 to `tasks.max` - 1.
    pub id: u32,
    /// The state it is in.
    pub state: ConnectorState,
    /// The worker running it (or that last did).
    pub worker_id: String,
}

/// What the herder knows of one connector.
pub(super) struct Known<'a> {
    pub name: &'a str,
    pub config: &'a ConnectConfig,
    pub tasks_max: u32,
    pub state: &'a ConnectorState,
    pub target: TargetState,
    pub unsupported: &'a [Problem],
    pub stats: &'a Arc<ConnectorStats>,
    pub origin: &'a Origin,
    /// The states of the tasks run here.
    pub board: &'a TaskBoard,
    /// Whether the connector runs here now.
    pub running: bool,
    /// This worker's id.
    pub me: &'a str,
    /// Every worker's task states, when the tasks are shared in a group.
    pub status: Option<&'a StatusStore>,
    /// See [`ConnectorView::update_error`].
    pub update_error: Option<String>,
}

/// The view of connector `k`: each task from this worker's board, else
/// from the status topic.
pub(super) fn connector(k: Known<'_>) -> ConnectorView {
    let me = k.me.to_string();
    let stopped = *k.state == ConnectorState::Stopped;
    let tasks = (0..k.tasks_max)
        .filter(|_| !stopped)
        .map(|id| {
            let here = k.board.state(id);
            let stored = k.status.and_then(|s| s.task(k.name, id));
            let (state, worker_id) = match (here, stored) {
                // Failed here, since taken over by another worker.
                (Some(_), Some(s)) if !k.running && s.worker_id != me => {
                    (s.connector_state(), s.worker_id)
                }
                (Some(state), _) => (state, me.clone()),
                // A record of this worker's for a task it no longer runs.
                (None, Some(s)) if s.worker_id == me => (ConnectorState::Unassigned, me.clone()),
                (None, Some(s)) => (s.connector_state(), s.worker_id),
                (None, None) if k.status.is_some() => (ConnectorState::Unassigned, me.clone()),
                (None, None) => (k.state.clone(), me.clone()),
            };
            // Paused everywhere: no worker runs it.
            let state = if k.target == TargetState::Paused && !k.running {
                ConnectorState::Paused
            } else {
                state
            };
            TaskView {
                id,
                state,
                worker_id,
            }
        })
        .collect();
    ConnectorView {
        name: k.name.to_string(),
        tasks,
        config: k.config.clone(),
        state: k.state.clone(),
        target: k.target,
        topics: k.stats.topics_used(),
        unsupported: k.unsupported.to_vec(),
        stats: k.stats.clone(),
        origin: k.origin.clone(),
        update_error: k.update_error,
    }
}
