//! Command-line interface: argument definitions and dispatch. Each command
//! lives in its own module; this one only describes them.

mod demo;
mod import;
mod plugin_new;
mod plugin_test;
mod plugins;
mod run;
mod shell;
mod validate;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::plugin::{
    DEFAULT_CALL_TIMEOUT_MS, DEFAULT_CPU_DEADLINE_MS, DEFAULT_MEMORY_MIB, DirGrant, Grants, Limits,
};

/// Sluice runs Kafka sink connectors whose converters, transforms and
/// formatters are sandboxed WebAssembly plugins.
#[derive(Parser, Debug)]
#[command(name = "sluice", version, about, long_about = None)]
#[command(
    after_help = "Logs go to standard error; set SLUICE_LOG (e.g. SLUICE_LOG=debug) to change the level.\n\
Precompiled plugins are cached in $SLUICE_CACHE_DIR (default ~/.cache/sluice)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the connectors of a manifest: consume, transform, deliver, commit.
    ///
    /// Offsets are committed only for records delivered (or deliberately
    /// skipped). SIGINT or SIGTERM stops fetching, lets in-flight batches
    /// finish for up to 10 s, commits, and exits 0.
    Run(run::RunArgs),
    /// See Sluice work with nothing installed: an embedded Kafka broker seeded
    /// with sample events, a local HTTP receiver, and a connector between them.
    Demo(demo::DemoArgs),
    /// Check a manifest without connecting anywhere: keys, values, config
    /// providers, and every plugin loaded and configured. Exits 1 on problems.
    /// A `${env:…}` or `${file:…}` reference that cannot be resolved here (a
    /// secret of the machine the connector runs on) is a warning, and the
    /// manifest is checked as written.
    Validate(validate::ValidateArgs),
    /// List the plugins in a directory: kind, version, contract and config keys.
    ///
    /// Every `*.wasm` file is loaded and checked; a broken file is listed with
    /// its error and the others still load.
    Plugins(plugins::PluginsArgs),
    /// Print the manifest section equivalent to a Kafka Connect connector's
    /// JSON (Confluent HTTP Sink, Aiven HTTP sink, Confluent S3 Sink), with
    /// converters and transforms mapped to plugins.
    ///
    ///   sluice import td-sink.json > td.toml
    ///   sluice import td-sink.json --bootstrap-servers broker:9092 \
    ///       --worker value.converter=org.apache.kafka.connect.json.JsonConverter
    ///
    /// Options Sluice does not apply are printed as comments and warnings;
    /// an unknown class or option is an error. Exits 1 on problems.
    #[command(verbatim_doc_comment)]
    Import(import::ImportArgs),
    /// Work with one plugin file.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Print the shell completion script for bash, zsh, fish, elvish or
    /// PowerShell.
    ///
    ///   sluice completions bash > ~/.local/share/bash-completion/completions/sluice
    ///   sluice completions zsh > ~/.zfunc/_sluice     # with fpath+=(~/.zfunc) in ~/.zshrc
    ///   sluice completions fish > ~/.config/fish/completions/sluice.fish
    ///
    /// A new shell then completes commands, options, files and values.
    #[command(verbatim_doc_comment)]
    Completions(shell::CompletionsArgs),
    /// Write the manual pages: sluice(1) and one per command (sluice-run(1),
    /// sluice-plugin-test(1), ...).
    ///
    ///   sluice man --dir ~/.local/share/man/man1 && man sluice
    #[command(verbatim_doc_comment)]
    Man(shell::ManArgs),
}

