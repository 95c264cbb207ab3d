//! Task statuses in a compacted Kafka topic, as Connect's
//! `status.storage.topic`: the worker running a task writes its state there,
//! and every worker of the group reads the whole topic, so any of them can
//! answer for every task.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rdkafka::consumer::BaseConsumer;
use rdkafka::message::Message;
use rdkafka::producer::FutureRecord;
use serde::{Deserialize, Serialize};

use super::store::{ensure_topic, reader};

/// One task's state as its worker last wrote it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TaskStatus {
    pub connector: String,
    pub task: u32,
    /// Connect's state name: `RUNNING`, `FAILED`, `PAUSED`, `UNASSIGNED`.
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    pub worker_id: String,
}

impl TaskStatus {
    /// The state written, as the worker's type.
    pub fn connector_state(&self) -> super::ConnectorState {
        use super::ConnectorState as S;
        match self.state.as_str() {
            "RUNNING" => S::Running,
            "PAUSED" => S::Paused,
            "STOPPED" => S::Stopped,
            "FAILED" => S::Failed(self.trace.clone().unwrap_or_default()),
            _ => S::Unassigned,
        }
    }
}

type Statuses = Mutex<BTreeMap<(String, u32), TaskStatus>>;

/// Writes this worker's task states and holds every worker's.
pub struct StatusStore {
    /// To the writer, which sends them one after another, in order.
    writes: tokio::sync::mpsc::UnboundedSender<TaskStatus>,
    statuses: Arc<Statuses>,
}

impl StatusStore {
    /// Creates the topic if it is missing (compacted, one partition) and
    /// keeps reading it on a thread of its own.
    pub async fn open(
        client: &BTreeMap<String, String>,
        topic: &str,
    ) -> Result<Self, super::StoreError> {
        let failed = |message: String| super::StoreError::Status {
            topic: topic.to_string(),
            message,
        };
        ensure_topic(client, topic, 1, true)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let producer: crate::kafka::Producer = crate::kafka::client_config(client)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .create_with_context(crate::kafka::context(client))
            .map_err(|e| failed(e.to_string()))?;
        let (writes, pending) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(write(producer, topic.to_string(), pending));
        let (consumer, _) = reader(client, topic).map_err(|e| failed(e.to_string()))?;
        let statuses = Arc::new(Statuses::default());
        let weak = Arc::downgrade(&statuses);
        std::thread::Builder::new()
            .name("sluice-status".into())
            .spawn(move || read(consumer, weak))
            .map_err(|e| failed(format!("cannot start its reader: {e}")))?;
        Ok(StatusStore { writes, statuses })
    }

    /// Writes `status` in the background, after the ones published before
    /// it (a status is advice: the next one replaces it).
    pub fn publish(&self, status: TaskStatus) {
        let _ = self.writes.send(status);
    }

    /// Task `task` of connector `connector` as last written, by any worker.
    pub fn task(&self, connector: &str, task: u32) -> Option<TaskStatus> {
        self.statuses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(connector.to_string(), task))
            .cloned()
    }
}

/// Sends the statuses published, one at a time so they land in order.
async fn write(
    producer: crate::kafka::Producer,
    topic: String,
    mut pending: tokio::sync::mpsc::UnboundedReceiver<TaskStatus>,
) {
    while let Some(status) = pending.recv().await {
        let key = format!("status-task-{}-{}", status.connector, status.task);
        let payload = serde_json::to_vec(&status).unwrap_or_default();
        let record = FutureRecord::to(&topic).key(&key).payload(&payload);
        if let Err((e, _)) = producer.send(record, Duration::from_secs(10)).await {
            tracing::warn!(topic = %topic, key = %key, "cannot write a task status: {e}");
        }
    }
}

/// Reads the topic while the store lives.
fn read(consumer: BaseConsumer<crate::kafka::KafkaContext>, statuses: Weak<Statuses>) {
    loop {
        let message = consumer.poll(Duration::from_millis(200));
        let Some(statuses) = statuses.upgrade() else {
            return;
        };
        let message = match message {
            None => continue,
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                tracing::warn!("reading the status topic: {e}");
                std::thread::sleep(Duration::from_millis(500));
                continue;
            }
        };
        let Some(payload) = message.payload() else {
            continue;
        };
        match serde_json::from_slice::<TaskStatus>(payload) {
            Ok(s) => {
                statuses
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert((s.connector.clone(), s.task), s);
            }
            Err(e) => {
                tracing::warn!(
                    offset = message.offset(),
                    "status topic: unreadable record skipped: {e}"
                )
            }
        }
    }
}
