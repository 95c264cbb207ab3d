//! Kafka Connect's REST API, diffed: the same sequence of requests (every
//! endpoint of `docs/openapi.yaml`, success and error paths) goes to a real
//! Kafka Connect 4.1.1 worker in distributed mode and to Sluice, and their
//! answers are compared by status code, content type, `Location` and JSON
//! shape (object keys and value types; values that naturally differ, such
//! as class names, ids, versions and messages, are not compared). A
//! difference fails the test unless `tests/connect-rest-differences.toml`
//! lists it with its reason; an entry that no longer occurs fails it too.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sluice_tests::connect::ConnectWorker;
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{create_topic, produce, producer};
use sluice_tests::rest::ApiWorker;
use sluice_tests::unique_topic;

const CONNECT_CLASS: &str = "org.apache.camel.kafkaconnector.CamelSinkConnector";
const SLUICE_CLASS: &str = "io.confluent.connect.http.HttpSinkConnector";
const NAME: &str = "diff";

/// What one side answered.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    body: Value,
}

/// A request body: JSON, or raw text (malformed on purpose).
#[derive(Clone)]
enum Body {
    None,
    Json(Value),
    Raw(&'static str),
}

/// One request, as each side gets it.
struct Step {
    label: String,
    method: &'static str,
    connect: (String, Body),
    sluice: (String, Body),
    /// JSON paths (`$`, `$.config`, `$[].config`) of objects whose keys are
    /// data (config options, logger names), compared by their values' shape.
    data_keys: Vec<&'static str>,
}

impl Step {
    fn new(method: &'static str, path: &str) -> Self {
        Step {
            label: format!("{method} {path}"),
            method,
            connect: (path.to_string(), Body::None),
            sluice: (path.to_string(), Body::None),
            data_keys: Vec::new(),
        }
    }
    /// The label's note, for requests of the same endpoint.
    fn note(mut self, note: &str) -> Self {
        self.label = format!("{} ({note})", self.label);
        self
    }
    fn body(mut self, body: Body) -> Self {
        self.connect.1 = body.clone();
        self.sluice.1 = body;
        self
    }
    fn bodies(mut self, connect: Value, sluice: Value) -> Self {
        self.connect.1 = Body::Json(connect);
        self.sluice.1 = Body::Json(sluice);
        self
    }
    /// Each side's path, where they differ (the connector class in it).
    fn paths(mut self, connect: String, sluice: String) -> Self {
        self.connect.0 = connect;
        self.sluice.0 = sluice;
        self
    }
    fn data_keys(mut self, paths: &[&'static str]) -> Self {
        self.data_keys = paths.to_vec();
        self
    }
}

struct Side {
    name: &'static str,
    base: String,
    client: reqwest::Client,
}

impl Side {
    fn new(name: &'static str, base: &str) -> Self {
        Side {
            name,
            base: base.to_string(),
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("an HTTP client"),
        }
    }