#[derive(Subcommand, Debug)]
pub enum PluginCommand {
    /// Create a ready-to-build plugin project: a working example of the
    /// kind, a build script, a sample input and a README with the commands.
    ///
    ///   sluice plugin new mask-pii --kind transform --lang python
    ///   cd mask-pii && ./build.sh
    ///   sluice plugin test mask-pii.wasm -i sample.jsonl
    ///
    /// Rust builds with cargo and the wasm32-wasip2 target, Python with
    /// componentize-py, JavaScript with componentize-js, C with wit-bindgen,
    /// clang and wasm-tools, Go with wit-bindgen, Go and wasm-tools: the
    /// project's build.sh says what to install (in Sluice's repository,
    /// `scripts/sdk/setup LANG` installs it).
    #[command(verbatim_doc_comment)]
    New(plugin_new::NewArgs),
    /// Run one plugin over records from a JSON-lines file and print what
    /// happened to each record, without Kafka.
    ///
    /// Each input line is a JSON object; every field is optional:
    ///
    ///   {"topic":"orders","partition":0,"offset":5,"timestamp":1650000000000,
    ///    "key":"k1","value":{"id":1},"headers":[["trace","abc"]],"value_kind":"json"}
    ///
    /// A string `value` is taken as its UTF-8 bytes, any other JSON as its text;
    /// null or missing is a tombstone; bytes that are not UTF-8 go in
    /// `value_base64` (or `key_base64`). With "value_kind":"json" the value is
    /// the JSON value itself, strings included. `value_kind` (binary, text or
    /// json) defaults to binary for converters, and for other plugins to json
    /// unless the value is a string. Headers are a list of [name, value] pairs
    /// in order, names may repeat (an object works too). Each output line names
    /// the input and its outcome; output records have the input's shape.
    #[command(verbatim_doc_comment)]
    Test(plugin_test::TestArgs),
}

/// Memory and time limits of a plugin instance.
#[derive(Args, Debug, Clone, Copy)]
pub struct LimitArgs {
    /// Linear memory one instance may use, in MiB.
    #[arg(long, default_value_t = DEFAULT_MEMORY_MIB, value_name = "MIB")]
    pub memory_limit_mib: usize,
    /// Time one call may spend running wasm code, in milliseconds.
    #[arg(long, default_value_t = DEFAULT_CPU_DEADLINE_MS, value_name = "MS")]
    pub cpu_deadline_ms: u64,
    /// Wall-clock time one call may take, in milliseconds.
    #[arg(long, default_value_t = DEFAULT_CALL_TIMEOUT_MS, value_name = "MS")]
    pub timeout_ms: u64,
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        Limits::new(self.memory_limit_mib, self.cpu_deadline_ms, self.timeout_ms)
    }
}

/// What a plugin may reach beyond clocks and random numbers.
#[derive(Args, Debug, Clone)]
pub struct GrantArgs {
    /// Give the plugin an environment variable, NAME=VALUE; repeat for several.
    #[arg(long = "env", value_name = "NAME=VALUE", value_parser = parse_key_value)]
    pub env: Vec<(String, String)>,
    /// Give the plugin a host directory, read-only, as HOST_DIR:GUEST_DIR
    /// (e.g. ./lookup:/data); repeat for several.
    #[arg(long = "dir", value_name = "HOST_DIR:GUEST_DIR", value_parser = parse_dir)]
    pub dirs: Vec<DirGrant>,
    /// Grant a host capability (schema-registry); its options
    /// (schema.registry.url, basic.auth.*, …) are taken from the -c entries
    /// and never reach the plugin.
    #[arg(long = "capability", value_name = "NAME", value_parser = parse_capability)]
    pub capabilities: Vec<crate::plugin::Capability>,
}

impl GrantArgs {
    /// The grants, taking the capabilities' options out of `config`.
    pub fn grants(&self, config: &mut Vec<(String, String)>) -> anyhow::Result<Grants> {
        let registry = if self
            .capabilities
            .contains(&crate::plugin::Capability::SchemaRegistry)
        {
            match crate::plugin::registry::RegistryConfig::take(config) {
                Ok(Some(r)) => Some(r),
                Ok(None) => {
                    anyhow::bail!("--capability schema-registry needs -c schema.registry.url=URL")
                }
                Err(problems) => anyhow::bail!(
                    "{}",
                    problems
                        .iter()
                        .map(|(k, m)| format!("-c {k}: {m}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                ),
            }
        } else {
            None
        };
        Ok(Grants {
            env: self.env.clone(),
            dirs: self.dirs.clone(),
            registry,
        })
    }
}

/// Parses a capability name.
fn parse_capability(s: &str) -> Result<crate::plugin::Capability, String> {
    crate::plugin::Capability::parse(s).ok_or_else(|| {
        format!(
            "{s:?} is not a capability; there are: {}",
            crate::plugin::Capability::ALL.map(|c| c.name()).join(", ")
        )
    })
}

/// Parses `KEY=VALUE`.
pub fn parse_key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))
}

