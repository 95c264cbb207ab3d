//! Kafka Connect's REST API on the real `sluice` binary: connector JSON
//! POSTed unchanged delivers through a real broker to a real receiver, and
//! the `curl` sequences Connect users run get Connect-shaped answers.

use serde_json::{Value, json};
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{committed, create_topic, produce, producer};
use sluice_tests::rest::ApiWorker;
use sluice_tests::unique_topic;

/// Treasure Data's batch connector for Confluent's HTTP Sink, as its
/// documentation gives it, pointed at `url` and `topic`.
fn td_connector(name: &str, topic: &str, url: &str) -> Value {
    json!({
        "name": name,
        "config": {
            "connector.class": "io.confluent.connect.http.HttpSinkConnector",
            "tasks.max": "1",
            "topics": topic,
            "http.api.url": url,
            "request.method": "POST",
            "headers": "Authorization: TD1 secret-key|Content-Type: application/vnd.treasuredata.v1+json",
            "request.body.format": "json",
            "batch.json.as.array": "true",
            "batch.max.size": "500",
            "batch.prefix": "{\"records\":",
            "batch.suffix": "}",
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
            "confluent.topic.bootstrap.servers": "localhost:9092",
            "confluent.topic.replication.factor": "1",
            "reporter.result.topic.replication.factor": "1",
            "reporter.error.topic.replication.factor": "1"
        }
    })
}

