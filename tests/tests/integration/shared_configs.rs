//! Workers started with the same `--group-id` share the connectors created
//! through the API: configs live in a compacted Kafka topic that every
//! worker reads, so a connector created on one runs on all, survives a
//! worker's restart, and a delete stops it everywhere.

use serde_json::json;
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{create_topic, produce_numbers};
use sluice_tests::rest::ApiWorker;
use sluice_tests::unique_topic;

fn numbers(r: &Receiver) -> Vec<i64> {
    let mut n: Vec<i64> = r
        .accepted()
        .iter()
        .map(|x| x.json()["n"].as_i64().expect("a record with n"))
        .collect();
    n.sort();
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_share_a_connector_keep_it_across_restarts_and_delete_it_together() {
    let topic = unique_topic("shared");
    create_topic(&topic, 2).await;
    let configs = unique_topic("sluice-configs");
    let group = unique_topic("workers");
    let args = ["--group-id", &group, "--config-storage-topic", &configs];
    let receiver = Receiver::start().await;
    let a = ApiWorker::start(&args).await;
    let mut b = ApiWorker::start(&args).await;
    let name = format!("shared-{topic}");
    let connector = json!({
        "name": name,
        "config": {
            "connector.class": "io.confluent.connect.http.HttpSinkConnector",
            "topics": topic,
            "http.api.url": receiver.url("/in"),
            "request.body.format": "json",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false"
        }
    });
    let (code, info) = a.call("POST", "/connectors", Some(&connector)).await;
    assert_eq!(code, 201, "{info}");
    // B learns of it from the config topic, and runs it too.
    b.wait_state(&name, "RUNNING").await;
    assert_eq!(b.call("GET", "/connectors", None).await.1, json!([name]));
    produce_numbers(&topic, 2, 0..20).await;
    receiver
        .wait_for(60, "20 records", |got| got.len() >= 20)
        .await;
    assert_eq!(numbers(&receiver), (0..20).collect::<Vec<_>>());

    // A level set with scope=cluster on A is set on B too, as Connect's
    // workers share theirs through the config topic.
    let (code, _) = a
        .call(
            "PUT",
            "/admin/loggers/io.confluent.connect.http?scope=cluster",
            Some(&json!({"level": "DEBUG"})),
        )
        .await;
    assert_eq!(code, 204);
    b.wait_for("/admin/loggers/sluice::sink::http", "/level", "DEBUG", 30)
        .await;

    // A restarted worker reads the topic again and still runs it.
    b.process.stop_cleanly();
    b = ApiWorker::start(&args).await;
    // Levels written before it started are history there, as in Connect.
    let (_, level) = b
        .call("GET", "/admin/loggers/io.confluent.connect.http", None)
        .await;
    assert_eq!(level["level"], "INFO", "{level}");
    b.wait_state(&name, "RUNNING").await;
    // Pausing on one worker pauses it on both.
    assert_eq!(
        b.code("PUT", &format!("/connectors/{name}/pause")).await,
        202
    );
    a.wait_state(&name, "PAUSED").await;
    assert_eq!(
        a.code("PUT", &format!("/connectors/{name}/resume")).await,
        202
    );
    b.wait_state(&name, "RUNNING").await;
    produce_numbers(&topic, 2, 20..30).await;
    receiver
        .wait_for(60, "30 records", |got| got.len() >= 30)
        .await;

    // Deleting it on B stops it on A too.
    assert_eq!(b.code("DELETE", &format!("/connectors/{name}")).await, 204);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while a.call("GET", "/connectors", None).await.1 != json!([]) {
        assert!(
            std::time::Instant::now() < deadline,
            "A still lists the connector"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        a.code("GET", &format!("/connectors/{name}/status")).await,
        404
    );
    produce_numbers(&topic, 2, 30..34).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(numbers(&receiver).len(), 30, "nothing runs it any more");
    // A restarted worker does not bring it back.
    b.process.stop_cleanly();
    let b = ApiWorker::start(&args).await;
    assert_eq!(b.call("GET", "/connectors", None).await.1, json!([]));
    a.process.stop_cleanly();
    b.process.stop_cleanly();
}
