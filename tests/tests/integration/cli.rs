//! The `sluice` binary's plugin commands, run as a user runs them.

use std::process::Output;

use serde_json::{Value, json};
use sluice_tests::{plugin, plugin_dir, sluice, test_plugin};

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

fn run(cmd: &mut std::process::Command) -> Output {
    cmd.output().expect("sluice runs")
}

#[test]
fn plugins_lists_each_plugin_and_each_broken_file_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(plugin("json"), dir.path().join("json.wasm")).unwrap();
    std::fs::copy(plugin("insert-field"), dir.path().join("insert-field.wasm")).unwrap();
    std::fs::write(dir.path().join("broken.wasm"), b"not wasm at all").unwrap();
    let out = run(sluice().arg("plugins").arg(dir.path()));
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a broken file makes the exit status 1\n{stdout}"
    );
    assert!(stdout.contains("NAME"), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("json ")
            && l.contains("converter")
            && l.contains("sluice:plugin@0.2.0")),
        "{stdout}"
    );
    assert!(
        stdout.contains("schemas.enable (boolean, default \"true\")"),
        "{stdout}"
    );
    assert!(stdout.contains("insert-field  transform"), "{stdout}");
    assert!(
        stdout.contains("broken.wasm")
            && stdout.contains("BROKEN")
            && stdout.contains("not a WebAssembly file"),
        "{stdout}"
    );
}

#[test]
fn plugins_json_describes_every_plugin_for_machines() {
    let out = run(sluice().arg("plugins").arg(plugin_dir()).arg("--json"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let items: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut names: Vec<&str> = items
        .iter()
        .map(|i| i["plugin"]["name"].as_str().unwrap())
        .collect();
    names.sort();
    // Every first-party plugin crate (plugins/<name>/) is in the directory.
    assert_eq!(names, sluice_tests::first_party_plugins());
    let insert = items
        .iter()
        .find(|i| i["plugin"]["name"] == "insert-field")
        .unwrap();
    assert_eq!(insert["plugin"]["kind"], "transform");
    assert_eq!(insert["contract"], "sluice:plugin@0.2.0");
    let keys: Vec<&str> = insert["plugin"]["config"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "connect.class",
            "topic.field",
            "partition.field",
            "offset.field",
            "timestamp.field",
            "static.field",
            "static.value",
            "replace.null.with.default"
        ]
    );
    assert_eq!(
        insert["connect_classes"],
        json!([
            "org.apache.kafka.connect.transforms.InsertField$Key",
            "org.apache.kafka.connect.transforms.InsertField$Value"
        ])
    );
}

#[test]
fn plugin_test_prints_one_outcome_per_record() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        concat!(
            r#"{"topic":"orders","offset":40,"value":{"id":1}}"#,
            "\n",
            r#"{"topic":"orders","offset":41,"value":"plain text"}"#,
            "\n",
            r#"{"topic":"orders","offset":42,"value":{"id":3},"headers":{"skip":null}}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = run(sluice()
        .args(["plugin", "test"])
        .arg(plugin("insert-field"))
        .args([
            "--config",
            "offset.field=at",
            "-c",
            "static.field=src",
            "-c",
            "static.value=cli",
        ])
        .arg("--input")
        .arg(&input));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["outcome"], "kept");
    assert_eq!(
        lines[0]["records"][0]["value"],
        serde_json::json!({"id":1,"at":40,"src":"cli"})
    );
    assert_eq!(lines[1]["outcome"], "failed");
    assert_eq!(lines[1]["offset"], 41);
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("needs a JSON value"),
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[2]["records"][0]["headers"],
        serde_json::json!([["skip", null]])
    );
    assert!(
        text(&out.stderr).contains("3 records: 2 kept, 0 dropped, 1 failed"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn plugin_test_keeps_header_order_repeats_and_raw_bytes_through_a_chain() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    // Kafka headers are an ordered list in which a name may repeat; a value
    // that is not UTF-8 goes in as base64 and comes out the same way.
    std::fs::write(
        &input,
        concat!(
            r#"{"offset":1,"value":"{\"id\":1}","headers":[["trace","b"],["trace","a"],["x",null]]}"#,
            "\n",
            r#"{"offset":2,"value_base64":"/wA=","headers":[["trace","c"]]}"#,
            "\n"
        ),
    )
    .unwrap();
    let converted = run(sluice()
        .args(["plugin", "test"])
        .arg(plugin("bytes"))
        .args(["--emit", "records", "-i"])
        .arg(&input));
    assert!(converted.status.success(), "{}", text(&converted.stderr));
    let chained = dir.path().join("chained.jsonl");
    std::fs::write(&chained, &converted.stdout).unwrap();
    let out = run(sluice()
        .args(["plugin", "test"])
        .arg(plugin("drop"))
        .args(["-c", "predicate=HasHeaderKey", "-c", "name=nope", "-i"])
        .arg(&chained));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{}", text(&out.stdout));
    let first = &lines[0]["records"][0];
    assert_eq!(
        first["headers"],
        serde_json::json!([["trace", "b"], ["trace", "a"], ["x", null]])
    );
    assert_eq!(first["value"], "{\"id\":1}");
    let second = &lines[1]["records"][0];
    assert_eq!(second["value_base64"], "/wA=", "{second}");
    assert_eq!(second["value"], Value::Null, "{second}");
    assert_eq!(second["headers"], serde_json::json!([["trace", "c"]]));
}

#[test]
fn plugin_test_reports_a_bad_config_and_exits_non_zero() {
    let out = run(sluice()
        .args(["plugin", "test"])
        .arg(plugin("drop"))
        .args(["-c", "predicate=Sometimes"])
        .arg("-i")
        .arg("/dev/null"));
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("plugin `drop` rejected its configuration"),
        "{stderr}"
    );
    assert!(
        stderr.contains("use TopicNameMatches, HasHeaderKey or RecordIsTombstone"),
        "{stderr}"
    );
}