async fn seed(topic: &str, n: usize) {
    create_topic(topic, 1).await;
    let records: Vec<_> = (0..n)
        .map(|i| (Some(format!("k{i}")), Some(format!(r#"{{"n":{i}}}"#))))
        .collect();
    produce(&producer(), topic, 0, &records).await;
}

fn records_received(r: &Receiver) -> usize {
    r.accepted()
        .iter()
        .map(|x| x.json()["records"].as_array().map_or(0, Vec::len))
        .sum()
}

async fn wait_records(r: &Receiver, n: usize) {
    r.wait_for(60, &format!("{n} records"), |_| records_received(r) >= n)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn treasure_data_connector_json_posted_unchanged_delivers_and_commits() {
    let topic = unique_topic("rest-td");
    seed(&topic, 1200).await;
    let receiver = Receiver::start().await;
    let api = ApiWorker::start(&[]).await;
    let name = format!("td-{topic}");
    let (code, info) = api
        .call(
            "POST",
            "/connectors",
            Some(&td_connector(&name, &topic, &receiver.url("/td"))),
        )
        .await;
    assert_eq!(code, 201, "{info}");
    assert_eq!(info["name"], name);
    assert_eq!(info["type"], "sink");
    assert_eq!(info["tasks"], json!([{"connector": name, "task": 0}]));
    assert_eq!(
        info["config"]["headers"],
        "Authorization: [hidden]|Content-Type: application/vnd.treasuredata.v1+json",
        "the API key never comes back"
    );
    wait_records(&receiver, 1200).await;
    for r in receiver.accepted() {
        let n = r.json()["records"].as_array().unwrap().len();
        assert!((1..=500).contains(&n), "batches of at most 500: {n}");
        assert_eq!(r.header("authorization"), Some("TD1 secret-key"));
    }
    let status = api
        .wait_for(
            &format!("/connectors/{name}/status"),
            "/connector/state",
            "RUNNING",
            10,
        )
        .await;
    assert_eq!(status["tasks"][0]["state"], "RUNNING");
    assert_eq!(status["tasks"][0]["id"], 0);
    // Offsets follow delivery: all 1200 committed once delivered.
    let group = format!("connect-{name}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while committed(&group, &topic, 1) != [Some(1200)] {
        assert!(
            std::time::Instant::now() < deadline,
            "offsets not committed: {:?}",
            committed(&group, &topic, 1)
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    // /metrics holds the counts of the run.
    let metrics = reqwest::get(format!("{}/metrics", api.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = |prefix: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with(prefix) && l.contains(&format!("connector=\"{name}\"")))
            .unwrap_or_else(|| panic!("{prefix} for {name} in\n{metrics}"))
            .to_string()
    };
    assert!(
        line("sluice_records_in_total{").ends_with(" 1200"),
        "{metrics}"
    );
    assert!(
        line("sluice_records_finished_total{").ends_with(" 1200"),
        "{metrics}"
    );
    assert!(line("sluice_records_finished_total{").contains("partition=\"0\""));
    assert!(
        line("sluice_batch_records_count{").ends_with(" 3")
            || line("sluice_batch_records_sum{").ends_with(" 1200.0"),
        "{metrics}"
    );
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("sluice_connector_state{")
                && l.contains(&name)
                && l.contains("state=\"RUNNING\"")
                && l.ends_with(" 1")),
        "{metrics}"
    );
    assert!(line("sluice_stage_calls_total{").contains("stage="));
    let m = api.metrics().await;
    let c = [("connector", name.as_str())];
    assert_eq!(m.sum("sluice_records_delivered_total", &c), 1200.0, "{m}");
    assert_eq!(m.sum("sluice_records_dropped_total", &c), 0.0, "{m}");
    assert_eq!(m.sum("sluice_records_dead_lettered_total", &c), 0.0, "{m}");
    assert_eq!(
        m.sum(
            "sluice_http_responses_total",
            &[("connector", &name), ("status", "200")]
        ),
        receiver.accepted().len() as f64,
        "one 200 per request: {m}"
    );
    let rss = metrics
        .lines()
        .find_map(|l| l.strip_prefix("process_resident_memory_bytes "))
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    assert!(rss > 1 << 20, "process_resident_memory_bytes: {rss}");
    api.process.stop_cleanly();
}

/// A custom SMT class, ported to a plugin that declares it: connector JSON
/// naming the class runs unchanged through `POST /connectors`; the class is
/// listed and documented as Connect lists its plugins; a class nobody
/// declares, or two plugins declaring one, are refused saying what to do.
#[tokio::test(flavor = "multi_thread")]
async fn a_custom_smt_class_runs_as_the_plugin_that_declares_it() {
    const CLASS: &str = "com.example.transforms.MaskFields$Value";
    let topic = unique_topic("rest-custom-smt");
    create_topic(&topic, 1).await;
    let records: Vec<_> = (0..40)
        .map(|i| (None, Some(format!(r#"{{"n":{i},"password":"p{i}"}}"#))))
        .collect();
    produce(&producer(), &topic, 0, &records).await;
    let dir = tempfile::tempdir().unwrap();
    let plugins = sluice_tests::mixed_plugin_dir(dir.path(), &["mask-fields"]);
    let receiver = Receiver::start().await;
    let api = ApiWorker::start_in(&plugins, &[]).await;

    let (_, listed) = api
        .call("GET", "/connector-plugins?connectorsOnly=false", None)
        .await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["class"] == CLASS && p["type"] == "transformation"),
        "{listed}"
    );
    let (code, keys) = api
        .call("GET", &format!("/connector-plugins/{CLASS}/config"), None)
        .await;
    assert_eq!(code, 200, "{keys}");
    let names: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["fields", "replacement"],
        "the host sets connect.class"
    );

    let mut connector = td_connector(&format!("masked-{topic}"), &topic, &receiver.url("/td"));
    let config = connector["config"].as_object_mut().unwrap();
    config.insert("transforms".into(), json!("mask"));
    config.insert("transforms.mask.type".into(), json!(CLASS));
    config.insert("transforms.mask.fields".into(), json!("password"));
    config.insert("transforms.mask.replacment".into(), json!("x"));
    let (code, info) = api.call("POST", "/connectors", Some(&connector)).await;
    assert_eq!(code, 201, "{info}");
    wait_records(&receiver, 40).await;
    let values: Vec<Value> = receiver
        .accepted()
        .iter()
        .flat_map(|r| r.json()["records"].as_array().unwrap().clone())
        .collect();
    let numbers: Vec<i64> = values.iter().map(|v| v["n"].as_i64().unwrap()).collect();
    assert_eq!(numbers, (0..40).collect::<Vec<_>>());
    assert!(
        values.iter().all(|v| v["password"] == "****"),
        "masked with the plugin's default replacement: the misspelt option is ignored, as Kafka ignores it: {values:?}"
    );
    let (_, validated) = api
        .call(
            "PUT",
            "/connector-plugins/HttpSinkConnector/config/validate",
            Some(&connector["config"]),
        )
        .await;
    let said = validated.to_string();
    assert!(
        said.contains(
            "not an option of com.example.transforms.MaskFields$Value (plugin \\\"mask-fields\\\")"
        ) && said.contains("did you mean \\\"replacement\\\""),
        "{said}"
    );

    let mut unknown = td_connector(&format!("wrapped-{topic}"), &topic, &receiver.url("/td"));
    let config = unknown["config"].as_object_mut().unwrap();
    config.insert("transforms".into(), json!("wrap"));
    config.insert(
        "transforms.wrap.type".into(),
        json!("com.example.WrapField$Value"),
    );
    let (code, answer) = api.call("POST", "/connectors", Some(&unknown)).await;
    let message = answer["message"].as_str().unwrap_or_default();
    assert_eq!(code, 400, "{answer}");
    for part in [
        "transforms.wrap.type",
        "org.apache.kafka.connect.transforms.InsertField$Value",
        &format!("declare {CLASS}"),
        "sluice plugin new <name> --kind transform",
        "`connect.class` config key",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }

    // A second plugin declaring the class: the directory is read again.
    std::fs::copy(
        sluice_tests::test_plugin("mask-fields"),
        plugins.join("mask-fields-v2.wasm"),
    )
    .unwrap();
    let again = td_connector(
        &format!("masked-again-{topic}"),
        &topic,
        &receiver.url("/td"),
    );
    let mut again = again;
    let config = again["config"].as_object_mut().unwrap();
    config.insert("transforms".into(), json!("mask"));
    config.insert("transforms.mask.type".into(), json!(CLASS));
    let (code, answer) = api.call("POST", "/connectors", Some(&again)).await;
    assert_eq!(code, 400, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or_default()
            .contains("declared by several plugins (mask-fields, mask-fields-v2)"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn curl_sequences_get_connect_shaped_answers() {
    let topic = unique_topic("rest-curl");
    seed(&topic, 10).await;
    let receiver = Receiver::start().await;
    let api = ApiWorker::start(&[]).await;
    let (code, root) = api.call("GET", "/", None).await;
    assert_eq!(code, 200);
    assert!(root["version"].is_string(), "{root}");
    assert!(
        root["kafka_cluster_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "the broker's cluster id: {root}"
    );
    let name = "curl-td";
    let body = td_connector(name, &topic, &receiver.url("/td"));
    assert_eq!(api.call("POST", "/connectors", Some(&body)).await.0, 201);
    let (code, again) = api.call("POST", "/connectors", Some(&body)).await;
    assert_eq!(
        (code, again),
        (
            409,
            json!({"error_code": 409, "message": format!("Connector {name} already exists")})
        )
    );
    wait_records(&receiver, 10).await;

    // list, expanded list, info, config, tasks, topics
    assert_eq!(
        api.call("GET", "/connectors", None).await,
        (200, json!([name]))
    );
    let (_, expanded) = api
        .call("GET", "/connectors?expand=status&expand=info", None)
        .await;
    assert_eq!(expanded[name]["status"]["connector"]["state"], "RUNNING");
    // Connect names the connector's version on the connector and each task:
    // the one GET /connector-plugins lists for the class.
    let (_, plugins) = api.call("GET", "/connector-plugins", None).await;
    let class_version = plugins
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["class"] == "io.confluent.connect.http.HttpSinkConnector")
        .map(|p| p["version"].clone())
        .unwrap();
    let status = &expanded[name]["status"];
    assert_eq!(status["connector"]["version"], class_version);
    assert_eq!(status["tasks"][0]["version"], class_version);
    assert_eq!(
        api.call("GET", &format!("/connectors/{name}/tasks/0/status"), None)
            .await
            .1["version"],
        class_version
    );
    assert_eq!(
        expanded[name]["info"]["config"]["connector.class"],
        "io.confluent.connect.http.HttpSinkConnector"
    );
    let (code, config) = api
        .call("GET", &format!("/connectors/{name}/config"), None)
        .await;
    assert_eq!(
        (code, config["batch.max.size"].as_str()),
        (200, Some("500"))
    );
    let (_, tasks) = api
        .call("GET", &format!("/connectors/{name}/tasks"), None)
        .await;
    assert_eq!(tasks[0]["id"], json!({"connector": name, "task": 0}));
    let (_, task) = api
        .call("GET", &format!("/connectors/{name}/tasks/0/status"), None)
        .await;
    assert_eq!(
        (task["id"].as_i64(), task["state"].as_str()),
        (Some(0), Some("RUNNING"))
    );
    let (_, topics) = api
        .call("GET", &format!("/connectors/{name}/topics"), None)
        .await;
    assert_eq!(topics, json!({name: {"topics": [topic]}}));

    // pause, resume
    assert_eq!(
        api.code("PUT", &format!("/connectors/{name}/pause")).await,
        202
    );
    let s = api
        .wait_for(
            &format!("/connectors/{name}/status"),
            "/connector/state",
            "PAUSED",
            10,
        )
        .await;
    assert_eq!(s["tasks"][0]["state"], "PAUSED");
    produce(
        &producer(),
        &topic,
        0,
        &[(None, Some(r#"{"n":10}"#.into()))],
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(
        records_received(&receiver),
        10,
        "a paused connector delivers nothing"
    );
    assert_eq!(
        api.code("PUT", &format!("/connectors/{name}/resume")).await,
        202
    );
    api.wait_state(name, "RUNNING").await;
    wait_records(&receiver, 11).await;

    // restart, plain and with includeTasks
    assert_eq!(
        api.code("POST", &format!("/connectors/{name}/restart"))
            .await,
        204
    );
    let (code, s) = api
        .call(
            "POST",
            &format!("/connectors/{name}/restart?includeTasks=true"),
            None,
        )
        .await;
    assert_eq!(
        (
            code,
            s["connector"]["state"].as_str(),
            s["tasks"][0]["state"].as_str()
        ),
        (202, Some("RESTARTING"), Some("RESTARTING"))
    );
    assert_eq!(
        s["tasks"][0]["version"], class_version,
        "the restart answer too"
    );
    assert_eq!(
        api.code("POST", &format!("/connectors/{name}/tasks/0/restart"))
            .await,
        204
    );
    api.wait_state(name, "RUNNING").await;

    // stop: no tasks
    assert_eq!(
        api.code("PUT", &format!("/connectors/{name}/stop")).await,
        204
    );
    let (_, s) = api
        .call("GET", &format!("/connectors/{name}/status"), None)
        .await;
    assert_eq!(
        (s["connector"]["state"].as_str(), s["tasks"].clone()),
        (Some("STOPPED"), json!([]))
    );

    // delete, then it is gone; re-create with PUT config (201), update (200)
    assert_eq!(
        api.code("DELETE", &format!("/connectors/{name}")).await,
        204
    );
    assert_eq!(
        api.call("GET", &format!("/connectors/{name}"), None).await,
        (
            404,
            json!({"error_code": 404, "message": format!("Connector {name} not found")})
        )
    );
    assert_eq!(
        api.code("GET", &format!("/connectors/{name}/status")).await,
        404
    );
    assert_eq!(
        api.call("PUT", &format!("/connectors/{name}/pause"), None)
            .await
            .1["message"],
        format!("Unknown connector {name}")
    );
    let config = body["config"].clone();
    // A 201's Location is absolute, as Connect's (clients follow it as given).
    let recreated = reqwest::Client::new()
        .put(format!("{}/connectors/{name}/config", api.base))
        .header("content-type", "application/json")
        .body(config.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(recreated.status(), 201);
    assert_eq!(
        recreated.headers()["location"],
        format!("{}/connectors/{name}", api.base).as_str()
    );
    assert_eq!(
        api.call("PUT", &format!("/connectors/{name}/config"), Some(&config))
            .await
            .0,
        200
    );
    api.wait_state(name, "RUNNING").await;
    // initial_state
    let mut paused = td_connector("born-paused", &topic, &receiver.url("/p"));
    paused["initial_state"] = json!("PAUSED");
    assert_eq!(api.call("POST", "/connectors", Some(&paused)).await.0, 201);
    let (_, s) = api
        .call("GET", "/connectors/born-paused/status", None)
        .await;
    assert_eq!(s["connector"]["state"], "PAUSED");
    api.process.stop_cleanly();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_get_a_4xx_naming_the_problem_and_start_nothing() {
    let api = ApiWorker::start(&[]).await;
    let good = td_connector("bad", "t", "http://127.0.0.1:1/in");
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b["config"][k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = good.clone();
        b["config"].as_object_mut().unwrap().remove(k);
        b
    };
    let cases: Vec<(Vec<u8>, u16, Vec<&str>)> = vec![
        (
            b"{\"name\": \"bad\", ".to_vec(),
            400,
            vec!["not valid JSON"],
        ),
        (
            serde_json::to_vec(&with(
                "connector.class",
                json!("com.example.JdbcSinkConnector"),
            ))
            .unwrap(),
            400,
            vec![
                "com.example.JdbcSinkConnector",
                "io.confluent.connect.s3.S3SinkConnector",
            ],
        ),
        (
            serde_json::to_vec(&with("auth.type", json!("KERBEROS"))).unwrap(),
            400,
            vec!["auth.type", "KERBEROS"],
        ),
        (
            serde_json::to_vec(&without("http.api.url")).unwrap(),
            400,
            vec!["http.api.url"],
        ),
        (
            serde_json::to_vec(&with("batch.max.size", json!("lots"))).unwrap(),
            400,
            vec!["batch.max.size", "lots"],
        ),
        (
            serde_json::to_vec(&with(
                "value.converter",
                json!("com.blueapron.connect.protobuf.ProtobufConverter"),
            ))
            .unwrap(),
            400,
            vec!["ProtobufConverter", "JsonConverter"],
        ),
        (
            // A converter that needs a registry, named without one.
            serde_json::to_vec(&with(
                "value.converter",
                json!("io.confluent.connect.avro.AvroConverter"),
            ))
            .unwrap(),
            400,
            vec!["value.converter", "schema.registry.url"],
        ),
        (vec![b' '; 2 << 20], 413, vec!["body"]),
    ];
    for (body, want, words) in cases {
        let (code, v) = api.call_raw("POST", "/connectors", body, None).await;
        assert_eq!(code, want, "{v}");
        assert_eq!(v["error_code"], want, "{v}");
        let message = v["message"].as_str().unwrap_or_default();
        for w in words {
            assert!(message.contains(w), "{w:?} in {message}");
        }
    }
    assert_eq!(
        api.call("GET", "/connectors", None).await,
        (200, json!([])),
        "nothing half-configured"
    );
    // validate reports errors and unsupported options per key, without creating anything
    let mut config = with("batch.key.pattern", json!("${key}"))["config"].clone();
    config["http.api.ulr"] = json!("x");
    config["name"] = json!("bad");
    let (code, v) = api
        .call(
            "PUT",
            "/connector-plugins/HttpSinkConnector/config/validate",
            Some(&config),
        )
        .await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["error_count"], 0, "warnings only: {v}");
    let errors_of = |key: &str| {
        v["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == key)
            .map(|c| c["value"]["errors"].clone())
    };
    assert!(
        errors_of("http.api.ulr").unwrap()[0]
            .as_str()
            .unwrap()
            .contains("ignored, as Connect ignores it; did you mean \"http.api.url\"?"),
        "{v}"
    );
    assert!(
        errors_of("batch.key.pattern").unwrap()[0]
            .as_str()
            .unwrap()
            .contains("whatever their keys")
    );
    // Every problem under its own key, with Connect's definitions.
    let (code, v) = api
        .call(
            "PUT",
            "/connector-plugins/io.confluent.connect.http.HttpSinkConnector/config/validate",
            Some(&json!({
                "connector.class": "io.confluent.connect.http.HttpSinkConnector",
                "tasks.max": "notanumber",
                "errors.log.enable": "${env:LOG_ERRORS}",
            })),
        )
        .await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["error_count"], 3, "{v}");
    assert_eq!(v["name"], "io.confluent.connect.http.HttpSinkConnector");
    let config_of = |key: &str| {
        v["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["definition"]["name"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("no {key} in {v}"))
    };
    for (key, error) in [
        (
            "name",
            "Missing required configuration \"name\" which has no default value.",
        ),
        (
            "tasks.max",
            "Invalid value notanumber for configuration tasks.max: Not a number of type INT",
        ),
        (
            "http.api.url",
            "Missing required configuration \"http.api.url\" which has no default value.",
        ),
    ] {
        assert_eq!(config_of(key)["value"]["errors"], json!([error]), "{v}");
    }
    let tasks = config_of("tasks.max")["definition"].clone();
    assert_eq!(
        (tasks["type"].as_str(), tasks["default_value"].as_str()),
        (Some("INT"), Some("1"))
    );
    assert!(
        tasks["documentation"].as_str().unwrap().contains("tasks"),
        "{tasks}"
    );
    let url = config_of("http.api.url")["definition"].clone();
    assert_eq!(
        (url["required"].as_bool(), url["importance"].as_str()),
        (Some(true), Some("HIGH"))
    );
    assert_eq!(
        config_of("request.method")["definition"]["default_value"],
        "POST"
    );
    assert_eq!(
        config_of("errors.log.enable")["definition"]["type"],
        "BOOLEAN"
    );
    assert_eq!(
        config_of("errors.log.enable")["definition"]["group"],
        "Error Handling"
    );
    assert_eq!(config_of("bearer.token")["definition"]["type"], "PASSWORD");
    assert!(
        !config_of("batch.prefix")["definition"]["documentation"]
            .as_str()
            .unwrap()
            .is_empty(),
        "the formatter's options are documented by its plugin: {v}"
    );
    // POST /connectors refuses the same config with the same problems.
    let (code, refused) = api
        .call(
            "POST",
            "/connectors",
            Some(&json!({"name": "invalid", "config": {
                "connector.class": "io.confluent.connect.http.HttpSinkConnector",
                "tasks.max": "notanumber",
            }})),
        )
        .await;
    assert_eq!(code, 400, "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains("following 2 error(s)"), "{message}");
    assert!(message.contains("Not a number of type INT"), "{message}");
    let (_, plugins) = api.call("GET", "/connector-plugins", None).await;
    assert!(
        plugins
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["type"] == "sink"),
        "{plugins}"
    );
    let (_, all) = api
        .call("GET", "/connector-plugins?connectorsOnly=false", None)
        .await;
    for class in [
        "org.apache.kafka.connect.json.JsonConverter",
        "org.apache.kafka.connect.transforms.Filter",
        "insert-field",
        "json",
    ] {
        assert!(
            all.as_array().unwrap().iter().any(|p| p["class"] == class),
            "{class} in {all}"
        );
    }
    assert_eq!(api.call("GET", "/nope", None).await.0, 404);
    api.process.stop_cleanly();
}

#[tokio::test(flavor = "multi_thread")]
async fn state_changes_need_the_token_when_one_is_set() {
    let api = ApiWorker::start(&["--api-token", "s3cret"]).await;
    let body = serde_json::to_vec(&td_connector("authz", "t", "http://127.0.0.1:1/in")).unwrap();
    let (code, v) = api
        .call_raw("POST", "/connectors", body.clone(), None)
        .await;
    assert_eq!((code, v["error_code"].as_i64()), (401, Some(401)), "{v}");
    assert_eq!(
        api.call_raw("POST", "/connectors", body.clone(), Some("Bearer wrong"))
            .await
            .0,
        401
    );
    assert_eq!(
        api.call("GET", "/connectors", None).await,
        (200, json!([])),
        "reads stay open"
    );
    assert_eq!(
        api.call_raw("POST", "/connectors", body, Some("Bearer s3cret"))
            .await
            .0,
        201
    );
    api.process.stop_cleanly();
}

/// Confluent's `auth.type=OAUTH2` against a real token endpoint: a token is
/// fetched once and shared, renewed before it expires (no request is ever
/// refused for an expired one), a revoked one is answered by one renewal and
/// the same request sent again, and the client secret is never logged.
#[tokio::test(flavor = "multi_thread")]
async fn oauth2_tokens_are_fetched_renewed_before_expiry_and_after_a_401() {
    use sluice_tests::http_receiver::{TOKEN_PATH, TokenEndpoint};
    const SECRET: &str = "client-secret-never-logged";
    let topic = unique_topic("rest-oauth2");
    seed(&topic, 3).await;
    let receiver = Receiver::start().await;
    receiver.serve_tokens(TokenEndpoint {
        client_id: "sluice-sink".into(),
        client_secret: SECRET.into(),
        in_form: false,
        token_property: "access_token".into(),
        // Renewed with 5 s left: after 3 s.
        lifetime: std::time::Duration::from_secs(8),
    });
    let log = tempfile::NamedTempFile::new().unwrap();
    let api = ApiWorker::start_env(&[], Some(log.path()), &[("SLUICE_LOG", "debug")]).await;
    let mut body = td_connector("oauth", &topic, &receiver.url("/in"));
    let config = body["config"].as_object_mut().unwrap();
    config.remove("headers");
    config.insert("batch.max.size".into(), json!("1"));
    config.insert("auth.type".into(), json!("OAUTH2"));
    config.insert("oauth2.token.url".into(), json!(receiver.url(TOKEN_PATH)));
    config.insert("oauth2.client.id".into(), json!("sluice-sink"));
    config.insert("oauth2.client.secret".into(), json!(SECRET));
    config.insert("oauth2.client.scope".into(), json!("ingest"));
    config.insert("oauth2.client.headers".into(), json!("X-Tenant: 7"));
    let (code, info) = api.call("POST", "/connectors", Some(&body)).await;
    assert_eq!(code, 201, "{info}");
    assert_eq!(info["config"]["oauth2.client.secret"], "[hidden]");
    wait_records(&receiver, 3).await;
    // Three requests, one token.
    let tokens = receiver.token_requests();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    let t = &tokens[0];
    assert_eq!(t.status, 200);
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&t.body).into_owned().collect();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["scope"], "ingest");
    assert!(!form.contains_key("client_secret"), "header mode: {form:?}");
    assert!(t.header("authorization").unwrap().starts_with("Basic "));
    assert_eq!(t.header("x-tenant"), Some("7"));
    // Past the renewal point, before expiry: a new token, no 401.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let more: Vec<_> = (3..5)
        .map(|i| (Some(format!("k{i}")), Some(format!(r#"{{"n":{i}}}"#))))
        .collect();
    produce(&producer(), &topic, 0, &more).await;
    wait_records(&receiver, 5).await;
    assert_eq!(receiver.token_requests().len(), 2, "renewed before expiry");
    assert_eq!(
        receiver.unauthorized(),
        0,
        "no request left with an expired token"
    );
    // Revoked: the next request is refused once, then sent with a new token.
    receiver.revoke_tokens();
    let last = vec![(Some("k5".to_string()), Some(r#"{"n":5}"#.to_string()))];
    produce(&producer(), &topic, 0, &last).await;
    wait_records(&receiver, 6).await;
    assert_eq!(receiver.unauthorized(), 1);
    assert_eq!(receiver.token_requests().len(), 3);
    let values: Vec<i64> = receiver
        .accepted()
        .iter()
        .flat_map(|r| r.json()["records"].as_array().cloned().unwrap_or_default())
        .map(|v| v["n"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(values, [0, 1, 2, 3, 4, 5], "each record once, in order");
    let status = api.wait_state("oauth", "RUNNING").await;
    assert_eq!(status["connector"]["state"], "RUNNING");
    api.process.stop_cleanly();
    let logged = std::fs::read_to_string(log.path()).unwrap();
    assert!(logged.contains("OAuth2 token fetched"), "debug log on");
    assert!(!logged.contains(SECRET), "the secret is never logged");
    assert!(!logged.contains("tok-"), "nor a token");
}

/// Aiven's `http.authorization.type=oauth2`: its option names, the client in
/// the form (`URL` mode) and the token under its own property.
#[tokio::test(flavor = "multi_thread")]
async fn aiven_oauth2_sends_the_client_in_the_form_and_reads_its_token_property() {
    use sluice_tests::http_receiver::{TOKEN_PATH, TokenEndpoint};
    let topic = unique_topic("rest-aiven-oauth2");
    seed(&topic, 2).await;
    let receiver = Receiver::start().await;
    receiver.serve_tokens(TokenEndpoint {
        client_id: "aiven-sink".into(),
        client_secret: "s".into(),
        in_form: true,
        token_property: "id_token".into(),
        lifetime: std::time::Duration::from_secs(3600),
    });
    let api = ApiWorker::start(&[]).await;
    let body = json!({
        "name": "aiven-oauth2",
        "config": {
            "connector.class": "io.aiven.kafka.connect.http.HttpSinkConnector",
            "topics": topic,
            "http.url": receiver.url("/aiven"),
            "http.authorization.type": "oauth2",
            "oauth2.access.token.url": receiver.url(TOKEN_PATH),
            "oauth2.client.id": "aiven-sink",
            "oauth2.client.secret": "s",
            "oauth2.client.authorization.mode": "URL",
            "oauth2.response.token.property": "id_token",
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter"
        }
    });
    let (code, info) = api.call("POST", "/connectors", Some(&body)).await;
    assert_eq!(code, 201, "{info}");
    let got = receiver.wait_for(60, "2 requests", |g| g.len() >= 2).await;
    for r in &got {
        assert!(
            r.header("authorization")
                .unwrap()
                .starts_with("Bearer tok-")
        );
    }
    let t = &receiver.token_requests()[0];
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&t.body).into_owned().collect();
    assert_eq!(
        (form["client_id"].as_str(), form["client_secret"].as_str()),
        ("aiven-sink", "s")
    );
    assert!(!form.contains_key("scope"), "Aiven asks no scope: {form:?}");
    assert_eq!(t.header("authorization"), None);
    api.process.stop_cleanly();
}

/// Trust and key stores as Connect users hold them, made by `keytool` and
/// `openssl`: a JKS trust store with a PKCS#12 key store, and a PKCS#12 trust
/// store with a JKS key store whose key has its own password, each against a
/// server that requires the client's certificate. A wrong password fails
/// the task with a message naming the file.
#[tokio::test(flavor = "multi_thread")]
async fn java_trust_and_key_stores_authenticate_both_ends() {
    use sluice_tests::tls::{HttpsReceiver, KEY_PASSWORD, STORE_PASSWORD, TlsFiles};
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles::generate(dir.path());
    let server = HttpsReceiver::start(&files);
    let allowed = format!("sluice.connector.allowed.paths={}", dir.path().display());
    let api = ApiWorker::start(&["--worker", &allowed]).await;
    let cases = [
        ("jks-p12", "trust.jks", "client.p12", None),
        ("p12-jks", "trust.p12", "client.jks", Some(KEY_PASSWORD)),
    ];
    for (name, trust, key, key_password) in cases {
        let topic = unique_topic(name);
        seed(&topic, 2).await;
        let mut body = td_connector(name, &topic, &server.url(&format!("/{name}")));
        let config = body["config"].as_object_mut().unwrap();
        config.insert(
            "https.ssl.truststore.location".into(),
            json!(files.path(trust)),
        );
        config.insert(
            "https.ssl.truststore.password".into(),
            json!(STORE_PASSWORD),
        );
        config.insert("https.ssl.keystore.location".into(), json!(files.path(key)));
        config.insert("https.ssl.keystore.password".into(), json!(STORE_PASSWORD));
        config.insert("https.ssl.keystore.type".into(), json!("PKCS12"));
        if let Some(p) = key_password {
            config.insert("https.ssl.key.password".into(), json!(p));
        }
        let (code, info) = api.call("POST", "/connectors", Some(&body)).await;
        assert_eq!(code, 201, "{info}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let got = loop {
            let got: Vec<_> = server
                .received()
                .into_iter()
                .filter(|r| r["path"] == format!("/{name}"))
                .collect();
            if !got.is_empty() {
                break got;
            }
            let (_, status) = api
                .call("GET", &format!("/connectors/{name}/status"), None)
                .await;
            assert!(
                std::time::Instant::now() < deadline,
                "{name}: nothing arrived; {status}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        };
        assert_eq!(got[0]["client"], "sluice-test-client", "{name}: mutual TLS");
        assert!(
            got[0]["body"].as_str().unwrap().contains(r#"{"n":0}"#),
            "{got:?}"
        );
    }
    // A wrong store password: the task fails, naming the file.
    let topic = unique_topic("bad-store");
    seed(&topic, 1).await;
    let mut body = td_connector("bad-store", &topic, &server.url("/bad"));
    let config = body["config"].as_object_mut().unwrap();
    config.insert(
        "https.ssl.truststore.location".into(),
        json!(files.path("trust.jks")),
    );
    config.insert(
        "https.ssl.truststore.password".into(),
        json!("Pa55-not-this"),
    );
    let (code, info) = api.call("POST", "/connectors", Some(&body)).await;
    assert_eq!(code, 201, "{info}");
    let status = api
        .wait_for(
            "/connectors/bad-store/status",
            "/tasks/0/state",
            "FAILED",
            30,
        )
        .await;
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("trust.jks") && trace.contains("wrong password"),
        "{status}"
    );
    assert!(
        !trace.contains("Pa55-not-this"),
        "the password is not shown: {trace}"
    );
    api.process.stop_cleanly();
}

#[tokio::test(flavor = "multi_thread")]
async fn aiven_connector_json_keeps_aivens_names_and_framing() {
    let topic = unique_topic("rest-aiven");
    seed(&topic, 6).await;
    let receiver = Receiver::start().await;
    let api = ApiWorker::start(&[]).await;
    let body = json!({
        "name": "aiven",
        "config": {
            "connector.class": "io.aiven.kafka.connect.http.HttpSinkConnector",
            "topics": topic,
            "http.url": receiver.url("/aiven"),
            "http.authorization.type": "static",
            "http.headers.authorization": "Bearer abc",
            "http.headers.content.type": "application/x-ndjson",
            "http.headers.additional": "X-Source:sluice",
            "batching.enabled": "true",
            "batch.max.size": "3",
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter"
        }
    });
    let (code, info) = api.call("POST", "/connectors", Some(&body)).await;
    assert_eq!(code, 201, "{info}");
    assert_eq!(info["config"]["http.headers.authorization"], "[hidden]");
    let got = receiver
        .wait_for(60, "6 records", |got| {
            got.iter()
                .map(|r| {
                    r.body
                        .split(|b| *b == b'\n')
                        .filter(|l| !l.is_empty())
                        .count()
                })
                .sum::<usize>()
                >= 6
        })
        .await;
    for r in &got {
        let text = String::from_utf8_lossy(&r.body);
        assert!(
            text.ends_with('\n') && text.lines().count() <= 3,
            "Aiven's framing: {text:?}"
        );
        assert!(
            text.lines().all(|l| l.starts_with(r#"{"n":"#)),
            "values as they are: {text:?}"
        );
        assert_eq!(r.header("authorization"), Some("Bearer abc"));
        assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
        assert_eq!(r.header("x-source"), Some("sluice"));
    }
    api.process.stop_cleanly();
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_connector_json_with_the_hourly_partitioner_writes_confluents_keys() {
    use sluice_tests::kafka::{RawRecord, produce_raw};
    use sluice_tests::s3;
    let (topic, bucket) = topic_and_bucket("rest-s3", 1).await;
    // 2022-04-18T10:00:00Z, one record a minute.
    let records: Vec<RawRecord> = (0..6)
        .map(|i| RawRecord {
            timestamp: Some(1_650_276_000_000 + i * 60_000),
            ..RawRecord::value(format!(r#"{{"n":{i}}}"#))
        })
        .collect();
    produce_raw(&topic, &records).await;
    let api = ApiWorker::start(&[]).await;
    let body = json!({
        "name": "archive",
        "config": json_lines_into_s3(&topic, &bucket, json!({
            "partitioner.class": "io.confluent.connect.storage.partitioner.HourlyPartitioner",
            "timestamp.extractor": "Record",
            "locale": "en-US",
            "timezone": "UTC",
            "flush.size": "3",
            "schema.compatibility": "NONE",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false"
        }))
    });
    let (code, info) = api.call("POST", "/connectors", Some(&body)).await;
    assert_eq!(code, 201, "{info}");
    assert_eq!(info["config"]["aws.secret.access.key"], "[hidden]");
    let dir = format!("topics/{topic}/year=2022/month=04/day=18/hour=10");
    let want = [
        format!("{dir}/{topic}+0+0000000000.json"),
        format!("{dir}/{topic}+0+0000000003.json"),
    ];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let got = s3::objects(&bucket).await;
        if got.len() >= 2 {
            assert_eq!(got.keys().cloned().collect::<Vec<_>>(), want);
            assert_eq!(
                String::from_utf8_lossy(&got[&want[0]]),
                "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n"
            );
            // Counted once the upload's answer is in, just after the object shows.
            let bytes: usize = got.values().map(Vec::len).sum();
            let c = [("connector", "archive")];
            let mut m = api.metrics().await;
            for _ in 0..50 {
                if m.sum("sluice_s3_objects_uploaded_total", &c) >= 2.0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                m = api.metrics().await;
            }
            assert_eq!(m.sum("sluice_s3_objects_uploaded_total", &c), 2.0, "{m}");
            assert_eq!(
                m.sum("sluice_s3_bytes_uploaded_total", &c),
                bytes as f64,
                "{m}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "objects: {:?}",
            got.keys()
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    api.process.stop_cleanly();
}

/// A sink waiting out a store that does not answer (a wrong endpoint, no
/// credentials) must not hold up the user fixing or removing it.
#[tokio::test(flavor = "multi_thread")]
async fn a_connector_waiting_for_an_unreachable_store_is_reconfigured_and_deleted_at_once() {
    let api = ApiWorker::start(&[]).await;
    // Nothing listens on port 9 of 127.0.0.1: every HeadBucket is retried.
    let config = |flush: &str| {
        json!({
            "connector.class": "io.confluent.connect.s3.S3SinkConnector",
            "topics": unique_topic("unreachable"),
            "s3.bucket.name": "nowhere",
            "s3.region": "us-east-1",
            "store.url": "http://127.0.0.1:9",
            "aws.access.key.id": "a",
            "aws.secret.access.key": "b",
            "flush.size": flush,
        })
    };
    let (code, v) = api
        .call("PUT", "/connectors/stuck/config", Some(&config("3")))
        .await;
    assert_eq!(code, 201, "{v}");
    // The task is in its first retry by now.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let started = std::time::Instant::now();
    let (code, v) = api
        .call("PUT", "/connectors/stuck/config", Some(&config("5")))
        .await;
    assert_eq!(code, 200, "{v}");
    let (code, v) = api.call("DELETE", "/connectors/stuck", None).await;
    assert_eq!(code, 204, "{v}");
    // Far below the 30 s after which a change not applied is reported.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(api.code("GET", "/connectors/stuck").await, 404);
    api.process.stop_cleanly();
}

/// `s3.ssea.name` and `s3.sse.kms.key.id` are asked of the store for every
/// object, which MinIO (with a KMS key) reports back; SSE-C is refused.
#[tokio::test(flavor = "multi_thread")]
async fn s3_server_side_encryption_is_asked_for_every_object() {
    use sluice_tests::kafka::{RawRecord, produce_raw};
    use sluice_tests::s3;
    let api = ApiWorker::start(&[]).await;
    for (name, algorithm, key) in [
        ("sse-s3", "AES256", None),
        ("sse-kms", "aws:kms", Some("sluice-test-key")),
    ] {
        let topic = unique_topic(name);
        create_topic(&topic, 1).await;
        let bucket = s3::unique_bucket(name);
        s3::create_bucket(&bucket).await;
        let records: Vec<RawRecord> = (0..2)
            .map(|i| RawRecord::value(format!(r#"{{"n":{i}}}"#)))
            .collect();
        produce_raw(&topic, &records).await;
        let mut config = json!({
            "connector.class": "io.confluent.connect.s3.S3SinkConnector",
            "topics": topic,
            "s3.bucket.name": bucket,
            "s3.region": "us-east-1",
            "store.url": s3::endpoint(),
            "aws.access.key.id": s3::ACCESS_KEY,
            "aws.secret.access.key": s3::SECRET_KEY,
            "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
            "flush.size": "2",
            "s3.ssea.name": algorithm,
        });
        if let Some(k) = key {
            config["s3.sse.kms.key.id"] = json!(k);
        }
        let (code, info) = api
            .call("PUT", &format!("/connectors/{name}/config"), Some(&config))
            .await;
        assert_eq!(code, 201, "{info}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let object = loop {
            if let Some(k) = s3::objects(&bucket).await.into_keys().next() {
                break k;
            }
            assert!(std::time::Instant::now() < deadline, "{name}: no object");
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        };
        let (got, kms) = s3::encryption(&bucket, &object).await;
        assert_eq!(got.as_deref(), Some(algorithm), "{name}");
        if let Some(k) = key {
            assert!(kms.unwrap_or_default().contains(k), "{name}");
        }
    }
    let (code, v) = api
        .call(
            "PUT",
            "/connectors/sse-c/config",
            Some(&json!({
                "connector.class": "io.confluent.connect.s3.S3SinkConnector",
                "topics": "t", "s3.bucket.name": "b", "flush.size": "1",
                "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
                "s3.sse.customer.key": "c2VjcmV0",
            })),
        )
        .await;
    assert_eq!(code, 400, "{v}");
    assert!(v["message"].as_str().unwrap().contains("SSE-C"), "{v}");
    assert!(!v.to_string().contains("c2VjcmV0"), "the key is not echoed");
    api.process.stop_cleanly();
}

/// A new user sees at start which converters a connector without its own
/// gets: the worker's, with their options (secrets hidden), or none.
#[tokio::test(flavor = "multi_thread")]
async fn the_worker_says_at_start_which_converters_connectors_inherit() {
    let log = tempfile::NamedTempFile::new().unwrap();
    let api = ApiWorker::start_with(
        &[
            "--worker",
            "value.converter=org.apache.kafka.connect.json.JsonConverter",
            "--worker",
            "value.converter.schemas.enable=false",
            "--worker",
            "value.converter.basic.auth.user.info=user:s3cr3t-never-shown",
        ],
        Some(log.path()),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let text = loop {
        let text = std::fs::read_to_string(log.path()).unwrap_or_default();
        if text.contains("without value.converter") || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(
        text.contains("a connector without value.converter takes the worker's: org.apache.kafka.connect.json.JsonConverter ("),
        "{text}"
    );
    assert!(text.contains("schemas.enable=false"), "{text}");
    assert!(text.contains("basic.auth.user.info=[hidden]"), "{text}");
    assert!(!text.contains("s3cr3t-never-shown"), "{text}");
    assert!(
        text.contains("a connector without key.converter takes the worker's: none, so the bytes pass as consumed"),
        "{text}"
    );
    api.process.stop_cleanly();
}

#[tokio::test(flavor = "multi_thread")]
async fn offsets_config_patches_and_topics_follow_connects_rules() {
    let topic = unique_topic("rest-offsets");
    seed(&topic, 10).await;
    let receiver = Receiver::start().await;
    let api = ApiWorker::start(&[]).await;
    let name = "offsets";
    let body = td_connector(name, &topic, &receiver.url("/td"));
    assert_eq!(api.call("POST", "/connectors", Some(&body)).await.0, 201);
    wait_records(&receiver, 10).await;
    let (_, topics) = api
        .call("GET", &format!("/connectors/{name}/topics"), None)
        .await;
    assert_eq!(topics, json!({name: {"topics": [topic]}}));
    assert_eq!(
        api.code("PUT", &format!("/connectors/{name}/topics/reset"))
            .await,
        202
    );
    let (_, topics) = api
        .call("GET", &format!("/connectors/{name}/topics"), None)
        .await;
    assert_eq!(topics, json!({name: {"topics": []}}));

    // Offsets change only while stopped.
    let (code, v) = api
        .call("DELETE", &format!("/connectors/{name}/offsets"), None)
        .await;
    assert_eq!(code, 400, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("STOPPED state"),
        "{v}"
    );
    assert_eq!(
        api.code("PUT", &format!("/connectors/{name}/stop")).await,
        204
    );
    let (code, v) = api
        .call("GET", &format!("/connectors/{name}/offsets"), None)
        .await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(
        v,
        json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 10}}]})
    );
    let to = json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 6}}]});
    let (code, v) = api
        .call("PATCH", &format!("/connectors/{name}/offsets"), Some(&to))
        .await;
    assert_eq!(
        (code, v["message"].as_str()),
        (
            200,
            Some("The offsets for this connector have been altered successfully")
        )
    );
    // Resumed, it delivers again from offset 6: records 6..9 a second time.
    assert_eq!(
        api.code("PUT", &format!("/connectors/{name}/resume")).await,
        202
    );
    wait_records(&receiver, 14).await;
    assert_eq!(
        api.code("PUT", &format!("/connectors/{name}/stop")).await,
        204
    );
    let (code, v) = api
        .call("DELETE", &format!("/connectors/{name}/offsets"), None)
        .await;
    assert_eq!(
        (code, v["message"].as_str()),
        (
            200,
            Some("The offsets for this connector have been reset successfully")
        ),
        "{v}"
    );
    let (_, v) = api
        .call("GET", &format!("/connectors/{name}/offsets"), None)
        .await;
    assert_eq!(v, json!({"offsets": []}));

    // PATCH config changes one option and keeps the others.
    let patch = json!({"batch.max.size": "100", "batch.key.pattern": null});
    let (code, info) = api
        .call("PATCH", &format!("/connectors/{name}/config"), Some(&patch))
        .await;
    assert_eq!(code, 200, "{info}");
    assert_eq!(info["config"]["batch.max.size"], "100");
    assert_eq!(info["config"]["http.api.url"], receiver.url("/td"));
    // A new config keeps the active topics (consumed again since the reset),
    // as Connect's status topic keeps them.
    let (_, topics) = api
        .call("GET", &format!("/connectors/{name}/topics"), None)
        .await;
    assert_eq!(topics, json!({name: {"topics": [topic]}}));
    api.process.stop_cleanly();
}

#[tokio::test(flavor = "multi_thread")]
async fn loggers_plugin_configs_and_the_openapi_document_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("worker.log");
    let api = ApiWorker::start_with(&[], Some(&log)).await;
    let (_, loggers) = api.call("GET", "/admin/loggers", None).await;
    assert_eq!(loggers["root"]["level"], "INFO", "{loggers}");
    let (code, changed) = api
        .call(
            "PUT",
            "/admin/loggers/sluice::sink",
            Some(&json!({"level": "debug"})),
        )
        .await;
    assert_eq!((code, changed), (200, json!(["sluice::sink"])));
    let (_, level) = api.call("GET", "/admin/loggers/sluice::sink", None).await;
    assert_eq!(level["level"], "DEBUG");
    assert!(level["last_modified"].is_i64(), "{level}");
    let (code, v) = api
        .call(
            "PUT",
            "/admin/loggers/sluice",
            Some(&json!({"level": "LOUD"})),
        )
        .await;
    assert_eq!(
        (code, v["message"].as_str()),
        (404, Some("invalid log level 'LOUD'."))
    );
    assert_eq!(api.code("GET", "/admin/loggers/nope").await, 404);

    // Connect's logger names: a runbook's PUT sets the modules doing that
    // work, and the namespace's children, as Connect does.
    let (code, changed) = api
        .call(
            "PUT",
            "/admin/loggers/org.apache.kafka.connect",
            Some(&json!({"level": "WARN"})),
        )
        .await;
    assert_eq!(
        (code, changed),
        (
            200,
            json!(["org.apache.kafka.connect", "sluice", "sluice::sink"])
        )
    );
    let (code, level) = api
        .call(
            "GET",
            "/admin/loggers/org.apache.kafka.connect.runtime.WorkerSinkTask",
            None,
        )
        .await;
    assert_eq!(
        (code, level["level"].as_str()),
        (200, Some("WARN")),
        "{level}"
    );
    let (_, loggers) = api.call("GET", "/admin/loggers", None).await;
    assert_eq!(loggers["sluice::sink"]["level"], "WARN", "{loggers}");
    assert_eq!(
        loggers["org.apache.kafka.connect.runtime.distributed"]["level"],
        "WARN"
    );
    // The herder logs each config change it applies at DEBUG: only once
    // Connect's distributed-herder logger is raised.
    let create =
        |name: &str| td_connector(name, &unique_topic("rest-loggers"), "http://127.0.0.1:9/");
    assert_eq!(
        api.call("POST", "/connectors", Some(&create("quiet")))
            .await
            .0,
        201
    );
    let (code, changed) = api
        .call(
            "PUT",
            "/admin/loggers/org.apache.kafka.connect.runtime.distributed",
            Some(&json!({"level": "debug"})),
        )
        .await;
    assert_eq!(
        (code, changed),
        (
            200,
            json!([
                "org.apache.kafka.connect.runtime.distributed",
                "sluice::worker"
            ])
        )
    );
    let applied = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("config change applied")
            .count()
    };
    assert_eq!(applied(), 0, "logged at DEBUG while the level was WARN");
    assert_eq!(
        api.call("POST", "/connectors", Some(&create("loud")))
            .await
            .0,
        201
    );
    let mut waited = 0;
    while applied() == 0 && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    assert!(
        applied() > 0,
        "no DEBUG line from sluice::worker after raising its Connect logger"
    );
    // The same level again changes nothing, as Connect answers.
    let (_, changed) = api
        .call(
            "PUT",
            "/admin/loggers/org.apache.kafka.connect.runtime.distributed",
            Some(&json!({"level": "DEBUG"})),
        )
        .await;
    assert_eq!(changed, json!([]));

    let (code, keys) = api
        .call(
            "GET",
            "/connector-plugins/io.confluent.connect.http.HttpSinkConnector/config",
            None,
        )
        .await;
    assert_eq!(code, 200);
    let url = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "http.api.url")
        .unwrap();
    assert_eq!(url["required"], true);
    let (code, keys) = api
        .call("GET", "/connector-plugins/insert-field/config", None)
        .await;
    assert_eq!(code, 200, "{keys}");
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .any(|k| k["name"] == "topic.field"),
        "{keys}"
    );
    let (code, v) = api
        .call("GET", "/connector-plugins/com.example.Nope/config", None)
        .await;
    assert_eq!(
        (code, v["message"].as_str()),
        (404, Some("Unknown plugin com.example.Nope."))
    );

    let spec = reqwest::get(format!("{}/openapi.yaml", api.base))
        .await
        .unwrap();
    assert_eq!(spec.status(), 200);
    assert!(
        spec.text()
            .await
            .unwrap()
            .contains("/connectors/{name}/offsets")
    );
    api.process.stop_cleanly();
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_drops_dead_letters_retries_and_statuses() {
    let topic = unique_topic("rest-metrics");
    create_topic(&topic, 1).await;
    let records: Vec<(Option<String>, Option<String>)> = [
        Some(r#"{"n":0}"#),
        Some("{not json"),
        None,
        Some(r#"{"n":1}"#),
        Some("{not json either"),
        None,
        Some(r#"{"n":2}"#),
        Some(r#"{"n":3}"#),
    ]
    .into_iter()
    .map(|v| (None, v.map(String::from)))
    .collect();
    produce(&producer(), &topic, 0, &records).await;
    let receiver = Receiver::start().await;
    receiver.script(&[503]);
    let api = ApiWorker::start(&[]).await;
    let name = "counted";
    let body = json!({
        "name": name,
        "config": {
            "connector.class": "io.confluent.connect.http.HttpSinkConnector",
            "topics": topic,
            "http.api.url": receiver.url("/in"),
            "request.body.format": "json",
            "batch.json.as.array": "true",
            "batch.max.size": "100",
            "max.retries": "3",
            "retry.backoff.ms": "10",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": format!("{topic}-dlq"),
            "errors.deadletterqueue.topic.replication.factor": "1",
            "transforms": "dropTombstones",
            "transforms.dropTombstones.type": "org.apache.kafka.connect.transforms.Filter",
            "transforms.dropTombstones.predicate": "isTombstone",
            "predicates": "isTombstone",
            "predicates.isTombstone.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
            "confluent.topic.bootstrap.servers": "localhost:9092"
        }
    });
    let (code, info) = api.call("POST", "/connectors", Some(&body)).await;
    assert_eq!(code, 201, "{info}");
    receiver
        .wait_for(60, "the accepted batch", |got| {
            got.iter().any(|r| r.status == 200)
        })
        .await;
    let c = [("connector", name)];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let m = loop {
        let m = api.metrics().await;
        if m.sum("sluice_records_finished_total", &c) == 8.0 {
            break m;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "8 records finished: {m}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(m.sum("sluice_records_in_total", &c), 8.0, "{m}");
    assert_eq!(m.sum("sluice_records_delivered_total", &c), 4.0, "{m}");
    assert_eq!(
        m.sum("sluice_records_dropped_total", &c),
        2.0,
        "tombstones filtered: {m}"
    );
    assert_eq!(m.sum("sluice_records_failed_total", &c), 2.0, "{m}");
    assert_eq!(m.sum("sluice_records_dead_lettered_total", &c), 2.0, "{m}");
    assert_eq!(m.sum("sluice_sink_retries_total", &c), 1.0, "{m}");
    for (status, n) in [("503", 1.0), ("200", 1.0)] {
        assert_eq!(
            m.sum(
                "sluice_http_responses_total",
                &[("connector", name), ("status", status)]
            ),
            n,
            "{m}"
        );
    }
    let dead = sluice_tests::kafka::consume_n(&format!("{topic}-dlq"), 2, 30);
    assert_eq!(dead.len(), 2);
    api.process.stop_cleanly();
}

/// Confluent's `TombstoneHandler`, as connector JSON names it: with its
/// default behavior (`warn`) the tombstones are dropped with a warning
/// naming each one and committed; with `ignore`, dropped without one; with
/// `behavior=fail` each fails, and
/// `errors.tolerance=all` sends it to the dead letter queue, as Connect does
/// with the SMT's `DataException`. Values that are not null (an empty one
/// too) pass unchanged.
#[tokio::test(flavor = "multi_thread")]
async fn confluents_tombstone_handler_drops_tombstones_with_a_warning_or_fails_them() {
    use sluice_tests::kafka::wait_committed_single;
    let topic = unique_topic("rest-tombstones");
    create_topic(&topic, 1).await;
    let values = [
        Some(r#"{"n":0}"#),
        None,
        Some(r#"{"n":1}"#),
        None,
        Some("\"\""),
        Some(r#"{"n":2}"#),
    ];
    let records: Vec<(Option<String>, Option<String>)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (Some(format!("k{i}")), v.map(String::from)))
        .collect();
    produce(&producer(), &topic, 0, &records).await;
    let warned = Receiver::start().await;
    let ignored = Receiver::start().await;
    let failed = Receiver::start().await;
    let api = ApiWorker::start(&[]).await;
    let handler = |name: &str, url: String, more: Value| {
        let mut body = sluice_tests::rest::http_json_connector(name, &topic, &url);
        let config = body["config"].as_object_mut().unwrap();
        config.insert("transforms".into(), json!("tombstones"));
        config.insert(
            "transforms.tombstones.type".into(),
            json!("io.confluent.connect.transforms.TombstoneHandler"),
        );
        for (k, v) in more.as_object().unwrap() {
            config.insert(k.clone(), v.clone());
        }
        body
    };
    let dlq = format!("{topic}-dlq");
    for body in [
        handler("tombstones-warned", warned.url("/in"), json!({})),
        handler(
            "tombstones-ignored",
            ignored.url("/in"),
            json!({"transforms.tombstones.behavior": "ignore"}),
        ),
        handler(
            "tombstones-failed",
            failed.url("/in"),
            json!({
                "transforms.tombstones.behavior": "fail",
                "errors.tolerance": "all",
                "errors.deadletterqueue.topic.name": dlq,
                "errors.deadletterqueue.topic.replication.factor": "1",
                "errors.deadletterqueue.context.headers.enable": "true"
            }),
        ),
    ] {
        let (code, info) = api.call("POST", "/connectors", Some(&body)).await;
        assert_eq!(code, 201, "{info}");
    }
    let values_of = |r: &Receiver| -> Vec<Value> {
        r.accepted()
            .iter()
            .flat_map(|x| x.json()["records"].as_array().cloned().unwrap_or_default())
            .collect()
    };
    let want = [json!({"n": 0}), json!({"n": 1}), json!(""), json!({"n": 2})];
    for r in [&warned, &ignored, &failed] {
        r.wait_for(60, "the four values", |_| values_of(r).len() >= 4)
            .await;
        assert_eq!(values_of(r), want);
    }
    // Everything consumed is committed: the tombstones dropped by one
    // connector and dead-lettered by the other.
    wait_committed_single("connect-tombstones-warned", &topic, 6).await;
    wait_committed_single("connect-tombstones-ignored", &topic, 6).await;
    wait_committed_single("connect-tombstones-failed", &topic, 6).await;
    let dead = sluice_tests::kafka::consume_n(&dlq, 2, 30);
    let offsets: Vec<i64> = dead
        .iter()
        .map(sluice_tests::dead_letters::dead_offset)
        .collect();
    assert_eq!(offsets, [1, 3]);
    for m in &dead {
        assert_eq!(rdkafka::Message::payload(m), None, "a tombstone stays one");
        let e = sluice_tests::dead_letters::header(m, "__connect.errors.exception.message");
        assert!(e.contains("behavior=fail"), "{e}");
    }
    let log = api.process.stop_cleanly();
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("dropped the tombstone"))
        .collect();
    // Two from the default behavior; none from `ignore`.
    assert_eq!(warnings.len(), 2, "{log}");
    assert!(
        warnings[0].contains(&format!("{topic}-0 at offset 1")),
        "{log}"
    );
    assert!(
        warnings[1].contains(&format!("{topic}-0 at offset 3")),
        "{log}"
    );
}

/// Connector JSON that chains Kafka's SMTs (ExtractField, TimestampRouter,
/// ReplaceField, and Filter with a predicate) runs as it is written: the
/// S3 keys name the routed topic, and the offsets are committed on the
/// partitions the records were consumed from, dropped records included.
#[tokio::test(flavor = "multi_thread")]
async fn connector_json_chaining_kafkas_smts_routes_topics_and_commits_the_consumed_partitions() {
    use sluice_tests::kafka::{RawRecord, produce_raw};
    let (topic, bucket) = topic_and_bucket("rest-smts", 2).await;
    // Six records per partition on 2022-04-18; offsets 2 and 5 carry the
    // header the Filter's predicate looks for.
    let records: Vec<RawRecord> = (0..2)
        .flat_map(|p| {
            (0..6).map(move |i| RawRecord {
                partition: p,
                timestamp: Some(1_650_276_000_000 + i * 60_000),
                headers: if i % 3 == 2 {
                    vec![("test-event".into(), Some(b"yes".to_vec()))]
                } else {
                    Vec::new()
                },
                ..RawRecord::value(format!(
                    r#"{{"op":"c","after":{{"id":{},"name":"n{i}","secret":"s{i}"}}}}"#,
                    i64::from(p) * 100 + i
                ))
            })
        })
        .collect();
    produce_raw(&topic, &records).await;
    let api = ApiWorker::start(&[]).await;
    let body = json!({
        "name": "smts",
        "config": json_lines_into_s3(&topic, &bucket, json!({
            "flush.size": "2",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
            "transforms": "unwrap,route,tidy,skipTests",
            "transforms.unwrap.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
            "transforms.unwrap.field": "after",
            "transforms.route.type": "org.apache.kafka.connect.transforms.TimestampRouter",
            "transforms.route.topic.format": "${topic}-${timestamp}",
            "transforms.route.timestamp.format": "yyyyMMdd",
            "transforms.tidy.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
            "transforms.tidy.exclude": "secret",
            "transforms.tidy.renames": "name:title",
            "transforms.skipTests.type": "org.apache.kafka.connect.transforms.Filter",
            "transforms.skipTests.predicate": "isTest",
            "predicates": "isTest",
            "predicates.isTest.type": "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
            "predicates.isTest.name": "test-event"
        }))
    });
    let (code, info) = api.call("POST", "/connectors", Some(&body)).await;
    assert_eq!(code, 201, "{info}");
    let routed = format!("{topic}-20220418");
    let mut want = Vec::new();
    for p in 0..2 {
        for start in [0, 3] {
            want.push(format!(
                "topics/{routed}/partition={p}/{routed}+{p}+{start:010}.json"
            ));
        }
    }
    let got = objects_once_there(&api, "smts", &bucket, want.len()).await;
    assert_eq!(got.keys().cloned().collect::<Vec<_>>(), want);
    let first = String::from_utf8_lossy(&got[&want[2]]);
    let lines: Vec<Value> = first
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            json!({"id": 100, "title": "n0"}),
            json!({"id": 101, "title": "n1"})
        ]
    );
    // Offsets 2 and 5 were dropped by the Filter: committed all the same,
    // on the topic consumed, not the routed one.
    committed_reaches("connect-smts", &topic, &[Some(6), Some(6)]).await;
    api.process.stop_cleanly();
}

/// A new topic of `partitions` partitions and a new bucket, both named
/// after `prefix`.
async fn topic_and_bucket(prefix: &str, partitions: i32) -> (String, String) {
    let topic = unique_topic(prefix);
    create_topic(&topic, partitions).await;
    let bucket = sluice_tests::s3::unique_bucket(prefix);
    sluice_tests::s3::create_bucket(&bucket).await;
    (topic, bucket)
}

/// The config of Confluent's S3 sink writing `topic` into `bucket` on the
/// test's MinIO as JSON lines, with `more` options.
fn json_lines_into_s3(topic: &str, bucket: &str, more: Value) -> Value {
    use sluice_tests::s3;
    let mut config = json!({
        "connector.class": "io.confluent.connect.s3.S3SinkConnector",
        "tasks.max": "1",
        "topics": topic,
        "s3.bucket.name": bucket,
        "s3.region": "us-east-1",
        "store.url": s3::endpoint(),
        "aws.access.key.id": s3::ACCESS_KEY,
        "aws.secret.access.key": s3::SECRET_KEY,
        "storage.class": "io.confluent.connect.s3.storage.S3Storage",
        "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
    });
    if let (Some(c), Some(m)) = (config.as_object_mut(), more.as_object()) {
        c.extend(m.clone());
    }
    config
}

/// The objects of `bucket` once there are `n`; after a minute, a panic
/// with `connector`'s status.
async fn objects_once_there(
    api: &ApiWorker,
    connector: &str,
    bucket: &str,
    n: usize,
) -> std::collections::BTreeMap<String, Vec<u8>> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let got = sluice_tests::s3::objects(bucket).await;
        if got.len() >= n {
            return got;
        }
        if std::time::Instant::now() > deadline {
            let (_, status) = api
                .call("GET", &format!("/connectors/{connector}/status"), None)
                .await;
            panic!("objects: {:?}; status {status}", got.keys());
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

/// Waits (30 s at most) until `group` has committed `want` on `topic`'s
/// partitions.
async fn committed_reaches(group: &str, topic: &str, want: &[Option<i64>]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let c = committed(group, topic, want.len() as i32);
        if c == want {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "committed {c:?}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

/// A Debezium change stream (JSON envelopes with their schemas, as Debezium
/// writes them with `JsonConverter`) through the connector JSON users write
/// for CDC into S3: `ExtractNewRecordState` rewrites deletes, adds the
/// operation and the source's timestamp, routes by a column, drops the
/// tombstone; offsets are committed on the partition consumed.
#[tokio::test(flavor = "multi_thread")]
async fn debezium_change_events_unwrapped_by_extract_new_record_state_land_in_s3() {
    use sluice_tests::kafka::{RawRecord, produce_raw};
    let (topic, bucket) = topic_and_bucket("rest-cdc", 1).await;
    let (eu, us) = (format!("{topic}-eu"), format!("{topic}-us"));
    let row = json!({
        "type": "struct", "name": "dbserver1.inventory.customers.Value", "optional": true,
        "fields": [
            {"field": "id", "type": "int32", "optional": false},
            {"field": "email", "type": "string", "optional": true},
            {"field": "region", "type": "string", "optional": true}
        ]
    });
    let envelope = json!({
        "type": "struct", "name": "dbserver1.inventory.customers.Envelope", "optional": false,
        "fields": [
            {"field": "before", "type": "struct", "name": "dbserver1.inventory.customers.Value",
             "optional": true, "fields": row["fields"]},
            {"field": "after", "type": "struct", "name": "dbserver1.inventory.customers.Value",
             "optional": true, "fields": row["fields"]},
            {"field": "source", "type": "struct", "name": "io.debezium.connector.mysql.Source",
             "optional": false, "fields": [
                {"field": "ts_ms", "type": "int64", "optional": false},
                {"field": "table", "type": "string", "optional": true}]},
            {"field": "op", "type": "string", "optional": false},
            {"field": "ts_ms", "type": "int64", "optional": true}
        ]
    });
    let key = |id: i64| {
        json!({"schema": {"type": "struct", "name": "dbserver1.inventory.customers.Key", "optional": false,
                          "fields": [{"field": "id", "type": "int32", "optional": false}]},
               "payload": {"id": id}})
        .to_string()
        .into_bytes()
    };
    let event = |id: i64, op: &str, before: Value, after: Value, ts: i64| RawRecord {
        key: Some(key(id)),
        ..RawRecord::value(
            json!({"schema": envelope, "payload": {
                "before": before, "after": after,
                "source": {"ts_ms": ts, "table": "customers"}, "op": op, "ts_ms": ts + 5}})
            .to_string(),
        )
    };
    let ann = |email: &str| json!({"id": 1, "email": email, "region": eu});
    let records = vec![
        event(1, "c", Value::Null, ann("ann@example.com"), 1000),
        event(1, "u", ann("ann@example.com"), ann("ann@example.org"), 2000),
        event(1, "d", ann("ann@example.org"), Value::Null, 3000),
        RawRecord {
            key: Some(key(1)),
            value: None,
            ..Default::default()
        },
        event(
            2,
            "c",
            Value::Null,
            json!({"id": 2, "email": null, "region": us}),
            4000,
        ),
    ];
    produce_raw(&topic, &records).await;
    let api = ApiWorker::start(&[]).await;
    let body = json!({
        "name": "cdc",
        "config": json_lines_into_s3(&topic, &bucket, json!({
            "flush.size": "1",
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "transforms": "unwrap",
            "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
            "transforms.unwrap.delete.tombstone.handling.mode": "rewrite",
            "transforms.unwrap.add.fields": "op,source.ts_ms",
            "transforms.unwrap.route.by.field": "region"
        }))
    });
    let (code, info) = api.call("POST", "/connectors", Some(&body)).await;
    assert_eq!(code, 201, "{info}");
    let object = |t: &str, offset: i64| format!("topics/{t}/partition=0/{t}+0+{offset:010}.json");
    let mut want = vec![
        object(&eu, 0),
        object(&eu, 1),
        object(&eu, 2),
        object(&us, 4),
    ];
    want.sort();
    let got = objects_once_there(&api, "cdc", &bucket, want.len()).await;
    assert_eq!(got.keys().cloned().collect::<Vec<_>>(), want);
    let line = |t: &str, offset: i64| -> Value {
        serde_json::from_slice(&got[&object(t, offset)]).expect("one JSON line")
    };
    let row = |id: i64, email: Value, region: &str, deleted: &str, op: &str, ts: i64| {
        json!({"id": id, "email": email, "region": region, "__deleted": deleted,
               "__op": op, "__source_ts_ms": ts})
    };
    assert_eq!(
        line(&eu, 0),
        row(1, "ann@example.com".into(), &eu, "false", "c", 1000)
    );
    assert_eq!(
        line(&eu, 1),
        row(1, "ann@example.org".into(), &eu, "false", "u", 2000)
    );
    // The delete: its before row, marked deleted.
    assert_eq!(
        line(&eu, 2),
        row(1, "ann@example.org".into(), &eu, "true", "d", 3000)
    );
    assert_eq!(line(&us, 4), row(2, Value::Null, &us, "false", "c", 4000));
    // The tombstone (offset 3) was dropped: committed all the same, on the
    // topic consumed.
    committed_reaches("connect-cdc", &topic, &[Some(5)]).await;
    api.process.stop_cleanly();
}
