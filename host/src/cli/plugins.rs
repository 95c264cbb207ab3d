//! `sluice plugins`: what a plugin directory holds.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use super::CacheArgs;

#[derive(Args, Debug)]
pub struct PluginsArgs {
    /// The plugin directory [default: $SLUICE_PLUGIN_DIR, else ./plugins].
    pub dir: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub cache: CacheArgs,
}

pub async fn run(args: PluginsArgs) -> anyhow::Result<ExitCode> {
    let dir = args
        .dir
        .or_else(|| std::env::var_os("SLUICE_PLUGIN_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("plugins"));
    let runtime = args.cache.runtime()?;
    let loaded = runtime
        .load_dir(&dir)
        .await
        .with_context(|| format!("cannot read plugin directory {}", dir.display()))?;
    let broken = loaded.iter().filter(|(_, r)| r.is_err()).count();
    if args.json {
        let items: Vec<_> = loaded
            .iter()
            .map(|(path, r)| match r {
                Ok(p) => json!({
                    "file": path,
                    "contract": format!("sluice:plugin@{}", p.contract),
                    "capabilities": p.capabilities.iter().map(|c| c.name()).collect::<Vec<_>>(),
                    "connect_classes": p.metadata.connect_classes(),
                    "plugin": p.metadata,
                }),
                Err(e) => json!({"file": path, "error": e.to_string()}),
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
    } else if loaded.is_empty() {
        println!("no *.wasm files in {}", dir.display());
    } else {
        print_table(&loaded);
    }
    Ok(if broken > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

type Loaded = Vec<(
    PathBuf,
    Result<std::sync::Arc<crate::plugin::LoadedPlugin>, crate::plugin::LoadError>,
)>;

fn print_table(loaded: &Loaded) {
    let file_name = |p: &PathBuf| {
        p.file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let name_w = loaded
        .iter()
        .map(|(p, r)| {
            r.as_ref()
                .map(|l| l.metadata.name.len())
                .unwrap_or_else(|_| file_name(p).len())
        })
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:<name_w$}  {:<9}  {:<8}  {:<19}  FILE",
        "NAME", "KIND", "VERSION", "CONTRACT"
    );
    for (path, r) in loaded {
        match r {
            Ok(p) => {
                let m = &p.metadata;
                println!(
                    "{:<name_w$}  {:<9}  {:<8}  {:<19}  {}",
                    m.name,
                    m.kind.as_str(),
                    m.version,
                    format!("sluice:plugin@{}", p.contract),
                    file_name(path)
                );
                println!("{:name_w$}  {}", "", m.description);
                for class in m.connect_classes() {
                    println!("{:name_w$}  implements the Kafka Connect class {class}", "");
                }
                if !p.capabilities.is_empty() {
                    let names: Vec<&str> = p.capabilities.iter().map(|c| c.name()).collect();
                    println!(
                        "{:name_w$}  needs capabilities = {names:?} in its manifest block",
                        ""
                    );
                }
                for k in &m.config {
                    let default = match (&k.default, k.required) {
                        (_, true) => "required".to_string(),
                        (Some(d), _) => format!("default {d:?}"),
                        (None, _) => "optional".to_string(),
                    };
                    println!(
                        "{:name_w$}    {} ({}, {default}): {}",
                        "", k.name, k.value_type, k.description
                    );
                }
            }
            Err(e) => println!("{:<name_w$}  BROKEN     {e}", file_name(path)),
        }
    }
}
