//! A real Apache Kafka Connect worker in distributed mode, started by
//! `scripts/connect/distributed` against the test broker: the oracle the
//! REST API's differential test compares Sluice with.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running Connect worker; killed when dropped.
pub struct ConnectWorker {
    child: Child,
    /// Its REST API, `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its directory: worker.properties, connect.log, connect.out.
    pub dir: tempfile::TempDir,
}

impl ConnectWorker {
    /// Starts a worker with only the `camel-http` plugin (its
    /// `CamelSinkConnector` stands in for a sink connector class) and waits
    /// until it has joined its group (`GET /connectors` answers 200).
    pub async fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("connect-diff-")
            .tempdir()
            .expect("a temporary directory");
        let script = crate::repo_root().join("scripts/connect/distributed");
        let child = Command::new(script)
            .arg(dir.path())
            .arg(crate::kafka_bootstrap())
            .env("SLUICE_CONNECT_PLUGINS", "camel-http")
            .env("SLUICE_CONNECT_PLUGIN_DISCOVERY", "service_load")
            .env("SLUICE_CONNECT_HEAP_OPTS", "-Xms128M -Xmx512M")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run scripts/connect/distributed");
        let mut worker = ConnectWorker {
            child,
            base: String::new(),
            dir,
        };
        let rest: PathBuf = worker.dir.path().join("rest");
        let client = reqwest::Client::new();
        // The jars are fetched before the rest file is written: scripts/test
        // fetches them first, so this is quick there.
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            if let Some(status) = worker.child.try_wait().expect("poll the worker") {
                panic!(
                    "the Connect worker exited ({status}) before it was ready: see {}",
                    worker.log()
                );
            }
            if worker.base.is_empty()
                && let Ok(text) = std::fs::read_to_string(&rest)
                && !text.trim().is_empty()
            {
                worker.base = text.trim().to_string();
            }
            if !worker.base.is_empty()
                && let Ok(r) = client
                    .get(format!("{}/connectors", worker.base))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await
                && r.status() == 200
            {
                return worker;
            }
            assert!(
                Instant::now() < deadline,
                "the Connect worker was not ready within 10 minutes: {}",
                worker.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The end of its log and output, for a failure message.
    pub fn log(&self) -> String {
        let tail = |name: &str| {
            let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(30)..].join("\n")
        };
        format!(
            "connect.log:\n{}\nconnect.out:\n{}",
            tail("connect.log"),
            tail("connect.out")
        )
    }
}

impl Drop for ConnectWorker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
