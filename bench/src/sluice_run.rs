//! A process under a benchmark (the real `sluice` binary, its native
//! build, a Kafka Connect worker): started, watched while it drains, then
//! stopped with its CPU time and peak RSS; and the figures written as JSON.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// A benchmarked process in progress.
pub struct SluiceRun {
    child: Child,
    /// When it was started.
    pub started: Instant,
}

/// What the process used.
pub struct Usage {
    pub cpu_secs: f64,
    pub peak_rss_kib: u64,
    /// Resident memory now.
    pub rss_kib: u64,
}

/// Which build of Sluice runs the pipeline.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// `sluice`, plugins in Wasm.
    Wasm,
    /// `sluice`, the same plugins built for contract 0.1
    /// (`$TARGET/plugins-v0.1`): the previous contract, same run.
    WasmV0_1,
    /// `sluice-bench native-sluice`: the same host, plugins compiled in.
    Native,
}

impl SluiceRun {
    /// Starts `sluice run manifest --stats-file stats` of `build`, logging warnings only.
    pub fn start(build: Build, manifest: &Path, stats: &Path) -> anyhow::Result<Self> {
        let (bin, first) = match build {
            Build::Wasm | Build::WasmV0_1 => (crate::bin_dir().join("sluice"), None),
            Build::Native => (crate::bin_dir().join("sluice-bench"), Some("native-sluice")),
        };
        anyhow::ensure!(
            bin.exists(),
            "{} is missing: run through scripts/bench",
            bin.display()
        );
        let mut command = Command::new(&bin);
        command
            .args(first)
            .arg("run")
            .arg(manifest)
            .arg("--stats-file")
            .arg(stats)
            .env("SLUICE_LOG", "warn")
            // The REST API is served as in production, on a free port.
            .env("SLUICE_LISTENERS", "http://127.0.0.1:0");
        Self::spawn(command)
    }

    /// Starts `command`, its output to the benchmark's stderr.
    pub fn spawn(mut command: Command) -> anyhow::Result<Self> {
        let started = Instant::now();
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        Ok(SluiceRun { child, started })
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What it used so far.
    pub fn usage(&self) -> anyhow::Result<Usage> {
        proc_usage(self.child.id())
    }

    /// Fails if the process exited.
    pub fn ensure_running(&mut self) -> anyhow::Result<()> {
        match self.child.try_wait()? {
            Some(status) => anyhow::bail!("sluice exited early: {status}"),
            None => Ok(()),
        }
    }

    /// Kills it with SIGKILL (no commit, no leaving its groups) and reaps it.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Reads its usage, then stops it with SIGTERM and waits for it to
    /// exit, without blocking the runtime: the benchmark's HTTP receiver
    /// keeps answering the requests the process finishes with.
    pub async fn stop(mut self) -> anyhow::Result<Usage> {
        let usage = proc_usage(self.child.id())?;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        while self.child.try_wait()?.is_none() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Ok(usage)
    }
}

/// Writes, in `scratch/name/` (the benchmark's scratch directory, which it
/// removes when it ends), a manifest of one connector
/// named `name` (its group is `connect-<name>`) that reads `topic` with the
/// built plugins and the benchmarks' plugin cache; `rest` continues the
/// connector's table. Returns the manifest's path. `$SLUICE_BENCH_KAFKA`
/// (`key=value,key=value`) adds librdkafka settings to every connector, to
/// try consumer settings without a rebuild.
pub fn write_manifest(
    target: &Path,
    scratch: &Path,
    plugins: &Path,
    name: &str,
    topic: &str,
    bootstrap: &str,
    rest: &str,
) -> anyhow::Result<PathBuf> {
    let extra: String = std::env::var("SLUICE_BENCH_KAFKA")
        .unwrap_or_default()
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| format!(", \"{k}\" = \"{v}\""))
        .collect();
    let dir = scratch.join(name);
    std::fs::create_dir_all(&dir)?;
    let manifest = dir.join("manifest.toml");
    let text = format!(
        r#"
plugin_dir = "{plugins}"
cache_dir = "{cache}"
[[connectors]]
name = "{name}"
topics = "{topic}"
kafka = {{ "bootstrap.servers" = "{bootstrap}"{extra} }}
{rest}"#,
        plugins = plugins.display(),
        cache = target.join("bench-cache").display(),
    );
    std::fs::write(&manifest, text)?;
    Ok(manifest)
}

/// Writes `figures` as JSON to `out`, else `<target>/bench/<name>.json`.
pub fn write_figures(
    out: Option<PathBuf>,
    target: &Path,
    name: &str,
    figures: &impl serde::Serialize,
) -> anyhow::Result<()> {
    let out = out.unwrap_or_else(|| target.join(format!("bench/{name}.json")));
    if let Some(d) = out.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(&out, serde_json::to_string_pretty(figures)?)?;
    println!("\nfigures written to {}", out.display());
    Ok(())
}

/// CPU seconds (user + system), peak and current RSS in KiB of a live process.
pub fn proc_usage(pid: u32) -> anyhow::Result<Usage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: u64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib = |field: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    Ok(Usage {
        cpu_secs: ticks as f64 / 100.0,
        peak_rss_kib: kib("VmHWM:"),
        rss_kib: kib("VmRSS:"),
    })
}

/// A client of the benchmarks' S3 server at `endpoint` (MinIO, started by
/// `scripts/minio` with the test credentials).
pub fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .force_path_style(true)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "sluice",
                "sluice-secret",
                None,
                None,
                "bench",
            ))
            .build(),
    )
}
