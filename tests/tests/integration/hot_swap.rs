//! Plugins and connectors changed without a restart, under load against
//! the real broker: a `.wasm` file replaced in the plugin directory, a
//! changed manifest section (file watch) and SIGHUP. Each change is swapped
//! in at a commit boundary: the records before it carry the old plugin's
//! output, the ones after the new one's, never mixed again, and none is
//! lost. A new version that does not build leaves the running one, the
//! reason in the connector's status.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sluice_tests::dead_letters::{received_records, td_sink};
use sluice_tests::http_receiver::Receiver;
use sluice_tests::kafka::{create_topic, produce, producer, wait_committed_single};
use sluice_tests::rest::ApiWorker;
use sluice_tests::{kafka_bootstrap, mixed_plugin_dir, plugin, test_plugin, unique_topic};

/// Replaces `to` with `from`'s bytes the way a deployment should: written
/// beside it, then renamed over it (a reader never sees half a file).
fn replace_file(from: &Path, to: &Path) {
    let tmp = to.with_extension("wasm.tmp");
    std::fs::copy(from, &tmp).unwrap();
    std::fs::rename(&tmp, to).unwrap();
}

/// The manifest: JSON values through the transform plugin `tx` (with
/// `tx_config`), posted in batches to `receiver`.
fn write_manifest(
    path: &Path,
    plugins: &Path,
    name: &str,
    topic: &str,
    tx_config: &str,
    receiver: &Receiver,
) {
    std::fs::write(
        path,
        format!(
            r#"plugin_dir = "{plugins}"

[[connectors]]
name = "{name}"
topics = "{topic}"
kafka = {{ "bootstrap.servers" = "{kafka}" }}
"offset.flush.interval.ms" = 200
"value.converter" = {{ plugin = "json", config = {{ "schemas.enable" = false }} }}

[[connectors.transforms]]
plugin = "tx"
config = {tx_config}

[connectors.sink]
type = "http"
{sink}
"#,
            plugins = plugins.display(),
            kafka = kafka_bootstrap(),
            sink = td_sink(receiver, 10),
        ),
    )
    .unwrap();
}

/// The masked field of every record received so far, in order, with its `n`.
fn masks(receiver: &Receiver) -> Vec<(i64, String)> {
    received_records(&receiver.received())
        .iter()
        .map(|r| {
            (
                r["n"].as_i64().expect("n"),
                r["secret"].as_str().unwrap_or("<not a string>").to_string(),
            )
        })
        .collect()
}

