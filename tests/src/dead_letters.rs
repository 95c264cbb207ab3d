//! Helpers for the error-handling tests: a connector's `errors.*` lines, a
//! Treasure Data sink, and reading what was delivered and dead-lettered.

use std::collections::BTreeSet;

use rdkafka::message::OwnedMessage;

use std::path::{Path, PathBuf};

use crate::http_receiver::{Received, Receiver};
use crate::kafka::header_text;
use crate::mixed_plugin_dir;
use crate::process::{Connector, TD_FORMATTER};

/// `errors.tolerance=all`, the error log, and a dead letter queue `dlq`
/// (replication factor 1) with Connect's context headers.
pub fn dlq_settings(dlq: &str) -> String {
    format!(
        r#""errors.tolerance" = "all"
"errors.log.enable" = true
"errors.log.include.messages" = true
"errors.deadletterqueue.topic.name" = "{dlq}"
"errors.deadletterqueue.topic.replication.factor" = 1
"errors.deadletterqueue.context.headers.enable" = true"#
    )
}

/// Sink lines: `{"records":[…]}` bodies of up to `batch` records to `receiver`.
pub fn td_sink(receiver: &Receiver, batch: usize) -> String {
    format!(
        r#""http.api.url" = "{url}"
"batch.max.size" = {batch}
"batch.linger.ms" = 200
"retry.backoff.ms" = 50
{TD_FORMATTER}"#,
        url = receiver.url("/in")
    )
}

/// The `records` of every `{"records":[…]}` body received, in order.
pub fn received_records(got: &[Received]) -> Vec<serde_json::Value> {
    got.iter()
        .flat_map(|r| r.json()["records"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// The `n` field of every record received, in order.
pub fn received_numbers(got: &[Received]) -> Vec<i64> {
    received_records(got)
        .iter()
        .map(|v| v["n"].as_i64().expect("a record with n"))
        .collect()
}

/// A header of `m` as text; panics naming it when absent.
pub fn header(m: &OwnedMessage, name: &str) -> String {
    header_text(m, name).unwrap_or_else(|| panic!("the record lacks header {name}"))
}

/// The consumed offset a dead letter stands for.
pub fn dead_offset(m: &OwnedMessage) -> i64 {
    header(m, "__connect.errors.offset")
        .parse()
        .expect("a decimal offset")
}

/// The consumed offsets the dead letters stand for.
pub fn dead_offsets(dead: &[OwnedMessage]) -> BTreeSet<i64> {
    dead.iter().map(dead_offset).collect()
}

/// The dead letter of consumed `offset`.
pub fn dead_letter(dead: &[OwnedMessage], offset: i64) -> &OwnedMessage {
    dead.iter()
        .find(|m| dead_offset(m) == offset)
        .unwrap_or_else(|| panic!("no dead letter for offset {offset}"))
}

/// Writes, under `dir`, a manifest for connector `name` on `topic`: raw
/// bytes (`bytes` converter) through the `chaos` fixture transform (with
/// `options`, e.g. `cpu_deadline_ms = 300`), into `receiver` in batches of
/// `batch`, failed records to dead letter queue `dlq`.
pub fn chaos_connector(
    dir: &Path,
    name: &str,
    topic: &str,
    dlq: &str,
    options: &str,
    receiver: &Receiver,
    batch: usize,
) -> PathBuf {
    let plugins = mixed_plugin_dir(dir, &["chaos"]);
    let extra = format!(
        "{}\ntransforms = [{{ plugin = \"chaos\"{options} }}]",
        dlq_settings(dlq)
    );
    Connector {
        name,
        topic,
        plugins: Some(&plugins),
        // Bytes pass through: the chaos transform sees the raw values.
        value_converter: r#"{ plugin = "bytes" }"#,
        sink: &td_sink(receiver, batch),
        extra: &extra,
        ..Connector::default()
    }
    .write(dir)
}
