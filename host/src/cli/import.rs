//! `sluice import`: prints the manifest section equivalent to a Kafka
//! Connect connector's JSON, with the options it does not apply.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::connect;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Connector JSON: `{"name": …, "config": {…}}` as POSTed to Connect's
    /// /connectors, or the bare config map with its `name`; `-` reads stdin.
    pub connector_json: PathBuf,
    /// The Kafka cluster, which connector JSON leaves to the worker
    /// (Connect's worker default too).
    #[arg(long, value_name = "HOSTS", default_value = "localhost:9092")]
    pub bootstrap_servers: String,
    /// A worker setting connectors inherit, as in a Connect worker's
    /// properties: `value.converter=org.apache.kafka.connect.json.JsonConverter`,
    /// `value.converter.schemas.enable=false`, `consumer.security.protocol=SSL`;
    /// repeat for several.
    #[arg(long = "worker", value_name = "KEY=VALUE", value_parser = super::parse_key_value)]
    pub worker: Vec<(String, String)>,
}

pub fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let source = args.connector_json.display().to_string();
    let text = if source == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).context("reading stdin")?;
        buf
    } else {
        std::fs::read(&args.connector_json).with_context(|| format!("{source}: cannot read"))?
    };
    let connector = connect::json::parse(&text).map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
    let mut worker: connect::ConnectConfig = args.worker.into_iter().collect();
    worker
        .entry("bootstrap.servers".into())
        .or_insert(args.bootstrap_servers);
    let translation = match connect::translate(&connector.name, &connector.config, &worker) {
        Ok(t) => t,
        Err(rejected) => {
            report(&source, &rejected.problems);
            return Ok(ExitCode::FAILURE);
        }
    };
    let manifest = connect::to_manifest_toml(&translation);
    // `sluice validate`'s checks, `${…}` left for the machine that runs it.
    if let Err(crate::config::ManifestError::Invalid { problems, .. }) =
        crate::config::parse_unresolved(std::path::Path::new(&source), &manifest)
    {
        report(&source, &problems);
        return Ok(ExitCode::FAILURE);
    }
    for p in &translation.unsupported {
        eprintln!("warning: {source}: not applied: {p}");
    }
    print!("{manifest}");
    Ok(ExitCode::SUCCESS)
}

fn report(source: &str, problems: &[impl std::fmt::Display]) {
    eprintln!(
        "error: {source}: {} problem{}:",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        eprintln!("  - {p}");
    }
}