    async fn send(&self, method: &str, path: &str, body: &Body) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut r = self
            .client
            .request(method.clone(), format!("{}{path}", self.base))
            .timeout(Duration::from_secs(60));
        match body {
            Body::None => {}
            Body::Json(v) => {
                r = r
                    .header("Content-Type", "application/json")
                    .body(serde_json::to_vec(v).unwrap())
            }
            Body::Raw(text) => r = r.header("Content-Type", "application/json").body(*text),
        }
        let resp = r
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {}{path}: {e}", self.base));
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        let content_type = header("content-type")
            .map(|t| t.split(';').next().unwrap_or_default().trim().to_string());
        let location = header("location");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap_or_default();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String("<not JSON>".into()))
        };
        Answer {
            status,
            content_type,
            location,
            body,
        }
    }

    /// Waits until the connector's state, and every task's, is `state`.
    async fn wait_state(&self, state: &str) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let a = self
                .send("GET", &format!("/connectors/{NAME}/status"), &Body::None)
                .await;
            let tasks = a.body["tasks"].as_array().cloned().unwrap_or_default();
            let tasks_ok = if state == "STOPPED" {
                tasks.is_empty()
            } else {
                !tasks.is_empty() && tasks.iter().all(|t| t["state"] == state)
            };
            if a.body["connector"]["state"] == state && tasks_ok {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: {NAME} never became {state}: {}",
                self.name,
                a.body
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until `GET /connectors/diff/topics` lists a topic.
    async fn wait_topics(&self) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let a = self
                .send("GET", &format!("/connectors/{NAME}/topics"), &Body::None)
                .await;
            if a.body[NAME]["topics"]
                .as_array()
                .is_some_and(|t| !t.is_empty())
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: no active topic: {}",
                self.name,
                a.body
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The shape differences between Connect's `c` and Sluice's `s` at `path`.
/// `null` stands for a value either side may leave out; arrays are compared
/// by their first elements.
fn shape_diff(path: &str, c: &Value, s: &Value, data_keys: &[&str], out: &mut Vec<String>) {
    match (c, s) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(a), Value::Object(b)) if data_keys.contains(&path) => {
            if let (Some(x), Some(y)) = (a.values().next(), b.values().next()) {
                shape_diff(&format!("{path}.*"), x, y, data_keys, out);
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            for (k, x) in a {
                match b.get(k) {
                    Some(y) => shape_diff(&format!("{path}.{k}"), x, y, data_keys, out),
                    None => out.push(format!("{path}.{k} missing in Sluice")),
                }
            }
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{path}.{k} only in Sluice"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(x), Some(y)) = (a.first(), b.first()) {
                shape_diff(&format!("{path}[]"), x, y, data_keys, out);
            }
        }
        _ if type_name(c) == type_name(s) => {}
        _ => out.push(format!(
            "{path}: {} in Connect, {} in Sluice",
            type_name(c),
            type_name(s)
        )),
    }
}

/// Every difference between the two answers to `step`.
fn differences(step: &Step, c: &Answer, s: &Answer) -> Vec<String> {
    let mut out = Vec::new();
    if c.status != s.status {
        out.push(format!(
            "status {} in Connect, {} in Sluice",
            c.status, s.status
        ));
        // Different outcomes have different bodies: the status says it.
        return out;
    }
    if c.content_type != s.content_type {
        out.push(format!(
            "content type {:?} in Connect, {:?} in Sluice",
            c.content_type, s.content_type
        ));
    }
    let absolute = |l: &Option<String>| l.as_deref().map(|l| l.starts_with("http://"));
    if absolute(&c.location) != absolute(&s.location) {
        out.push(format!(
            "Location {:?} in Connect, {:?} in Sluice",
            c.location, s.location
        ));
    }
    shape_diff("$", &c.body, &s.body, &step.data_keys, &mut out);
    out
}