#[test]
fn plugin_output_reaches_the_host_log_tagged_with_the_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"value\":\"print\"}\n").unwrap();
    let out = run(sluice()
        .args(["plugin", "test"])
        .arg(test_plugin("chaos"))
        .arg("-i")
        .arg(&input));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let stdout_line = stderr
        .lines()
        .find(|l| l.contains("chaos says hello on stdout"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        stdout_line.contains("plugin=\"chaos\"") && stdout_line.contains("stream=\"stdout\""),
        "{stdout_line}"
    );
    let log_line = stderr
        .lines()
        .find(|l| l.contains("through the log import"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        log_line.contains("WARN") && log_line.contains("plugin=\"chaos\""),
        "{log_line}"
    );
}

#[test]
fn a_trap_is_reported_with_the_plugin_name() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"value\":\"trap\"}\n").unwrap();
    let out = run(sluice()
        .args(["plugin", "test"])
        .arg(test_plugin("chaos"))
        .arg("-i")
        .arg(&input));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error: plugin `chaos` trapped"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn plugin_test_grants_environment_and_directories_on_request() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.txt"), "file secret").unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"value\":\"env\"}\n{\"value\":\"read\"}\n").unwrap();
    let out = run(sluice()
        .args(["plugin", "test"])
        .arg(test_plugin("chaos"))
        .args(["--env", "CHAOS_SECRET=env secret", "--dir"])
        .arg(format!("{}:/data", dir.path().display()))
        .arg("-i")
        .arg(&input));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["records"][0]["value"], "env secret");
    assert_eq!(lines[1]["records"][0]["value"], "file secret");
}

#[test]
fn demo_delivers_every_sample_event_through_an_embedded_broker_and_commits() {
    let out = run(sluice()
        .args(["demo", "--once", "--events", "300", "--plugin-dir"])
        .arg(plugin_dir()));
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("300 of 300 events delivered"), "{stdout}");
    assert!(
        stdout.contains("committed offsets of group connect-demo: events-0=150, events-1=150"),
        "{stdout}"
    );
}