/// Waits until `more` records masked as `mask` arrived after the first one.
async fn wait_for_mask(receiver: &Receiver, mask: &str, more: usize, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = masks(receiver);
        if let Some(first) = got.iter().position(|(_, m)| m == mask)
            && got.len() - first >= more
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: no {more} records masked {mask:?} in 60 s; the last ones: {:?}",
            &got[got.len().saturating_sub(5)..]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Produces `{"n": …, "secret": …}` records to a topic, 20 every 100 ms,
/// until stopped.
struct Feeder {
    produced: Arc<AtomicI64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Feeder {
    fn start(topic: &str) -> Self {
        let produced = Arc::new(AtomicI64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let task = {
            let (produced, stop, topic) = (produced.clone(), stop.clone(), topic.to_string());
            tokio::spawn(async move {
                let p = producer();
                while !stop.load(Ordering::Relaxed) {
                    let from = produced.load(Ordering::Relaxed);
                    let records: Vec<_> = (from..from + 20)
                        .map(|n| {
                            (
                                None,
                                Some(json!({ "n": n, "secret": "s3cr3t" }).to_string()),
                            )
                        })
                        .collect();
                    produce(&p, &topic, 0, &records).await;
                    produced.store(from + 20, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        };
        Feeder {
            produced,
            stop,
            task,
        }
    }

    /// Stops producing; how many records were produced.
    async fn stop(self) -> i64 {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap();
        self.produced.load(Ordering::Relaxed)
    }
}

/// Waits until the last of `total` records was delivered and its offset
/// committed by connector `name`.
async fn all_delivered(receiver: &Receiver, name: &str, topic: &str, total: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while masks(receiver).iter().map(|(n, _)| *n).max() != Some(total - 1) {
        assert!(Instant::now() < deadline, "not every record delivered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_committed_single(&format!("connect-{name}"), topic, total).await;
}

async fn status(api: &ApiWorker, name: &str) -> Value {
    let (code, status) = api
        .call("GET", &format!("/connectors/{name}/status"), None)
        .await;
    assert_eq!(code, 200, "{status}");
    status
}

/// Waits until the connector's status says `needle` (or, for `None`, no
/// longer carries a trace), the connector running throughout.
/// A refused change: the status shows `trace`, and 40 more records still
/// arrive masked with the running version's `mask`.
async fn still_running_after_refusal(
    api: &ApiWorker,
    name: &str,
    trace: &str,
    receiver: &Receiver,
    mask: &str,
    what: &str,
) {
    wait_for_trace(api, name, Some(trace)).await;
    let before = masks(receiver).len();
    wait_for_mask(receiver, mask, before + 40, what).await;
}

async fn wait_for_trace(api: &ApiWorker, name: &str, needle: Option<&str>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = status(api, name).await;
        assert_eq!(s["connector"]["state"], "RUNNING", "{s}");
        let trace = s["connector"]["trace"].as_str();
        let done = match needle {
            Some(n) => trace.is_some_and(|t| t.contains(n)),
            None => trace.is_none(),
        };
        if done {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "waiting for {needle:?} in the status: {s}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plugins_and_connectors_are_swapped_under_load_without_a_restart() {
    let topic = unique_topic("hot-swap");
    create_topic(&topic, 1).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let plugins = mixed_plugin_dir(dir.path(), &[]);
    // The transform under change is a file of its own, not a link.
    let tx = plugins.join("tx.wasm");
    std::fs::copy(test_plugin("mask-fields"), &tx).unwrap();
    let name = format!("swap-{topic}");
    let manifest = dir.path().join("swap.toml");
    write_manifest(
        &manifest,
        &plugins,
        &name,
        &topic,
        r#"{ fields = "secret" }"#,
        &receiver,
    );
    let manifest_arg = manifest.display().to_string();
    let api = ApiWorker::start_in(&plugins, &[&manifest_arg, "--watch-interval", "1"]).await;

    // Records keep coming throughout, 20 per 100 ms.
    let feeder = Feeder::start(&topic);
    // The test plugin masks with "****".
    wait_for_mask(&receiver, "****", 40, "the first plugin").await;

    // A file that is not a transform: refused, the running version stays.
    replace_file(&plugin("json-batch"), &tx);
    still_running_after_refusal(
        &api,
        &name,
        "the new plugin was not applied (the previous one keeps running)",
        &receiver,
        "****",
        "the first plugin after a refused file",
    )
    .await;

    // Kafka's MaskField (first party) masks a string with "".
    replace_file(&plugin("mask-field"), &tx);
    wait_for_mask(&receiver, "", 40, "the replaced plugin").await;
    wait_for_trace(&api, &name, None).await;

    // The manifest's section changed: read by the file watch.
    write_manifest(
        &manifest,
        &plugins,
        &name,
        &topic,
        r#"{ fields = "secret", replacement = "XXXX" }"#,
        &receiver,
    );
    wait_for_mask(&receiver, "XXXX", 40, "the changed manifest").await;

    // A manifest that does not check: refused, the running version stays.
    std::fs::write(&manifest, "[[connectors]]\nname = 3\n").unwrap();
    still_running_after_refusal(
        &api,
        &name,
        "the manifest's new version was not applied",
        &receiver,
        "XXXX",
        "after a refused manifest",
    )
    .await;

    // SIGHUP reads it again (fixed meanwhile) rather than ending the process.
    write_manifest(
        &manifest,
        &plugins,
        &name,
        &topic,
        r#"{ fields = "secret", replacement = "XXXX" }"#,
        &receiver,
    );
    let hup = std::process::Command::new("kill")
        .args(["-HUP", &api.process.pid().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    wait_for_trace(&api, &name, None).await;

    let total = feeder.stop().await;
    all_delivered(&receiver, &name, &topic, total).await;

    // Nothing lost; each version's output before the next one's, never
    // mixed (a record delivered again after a swap carries the new output).
    let got = masks(&receiver);
    let seen: std::collections::BTreeSet<i64> = got.iter().map(|(n, _)| *n).collect();
    assert_eq!(seen, (0..total).collect(), "every record delivered");
    let order = ["****", "", "XXXX"];
    let phase = |m: &str| {
        order
            .iter()
            .position(|o| *o == m)
            .unwrap_or_else(|| panic!("mask {m:?}"))
    };
    let mut current = 0;
    for (n, m) in &got {
        let p = phase(m);
        assert!(
            p >= current,
            "record {n} masked {m:?} after {:?} began",
            order[current]
        );
        current = p;
    }
    assert_eq!(current, 2, "the last version ran last");
    let duplicates = got.len() - seen.len();
    eprintln!("{total} records, {duplicates} delivered twice across the swaps");
}

/// A connector of the REST API: `PUT /connectors/<n>/config` with another
/// transform plugin swaps it at a commit boundary under load; a config the
/// new plugin refuses is answered 400 and the running version stays.
#[tokio::test(flavor = "multi_thread")]
async fn a_put_config_swaps_the_plugin_of_an_api_connector_under_load() {
    let topic = unique_topic("hot-swap-api");
    create_topic(&topic, 1).await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let plugins = mixed_plugin_dir(dir.path(), &["mask-fields"]);
    let api = ApiWorker::start_in(&plugins, &[]).await;
    let name = format!("swap-api-{topic}");
    let config = |class: &str, extra: &[(&str, &str)]| {
        let mut c =
            sluice_tests::rest::http_json_connector(&name, &topic, &receiver.url("/in"))["config"]
                .clone();
        c["transforms"] = json!("m");
        c["transforms.m.type"] = json!(class);
        for (k, v) in extra {
            c[*k] = json!(v);
        }
        c
    };
    let first = config(
        "com.example.transforms.MaskFields$Value",
        &[("transforms.m.fields", "secret")],
    );
    let (code, answer) = api
        .call("PUT", &format!("/connectors/{name}/config"), Some(&first))
        .await;
    assert_eq!(code, 201, "{answer}");

    let feeder = Feeder::start(&topic);
    wait_for_mask(&receiver, "****", 40, "the first plugin").await;

    // Kafka's MaskField needs `fields`: refused, nothing changes.
    let refused = config("org.apache.kafka.connect.transforms.MaskField$Value", &[]);
    let (code, answer) = api
        .call("PUT", &format!("/connectors/{name}/config"), Some(&refused))
        .await;
    assert_eq!(code, 400, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or_default()
            .contains("fields"),
        "{answer}"
    );
    let before = masks(&receiver).len();
    wait_for_mask(
        &receiver,
        "****",
        before + 40,
        "the first plugin after a refused PUT",
    )
    .await;
    assert_eq!(status(&api, &name).await["connector"]["state"], "RUNNING");

    let second = config(
        "org.apache.kafka.connect.transforms.MaskField$Value",
        &[
            ("transforms.m.fields", "secret"),
            ("transforms.m.replacement", "YYYY"),
        ],
    );
    let (code, answer) = api
        .call("PUT", &format!("/connectors/{name}/config"), Some(&second))
        .await;
    assert_eq!(code, 200, "{answer}");
    wait_for_mask(&receiver, "YYYY", 40, "the new plugin").await;

    let total = feeder.stop().await;
    all_delivered(&receiver, &name, &topic, total).await;
    let got = masks(&receiver);
    let seen: std::collections::BTreeSet<i64> = got.iter().map(|(n, _)| *n).collect();
    assert_eq!(seen, (0..total).collect(), "every record delivered");
    let switched = got.iter().position(|(_, m)| m == "YYYY").unwrap();
    assert!(
        got[switched..].iter().all(|(_, m)| m == "YYYY"),
        "no record of the old plugin after the first of the new one"
    );
    eprintln!(
        "{total} records, {} delivered twice",
        got.len() - seen.len()
    );
}
