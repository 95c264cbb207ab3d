//! Running the real `sluice` binary in tests: a child process that is killed
//! if the test ends early, and a one-connector manifest to run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{kafka_bootstrap, plugin_dir, sluice};

/// A running `sluice run`; killed if the test ends early.
pub struct Running(Child);

impl Running {
    pub fn start(manifest: &Path) -> Self {
        let mut cmd = sluice();
        cmd.arg("run").arg(manifest);
        Self::spawn(cmd)
    }

    /// Starts `cmd`, a `sluice` command, with its output kept for [`stop`](Self::stop).
    pub fn spawn(mut cmd: Command) -> Self {
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sluice");
        Running(child)
    }

    /// Starts `cmd` with its log going to the file `log` instead of a pipe
    /// (a pipe nobody reads fills up and blocks a verbose process).
    pub fn spawn_logging_to(mut cmd: Command, log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("create the log file");
        let child = cmd
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start sluice");
        Running(child)
    }

    /// SIGTERM, then the exit status and stderr. A process still running
    /// two minutes later is hung: it is killed and the test fails, rather
    /// than waiting for good.
    pub fn stop(mut self) -> (std::process::ExitStatus, String) {
        const LIMIT: Duration = Duration::from_secs(120);
        let pid = self.0.id().to_string();
        let _ = Command::new("kill").arg("-TERM").arg(&pid).status();
        let child = std::mem::replace(&mut self.0, Command::new("true").spawn().unwrap());
        // Read its output while waiting, so a full pipe cannot hold it up.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        match rx.recv_timeout(LIMIT) {
            Ok(out) => {
                let out = out.expect("wait");
                (
                    out.status,
                    String::from_utf8_lossy(&out.stderr).into_owned(),
                )
            }
            Err(_) => {
                let _ = Command::new("kill").arg("-KILL").arg(&pid).status();
                let stderr = rx
                    .recv_timeout(Duration::from_secs(10))
                    .ok()
                    .and_then(Result::ok)
                    .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                    .unwrap_or_default();
                panic!(
                    "sluice (pid {pid}) did not exit within {LIMIT:?} of SIGTERM; killed\n{stderr}"
                );
            }
        }
    }

    /// SIGTERM, and a clean exit (status 0) asserted; returns stderr.
    pub fn stop_cleanly(self) -> String {
        let (status, stderr) = self.stop();
        assert!(
            status.success(),
            "sluice exits 0 on SIGTERM: {status:?}\n{stderr}"
        );
        stderr
    }

    /// The process id, to signal it.
    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// SIGKILL: no chance to commit anything.
    pub fn kill9(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    fn finish(&mut self) -> (std::process::ExitStatus, String) {
        let out = std::mem::replace(&mut self.0, Command::new("true").spawn().unwrap())
            .wait_with_output()
            .expect("wait");
        (
            out.status,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Waits for the process to exit by itself.
    pub fn wait_exit(mut self, secs: u64) -> (std::process::ExitStatus, String) {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        while std::time::Instant::now() < deadline {
            if self.0.try_wait().expect("try_wait").is_some() {
                return self.finish();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("sluice did not exit within {secs} s");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Writes a manifest for one connector with the JSON value converter
/// (`schemas.enable=false`); `sink` and `extra` are TOML lines.
pub fn manifest(dir: &Path, name: &str, topic: &str, sink: &str, extra: &str) -> PathBuf {
    Connector {
        name,
        topic,
        sink,
        extra,
        ..Connector::default()
    }
    .write(dir)
}

/// A one-connector manifest; TOML lines for the parts tests vary.
pub struct Connector<'a> {
    pub name: &'a str,
    pub topic: &'a str,
    /// The plugin directory; default: the first-party plugins.
    pub plugins: Option<&'a Path>,
    /// The `"value.converter"` inline table.
    pub value_converter: &'a str,
    /// The sink's `type`; default `http`.
    pub sink_type: &'a str,
    /// Lines of the `[connectors.sink]` table after its `type`.
    pub sink: &'a str,
    /// Lines of the connector table.
    pub extra: &'a str,
    /// More entries of the `kafka` inline table, each after a comma, e.g.
    /// `, "check.crcs" = true`.
    pub kafka: &'a str,
}

impl Default for Connector<'_> {
    fn default() -> Self {
        Connector {
            name: "",
            topic: "",
            plugins: None,
            value_converter: r#"{ plugin = "json", config = { "schemas.enable" = false } }"#,
            sink_type: "http",
            sink: "",
            extra: "",
            kafka: "",
        }
    }
}

impl Connector<'_> {
    /// Writes `<dir>/<name>.toml` and returns its path.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let text = format!(
            r#"
plugin_dir = "{plugins}"

[[connectors]]
name = "{name}"
topics = "{topic}"
kafka = {{ "bootstrap.servers" = "{bootstrap}", "session.timeout.ms" = 6000{kafka} }}
"offset.flush.interval.ms" = 200
"value.converter" = {value_converter}
{extra}

[connectors.sink]
type = "{sink_type}"
{sink}
"#,
            plugins = self
                .plugins
                .map_or_else(plugin_dir, Path::to_path_buf)
                .display(),
            bootstrap = kafka_bootstrap(),
            name = self.name,
            topic = self.topic,
            value_converter = self.value_converter,
            extra = self.extra,
            kafka = self.kafka,
            sink = self.sink,
            sink_type = self.sink_type,
        );
        let path = dir.join(format!("{}.toml", self.name));
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// The Treasure Data formatter: `{"records":[…]}` bodies.
pub const TD_FORMATTER: &str = r#"
[connectors.sink.formatter]
plugin = "json-batch"
config = { "request.body.format" = "json", "batch.json.as.array" = true, "batch.prefix" = '{"records":', "batch.suffix" = "}", "batch.separator" = "," }
"#;
