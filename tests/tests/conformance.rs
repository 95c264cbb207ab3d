//! The conformance suite: the reference transform `mask-fields` written with
//! every SDK passes the same vectors through `sluice plugin test`, and runs
//! in a real pipeline (broker, `sluice run`, HTTP receiver).
//! See tests/conformance/mask-fields/README.md.

use sluice_tests::conformance::{
    MASK_FIELDS_CONFIG, build, check_vectors, mask_fields_in_a_pipeline,
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
