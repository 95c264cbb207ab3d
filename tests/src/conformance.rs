//! The conformance suite's harness (tests/conformance/): builds one
//! language's version of a reference plugin with the project's own SDK build
//! script, runs it over the shared vectors through `sluice plugin test`, and
//! runs it in a real pipeline.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use serde_json::{Value, json};

use crate::http_receiver::Receiver;
use crate::kafka::{RawRecord, committed, create_topic, produce_raw};
use crate::process::{Connector, Running, TD_FORMATTER};
use crate::{mixed_plugin_dir, repo_root, sluice, target_dir, test_plugin, unique_topic};

/// The configuration every vector of `mask-fields` runs with.
pub const MASK_FIELDS_CONFIG: [(&str, &str); 2] = [
    ("fields", "password,card.number,ssn"),
    ("replacement", "[hidden]"),
];

/// The `.wasm` of `plugin` written in `lang` (`rust`, `rust-0.1` (the Rust
/// SDK's contract 0.1 build), `python`, `js`, `c`, `go`) of kind `world`,
/// built once per test process.
pub fn build(plugin: &str, lang: &str, world: &str) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<(String, String), PathBuf>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    let key = (plugin.to_string(), lang.to_string());
    if let Some(p) = built.get(&key) {
        return p.clone();
    }
    let wasm = if lang == "rust" {
        test_plugin(plugin)
    } else if lang == "rust-0.1" {
        crate::plugin_dir();
        target_dir()
            .join("plugins-v0.1")
            .join(format!("{plugin}.wasm"))
    } else {
        let out = target_dir()
            .join("conformance")
            .join(lang)
            .join(format!("{plugin}.wasm"));
        let src = repo_root()
            .join("tests/conformance")
            .join(plugin)
            .join(lang);
        let run = Command::new(repo_root().join("scripts/sdk/build"))
            .args([lang, world])
            .arg(&src)
            .arg(&out)
            .output()
            .expect("run scripts/sdk/build");
        assert!(
            run.status.success(),
            "scripts/sdk/build {lang} {world} {} failed:\n{}",
            src.display(),
            String::from_utf8_lossy(&run.stderr)
        );
        out
    };
    built.insert(key, wasm.clone());
    wasm
}

/// The shared vectors of `plugin`: `(input, expect)` pairs.
pub fn vectors(plugin: &str) -> Vec<(Value, Value)> {
    let path = repo_root()
        .join("tests/conformance")
        .join(plugin)
        .join("vectors.jsonl");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut case: Value = serde_json::from_str(l).expect("a vector is JSON");
            (case["input"].take(), case["expect"].take())
        })
        .collect()
}

/// Runs `sluice plugin test` on `wasm` with `config` over `lines` (input
/// records, one JSON object each), all in one call.
pub fn plugin_test(wasm: &Path, lines: &[String], config: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("input.jsonl");
    std::fs::write(&input, lines.join("\n")).expect("write input");
    let mut cmd = sluice();
    cmd.arg("plugin")
        .arg("test")
        .arg(wasm)
        .arg("-i")
        .arg(&input);
    for (k, v) in config {
        cmd.arg("-c").arg(format!("{k}={v}"));
    }
    cmd.output().expect("run sluice plugin test")
}

