//! The REST API fuzzed from its own OpenAPI document with schemathesis
//! (PyPI), for a bounded time: no answer is a server error, and the worker
//! still serves and exits cleanly afterwards.

use std::process::Command;

use sluice_tests::rest::ApiWorker;
use sluice_tests::{outcome, repo_root};

/// The `st` command: `$SLUICE_SCHEMATHESIS` (scripts/test installs it), else
/// installed now by the project's script.
fn schemathesis() -> String {
    if let Ok(st) = std::env::var("SLUICE_SCHEMATHESIS") {
        return st;
    }
    let out = Command::new(repo_root().join("scripts/api/setup-schemathesis"))
        .output()
        .expect("run scripts/api/setup-schemathesis");
    let (ok, text) = outcome(&out);
    assert!(ok, "installing schemathesis: {text}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_server_error() {
    let st = schemathesis();
    // The fuzzer may raise every log level: the log goes to a file, not a pipe.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("worker.log");
    let api = ApiWorker::start_with(&[], Some(&log)).await;
    // The first listing of the plugins loads the plugin directory, which on
    // a cold cache compiles every plugin (tens of seconds on a loaded
    // machine): done once here, so that the fuzzer's 10 s read timeout
    // times the API, not the compiler.
    let listed = reqwest::Client::new()
        .get(format!(
            "{}/connector-plugins?connectorsOnly=false",
            api.base
        ))
        .timeout(std::time::Duration::from_secs(600))
        .send()
        .await
        .expect("the plugin listing answers");
    assert_eq!(listed.status(), 200);
    let seconds = std::env::var("SLUICE_API_FUZZ_SECONDS").unwrap_or_else(|_| "60".into());
    let out = tokio::task::spawn_blocking({
        let base = api.base.clone();
        move || {
            Command::new(st)
                .args(["run", &format!("{base}/openapi.yaml"), "--url", &base])
                .args(["--checks", "not_a_server_error"])
                .args(["--max-time", &seconds, "--workers", "1"])
                .env("NO_COLOR", "1")
                .output()
                .expect("run schemathesis")
        }
    })
    .await
    .unwrap();
    let (ok, text) = outcome(&out);
    assert!(ok, "schemathesis found problems:\n{text}");
    assert!(
        text.contains("Tested: 31"),
        "every operation was tested:\n{text}"
    );
    let (code, _) = api.call("GET", "/health", None).await;
    assert_eq!(code, 200, "the worker still serves");
    api.process.stop_cleanly();
}
