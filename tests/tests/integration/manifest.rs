//! `sluice validate` and `sluice run` on bad manifests: every problem named
//! with its connector and key, nothing started.

use std::path::Path;

use sluice_tests::{outcome, plugin_dir, sluice};

fn write(dir: &Path, body: &str) -> std::path::PathBuf {
    let path = dir.join("m.toml");
    std::fs::write(
        &path,
        format!("plugin_dir = \"{}\"\n{body}", plugin_dir().display()),
    )
    .unwrap();
    path
}

const GOOD: &str = r#"
[[connectors]]
name = "c1"
topics = "t"
kafka = { "bootstrap.servers" = "127.0.0.1:1" }
"value.converter" = { plugin = "json", config = { "schemas.enable" = false } }
sink = { type = "http", "http.api.url" = "http://127.0.0.1:1/in" }
"#;

fn validate(body: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    outcome(
        &sluice()
            .arg("validate")
            .arg(write(dir.path(), body))
            .output()
            .unwrap(),
    )
}

#[test]
fn a_good_manifest_validates_and_says_what_it_runs() {
    let (ok, out) = validate(GOOD);
    assert!(ok, "{out}");
    assert!(out.contains("valid, 1 connector(s)"), "{out}");
    assert!(
        out.contains("c1: t -> json -> json-batch -> http://127.0.0.1:1/in"),
        "{out}"
    );
    assert!(out.contains("group connect-c1"), "{out}");
}

#[test]
fn an_unknown_key_is_named_with_its_line() {
    let (ok, out) = validate(&GOOD.replace("topics = \"t\"", "topics = \"t\"\ntopcis = \"x\""));
    assert!(!ok);
    assert!(out.contains("unknown field `topcis`"), "{out}");
    assert!(out.contains("line"), "{out}");
}

#[test]
fn a_missing_plugin_lists_the_available_ones() {
    let (ok, out) = validate(&GOOD.replace("plugin = \"json\"", "plugin = \"jsn\""));
    assert!(!ok);
    assert!(
        out.contains(
            "connectors[0] (c1): \"value.converter\": plugin `jsn` not found: no jsn.wasm in"
        ),
        "{out}"
    );
    let available = out.split("available: ").nth(1).unwrap_or_default();
    for name in [
        "aiven-output",
        "bytes",
        "drop",
        "insert-field",
        "json",
        "json-batch",
        "string",
    ] {
        assert!(
            available.split([',', ')']).any(|n| n.trim() == name),
            "{name} in {out}"
        );
    }
}

#[test]
fn a_bad_plugin_config_is_reported_by_the_plugin() {
    let (ok, out) =
        validate(&GOOD.replace("\"schemas.enable\" = false", "\"schemas.enabled\" = false"));
    assert!(!ok);
    assert!(
        out.contains("plugin `json` rejected its configuration: unknown key `schemas.enabled`"),
        "{out}"
    );
}

#[test]
fn a_plugin_of_the_wrong_kind_is_refused() {
    let (ok, out) = validate(&GOOD.replace(
        "plugin = \"json\", config = { \"schemas.enable\" = false }",
        "plugin = \"insert-field\"",
    ));
    assert!(!ok);
    assert!(
        out.contains("plugin `insert-field` is a transform, but this place needs a converter"),
        "{out}"
    );
}

#[test]
fn an_unreachable_file_provider_is_a_warning_of_validate_and_fails_run() {
    let body = GOOD.replace(
        "\"http.api.url\" = \"http://127.0.0.1:1/in\"",
        "\"http.api.url\" = \"http://127.0.0.1:1/in\", headers = \"Authorization: ${file:/nonexistent/secrets.properties:token}\"",
    );
    // The secret file of the machine the connector runs on: validate names
    // it and checks the rest as written.
    let (ok, out) = validate(&body);
    assert!(ok, "{out}");
    assert!(
        out.contains(
            "warning: connectors[0].sink.headers: ${file:/nonexistent/secrets.properties:token}: cannot read"
        ),
        "{out}"
    );
    let dir = tempfile::tempdir().unwrap();
    let run = sluice()
        .arg("run")
        .arg(write(dir.path(), &body))
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(
        String::from_utf8_lossy(&run.stderr)
            .contains("cannot read /nonexistent/secrets.properties")
    );
}

