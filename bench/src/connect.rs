//! Kafka Connect running the same jobs: Apache Kafka's Connect worker in
//! standalone mode (`scripts/connect/standalone`, jars from Maven Central
//! via `scripts/connect/fetch`, the heap settings Connect's scripts ship),
//! with a connector configured from `scripts/connect/examples/` and
//! `tasks.max` = the topic's partitions (one consumer per partition, as
//! Sluice has one worker per partition). The sinks are Apache Camel's
//! generic Kafka connector with its `http` and `aws2-s3` components: the
//! dedicated Camel HTTP and Aiven S3 connectors are not on the Maven
//! Central this project fetches from (see scripts/connect/README.md).

use std::path::Path;
use std::process::Command;

use crate::sluice_run::SluiceRun;

/// The HTTP sink connector used, as Maven Central carries it.
pub const CAMEL_HTTP: &str = "camel-kafka-connector 0.11 http";
/// The S3 sink connector used, as Maven Central carries it.
pub const CAMEL_S3: &str = "camel-kafka-connector 0.11 aws2-s3";

/// A job for Kafka Connect.
pub enum ConnectJob {
    /// Camel's HTTP sink: one POST per record to `url`.
    CamelHttp { url: String },
    /// Camel's aws2-s3 sink: JSON-lines objects of 10,000 records into
    /// `bucket` at `endpoint`.
    CamelS3 { bucket: String, endpoint: String },
}

/// Starts a standalone worker running connector `name` over `topic`; its
/// consumer group is `connect-<name>`.
pub fn start(
    scratch: &Path,
    bootstrap: &str,
    name: &str,
    topic: &str,
    partitions: i32,
    job: &ConnectJob,
) -> anyhow::Result<SluiceRun> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (template, plugin, subs) = match job {
        ConnectJob::CamelHttp { url } => (
            "http-camel.properties",
            "camel-http",
            vec![("@URL@", url.as_str())],
        ),
        ConnectJob::CamelS3 { bucket, endpoint } => (
            "s3-camel.properties",
            "camel-aws2-s3",
            vec![
                ("@BUCKET@", bucket.as_str()),
                ("@ENDPOINT@", endpoint.as_str()),
            ],
        ),
    };
    let mut props = std::fs::read_to_string(root.join("scripts/connect/examples").join(template))?
        .replace("@TOPIC@", topic);
    for (from, to) in subs {
        props = props.replace(from, to);
    }
    let props: String = props
        .lines()
        .filter(|l| !l.starts_with("name=") && !l.starts_with("tasks.max="))
        .map(|l| format!("{l}\n"))
        .collect();
    let work = scratch.join(name);
    std::fs::create_dir_all(&work)?;
    let file = work.join("connector.properties");
    std::fs::write(
        &file,
        format!("name={name}\ntasks.max={partitions}\n{props}"),
    )?;
    let mut command = Command::new(root.join("scripts/connect/standalone"));
    command
        .arg(&work)
        .arg(bootstrap)
        .arg(&file)
        // Only the plugin the job needs, found through its manifest: the
        // default scan of every jar adds 10-15 s to the start.
        .env("SLUICE_CONNECT_PLUGINS", plugin)
        .env("SLUICE_CONNECT_PLUGIN_DISCOVERY", "service_load");
    SluiceRun::spawn(command)
}