fn parse_dir(s: &str) -> Result<DirGrant, String> {
    let (host, guest) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("expected HOST_DIR:GUEST_DIR, got {s:?}"))?;
    if !guest.starts_with('/') {
        return Err(format!(
            "the guest directory {guest:?} must be absolute, e.g. /data"
        ));
    }
    Ok(DirGrant {
        host: PathBuf::from(host),
        guest: guest.to_string(),
    })
}

/// Where precompiled plugins are cached.
#[derive(Args, Debug, Clone)]
pub struct CacheArgs {
    /// Directory for precompiled plugins, created private (0700) [default:
    /// $SLUICE_CACHE_DIR, else $XDG_CACHE_HOME/sluice, else ~/.cache/sluice].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

impl CacheArgs {
    pub fn runtime(&self) -> anyhow::Result<crate::plugin::Runtime> {
        let dir = match self.cache_dir.clone() {
            Some(d) => d,
            None => cache_dir()?,
        };
        Ok(crate::plugin::Runtime::new(&dir)?)
    }
}

/// Runs the command; the error is printed by `main`.
pub async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Validate(args) => validate::run(args).await,
        Command::Plugins(args) => plugins::run(args).await,
        Command::Import(args) => import::run(args).await,
        Command::Plugin(PluginCommand::Test(args)) => plugin_test::run(args).await,
        Command::Plugin(PluginCommand::New(args)) => plugin_new::run(args),
        Command::Completions(args) => shell::completions(args),
        Command::Man(args) => shell::man(args),
    }
}

/// Reads and checks the manifest at `path`; with `$SLUICE_PLUGIN_DIR` set,
/// its plugins are found there, so one manifest serves machines that keep
/// plugins elsewhere. (The environment is read here, by the command, never
/// by the checks.)
fn load_manifest(
    path: &std::path::Path,
) -> Result<crate::config::Manifest, crate::config::ManifestError> {
    crate::config::load(path).map(plugin_dir_from_env)
}

/// `manifest`, its plugin directory replaced by `$SLUICE_PLUGIN_DIR` if set.
fn plugin_dir_from_env(manifest: crate::config::Manifest) -> crate::config::Manifest {
    match std::env::var_os("SLUICE_PLUGIN_DIR") {
        Some(dir) => manifest.with_plugin_dir(dir.into()),
        None => manifest,
    }
}

/// The default cache directory, or what to set when there is none.
fn cache_dir() -> anyhow::Result<std::path::PathBuf> {
    crate::plugin::default_cache_dir().ok_or_else(|| {
        anyhow::anyhow!(
            "no cache directory for compiled plugins: set $SLUICE_CACHE_DIR (or $XDG_CACHE_HOME or $HOME), or pass --cache-dir"
        )
    })
}

/// The cache directory a manifest asks for (its cache_dir, else the default).
fn cache_dir_for(manifest: Option<&crate::config::Manifest>) -> anyhow::Result<std::path::PathBuf> {
    match manifest.and_then(|m| m.cache_dir.clone()) {
        Some(d) => Ok(d),
        None => cache_dir(),
    }
}

/// The plugin runtime a manifest asks for (its cache_dir, else the default).
fn runtime_for(manifest: &crate::config::Manifest) -> anyhow::Result<crate::plugin::Runtime> {
    Ok(crate::plugin::Runtime::new(&cache_dir_for(Some(
        manifest,
    ))?)?)
}
