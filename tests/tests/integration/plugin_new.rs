//! `sluice plugin new` as a new user runs it: for each language and kind,
//! create the project, run its `build.sh`, then the `sluice plugin test`
//! command its README gives; every language's template must behave like the
//! Rust one on the same sample.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use sluice_tests::{repo_root, sluice, target_dir};

const KINDS: [&str; 3] = ["transform", "converter", "formatter"];

/// The PATH with `lang`'s pinned toolchain in front (scripts/sdk/setup).
fn path_with_tools(lang: &str) -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    if lang == "rust" {
        return path;
    }
    let out = Command::new(repo_root().join("scripts/sdk/setup"))
        .arg(lang)
        .output()
        .expect("run scripts/sdk/setup");
    assert!(
        out.status.success(),
        "scripts/sdk/setup {lang}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!("{}:{path}", String::from_utf8_lossy(&out.stdout).trim())
}

/// The arguments after `sluice plugin test` in the project's README.
fn readme_test_args(project: &Path) -> Vec<String> {
    let readme = std::fs::read_to_string(project.join("README.md")).expect("a README");
    let line = readme
        .lines()
        .find_map(|l| l.trim().strip_prefix("sluice plugin test "))
        .unwrap_or_else(|| panic!("{}: no `sluice plugin test` line", project.display()));
    let command = line.split('#').next().unwrap_or_default();
    command.split_whitespace().map(str::to_string).collect()
}

/// Creates, builds and tests the `kind` template of `lang`; returns the
/// outcomes `sluice plugin test` printed, normalised.
fn new_build_test(lang: &str, kind: &str, dir: &Path, path: &str) -> Vec<serde_json::Value> {
    let name = format!("my-{kind}");
    let project = dir.join(&name);
    let out = sluice()
        .args([
            "plugin", "new", &name, "--kind", kind, "--lang", lang, "--dir",
        ])
        .arg(&project)
        .output()
        .expect("run sluice plugin new");
    assert!(
        out.status.success(),
        "plugin new {lang} {kind}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let build = Command::new("bash")
        .arg(project.join("build.sh"))
        .env("PATH", path)
        // One target for the Rust templates (built one after another): their
        // dependencies compile once, not once per project.
        .env("CARGO_TARGET_DIR", target_dir().join("plugin-new"))
        .output()
        .expect("run build.sh");
    assert!(
        build.status.success(),
        "{lang} {kind}: build.sh failed:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let test = sluice()
        .args(["plugin", "test"])
        .args(readme_test_args(&project))
        .current_dir(&project)
        .output()
        .expect("run sluice plugin test");
    let stderr = String::from_utf8_lossy(&test.stderr);
    assert!(
        test.status.success(),
        "{lang} {kind}: plugin test:\n{stderr}"
    );
    let summary = stderr.lines().last().unwrap_or_default().to_string();
    assert!(
        summary.contains(&format!("{name} 0.1.0 ({kind})")),
        "{lang} {kind}: summary line {summary:?}"
    );
    normalised(&String::from_utf8_lossy(&test.stdout))
}

/// Outcome lines with each error cut after its second part ("offset 2:
/// value is not valid JSON"): the rest is the language's parser speaking.
fn normalised(outcomes: &str) -> Vec<serde_json::Value> {
    outcomes
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("an outcome is JSON");
            if let Some(e) = v.get_mut("error") {
                let cut: Vec<&str> = e.as_str().unwrap_or_default().splitn(3, ": ").collect();
                *e = cut[..cut.len().min(2)].join(": ").into();
            }
            v
        })
        .collect()
}

/// The Rust templates' outcomes, kind by kind, built once per test process.
fn rust_outcomes() -> &'static [Vec<serde_json::Value>] {
    static OUTCOMES: OnceLock<Vec<Vec<serde_json::Value>>> = OnceLock::new();
    OUTCOMES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = path_with_tools("rust");
        KINDS
            .iter()
            .map(|kind| new_build_test("rust", kind, dir.path(), &path))
            .collect()
    })
}

#[test]
fn rust_templates_build_and_pass_their_samples() {
    for (kind, outcomes) in KINDS.iter().zip(rust_outcomes()) {
        assert!(!outcomes.is_empty(), "rust {kind}: no outcomes");
    }
}

fn templates_behave_like_rust(lang: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = path_with_tools(lang);
    for (kind, want) in KINDS.iter().zip(rust_outcomes()) {
        let got = new_build_test(lang, kind, dir.path(), &path);
        assert_eq!(
            &got, want,
            "{lang} {kind}: the template's outcomes differ from Rust's"
        );
    }
}

#[test]
fn python_templates_behave_like_rust() {
    templates_behave_like_rust("python");
}

#[test]
fn js_templates_behave_like_rust() {
    templates_behave_like_rust("js");
}

#[test]
fn c_templates_behave_like_rust() {
    templates_behave_like_rust("c");
}

#[test]
fn go_templates_behave_like_rust() {
    templates_behave_like_rust("go");
}
