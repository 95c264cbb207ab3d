//! `tasks.max` is a cap across the workers of a group: the task ids are the
//! partitions of a claim topic, shared out by Kafka's group protocol, and
//! each task is one consumer in the connector's group. Every worker answers
//! for every task (statuses go through a compacted topic), a task restarts
//! on the worker running it whichever worker is asked, and a leaving
//! worker's tasks move to the others.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{create_topic, members_with_partitions, produce_numbers};
use sluice_tests::rest::ApiWorker;
use sluice_tests::unique_topic;

const PARTITIONS: i32 = 4;

fn numbers(r: &Receiver) -> BTreeSet<i64> {
    r.accepted()
        .iter()
        .flat_map(|x| x.json().as_array().cloned().unwrap_or_default())
        .filter_map(|v| v["n"].as_i64())
        .collect()
}

fn connector(name: &str, topic: &str, url: &str, tasks_max: u32) -> Value {
    json!({
        "connector.class": "io.confluent.connect.http.HttpSinkConnector",
        "name": name,
        "tasks.max": tasks_max.to_string(),
        "topics": topic,
        "http.api.url": url,
        "request.body.format": "json",
        "batch.json.as.array": "true",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false"
    })
}

/// Polls `worker`'s status of `name` until `ok` holds for its task list.
async fn wait_tasks(
    worker: &ApiWorker,
    name: &str,
    what: &str,
    ok: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, status) = worker
            .call("GET", &format!("/connectors/{name}/status"), None)
            .await;
        let tasks = status["tasks"].as_array().cloned().unwrap_or_default();
        if ok(&tasks) {
            return tasks;
        }
        assert!(Instant::now() < deadline, "{what}: {status}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn all_running(tasks: &[Value], n: usize) -> bool {
    tasks.len() == n && tasks.iter().all(|t| t["state"] == "RUNNING")
}

fn workers_of(tasks: &[Value]) -> BTreeSet<String> {
    tasks
        .iter()
        .map(|t| t["worker_id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Waits until `group` has `n` members holding partitions.
async fn wait_members(group: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = tokio::task::spawn_blocking({
            let group = group.to_string();
            move || members_with_partitions(&group)
        })
        .await
        .unwrap();
        if got == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{group}: {got} members with partitions, not {n}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_max_caps_consumers_across_workers_and_tasks_move_when_a_worker_leaves() {
    let topic = unique_topic("tasks");
    create_topic(&topic, PARTITIONS).await;
    let configs = unique_topic("sluice-configs");
    let group = unique_topic("workers");
    let args = ["--group-id", &group, "--config-storage-topic", &configs];
    // Kept under target/tmp for a look after a failure.
    let logs = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(&group);
    std::fs::create_dir_all(&logs).unwrap();
    println!("worker logs: {}", logs.display());
    let receiver = Receiver::start().await;
    let a = ApiWorker::start_with(&args, Some(&logs.join("a.log"))).await;
    let b = ApiWorker::start_with(&args, Some(&logs.join("b.log"))).await;
    let name = format!("tasks-{topic}");
    let data_group = format!("connect-{name}");
    let url = receiver.url("/in");

    // tasks.max=1 over two workers: one consumer in all, task 0, and both
    // workers say where it runs.
    let (code, info) = a
        .call(
            "POST",
            "/connectors",
            Some(&json!({"name": name, "config": connector(&name, &topic, &url, 1)})),
        )
        .await;
    assert_eq!(code, 201, "{info}");
    produce_numbers(&topic, PARTITIONS, 0..40).await;
    receiver
        .wait_for(60, "40 records", |_| numbers(&receiver).len() >= 40)
        .await;
    let on_a = wait_tasks(&a, &name, "one task running", |t| all_running(t, 1)).await;
    let on_b = wait_tasks(&b, &name, "the same task seen from B", |t| {
        t == on_a.as_slice()
    })
    .await;
    assert_eq!(on_a[0]["id"], 0);
    assert_eq!(on_a, on_b);
    // Both name the same worker for the connector: the one running task 0.
    for w in [&a, &b] {
        let (_, status) = w
            .call("GET", &format!("/connectors/{name}/status"), None)
            .await;
        assert_eq!(
            status["connector"]["worker_id"], on_a[0]["worker_id"],
            "{status}"
        );
    }
    wait_members(&data_group, 1).await;
    assert_eq!(
        b.code("GET", &format!("/connectors/{name}/tasks/0/status"))
            .await,
        200
    );
    assert_eq!(
        b.code("GET", &format!("/connectors/{name}/tasks/1/status"))
            .await,
        404
    );

    // tasks.max=3: three consumers, spread over both workers.
    let (code, _) = b
        .call(
            "PUT",
            &format!("/connectors/{name}/config"),
            Some(&connector(&name, &topic, &url, 3)),
        )
        .await;
    assert_eq!(code, 200);
    let tasks = wait_tasks(&a, &name, "three tasks on two workers", |t| {
        all_running(t, 3) && workers_of(t).len() == 2
    })
    .await;
    assert_eq!(
        tasks
            .iter()
            .map(|t| t["id"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );
    wait_members(&data_group, 3).await;
    produce_numbers(&topic, PARTITIONS, 40..100).await;
    receiver
        .wait_for(60, "100 records", |_| numbers(&receiver).len() >= 100)
        .await;
    assert_eq!(numbers(&receiver), (0..100).collect());

    // A task restarts on the worker running it, whichever worker is asked.
    let b_id = b.base.trim_start_matches("http://").to_string();
    let (on_b_task, asked) = match tasks.iter().find(|t| t["worker_id"] == b_id.as_str()) {
        Some(t) => (t["id"].as_u64().unwrap(), &a),
        None => unreachable!("B runs a task: {tasks:?}"),
    };
    assert_eq!(
        asked
            .code(
                "POST",
                &format!("/connectors/{name}/tasks/{on_b_task}/restart")
            )
            .await,
        204
    );
    let b_log = logs.join("b.log");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&b_log)
        .unwrap_or_default()
        .lines()
        .any(|l| l.contains("restarting task") && l.contains(&format!("task={on_b_task}")))
    {
        assert!(
            Instant::now() < deadline,
            "B did not restart task {on_b_task}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // B leaves: its tasks move to A, and nothing is lost.
    b.process.stop_cleanly();
    let a_id = a.base.trim_start_matches("http://").to_string();
    wait_tasks(&a, &name, "every task on A", |t| {
        all_running(t, 3) && workers_of(t) == BTreeSet::from([a_id.clone()])
    })
    .await;
    produce_numbers(&topic, PARTITIONS, 100..140).await;
    receiver
        .wait_for(60, "140 records", |_| numbers(&receiver).len() >= 140)
        .await;
    assert_eq!(numbers(&receiver), (0..140).collect());
    a.process.stop_cleanly();
}
