//! The conformance suite: the reference transform `mask-fields` written with
//! every SDK passes the same vectors through `sluice plugin test`, and runs
//! in a real pipeline (broker, `sluice run`, HTTP receiver).
//! See tests/conformance/mask-fields/README.md.

use sluice_tests::conformance::{
    MASK_FIELDS_CONFIG, build, check_vectors, mask_fields_in_a_pipeline, plugin_test,
};

fn vectors_pass(lang: &str) {
    let wasm = build("mask-fields", lang, "transform");
    check_vectors("mask-fields", &wasm, &MASK_FIELDS_CONFIG);
}

#[test]
fn rust_mask_fields_passes_the_vectors() {
    vectors_pass("rust");
}

#[test]
fn rust_contract_0_1_mask_fields_passes_the_vectors() {
    vectors_pass("rust-0.1");
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_contract_0_1_mask_fields_runs_in_a_pipeline() {
    let wasm = build("mask-fields", "rust-0.1", "transform");
    mask_fields_in_a_pipeline("rust-0.1", &wasm).await;
}

/// Rust builds speak contract 0.2 (or 0.1 with the SDK's `contract-0-1`
/// feature); the other SDKs speak 0.1. `sluice plugins` says which, and the
/// Connect class each build declares in its `connect.class` key: connector
/// JSON naming that class imports to a manifest running the plugin, which
/// `sluice validate` loads and configures with the class set.
#[test]
fn each_sdk_build_speaks_its_contract_version_and_declares_its_class() {
    const CLASS: &str = "com.example.transforms.MaskFields$Value";
    for (lang, contract) in [
        ("rust", "0.2.0"),
        ("rust-0.1", "0.1.0"),
        ("python", "0.1.0"),
        ("js", "0.1.0"),
        ("c", "0.1.0"),
        ("go", "0.1.0"),
    ] {
        let wasm = build("mask-fields", lang, "transform");
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(&wasm, dir.path().join("mask-fields.wasm")).unwrap();
        let out = sluice_tests::sluice()
            .args(["plugins", "--json"])
            .arg(dir.path())
            .output()
            .unwrap();
        let listed: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{lang}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(
            listed[0]["contract"],
            format!("sluice:plugin@{contract}"),
            "{lang}: {listed}"
        );
        assert_eq!(
            listed[0]["connect_classes"],
            serde_json::json!([CLASS]),
            "{lang}: {listed}"
        );

        let plugins = sluice_tests::mixed_plugin_dir(dir.path(), &[]);
        std::fs::copy(&wasm, plugins.join("mask-fields.wasm")).unwrap();
        let connector = dir.path().join("masked.json");
        let config = serde_json::json!({
            "connector.class": "io.confluent.connect.http.HttpSinkConnector",
            "topics": "events",
            "http.api.url": "http://127.0.0.1:9/in",
            "transforms": "mask",
            "transforms.mask.type": CLASS,
            "transforms.mask.fields": "password",
        });
        std::fs::write(&connector, config.to_string()).unwrap();
        let out = sluice_tests::sluice()
            .arg("import")
            .arg("--plugin-dir")
            .arg(&plugins)
            .arg(&connector)
            .output()
            .unwrap();
        let (ok, text) = sluice_tests::outcome(&out);
        assert!(ok, "{lang}: {text}");
        let manifest = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            manifest.contains(r#"plugin = "mask-fields""#)
                && manifest.contains(&format!(r#""connect.class" = "{CLASS}""#)),
            "{lang}: {manifest}"
        );
        let path = dir.path().join("masked.toml");
        std::fs::write(&path, &manifest).unwrap();
        let out = sluice_tests::sluice()
            .arg("validate")
            .arg(&path)
            .output()
            .unwrap();
        let (ok, text) = sluice_tests::outcome(&out);
        assert!(ok, "{lang}: {text}\n{manifest}");
    }
}

#[test]
fn python_mask_fields_passes_the_vectors() {
    vectors_pass("python");
}

#[test]
fn js_mask_fields_passes_the_vectors() {
    vectors_pass("js");
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_mask_fields_runs_in_a_pipeline() {
    let wasm = build("mask-fields", "rust", "transform");
    mask_fields_in_a_pipeline("rust", &wasm).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_mask_fields_runs_in_a_pipeline() {
    let wasm = build("mask-fields", "python", "transform");
    mask_fields_in_a_pipeline("python", &wasm).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn js_mask_fields_runs_in_a_pipeline() {
    let wasm = build("mask-fields", "js", "transform");
    mask_fields_in_a_pipeline("js", &wasm).await;
}

#[test]
fn c_mask_fields_passes_the_vectors() {
    vectors_pass("c");
}

#[test]
fn go_mask_fields_passes_the_vectors() {
    vectors_pass("go");
}

#[tokio::test(flavor = "multi_thread")]
async fn c_mask_fields_runs_in_a_pipeline() {
    let wasm = build("mask-fields", "c", "transform");
    mask_fields_in_a_pipeline("c", &wasm).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn go_mask_fields_runs_in_a_pipeline() {
    let wasm = build("mask-fields", "go", "transform");
    mask_fields_in_a_pipeline("go", &wasm).await;
}

/// The C SDK validates JSON itself (jsmn only tokenizes): its verdict on
/// tricky documents (kept, not an object, not valid JSON) must be serde_json's.
#[test]
fn c_json_validation_agrees_with_serde_json() {
    let wasm = build("mask-fields", "c", "transform");
    let documents = [
        r#"{"a":1}"#,
        r#" { "a" : [1, 2.5e-3, -0, true, false, null, "x\u00e9\n"] } "#,
        r#"{"a":{"b":{"c":[[],{}]}}}"#,
        r#"{"password":"\ud83c\udf0a","k\"ey":"v"}"#,
        r#"{"a":1,}"#,
        r#"{"a":1 "b":2}"#,
        r#"{"a" 1}"#,
        r#"{"a":}"#,
        r#"{"a"}"#,
        r#"{1:2}"#,
        r#"{"a":[1,]}"#,
        r#"{"a":[1 2]}"#,
        r#"{"a":[,1]}"#,
        r#"{"a":01}"#,
        r#"{"a":1.}"#,
        r#"{"a":.5}"#,
        r#"{"a":-}"#,
        r#"{"a":1e}"#,
        r#"{"a":nul}"#,
        r#"{"a":truex}"#,
        r#"{"a":"\x"}"#,
        r#"{"a":"\u12"}"#,
        r#"{"a":"\ud800"}"#,
        r#"{"a":"\ud800x"}"#,
        r#"{"a":"\udc00\ud800"}"#,
        r#"{"a":"\ud83c\u0041"}"#,
        "{\"a\":\"tab\there\"}",
        r#"{"a":1}{"b":2}"#,
        r#"{"a":1} x"#,
        r#"{"a":[1}]"#,
        r#"{"a":{"b":1]}"#,
        r#"{"a":"b":"c"}"#,
        r#"{"a":1:2}"#,
        r#"{"a":[1:2]}"#,
        r#"{,}"#,
        r#"{"a":1,,"b":2}"#,
        r#"{"#,
        r#"{"a":"#,
        r#"[1,2]"#,
        r#""text""#,
        "42",
        " -1.5e3 ",
        "true",
        "nul",
        "42 43",
        r#"{"a":1e+5,"b":-1.25E-7,"c":1234567890123456789012}"#,
        r#"{"":""}"#,
    ];
    let lines: Vec<String> = documents
        .iter()
        .enumerate()
        .map(|(i, d)| {
            serde_json::json!({"offset": i, "value": d, "value_kind": "text"}).to_string()
        })
        .collect();
    let out = plugin_test(&wasm, &lines, &[("fields", "a")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let outcomes: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("an outcome is JSON"))
        .collect();
    assert_eq!(outcomes.len(), documents.len(), "{stdout}");
    for (doc, outcome) in documents.iter().zip(&outcomes) {
        let (expected, error) = match serde_json::from_str::<serde_json::Value>(doc) {
            Ok(v) if v.is_object() => ("kept", ""),
            Ok(_) => ("failed", "is not a JSON object"),
            Err(_) => ("failed", "is not valid JSON"),
        };
        assert!(
            outcome["outcome"] == expected
                && outcome["error"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(error),
            "document {doc:?}: serde_json says {expected} {error:?}; the C SDK: {outcome}"
        );
    }
}

/// A garbage collector that runs while the host allocates a call's
/// arguments traps the instance (Go's did, at about 20 KiB a call): 4 MiB
/// of records in one call must come back whole.
fn a_large_batch_passes_in_one_call(lang: &str) {
    let wasm = build("mask-fields", lang, "transform");
    let padding = "p".repeat(1000);
    let lines: Vec<String> = (0..4000)
        .map(|i| {
            serde_json::json!({"offset": i, "value": {"n": i, "password": "x", "pad": padding}})
                .to_string()
        })
        .collect();
    let out = plugin_test(&wasm, &lines, &[("fields", "password")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{lang}: {stderr}");
    assert!(
        stderr.contains("4000 records: 4000 kept, 0 dropped, 0 failed"),
        "{lang}: {stderr}"
    );
}

#[test]
fn go_takes_a_large_batch_in_one_call() {
    a_large_batch_passes_in_one_call("go");
}

#[test]
fn c_takes_a_large_batch_in_one_call() {
    a_large_batch_passes_in_one_call("c");
}