#[test]
fn many_problems_are_reported_together() {
    let body = r#"
[[connectors]]
name = "a"
topics = "t"
"topics.regex" = "t.*"
"tasks.max" = 0
kafka = { "enable.auto.commit" = true }
sink = { type = "http", "http.api.url" = "ftp://nope", "request.method" = "GET", "retry.on.status.codes" = "5xx", "behavior.on.error" = "explode" }
"#;
    let (ok, out) = validate(body);
    assert!(!ok);
    for expected in [
        "topics and \"topics.regex\" are both set",
        "\"tasks.max\": 0 is out of range: give 1 to 256",
        "Sluice commits offsets itself",
        "\"bootstrap.servers\": missing",
        "\"ftp://nope\" is not an http:// or https:// URL",
        "\"GET\" is not POST, PUT or PATCH",
        "\"5xx\" is not a status code",
        "\"explode\" is not fail, log or ignore",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}

#[test]
fn the_shipped_example_manifest_validates() {
    let out = sluice()
        .arg("validate")
        .arg(sluice_tests::repo_root().join("examples/treasure-data.toml"))
        .env("TD_API_KEY", "test")
        .env("SLUICE_PLUGIN_DIR", plugin_dir())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("td-events: events -> json -> insert-field -> json-batch"),
        "{text}"
    );
}

#[test]
fn validate_warns_of_a_secret_not_set_here_and_run_refuses_to_start_without_it() {
    let example = sluice_tests::repo_root().join("examples/treasure-data.toml");
    let out = sluice()
        .arg("validate")
        .arg(&example)
        .env_remove("TD_API_KEY")
        .env("SLUICE_PLUGIN_DIR", plugin_dir())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("valid, 1 connector(s) (with references not resolvable here"),
        "{stdout}"
    );
    assert!(
        stderr.contains("warning: connectors[0].sink.headers: ${env:TD_API_KEY}: the environment variable TD_API_KEY is not set"),
        "{stderr}"
    );
    // A problem of the manifest as written is still an error beside it.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.toml");
    let text = std::fs::read_to_string(&example).unwrap().replace(
        "\"request.method\" = \"POST\"",
        "\"request.methd\" = \"POST\"",
    );
    std::fs::write(&broken, text).unwrap();
    let out = sluice()
        .arg("validate")
        .arg(&broken)
        .env_remove("TD_API_KEY")
        .env("SLUICE_PLUGIN_DIR", plugin_dir())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("request.methd"), "{stderr}");
    // A reference that resolves nowhere (a misspelt provider) is an error.
    let text = std::fs::read_to_string(&example)
        .unwrap()
        .replace("${env:TD_API_KEY}", "${evn:TD_API_KEY}");
    std::fs::write(&broken, text).unwrap();
    let (ok, out) = outcome(
        &sluice()
            .arg("validate")
            .arg(&broken)
            .env("SLUICE_PLUGIN_DIR", plugin_dir())
            .output()
            .unwrap(),
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains("${evn:TD_API_KEY}: unknown config provider"),
        "{out}"
    );
    // Running it refuses at once, naming the variable.
    let mut child = sluice()
        .arg("run")
        .arg(&example)
        .env_remove("TD_API_KEY")
        .env("SLUICE_PLUGIN_DIR", plugin_dir())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("sluice run started without TD_API_KEY");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("TD_API_KEY is not set"), "{stderr}");
}

#[test]
fn a_static_member_id_is_refused_with_several_tasks() {
    let body = r#"
[[connectors]]
name = "a"
topics = "t"
"tasks.max" = 3
kafka = { "bootstrap.servers" = "localhost:9092", "group.instance.id" = "one" }
sink = { type = "http", "http.api.url" = "http://localhost:1/in" }
"#;
    let (ok, out) = validate(body);
    assert!(!ok);
    assert!(
        out.contains("a static member id is one consumer's"),
        "{out}"
    );
}
