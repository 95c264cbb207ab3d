//! Kafka's own Connect classes as the oracle of the parity tests: builds
//! `tests/kafka-oracle` (once per test process, through its `build` script)
//! and runs cases through it. The case and answer formats are described in
//! `tests/kafka-oracle/src/Oracle.java`.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

use super::repo_root;

/// The oracle's classpath, built on first use.
pub fn classpath() -> String {
    static CP: OnceLock<String> = OnceLock::new();
    CP.get_or_init(|| {
        let out = Command::new(repo_root().join("tests/kafka-oracle/build"))
            .output()
            .expect("run tests/kafka-oracle/build");
        assert!(
            out.status.success(),
            "tests/kafka-oracle/build failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf-8 classpath")
            .trim()
            .to_string()
    })
    .clone()
}

/// Runs `cases` through Kafka's classes in one JVM; one answer per case, in order.
pub fn run(cases: &[Value]) -> Vec<Value> {
    let mut child = Command::new("java")
        .arg("-cp")
        .arg(classpath())
        .arg("Oracle")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the Kafka oracle (java)");
    let mut input = String::new();
    for c in cases {
        input.push_str(&c.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("oracle stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("the oracle runs");
    writer
        .join()
        .expect("writer thread")
        .expect("write the cases");
    assert!(
        out.status.success(),
        "the Kafka oracle failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("an oracle answer is JSON"))
        .collect();
    assert_eq!(answers.len(), cases.len(), "one oracle answer per case");
    answers
}
