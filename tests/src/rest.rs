//! A `sluice run` serving the REST API on a port of its own, and a small
//! client speaking to it as `curl` scripts do.

use std::time::Duration;

use serde_json::Value;

use crate::process::Running;

/// A worker started for a test, and where its API listens.
pub struct ApiWorker {
    pub process: Running,
    pub base: String,
    client: reqwest::Client,
}

/// A free port on 127.0.0.1 (free when asked; the worker binds it next).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl ApiWorker {
    /// Starts `sluice run` with no manifest (connectors come from the API)
    /// on the test broker and plugin directory, plus `extra` arguments, and
    /// waits for `/health`.
    pub async fn start(extra: &[&str]) -> Self {
        Self::start_with(extra, None).await
    }

    /// [`start`](Self::start), logging to the file `log` if given.
    pub async fn start_with(extra: &[&str], log: Option<&std::path::Path>) -> Self {
        Self::start_env(extra, log, &[]).await
    }

    /// [`start_with`](Self::start_with), with `env` set for the worker.
    pub async fn start_env(
        extra: &[&str],
        log: Option<&std::path::Path>,
        env: &[(&str, &str)],
    ) -> Self {
        Self::start_full(extra, log, env, &crate::plugin_dir()).await
    }

    /// [`start`](Self::start) on the plugin directory `plugins`.
    pub async fn start_in(plugins: &std::path::Path, extra: &[&str]) -> Self {
        Self::start_full(extra, None, &[], plugins).await
    }

    async fn start_full(
        extra: &[&str],
        log: Option<&std::path::Path>,
        env: &[(&str, &str)],
        plugins: &std::path::Path,
    ) -> Self {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut cmd = crate::sluice();
        cmd.envs(env.iter().copied());
        cmd.arg("run")
            .args(["--listeners", &base])
            .args(["--bootstrap-servers", &crate::kafka_bootstrap()])
            .arg("--plugin-dir")
            .arg(plugins)
            .args(extra);
        let process = match log {
            Some(path) => Running::spawn_logging_to(cmd, path),
            None => Running::spawn(cmd),
        };
        let w = ApiWorker {
            process,
            base,
            // A fresh connection per request, as curl makes: a refused
            // oversized body closes its connection, which a pooled client
            // would try to reuse.
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("an HTTP client"),
        };
        for _ in 0..300 {
            if let Ok((200, _)) = w.try_call("GET", "/health", None, None).await {
                return w;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the worker's REST API did not answer /health within 30 s");
    }

    async fn try_call(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        auth: Option<&str>,
    ) -> reqwest::Result<(u16, Value)> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .timeout(Duration::from_secs(60));
        if let Some(b) = body {
            r = r.header("Content-Type", "application/json").body(b);
        }
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        let resp = r.send().await?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await?;
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Ok((status, value))
    }

    /// `method path` with a JSON `body`; the status and JSON answer.
    pub async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let body = body.map(|b| serde_json::to_vec(b).unwrap());
        self.try_call(method, path, body, None)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Like [`call`](Self::call) with raw body bytes and an `Authorization` header.
    pub async fn call_raw(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
        auth: Option<&str>,
    ) -> (u16, Value) {
        self.try_call(method, path, Some(body), auth)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// The status code of `method path` without a body.
    pub async fn code(&self, method: &str, path: &str) -> u16 {
        self.call(method, path, None).await.0
    }

    /// Waits until connector `name`'s status says `state`; the status.
    pub async fn wait_state(&self, name: &str, state: &str) -> Value {
        self.wait_for(
            &format!("/connectors/{name}/status"),
            "/connector/state",
            state,
            20,
        )
        .await
    }

    /// The text of `GET /metrics`.
    pub async fn metrics(&self) -> Metrics {
        let text = self
            .client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("GET /metrics")
            .text()
            .await
            .expect("the /metrics body");
        Metrics(text)
    }

    /// Polls `path` until its `pointer` reads `want`, or panics after `secs`.
    pub async fn wait_for(&self, path: &str, pointer: &str, want: &str, secs: u64) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let (_, v) = self.call("GET", path, None).await;
            if v.pointer(pointer).and_then(Value::as_str) == Some(want) {
                return v;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{path} {pointer} never became {want}: {v}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A scrape of `/metrics` (OpenMetrics text).
pub struct Metrics(pub String);

impl Metrics {
    /// The sum of the samples of `name` whose labels include every one of
    /// `labels` (0 when there is none).
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples(name, labels).iter().sum()
    }

    /// The values of the samples of `name` whose labels include `labels`.
    pub fn samples(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        self.0
            .lines()
            .filter_map(|line| {
                let (series, value) = line.rsplit_once(' ')?;
                let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
                (metric == name
                    && labels
                        .iter()
                        .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
                .then(|| value.parse::<f64>().ok())
                .flatten()
            })
            .collect()
    }
}

impl std::fmt::Display for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Confluent HTTP sink connector's REST body: schemaless JSON values of
/// `topic`, posted to `url` in `{"records":[…]}` batches.
pub fn http_json_connector(name: &str, topic: &str, url: &str) -> Value {
    serde_json::json!({
        "name": name,
        "config": {
            "connector.class": "io.confluent.connect.http.HttpSinkConnector",
            "topics": topic,
            "http.api.url": url,
            "request.body.format": "json",
            "batch.json.as.array": "true",
            "batch.prefix": "{\"records\":",
            "batch.suffix": "}",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false"
        }
    })
}
