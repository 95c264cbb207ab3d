//! The status page at `/ui`, driven in headless Chromium (Debian's package,
//! through puppeteer-core; both installed by `scripts/ui/setup-browser`):
//! it shows every connector with its state, plugins, sink, throughput and
//! lag plots with time and value axes, values on hover, lag per partition
//! and recent errors; its figures agree with each other and with
//! `/metrics`; its screenshot is kept; and its Pause button pauses.

use std::process::Command;

use serde_json::{Value, json};
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{create_topic, produce, producer};
use sluice_tests::rest::ApiWorker;
use sluice_tests::{outcome, repo_root, unique_topic};

/// The chromium executable and puppeteer-core's directory:
/// `$SLUICE_BROWSER` (two lines, as scripts/test sets it), else installed
/// now by the project's script.
fn browser() -> (String, String) {
    let lines = match std::env::var("SLUICE_BROWSER") {
        Ok(v) => v,
        Err(_) => {
            let out = Command::new(repo_root().join("scripts/ui/setup-browser"))
                .output()
                .expect("run scripts/ui/setup-browser");
            let (ok, text) = outcome(&out);
            assert!(ok, "installing the browser: {text}");
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    };
    let mut lines = lines.lines().map(str::trim).filter(|l| !l.is_empty());
    let chromium = lines.next().expect("the chromium path").to_string();
    let puppeteer = lines
        .next()
        .expect("puppeteer-core's directory")
        .to_string();
    (chromium, puppeteer)
}

/// An HTTP sink connector over `topic` with JSON values, bad ones
/// dead-lettered.
fn connector(name: &str, topic: &str, url: &str) -> Value {
    json!({
        "name": name,
        "config": {
            "connector.class": "io.confluent.connect.http.HttpSinkConnector",
            "topics": topic,
            "http.api.url": url,
            "request.body.format": "json",
            "batch.json.as.array": "true",
            "batch.max.size": "50",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": format!("{topic}-dlq"),
            "errors.deadletterqueue.topic.replication.factor": "1",
            "confluent.topic.bootstrap.servers": "localhost:9092"
        }
    })
}

async fn seed(topic: &str, values: &[&str]) {
    create_topic(topic, 1).await;
    let records: Vec<_> = values.iter().map(|v| (None, Some(v.to_string()))).collect();
    produce(&producer(), topic, 0, &records).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn status_page_shows_connectors_and_its_pause_button_pauses() {
    let (chromium, puppeteer) = browser();
    let orders = unique_topic("ui-orders");
    let clicks = unique_topic("ui-clicks");
    let good: Vec<String> = (0..200).map(|i| format!(r#"{{"n":{i}}}"#)).collect();
    seed(
        &orders,
        &good.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
    seed(&clicks, &[r#"{"n":1}"#, "{not json", r#"{"n":2}"#]).await;
    let receiver = Receiver::start().await;
    let api = ApiWorker::start(&[]).await;
    for (name, topic) in [("orders", &orders), ("clicks", &clicks)] {
        let (code, info) = api
            .call(
                "POST",
                "/connectors",
                Some(&connector(name, topic, &receiver.url(&format!("/{name}")))),
            )
            .await;
        assert_eq!(code, 201, "{info}");
    }
    let (code, data) = api.call("GET", "/ui/data", None).await;
    assert_eq!(code, 200);
    assert_eq!(
        data["connectors"].as_array().map(Vec::len),
        Some(2),
        "{data}"
    );

    let screenshot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("status-page.png");
    let _ = std::fs::remove_file(&screenshot);
    let out = tokio::task::spawn_blocking({
        let base = api.base.clone();
        let screenshot = screenshot.clone();
        move || {
            Command::new("node")
                .arg(repo_root().join("tests/ui/status-page.cjs"))
                .args([&chromium, &puppeteer, &base])
                .arg(&screenshot)
                .args(["orders=200,clicks=3", "orders", "clicks"])
                .output()
                .expect("run node")
        }
    })
    .await
    .unwrap();
    let (ok, text) = outcome(&out);
    assert!(ok, "the browser run failed:\n{text}");
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("the browser run's report is not JSON ({e}):\n{text}");
    });
    println!("screenshot: {}", screenshot.display());

    // What the page showed.
    assert_eq!(
        seen["problems"],
        json!([]),
        "no script or request errors: {seen}"
    );
    assert_eq!(seen["message"], "", "the click's request succeeded: {seen}");
    let cards = seen["seen"].as_array().expect("cards");
    let card = |name: &str| {
        cards
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no card for {name}: {seen}"))
    };
    for name in ["orders", "clicks"] {
        let c = card(name);
        assert_eq!(c["state"], "RUNNING", "{c}");
        let text = c["text"].as_str().unwrap_or_default();
        assert!(
            text.contains("RUNNING") && text.contains("records/s") && text.contains("lag"),
            "{text}"
        );
    }
    assert!(
        card("clicks")["errors"].as_u64().unwrap_or(0) >= 1,
        "the malformed record is among the recent errors: {seen}"
    );

    // The structure of each card: axes, a window that grows with the data,
    // figures that agree with the plots and with /metrics, plugins, sink.
    let metrics = api.metrics().await;
    for (name, finished, dead) in [("orders", 200.0, 0.0), ("clicks", 3.0, 1.0)] {
        let c = card(name);
        for plot in ["rate", "lag"] {
            let p = &c[plot];
            let x_labels = p["x_labels"].as_array().map_or(0, Vec::len);
            assert!(x_labels >= 2, "{name} {plot}: a time axis: {p}");
            assert!(
                p["x_labels"][0]
                    .as_str()
                    .is_some_and(|l| l.len() == 8 && l.as_bytes()[2] == b':'),
                "{name} {plot}: clock labels: {p}"
            );
            assert_eq!(
                p["y_labels"].as_array().map(Vec::len),
                Some(3),
                "{name} {plot}: a value axis: {p}"
            );
            let window = p["window_seconds"].as_u64().unwrap_or(0);
            assert!(
                (60..900).contains(&window),
                "{name} {plot}: a young connector's window is shorter than 15 minutes: {p}"
            );
        }
        let counts = &c["counts"];
        let lag = counts["lag"].as_str().unwrap_or_default();
        // Before librdkafka reports a lag, neither shows one.
        let now = if lag == "–" {
            "no samples yet".to_string()
        } else {
            format!("now {lag} ")
        };
        assert!(
            c["lag"]["now"]
                .as_str()
                .is_some_and(|n| n.starts_with(&now)),
            "{name}: the header's lag and the plot's now are one reading: {c}"
        );
        for (label, metric, want) in [
            ("finished", "sluice_records_finished_total", finished),
            ("dead_lettered", "sluice_records_dead_lettered_total", dead),
        ] {
            assert_eq!(
                metrics.sum(metric, &[("connector", name)]),
                want,
                "{name}: {metric}"
            );
            assert_eq!(
                counts[label].as_str(),
                Some(want.to_string().as_str()),
                "{name}: the page's {label} is /metrics': {c}"
            );
        }
        assert_eq!(c["sink"], receiver.url(&format!("/{name}")), "{c}");
        let plugins: Vec<&str> = c["plugins"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert!(
            plugins
                .iter()
                .any(|p| p.starts_with("value.converter json ") && p.contains("(contract 0.")),
            "{name}: the converter with its version and contract: {plugins:?}"
        );
        assert!(
            plugins
                .iter()
                .any(|p| p.starts_with("sink.formatter json-batch ")),
            "{name}: the formatter: {plugins:?}"
        );
    }
    let tip = seen["tip"].as_str().unwrap_or_default();
    assert!(
        tip.len() > 10 && tip.as_bytes()[2] == b':' && tip[8..].starts_with(": "),
        "hovering shows a sample's time and value: {seen}"
    );
    assert_eq!(
        seen["partitions"]["open"], true,
        "the partition table stays open across refreshes: {seen}"
    );
    let rows = &seen["partitions"]["rows"];
    assert_eq!(
        rows.as_array().map(Vec::len),
        Some(1),
        "one row per partition: {seen}"
    );
    assert_eq!(rows[0][0], format!("{orders}-0"), "{seen}");
    assert!(
        rows[0][1]
            .as_str()
            .is_some_and(|l| l == "–" || l.parse::<u64>().is_ok()),
        "the partition's lag, or – before librdkafka reports it: {seen}"
    );
    assert_eq!(
        (&rows[0][2], &rows[0][3]),
        (&json!("200"), &json!("200")),
        "the partition's consumed and finished records: {seen}"
    );
    let png = std::fs::read(&screenshot).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        png.len() > 10_000,
        "a page, not a blank: {} bytes",
        png.len()
    );

    // The click paused the connector, for the API too.
    let status = api.wait_state("orders", "PAUSED").await;
    assert_eq!(status["connector"]["state"], "PAUSED");
    let (_, other) = api.call("GET", "/connectors/clicks/status", None).await;
    assert_eq!(
        other["connector"]["state"], "RUNNING",
        "only the clicked one"
    );
    api.process.stop_cleanly();
}