#[test]
fn a_missing_file_is_named_once_with_the_reason_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.wasm");
    let out = run(sluice()
        .args(["plugin", "test"])
        .arg(&missing)
        .args(["-i", "/dev/null"]));
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("missing.wasm: cannot read the plugin file: No such file or directory"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");
    let manifest = dir.path().join("absent.toml");
    let out = run(sluice().arg("validate").arg(&manifest));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("absent.toml: cannot read the manifest"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");
}

/// The commands `sluice` has, as its completion and man pages must list them.
const COMMANDS: [&str; 9] = [
    "run",
    "demo",
    "validate",
    "plugins",
    "import",
    "plugin",
    "completions",
    "man",
    "help",
];

#[test]
fn bash_completes_commands_options_and_values_from_the_generated_script() {
    let script = run(sluice().args(["completions", "bash"]));
    assert!(script.status.success(), "{}", text(&script.stderr));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sluice.bash");
    std::fs::write(&path, &script.stdout).unwrap();
    // What bash offers after a partial word, as when the user presses Tab.
    let complete = |words: &str| -> Vec<String> {
        let n = words.split(' ').count() - 1;
        let probe = format!(
            "source {script}; COMP_WORDS=({words}); COMP_CWORD={n}; COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; \
             _sluice sluice \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script = path.display()
        );
        let out = std::process::Command::new("bash")
            .args(["--norc", "-c", &probe])
            .output()
            .expect("bash runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout).lines().map(String::from).collect()
    };
    let words = complete("sluice pl");
    assert_eq!(words, ["plugins", "plugin"], "{words:?}");
    let options = complete("sluice run --api-t");
    assert_eq!(options, ["--api-token", "--api-token-file"], "{options:?}");
    let shells = complete("sluice completions ");
    for shell in ["bash", "zsh", "fish"] {
        assert!(shells.contains(&shell.to_string()), "{shells:?}");
    }
    let sub = complete("sluice plugin ");
    assert!(
        sub.contains(&"test".to_string()) && sub.contains(&"new".to_string()),
        "{sub:?}"
    );
}

#[test]
fn zsh_and_fish_scripts_name_every_command() {
    for (shell, marker) in [("zsh", "#compdef sluice"), ("fish", "complete -c sluice")] {
        let out = run(sluice().args(["completions", shell]));
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        for c in COMMANDS {
            assert!(script.contains(c), "{shell} lacks {c}");
        }
    }
    let out = run(sluice().args(["completions", "tcsh"]));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("bash") && err.contains("fish"), "{err}");
}

#[test]
fn man_writes_a_page_per_command_that_man_can_read() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = run(sluice().arg("man").arg("--dir").arg(&pages));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("sluice-run.1"),
        "{}",
        text(&out.stderr)
    );
    let page = |name: &str| std::fs::read_to_string(pages.join(name)).unwrap();
    let main = page("sluice.1");
    assert!(
        main.starts_with(".ie") || main.contains(".TH sluice"),
        "{main}"
    );
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH SUBCOMMANDS"] {
        assert!(main.contains(section), "{section}");
    }
    for c in &COMMANDS[..8] {
        assert!(
            main.contains(&format!("sluice\\-{c}(1)")),
            "sluice.1 lists {c}"
        );
    }
    let run_page = page("sluice-run.1");
    assert!(run_page.contains("manifest"), "{run_page}");
    let test_page = page("sluice-plugin-test.1");
    assert!(
        test_page.contains("\\-\\-input") || test_page.contains("input"),
        "{test_page}"
    );
    // Rendered by the system's man when there is one.
    if std::process::Command::new("man")
        .arg("--version")
        .output()
        .is_ok()
    {
        let out = std::process::Command::new("man")
            .arg("-l")
            .arg(pages.join("sluice-run.1"))
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "80")
            .output()
            .expect("man runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("sluice-run"),
            "{}",
            text(&out.stdout)
        );
    }
}