/// `tests/connect-rest-differences.toml`: (request, difference) pairs.
fn allowed() -> BTreeSet<(String, String)> {
    let path = sluice_tests::repo_root().join("tests/connect-rest-differences.toml");
    let text = std::fs::read_to_string(&path).expect("the allow-list");
    let doc: toml::Table = toml::from_str(&text).expect("the allow-list is TOML");
    doc.get("difference")
        .and_then(|d| d.as_array())
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    let field = |k: &str| {
                        e.get(k)
                            .and_then(|v| v.as_str())
                            .unwrap_or_else(|| panic!("an allow-list entry without {k}: {e}"))
                            .to_string()
                    };
                    assert!(
                        !field("reason").trim().is_empty(),
                        "an allow-list entry needs a reason: {e}"
                    );
                    (field("request"), field("difference"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Sends `steps` to both sides; the differences found, as (label, what).
async fn run(connect: &Side, sluice: &Side, steps: Vec<Step>, found: &mut Vec<(String, String)>) {
    for step in steps {
        let c = connect
            .send(step.method, &step.connect.0, &step.connect.1)
            .await;
        let s = sluice
            .send(step.method, &step.sluice.0, &step.sluice.1)
            .await;
        for d in differences(&step, &c, &s) {
            found.push((step.label.clone(), d));
        }
    }
}

/// What to wait for after a phase's requests, on both sides.
enum Then {
    /// The connector, and each of its tasks, in this state.
    State(&'static str),
    /// An active topic listed.
    Topics,
    Wait(Duration),
    Nothing,
}

/// [`run`]s `steps`, then waits as `then` says.
async fn phase(
    sides: (&Side, &Side),
    steps: Vec<Step>,
    then: Then,
    found: &mut Vec<(String, String)>,
) {
    let (connect, sluice) = sides;
    run(connect, sluice, steps, found).await;
    match then {
        Then::State(state) => {
            tokio::join!(connect.wait_state(state), sluice.wait_state(state));
        }
        Then::Topics => {
            tokio::join!(connect.wait_topics(), sluice.wait_topics());
        }
        Then::Wait(d) => tokio::time::sleep(d).await,
        Then::Nothing => {}
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_answers_as_kafka_connect_does() {
    let topic = unique_topic("connect-diff");
    create_topic(&topic, 1).await;
    let records: Vec<(Option<String>, Option<String>)> = (0..5)
        .map(|i| (Some(format!("k{i}")), Some(format!("{{\"n\":{i}}}"))))
        .collect();
    produce(&producer(), &topic, 0, &records).await;
    let receiver = Receiver::start().await;
    let (connect_worker, sluice_worker) =
        tokio::join!(ConnectWorker::start(), ApiWorker::start(&[]));
    let connect = Side::new("Kafka Connect", &connect_worker.base);
    let sluice = Side::new("Sluice", &sluice_worker.base);

    // The same connector on each side: the converters, transforms and
    // options every sink has, and each side's HTTP sink class.
    let common = json!({
        "tasks.max": "1",
        "topics": topic,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "errors.tolerance": "none",
    });
    let config = |extra: Value, with_name: bool| {
        let mut c = common.clone();
        if with_name {
            c["name"] = json!(NAME);
        }
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        let mut connect = c.clone();
        connect["connector.class"] = json!(CONNECT_CLASS);
        connect["camel.sink.url"] = json!(format!("{}?httpMethod=POST", receiver.url("/connect")));
        connect["camel.sink.marshal"] = json!("json-jackson");
        // Each side is a consumer group of its own, or they would share the
        // topic's one partition.
        connect["consumer.override.group.id"] = json!(format!("{topic}-connect"));
        let mut sluice = c;
        sluice["connector.class"] = json!(SLUICE_CLASS);
        sluice["http.api.url"] = json!(receiver.url("/sluice"));
        (connect, sluice)
    };
    let create = |extra: Value| {
        let (c, s) = config(extra, false);
        (
            json!({"name": NAME, "config": c}),
            json!({"name": NAME, "config": s}),
        )
    };
    let plugin_path = |suffix: &str| {
        (
            format!("/connector-plugins/{CONNECT_CLASS}{suffix}"),
            format!("/connector-plugins/{SLUICE_CLASS}{suffix}"),
        )
    };
    let config_keys = &["$.config"][..];
    let sides = (&connect, &sluice);
    let mut found = Vec::new();

    // No connector yet: plugins, validation, unknown names, bad bodies.
    let (validate_c, validate_s) = plugin_path("/config/validate");
    let (good_c, good_s) = config(json!({}), true);
    let mut bad_c = json!({"connector.class": CONNECT_CLASS, "tasks.max": "notanumber"});
    let bad_s = json!({"connector.class": SLUICE_CLASS, "tasks.max": "notanumber"});
    bad_c["topics"] = json!(topic);
    let mut bad_s = bad_s;
    bad_s["topics"] = json!(topic);
    let (bad_create_c, bad_create_s) = create(json!({"tasks.max": "notanumber"}));
    let (plugin_config_c, plugin_config_s) = plugin_path("/config");
    let mut steps = vec![
        Step::new("GET", "/"),
        Step::new("GET", "/connectors"),
        Step::new("GET", "/connectors?expand=status"),
        Step::new("GET", "/connector-plugins"),
        Step::new("GET", "/connector-plugins?connectorsOnly=false"),
        Step::new("GET", "/connector-plugins/{class}/config")
            .paths(plugin_config_c, plugin_config_s),
        Step::new("GET", "/connector-plugins/com.example.Nope/config"),
        Step::new("PUT", "/connector-plugins/{class}/config/validate")
            .note("valid")
            .paths(validate_c.clone(), validate_s.clone())
            .bodies(good_c, good_s),
        Step::new("PUT", "/connector-plugins/{class}/config/validate")
            .note("tasks.max not a number, no name, no URL")
            .paths(validate_c.clone(), validate_s.clone())
            .bodies(bad_c, bad_s),
        Step::new("PUT", "/connector-plugins/{class}/config/validate")
            .note("another class in the body")
            .paths(validate_c.clone(), validate_s.clone())
            .bodies(
                json!({"connector.class": "com.example.Other"}),
                json!({"connector.class": "com.example.Other"}),
            ),
        Step::new("PUT", "/connector-plugins/{class}/config/validate")
            .note("malformed JSON")
            .paths(validate_c, validate_s)
            .body(Body::Raw("{\"connector.class\": ")),
        Step::new("POST", "/connectors")
            .note("malformed JSON")
            .body(Body::Raw("{\"name\": ")),
        Step::new("POST", "/connectors")
            .note("tasks.max not a number")
            .bodies(bad_create_c, bad_create_s),
        Step::new("POST", "/connectors")
            .note("unknown connector class")
            .body(Body::Json(json!({"name": "nope", "config": {"connector.class": "com.example.Nope", "topics": topic}}))),
    ];
    for (method, path) in [
        ("GET", "/connectors/{name}"),
        ("GET", "/connectors/{name}/config"),
        ("GET", "/connectors/{name}/status"),
        ("GET", "/connectors/{name}/tasks"),
        ("GET", "/connectors/{name}/topics"),
        ("GET", "/connectors/{name}/offsets"),
        ("PUT", "/connectors/{name}/pause"),
        ("POST", "/connectors/{name}/restart"),
        ("DELETE", "/connectors/{name}"),
    ] {
        let p = path.replace("{name}", "nope");
        steps.push(
            Step::new(method, path)
                .note("unknown connector")
                .paths(p.clone(), p),
        );
    }
    run(&connect, &sluice, steps, &mut found).await;

    // A connector's life: created, running, reconfigured, restarted,
    // paused, stopped, its offsets changed, deleted.
    let (create_c, create_s) = create(json!({}));
    let name_path = |suffix: &str| {
        let p = format!("/connectors/{NAME}{suffix}");
        (p.clone(), p)
    };
    let at = |method: &'static str, suffix: &str| {
        let (c, s) = name_path(suffix);
        Step::new(method, &format!("/connectors/{{name}}{suffix}")).paths(c, s)
    };
    let (put_c, put_s) = config(json!({"errors.log.enable": "true"}), false);
    let to = json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 2}}]});
    let phases = vec![
        (
            vec![
                Step::new("POST", "/connectors")
                    .bodies(create_c.clone(), create_s.clone())
                    .data_keys(config_keys),
                Step::new("POST", "/connectors")
                    .note("again")
                    .bodies(create_c, create_s),
            ],
            Then::State("RUNNING"),
        ),
        (Vec::new(), Then::Topics),
        (
            vec![
                Step::new("GET", "/connectors").note("one connector"),
                Step::new("GET", "/connectors?expand=status"),
                Step::new("GET", "/connectors?expand=info").data_keys(&["$.diff.info.config"]),
                Step::new("GET", "/connectors?expand=status&expand=info")
                    .data_keys(&["$.diff.info.config"]),
                at("GET", "").data_keys(config_keys),
                at("GET", "/config").data_keys(&["$"]),
                at("GET", "/status"),
                at("GET", "/tasks").data_keys(&["$[].config"]),
                at("GET", "/tasks/0/status"),
                at("GET", "/tasks/7/status").note("no such task"),
                at("GET", "/topics"),
                at("PUT", "/config")
                    .bodies(put_c, put_s)
                    .data_keys(config_keys),
            ],
            Then::State("RUNNING"),
        ),
        (
            vec![
                at("GET", "/topics").note("after a new config"),
                at("PATCH", "/config")
                    .body(Body::Json(json!({"errors.log.enable": "false"})))
                    .data_keys(config_keys),
            ],
            Then::State("RUNNING"),
        ),
        (
            vec![
                at("POST", "/restart"),
                at("POST", "/restart?includeTasks=true&onlyFailed=false"),
            ],
            Then::State("RUNNING"),
        ),
        (
            vec![
                at("POST", "/tasks/0/restart"),
                at("POST", "/tasks/9/restart").note("no such task"),
                at("PUT", "/pause"),
            ],
            Then::State("PAUSED"),
        ),
        (
            vec![at("GET", "/status").note("paused"), at("PUT", "/resume")],
            Then::State("RUNNING"),
        ),
        (
            vec![
                at("GET", "/offsets"),
                at("DELETE", "/offsets").note("running"),
                at("PATCH", "/offsets")
                    .note("running")
                    .body(Body::Json(to.clone())),
                at("PUT", "/stop"),
            ],
            Then::State("STOPPED"),
        ),
        (
            vec![
                at("GET", "/status").note("stopped"),
                at("GET", "/offsets").note("stopped"),
                at("PATCH", "/offsets").body(Body::Json(to)),
                at("PATCH", "/offsets")
                    .note("no offsets field")
                    .body(Body::Json(json!({"partitions": []}))),
                at("DELETE", "/offsets"),
                at("PUT", "/topics/reset"),
                at("GET", "/topics").note("after a reset"),
                at("DELETE", ""),
            ],
            // Deleting takes effect as the config log is read back.
            Then::Wait(Duration::from_secs(2)),
        ),
        (vec![at("GET", "").note("deleted")], Then::Nothing),
    ];
    for (steps, then) in phases {
        phase(sides, steps, then, &mut found).await;
    }

    // Log levels, by Connect's logger names.
    let level = |l: &str| Body::Json(json!({"level": l}));
    phase(
        sides,
        vec![
            Step::new("GET", "/admin/loggers").data_keys(&["$"]),
            Step::new("PUT", "/admin/loggers/org.apache.kafka.connect").body(level("DEBUG")),
            Step::new("GET", "/admin/loggers/org.apache.kafka.connect"),
            Step::new("PUT", "/admin/loggers/org.apache.kafka.connect")
                .note("unknown level")
                .body(level("LOUD")),
            Step::new("PUT", "/admin/loggers/org.apache.kafka.connect")
                .note("no level")
                .body(Body::Json(json!({}))),
            Step::new("GET", "/admin/loggers/com.example.Nope"),
            Step::new(
                "PUT",
                "/admin/loggers/org.apache.kafka.connect?scope=cluster",
            )
            .body(level("INFO")),
            Step::new("PUT", "/admin/loggers/root").body(level("INFO")),
        ],
        Then::Nothing,
        &mut found,
    )
    .await;

    // Sluice's own endpoints, which Connect does not have.
    phase(
        sides,
        ["/health", "/metrics", "/ui", "/ui/data", "/openapi.yaml"]
            .into_iter()
            .map(|p| Step::new("GET", p))
            .collect(),
        Then::Nothing,
        &mut found,
    )
    .await;

    let allowed = allowed();
    let found_set: BTreeSet<(String, String)> = found.iter().cloned().collect();
    let unexpected: Vec<String> = found_set
        .difference(&allowed)
        .map(|(r, d)| format!("[[difference]]\nrequest = {r:?}\ndifference = {d:?}\nreason = \"\""))
        .collect();
    let stale: Vec<String> = allowed
        .difference(&found_set)
        .map(|(r, d)| format!("{r}: {d}"))
        .collect();
    sluice_worker.process.stop_cleanly();
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "Sluice's REST API answered differently from Kafka Connect's.\n\
         Differences not in tests/connect-rest-differences.toml (fix them, or list a deliberate one there with its reason):\n{}\n\
         Entries of the allow-list that no longer occur (remove them):\n{}\n\
         Connect's worker: {}",
        unexpected.join("\n\n"),
        stale.join("\n"),
        connect_worker.log()
    );
}
