//! A real schema registry for the tests (Apicurio Registry, started once per
//! run by `scripts/registry/start`), schema'd data produced with Confluent's
//! own Python serializers, and a counting gate in front of the registry: it
//! forwards every request, counts them by path, and can take the registry
//! out of Sluice's reach (503, as a load balancer answers for a registry
//! that is down) while the registry itself keeps its schemas.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::Value;

use crate::repo_root;

/// The registry shared by the tests of one run: `$SLUICE_TEST_REGISTRY`
/// when set (scripts/test starts one), else one started here. Its
/// Confluent-compatible API's base URL.
pub fn registry_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| crate::shared_server("registry", "SLUICE_TEST_REGISTRY"))
        .clone()
}

/// The python with confluent-kafka: `$SLUICE_REGISTRY_PYTHON`, else
/// installed by `scripts/registry/setup-python` (it also holds AWS's MSK
/// IAM signer).
pub fn python() -> String {
    static PY: OnceLock<String> = OnceLock::new();
    PY.get_or_init(|| {
        if let Ok(p) = std::env::var("SLUICE_REGISTRY_PYTHON") {
            return p;
        }
        let out = Command::new(repo_root().join("scripts/registry/setup-python"))
            .output()
            .expect("run scripts/registry/setup-python");
        assert!(
            out.status.success(),
            "scripts/registry/setup-python failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_string()
    })
    .clone()
}

/// What [`http_sink_through_registry`] saw.
pub struct Delivered {
    /// The records delivered, in order.
    pub records: Vec<Value>,
    /// The dead letters, in order.
    pub dead: Vec<rdkafka::message::OwnedMessage>,
}

/// Runs a Confluent HTTP sink connector posted to the REST API over `topic`
/// (one partition, `end` records in it) with `converter` as its value
/// converter, reading through the test registry, failed records
/// dead-lettered with Connect's context headers; waits for `n` records
/// delivered as JSON arrays, `dead` dead letters, and the group's commit
/// of `end`.
pub async fn http_sink_through_registry(
    topic: &str,
    converter: &str,
    n: usize,
    dead: usize,
    end: i64,
) -> Delivered {
    http_sink_with_converter_options(topic, converter, &[], n, dead, end).await
}

/// As [`http_sink_through_registry`], with more `value.converter.*`
/// options (`options` as key, value without the prefix).
pub async fn http_sink_with_converter_options(
    topic: &str,
    converter: &str,
    options: &[(&str, &str)],
    n: usize,
    dead: usize,
    end: i64,
) -> Delivered {
    use crate::http_receiver::Receiver;
    use crate::rest::ApiWorker;
    let receiver = Receiver::start().await;
    let api = ApiWorker::start(&[]).await;
    let name = format!("registry-{topic}");
    let body = serde_json::json!({
        "name": name,
        "config": {
            "connector.class": "io.confluent.connect.http.HttpSinkConnector",
            "tasks.max": "1",
            "topics": topic,
            "http.api.url": receiver.url("/in"),
            "request.body.format": "json",
            "batch.json.as.array": "true",
            "batch.max.size": "50",
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": converter,
            "value.converter.schema.registry.url": registry_url(),
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": format!("{topic}-dlq"),
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
            "confluent.topic.bootstrap.servers": "localhost:9092"
        }
    });
    let mut body = body;
    for (k, v) in options {
        body["config"][format!("value.converter.{k}")] = Value::String((*v).to_string());
    }
    let (code, info) = api.call("POST", "/connectors", Some(&body)).await;
    assert_eq!(code, 201, "{info}");
    let records = receiver.array_records(60, n).await;
    let dead = crate::kafka::consume_n(&format!("{topic}-dlq"), dead, 30);
    let group = format!("connect-{name}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while crate::kafka::committed(&group, topic, 1) != [Some(end)] {
        assert!(
            std::time::Instant::now() < deadline,
            "committed {:?}, not {end}",
            crate::kafka::committed(&group, topic, 1)
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    api.process.stop_cleanly();
    Delivered { records, dead }
}

/// The converter end to end through the REST API: `values` produced with
/// Confluent's serializer of `format` and `schema`, with one record that is
/// not in the wire format (`not_framed`) after the first 20; a Confluent
/// HTTP sink connector with `converter` as its value converter. Asserts
/// that every produced value arrives as `want` says, in order, the odd one
/// dead-lettered with `Unknown magic byte!` at offset 20, and everything
/// committed.
pub async fn converter_reads_through_registry(
    format: &str,
    schema: &str,
    values: &[Value],
    not_framed: &str,
    converter: &str,
    want: &[Value],
) {
    let topic = crate::unique_topic(format);
    crate::kafka::create_topic(&topic, 1).await;
    let (first, rest) = values.split_at(20.min(values.len()));
    produce(&topic, format, schema, first);
    crate::kafka::produce(
        &crate::kafka::producer(),
        &topic,
        0,
        &[(None, Some(not_framed.to_string()))],
    )
    .await;
    produce(&topic, format, schema, rest);
    let n = values.len();
    let got = http_sink_through_registry(&topic, converter, n, 1, n as i64 + 1).await;
    assert_eq!(got.records, want);
    assert_eq!(got.dead.len(), 1);
    let reason = crate::dead_letters::header(&got.dead[0], "__connect.errors.exception.message");
    assert!(reason.contains("Unknown magic byte"), "{reason}");
    assert_eq!(
        crate::dead_letters::dead_offset(&got.dead[0]),
        first.len() as i64
    );
}

/// One value produced with Confluent's serializer of `format`, read by
/// converter plugin `plugin` (granted the registry) and delivered by the
/// `json-batch` formatter with Connect's envelope (`schemas.enable`): the
/// `{"schema": …, "payload": …}` the sink received. On a timeout, panics
/// with Sluice's log.
pub async fn envelope_through_registry(
    plugin: &str,
    format: &str,
    schema: &str,
    value: &Value,
) -> Value {
    use crate::http_receiver::Receiver;
    use crate::process::{Connector, Running};
    let topic = crate::unique_topic(&format!("{format}-env"));
    crate::kafka::create_topic(&topic, 1).await;
    produce(&topic, format, schema, std::slice::from_ref(value));
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let name = format!("env-{topic}");
    let converter = format!(
        r#"{{ plugin = "{plugin}", capabilities = ["schema-registry"], config = {{ "schema.registry.url" = "{}" }} }}"#,
        registry_url()
    );
    let sink = format!(
        "\"http.api.url\" = \"{}\"\n\n[connectors.sink.formatter]\nplugin = \"json-batch\"\nconfig = {{ \"request.body.format\" = \"json\", \"batch.json.as.array\" = true, \"schemas.enable\" = true }}\n",
        receiver.url("/orders")
    );
    let m = Connector {
        name: &name,
        topic: &topic,
        value_converter: &converter,
        sink: &sink,
        ..Connector::default()
    }
    .write(dir.path());
    let run = Running::start(&m);
    let wait = receiver.array_records(60, 1);
    let Ok(mut got) = tokio::time::timeout(std::time::Duration::from_secs(45), wait).await else {
        let (_, log) = run.stop();
        panic!("nothing delivered in 45 s; sluice's log:\n{log}");
    };
    run.stop_cleanly();
    got.swap_remove(0)
}

/// Avro object container files read by fastavro, an independent reader
/// (`tests/registry/read_avro.py`): per file, its header's schema text,
/// its codec and its records as JSON.
pub fn read_avro(files: &[&[u8]]) -> Vec<Value> {
    read_with("read_avro.py", "avro", files)
}

/// Parquet files read back by pyarrow (`tests/registry/read_parquet.py`):
/// one JSON entry per file, with its columns' Arrow types, Parquet schema,
/// codec, row-group count, footer metadata and records.
pub fn read_parquet(files: &[&[u8]]) -> Vec<Value> {
    read_with("read_parquet.py", "parquet", files)
}

/// `files` written to a temporary directory with extension `ext` and read
/// by `tests/registry/<script>`, which prints JSON.
fn read_with(script: &str, ext: &str, files: &[&[u8]]) -> Vec<Value> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let paths: Vec<std::path::PathBuf> = files
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let p = dir.path().join(format!("{i}.{ext}"));
            std::fs::write(&p, bytes).expect("write a file to read back");
            p
        })
        .collect();
    let out = Command::new(python())
        .arg(repo_root().join("tests/registry").join(script))
        .args(&paths)
        .output()
        .unwrap_or_else(|e| panic!("run tests/registry/{script}: {e}"));
    assert!(
        out.status.success(),
        "{script} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{script} prints JSON: {e}"))
}

