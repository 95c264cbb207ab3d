//! `sluice import`: prints the manifest section equivalent to a Kafka
//! Connect connector's config (JSON or `.properties`), with the options it
//! does not apply.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::connect;

#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  sluice import register-s3.json > sluice.toml
  sluice import --name s3-sink s3-sink.properties
  curl -s connect:8083/connectors/s3-sink/config | sluice import --name s3-sink -

Options the connector has but Sluice does not apply, and options no connector
has, are printed as warnings and as comments in the manifest, and ignored as
Connect ignores them; a value Sluice cannot honour is an error that says what
to change.

A converter or transform class of your own (com.example.WrapField$Value) maps
to the plugin of the plugin directory that declares it in its `connect.class`
config key: `sluice plugins` lists the classes each plugin declares.")]
pub struct ImportArgs {
    /// The connector's config: JSON (`{"name": …, "config": {…}}` as POSTed
    /// to Connect's /connectors, or the bare config map, as
    /// `GET /connectors/<name>/config` answers) or a standalone worker's
    /// `.properties` file; `-` reads stdin.
    pub connector_config: PathBuf,
    /// The connector's name, when the file has none (Connect takes it from
    /// the URL of `PUT /connectors/<name>/config`); without it and without a
    /// `name` in the file, the file's name without its extension.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
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
    /// Where the plugins are that declare the converter and transform
    /// classes Sluice does not map itself; given, the manifest names it as
    /// its `plugin_dir` [default: $SLUICE_PLUGIN_DIR, else ./plugins].
    #[arg(long, value_name = "DIR")]
    pub plugin_dir: Option<PathBuf>,
    #[command(flatten)]
    pub cache: super::CacheArgs,
}

pub async fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let source = args.connector_config.display().to_string();
    let text = if source == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).context("reading stdin")?;
        buf
    } else {
        std::fs::read(&args.connector_config).with_context(|| format!("{source}: cannot read"))?
    };
    let connector =
        connect::json::parse_any(&text).map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
    let name = match (args.name, connector.name) {
        (Some(n), _) | (None, Some(n)) => n,
        (None, None) => {
            let stem = (source != "-")
                .then(|| args.connector_config.file_stem())
                .flatten()
                .map(|s| s.to_string_lossy().into_owned())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    anyhow::anyhow!("{source}: the config has no \"name\": give one with --name")
                })?;
            eprintln!(
                "note: {source}: the config has no \"name\"; the connector is named {stem:?} after the file (--name chooses another)"
            );
            stem
        }
    };
    let mut worker: connect::ConnectConfig = args.worker.into_iter().collect();
    worker
        .entry("bootstrap.servers".into())
        .or_insert(args.bootstrap_servers);
    // Only a class Sluice lacks needs the plugins loaded.
    let declared = if connect::names_declared_classes(&connector.config, &worker) {
        let dir = args
            .plugin_dir
            .clone()
            .or_else(|| std::env::var_os("SLUICE_PLUGIN_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("plugins"));
        connect::DeclaredClasses::load(&args.cache.runtime()?, &dir).await
    } else {
        connect::DeclaredClasses::default()
    };
    let translation = match connect::translate(&name, &connector.config, &worker, &declared) {
        Ok(t) => t,
        Err(rejected) => {
            warn(&source, &rejected.unsupported);
            report(&source, &rejected.problems);
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut manifest = connect::to_manifest_toml(&translation);
    if let Some(dir) = &args.plugin_dir {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
        let line = toml::Value::from(dir.display().to_string());
        manifest.insert_str(0, &format!("plugin_dir = {line}\n"));
    }
    warn(&source, &translation.unsupported);
    // `sluice validate`'s checks, `${…}` left for the machine that runs it.
    if let Err(crate::config::ManifestError::Invalid { problems, .. }) =
        crate::config::parse_unresolved(std::path::Path::new(&source), &manifest)
    {
        // Under the connector JSON's own option names, as the REST API says them.
        report(
            &source,
            &translation.in_connect_names(crate::worker::manifest_problems(&problems)),
        );
        return Ok(ExitCode::FAILURE);
    }
    print!("{manifest}");
    Ok(ExitCode::SUCCESS)
}

fn warn(source: &str, unsupported: &[connect::Problem]) {
    for p in unsupported {
        eprintln!("warning: {source}: not applied: {p}");
    }
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
