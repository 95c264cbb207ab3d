//! The harness Sluice's tests share: builds the real plugins once per test
//! process (through `scripts/build-plugins`, the same command users run),
//! finds the `sluice` binary, and keeps one precompiled-plugin cache per run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The cargo target directory this test binary was built into.
pub fn target_dir() -> PathBuf {
    // <target>/<profile>/deps/<test binary>
    let exe = std::env::current_exe().expect("test binary path");
    exe.ancestors()
        .nth(3)
        .expect("test binary lives in <target>/<profile>/deps")
        .to_path_buf()
}

fn profile_dir() -> PathBuf {
    std::env::current_exe()
        .expect("test binary path")
        .ancestors()
        .nth(2)
        .expect("profile dir")
        .to_path_buf()
}

/// Builds every plugin and test fixture (once per process) and returns the
/// directory of the first-party plugins.
pub fn plugin_dir() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let out = Command::new(repo_root().join("scripts/build-plugins"))
                .env("CARGO_TARGET_DIR", target_dir())
                .output()
                .expect("run scripts/build-plugins");
            assert!(
                out.status.success(),
                "scripts/build-plugins failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            PathBuf::from(String::from_utf8(out.stdout).expect("utf-8 path").trim())
        })
        .clone()
}

/// One first-party plugin's file.
pub fn plugin(name: &str) -> PathBuf {
    plugin_dir().join(format!("{name}.wasm"))
}

/// The names of the first-party plugins: one crate each under `plugins/`.
pub fn first_party_plugins() -> Vec<String> {
    let mut crates: Vec<String> = std::fs::read_dir(repo_root().join("plugins"))
        .expect("the plugins directory")
        .map(|e| {
            e.expect("a plugin crate")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    crates.sort();
    crates
}

/// One test fixture plugin's file (`chaos`, `foreign-world`, `future-contract`).
pub fn test_plugin(name: &str) -> PathBuf {
    plugin_dir();
    target_dir()
        .join("test-plugins")
        .join(format!("{name}.wasm"))
}

/// A plugin directory under `dir` holding every first-party plugin and the
/// named test fixtures (as links), for manifests that mix them.
pub fn mixed_plugin_dir(dir: &Path, fixtures: &[&str]) -> PathBuf {
    let mixed = dir.join("plugins");
    std::fs::create_dir_all(&mixed).expect("create plugin dir");
    for entry in std::fs::read_dir(plugin_dir()).expect("read plugin dir") {
        let path = entry.expect("entry").path();
        std::os::unix::fs::symlink(&path, mixed.join(path.file_name().expect("file name")))
            .expect("link plugin");
    }
    for f in fixtures {
        std::os::unix::fs::symlink(test_plugin(f), mixed.join(format!("{f}.wasm")))
            .expect("link fixture");
    }
    mixed
}

/// The precompiled-plugin cache shared by every test of a run.
pub fn cache_dir() -> PathBuf {
    target_dir().join("test-cache")
}

/// A plugin runtime on the shared cache.
pub fn runtime() -> sluice::plugin::Runtime {
    sluice::plugin::Runtime::new(&cache_dir()).expect("engine starts")
}

/// The `sluice` binary of this build profile, brought up to date once per
/// test process (`cargo test` builds the library, not the binary).
///
/// Built as `scripts/test` builds the tests (`--workspace --all-targets`),
/// so that its dependencies carry the features the test build unified and
/// nothing compiles twice. `-p sluice --bin sluice` left out features
/// other members and dev-dependencies add (anyhow's `std`, uuid's `serde`,
/// proc-macro crates' extras), and the crates above them compiled a second
/// time inside the test run (measured: 41 crates, wasmtime, the AWS SDK
/// and librdkafka among them, 147 s on two cores).
pub fn sluice_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "--quiet", "--workspace", "--all-targets"])
            .current_dir(repo_root())
            .env("CARGO_TARGET_DIR", target_dir());
        if profile_dir().ends_with("release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build");
        assert!(
            status.success(),
            "building the sluice binary (cargo build --workspace --all-targets) failed: its errors are above"
        );
        profile_dir().join("sluice")
    })
    .clone()
}

/// Runs `cmd` with `input` on its standard input (written from a thread of
/// its own, so that a child filling its output pipe meanwhile cannot
/// deadlock) and returns its output.
pub fn output_with_stdin(cmd: &mut Command, input: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the command");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("the command runs");
    // A child that exits without reading all its input is its own answer.
    let _ = writer.join();
    out
}