/// Runs `wasm` over `plugin`'s vectors with `sluice plugin test` and panics
/// listing every case whose outcome differs from the expected one.
pub fn check_vectors(plugin: &str, wasm: &Path, config: &[(&str, &str)]) {
    let cases = vectors(plugin);
    let lines: Vec<String> = cases.iter().map(|(i, _)| i.to_string()).collect();
    let out = plugin_test(wasm, &lines, config);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let got: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("an outcome line is JSON"))
        .collect();
    assert_eq!(
        got.len(),
        cases.len(),
        "{}: one outcome per vector\n{stdout}\n{}",
        wasm.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mismatches: Vec<String> = cases
        .iter()
        .zip(&got)
        .filter_map(|((input, expect), got)| {
            mismatch(expect, got).map(|why| format!("input {input}: {why}; got {got}"))
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} fails {} of {} vectors:\n{}",
        wasm.display(),
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}

/// Why `got` (an outcome line) does not meet `expect`, if it does not.
fn mismatch(expect: &Value, got: &Value) -> Option<String> {
    let outcome = expect["outcome"].as_str().expect("an expected outcome");
    if got["outcome"] != outcome {
        return Some(format!("expected outcome {outcome}"));
    }
    match outcome {
        "failed" => {
            let want = expect["contains"].as_str().unwrap_or("");
            let error = got["error"].as_str().unwrap_or("");
            (!error.contains(want)).then(|| format!("expected an error containing {want:?}"))
        }
        "kept" => {
            let records = got["records"].as_array().cloned().unwrap_or_default();
            if records.len() != 1 {
                return Some("expected one output record".into());
            }
            let r = &records[0];
            for field in ["value", "key", "headers", "timestamp"] {
                if let Some(want) = expect.get(field)
                    && &r[field] != want
                {
                    return Some(format!("expected {field} {want}"));
                }
            }
            (r["value_kind"] != "json").then(|| "expected value_kind json".into())
        }
        _ => None,
    }
}

/// Runs `wasm` (a `mask-fields`) in a real pipeline: 100 records on one
/// partition, every tenth with a `skip` header and every 25th not a JSON
/// object, `errors.tolerance=all`; checks what arrives at a receiver and
/// that every offset is committed.
pub async fn mask_fields_in_a_pipeline(lang: &str, wasm: &Path) {
    let topic = unique_topic(&format!("conformance-{lang}"));
    create_topic(&topic, 1).await;
    let records: Vec<RawRecord> = (0..100)
        .map(|i| {
            let mut r = if i % 25 == 24 {
                RawRecord::value(format!("[{i}]"))
            } else {
                RawRecord::value(json!({"n": i, "password": format!("p{i}")}).to_string())
            };
            if i % 10 == 3 {
                r.headers.push(("skip".into(), None));
            }
            r
        })
        .collect();
    produce_raw(&topic, &records).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let plugins = mixed_plugin_dir(dir.path(), &[]);
    std::fs::copy(wasm, plugins.join("mask-fields.wasm")).expect("copy the plugin");
    let receiver = Receiver::start().await;
    let name = format!("conformance-{lang}-{topic}");
    let sink = format!(
        r#""http.api.url" = "{url}"
"batch.max.size" = 500
"batch.linger.ms" = 200
{TD_FORMATTER}"#,
        url = receiver.url("/in")
    );
    let extra = r#"transforms = [{ plugin = "mask-fields", config = { fields = "password", replacement = "xxx" } }]
"errors.tolerance" = "all"
"errors.log.enable" = true"#;
    let manifest = Connector {
        name: &name,
        topic: &topic,
        plugins: Some(&plugins),
        value_converter: r#"{ plugin = "bytes" }"#,
        sink: &sink,
        extra,
        ..Connector::default()
    }
    .write(dir.path());
    let expected: Vec<i64> = (0..100).filter(|i| i % 10 != 3 && i % 25 != 24).collect();
    let run = Running::start(&manifest);
    let got = receiver
        .wait_for(90, "the masked records", |r| {
            crate::dead_letters::received_records(r).len() >= expected.len()
        })
        .await;
    let values = crate::dead_letters::received_records(&got);
    let numbers: Vec<i64> = values
        .iter()
        .map(|v| v["n"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(numbers, expected, "{lang}: kept records arrive in order");
    assert!(
        values.iter().all(|v| v["password"] == "xxx"),
        "{lang}: every password is masked: {values:?}"
    );
    let stderr = run.stop_cleanly();
    assert_eq!(
        committed(&format!("connect-{name}"), &topic, 1),
        vec![Some(100)],
        "{lang}: every offset is committed (kept, dropped and failed records alike)\n{stderr}"
    );
    assert_eq!(
        stderr.matches("Error encountered in task").count(),
        4,
        "{lang}: the four non-object records are reported\n{stderr}"
    );
}