/// The demo one watches: it keeps feeding, prints where its status page and
/// REST API are, prints a summary line every second (the malformed events
/// dead-lettered), stops delivering while the connector is paused and
/// starts again on resume, and exits 0 on Ctrl-C with the committed
/// offsets.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_keeps_feeding_serves_its_status_page_and_pauses_from_the_api() {
    use std::io::BufRead;
    /// Killed if the test fails midway: a demo left running feeds its
    /// embedded broker for good, and the CPU it takes slows every later test.
    struct Demo(std::process::Child);
    impl Drop for Demo {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Demo(
        sluice()
            .args([
                "demo",
                "--events",
                "100",
                "--rate",
                "100",
                "--every",
                "1",
                "--listen",
                "127.0.0.1:0",
                "--plugin-dir",
            ])
            .arg(plugin_dir())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("sluice demo starts"),
    );
    let (tx, lines) = std::sync::mpsc::channel::<String>();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    // The log is read as it comes, or a full pipe would stop the demo.
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let stderr = child.0.stderr.take().unwrap();
    std::thread::spawn({
        let log = log.clone();
        move || {
            for l in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let mut log = log.lock().unwrap();
                log.push_str(&l);
                log.push('\n');
            }
        }
    });
    let seen = std::cell::RefCell::new(Vec::<String>::new());
    let next = |what: &str| -> String {
        let l = lines
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| {
                let log = log.lock().unwrap();
                let tail = &log[log.len().saturating_sub(3000)..];
                panic!(
                    "no line ({what}) within 60 s; stdout:\n{}\nlog tail:\n{tail}",
                    seen.borrow().join("\n")
                )
            });
        seen.borrow_mut().push(l.clone());
        l
    };
    let page = loop {
        let l = next("the status page's URL");
        if let Some(url) = l.strip_prefix("status page:  ") {
            break url.split_whitespace().next().unwrap().to_string();
        }
    };
    let base = page.trim_end_matches("/ui").to_string();
    let http = reqwest::Client::new();
    let ui = http.get(&page).send().await.unwrap();
    assert_eq!(ui.status(), 200, "the status page is served");
    // "delivered N · dead-lettered D · lag L · R records/s"
    let summary = |what: &str| -> (u64, u64) {
        loop {
            let l = next(what);
            if let Some(rest) = l.strip_prefix("delivered ") {
                let n: Vec<u64> = rest
                    .split(|c: char| !c.is_ascii_digit())
                    .filter(|t| !t.is_empty())
                    .map(|t| t.parse().unwrap())
                    .collect();
                return (n[0], n[1]);
            }
        }
    };
    let (mut delivered, mut dead) = (0, 0);
    for _ in 0..30 {
        (delivered, dead) = summary("a summary");
        if delivered > 200 && dead >= 1 {
            break;
        }
    }
    assert!(
        delivered > 200 && dead >= 1,
        "delivered {delivered}, dead-lettered {dead}"
    );
    let pause = http
        .put(format!("{base}/connectors/demo/pause"))
        .send()
        .await
        .unwrap();
    assert_eq!(pause.status(), 202);
    // Paused: after the batch in flight, nothing more is delivered.
    let _ = summary("after the pause");
    let _ = summary("after the pause");
    let (paused_at, _) = summary("while paused");
    for _ in 0..3 {
        let (d, _) = summary("while paused");
        assert_eq!(d, paused_at, "nothing delivered while paused");
    }
    // Resumed, delivery starts again. (Resuming restarts the task; on the
    // embedded broker its first fetch can beat the split of the partition's
    // queue, which restarts the task once more instead of failing it.)
    let resume = http
        .put(format!("{base}/connectors/demo/resume"))
        .send()
        .await
        .unwrap();
    assert_eq!(resume.status(), 202);
    let mut resumed = paused_at;
    // Under a loaded run, that restart waits out its backoff and a group
    // join: up to 40 summaries.
    for _ in 0..40 {
        (resumed, _) = summary("after the resume");
        if resumed > paused_at {
            break;
        }
    }
    assert!(resumed > paused_at, "delivery starts again on resume");
    let pid = child.0.id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status();
    let mut stopped = String::new();
    while let Ok(l) = lines.recv_timeout(std::time::Duration::from_secs(30)) {
        if l.starts_with("stopped:") {
            stopped = l;
        }
    }
    let status = child.0.wait().unwrap();
    assert!(
        status.success(),
        "Ctrl-C ends the demo with status 0: {status:?}"
    );
    assert!(
        stopped.contains("committed offsets of group connect-demo: events-0="),
        "{stopped}"
    );
}