/// Whether a finished command succeeded, and its stdout and stderr as one text.
pub fn outcome(out: &std::process::Output) -> (bool, String) {
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A `sluice` command using the shared cache and logging at info level,
/// its REST API (if it serves one) on a free port, as tests run in parallel.
pub fn sluice() -> Command {
    let mut cmd = Command::new(sluice_bin());
    cmd.env("SLUICE_CACHE_DIR", cache_dir())
        .env("SLUICE_LOG", "info")
        .env("SLUICE_LISTENERS", "http://127.0.0.1:0");
    cmd
}

/// The Kafka broker shared by the tests of one run: `$SLUICE_TEST_KAFKA` when
/// set (scripts/test starts one), else one started here with
/// `scripts/kafka/start` and stopped when this test process exits.
pub fn kafka_bootstrap() -> String {
    static BOOTSTRAP: OnceLock<String> = OnceLock::new();
    BOOTSTRAP
        .get_or_init(|| shared_server("kafka", "SLUICE_TEST_KAFKA"))
        .clone()
}

/// The test broker's SSL listener, which requires a client certificate:
/// its address and the directory of the stores `scripts/kafka/start` made
/// for it (`trust.jks`, `broker.pem`, `client.jks`, `client.p12`, password
/// `sluice-test`). `$SLUICE_TEST_KAFKA_TLS` names that directory when the
/// broker is `$SLUICE_TEST_KAFKA`'s.
pub fn kafka_tls() -> (String, PathBuf) {
    let dir = match std::env::var_os("SLUICE_TEST_KAFKA_TLS") {
        Some(d) => PathBuf::from(d),
        None => {
            assert!(
                std::env::var_os("SLUICE_TEST_KAFKA").is_none(),
                "SLUICE_TEST_KAFKA is set without SLUICE_TEST_KAFKA_TLS: set it to DIR/tls of the broker's scripts/kafka/start DIR"
            );
            kafka_bootstrap();
            std::env::temp_dir()
                .join(format!("sluice-test-kafka-{}", std::process::id()))
                .join("tls")
        }
    };
    let bootstrap = std::fs::read_to_string(dir.join("bootstrap"))
        .unwrap_or_else(|e| panic!("{}/bootstrap: {e}", dir.display()));
    (bootstrap.trim().to_string(), dir)
}

/// The test broker's SASL_PLAINTEXT listener with OAUTHBEARER and Kafka's
/// unsecured token validator, whose sessions end when their token expires:
/// its address (`scripts/kafka/start` writes it beside the SSL listener's).
pub fn kafka_oauth() -> String {
    let (_, tls) = kafka_tls();
    let file = tls
        .parent()
        .expect("the broker's directory")
        .join("oauth/bootstrap");
    std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        .trim()
        .to_string()
}

/// Where the test broker keeps its log segments (`log.dirs`), for a test
/// that corrupts one: beside the stores of [`kafka_tls`].
pub fn kafka_data_dir() -> PathBuf {
    let (_, tls) = kafka_tls();
    tls.parent().expect("the broker's directory").join("data")
}

/// The address of a server for this test process: `$<env>` when set, else
/// one started with `scripts/<name>/start` and stopped (`scripts/<name>/stop`)
/// by a reaper once this process is gone.
// The reaper is meant to outlive this process: it is never waited for.
#[allow(clippy::zombie_processes)]
pub fn shared_server(name: &str, env: &str) -> String {
    if let Ok(address) = std::env::var(env) {
        return address;
    }
    let dir = std::env::temp_dir().join(format!("sluice-test-{name}-{}", std::process::id()));
    let out = Command::new(repo_root().join(format!("scripts/{name}/start")))
        .arg(&dir)
        .output()
        .unwrap_or_else(|e| panic!("run scripts/{name}/start: {e}"));
    assert!(
        out.status.success(),
        "scripts/{name}/start failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stop = repo_root().join(format!("scripts/{name}/stop"));
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "while kill -0 {} 2>/dev/null; do sleep 1; done; '{}' '{}'; rm -rf '{}'",
            std::process::id(),
            stop.display(),
            dir.display(),
            dir.display()
        ))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn the {name} reaper: {e}"));
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

/// A topic name no other test uses.
pub fn unique_topic(prefix: &str) -> String {
    format!("{prefix}-{}-{}", std::process::id(), fastrand_suffix())
}

fn fastrand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{t:08x}{n}")
}

pub mod conformance;
pub mod connect;
pub mod corpus;
pub mod dead_letters;
pub mod fuzz_checks;
pub mod http_receiver;
pub mod kafka;
pub mod oracle;
pub mod process;
pub mod registry;
pub mod rest;
pub mod s3;
pub mod tls;