/// The (field, type) pairs of a Connect struct schema in its JSON form.
pub fn field_types(schema: &Value) -> Vec<(&str, &str)> {
    schema["fields"]
        .as_array()
        .expect("a struct schema's fields")
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap_or_default(),
                f["type"].as_str().unwrap_or_default(),
            )
        })
        .collect()
}

/// The schema of field `name` of a Connect struct schema in its JSON form
/// (null when there is none).
pub fn field_schema(schema: &Value, name: &str) -> Value {
    schema["fields"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["field"] == name))
        .cloned()
        .unwrap_or_default()
}

/// Produces `values` to `topic` partition 0 with Confluent's serializer of
/// `format` (`json`, `avro` or `protobuf`) and `schema`, registered in the test registry
/// under `<topic>-value`.
pub fn produce(topic: &str, format: &str, schema: &str, values: &[Value]) {
    produce_with(topic, format, schema, values, true);
}

/// As [`produce`], with Confluent's JSON Schema serializer told not to
/// validate the values (its `validate` option): a producer that skips
/// validation writes values that break their schema's keywords.
pub fn produce_unvalidated(topic: &str, schema: &str, values: &[Value]) {
    produce_with(topic, "json", schema, values, false);
}

fn produce_with(topic: &str, format: &str, schema: &str, values: &[Value], validate: bool) {
    let input: String = values.iter().map(|v| format!("{v}\n")).collect();
    let mut child = Command::new(python())
        .env(
            "SLUICE_PRODUCE_VALIDATE",
            if validate { "true" } else { "false" },
        )
        .arg(repo_root().join("tests/registry/produce.py"))
        .args([
            &crate::kafka_bootstrap(),
            &registry_url(),
            topic,
            format,
            schema,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run tests/registry/produce.py");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("write records");
    }
    let out = child.wait_with_output().expect("produce.py runs");
    assert!(
        out.status.success(),
        "produce.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[derive(Default)]
struct Counts {
    by_path: BTreeMap<String, usize>,
    /// Requests refused for want of a valid token.
    unauthorized: usize,
    /// Values of the Confluent Cloud headers that came with the requests.
    cloud_headers: Vec<(String, String)>,
}

/// The gate: a real HTTP server on 127.0.0.1:0 in front of the registry.
#[derive(Clone)]
pub struct Gate {
    pub addr: SocketAddr,
    upstream: String,
    counts: Arc<Mutex<Counts>>,
    down: Arc<AtomicBool>,
    /// How long each answer waits before it is forwarded, in ms.
    delay_ms: Arc<std::sync::atomic::AtomicU64>,
    /// When set, a request needs a bearer token this receiver's token
    /// endpoint issued, as a registry behind an identity provider does.
    tokens_of: Arc<Mutex<Option<crate::http_receiver::Receiver>>>,
    http: reqwest::Client,
}

impl Gate {
    /// A gate in front of the test registry.
    pub async fn start() -> Gate {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the gate");
        let gate = Gate {
            addr: listener.local_addr().expect("address"),
            upstream: registry_url(),
            counts: Arc::default(),
            down: Arc::default(),
            delay_ms: Arc::default(),
            tokens_of: Arc::default(),
            http: reqwest::Client::new(),
        };
        let app = Router::new().fallback(forward).with_state(gate.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the gate serves");
        });
        gate
    }

    /// The URL Sluice is given as `schema.registry.url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Takes the registry out of reach (`true`) or brings it back.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Every request from now on waits `delay` before it is forwarded, as
    /// a registry under load answers.
    pub fn set_delay(&self, delay: std::time::Duration) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// From now on, every request needs a bearer token issued by
    /// `receiver`'s token endpoint (else 401, as Confluent's registry answers).
    pub fn require_tokens_of(&self, receiver: &crate::http_receiver::Receiver) {
        *self.tokens_of.lock().unwrap() = Some(receiver.clone());
    }

    /// Requests refused for want of a valid token.
    pub fn unauthorized(&self) -> usize {
        self.counts.lock().unwrap().unauthorized
    }

    /// The `target-sr-cluster` and `Confluent-Identity-Pool-Id` headers
    /// received, in order (names in lower case).
    pub fn cloud_headers(&self) -> Vec<(String, String)> {
        self.counts.lock().unwrap().cloud_headers.clone()
    }

    /// How many requests reached the registry whose path starts with `prefix`.
    pub fn count(&self, prefix: &str) -> usize {
        self.counts
            .lock()
            .unwrap()
            .by_path
            .iter()
            .filter(|(p, _)| p.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }
}

async fn forward(
    State(gate): State<Gate>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, Bytes) {
    if gate.down.load(Ordering::SeqCst) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            HeaderMap::new(),
            Bytes::from_static(b"registry down (test gate)"),
        );
    }
    {
        let mut counts = gate.counts.lock().unwrap();
        for name in ["target-sr-cluster", "confluent-identity-pool-id"] {
            if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
                counts.cloud_headers.push((name.to_string(), v.to_string()));
            }
        }
    }
    let delay = gate.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let issuer = gate.tokens_of.lock().unwrap().clone();
    if let Some(issuer) = issuer
        && !issuer.accepts_bearer(&headers)
    {
        gate.counts.lock().unwrap().unauthorized += 1;
        let mut out = HeaderMap::new();
        out.insert("content-type", "application/json".parse().unwrap());
        return (
            StatusCode::UNAUTHORIZED,
            out,
            Bytes::from_static(br#"{"error_code":401,"message":"Unauthorized"}"#),
        );
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    *gate
        .counts
        .lock()
        .unwrap()
        .by_path
        .entry(uri.path().to_string())
        .or_default() += 1;
    let mut request = gate
        .http
        .request(method, format!("{}{path}", gate.upstream))
        .body(body);
    for name in ["content-type", "accept", "authorization"] {
        if let Some(v) = headers.get(name) {
            request = request.header(name, v.clone());
        }
    }
    match request.send().await {
        Ok(r) => {
            let status = r.status();
            let mut out = HeaderMap::new();
            if let Some(ct) = r.headers().get("content-type") {
                out.insert("content-type", ct.clone());
            }
            let body = r.bytes().await.unwrap_or_default();
            (status, out, body)
        }
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            HeaderMap::new(),
            Bytes::from(e.to_string()),
        ),
    }
}
