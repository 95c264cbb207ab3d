//! `sluice validate`: checks a manifest without Kafka or the sink: syntax,
//! keys, config providers, sink settings, and every plugin loaded and
//! configured.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::config;

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The manifest (TOML) to check.
    pub manifest: PathBuf,
}

pub async fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let (manifest, unresolved) = config::load_checking(&args.manifest)?;
    let manifest = super::plugin_dir_from_env(manifest);
    for problem in &unresolved {
        eprintln!(
            "warning: {problem}: not resolvable here, checked as written; `sluice run` resolves it where the connector runs and refuses to start without it"
        );
    }
    let runtime = super::runtime_for(&manifest)?;
    let built = config::build(&runtime, &manifest).await?;
    println!(
        "{}: valid, {} connector(s){}",
        args.manifest.display(),
        built.len(),
        if unresolved.is_empty() {
            ""
        } else {
            " (with references not resolvable here: see the warnings)"
        }
    );
    for c in &built {
        let s = &c.spec;
        let converter = c.value_converter.as_ref().map_or("raw bytes", |v| v.name());
        let chain: Vec<&str> = std::iter::once(converter)
            .chain(c.transforms.iter().map(|t| t.name()))
            .chain(std::iter::once(c.formatter.name()))
            .collect();
        println!(
            "  {}: {} -> {} -> {} (batches of up to {} records, group {})",
            s.name,
            s.subscription.join(","),
            chain.join(" -> "),
            s.sink.destination(),
            s.sink.batch().max_records,
            s.kafka.get("group.id").map(String::as_str).unwrap_or("?")
        );
    }
    Ok(ExitCode::SUCCESS)
}
