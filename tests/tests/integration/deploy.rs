//! The deployment files, checked as their own tools check them: the systemd
//! unit (`deploy/systemd/sluice.service`) verified by `systemd-analyze
//! verify` against the built binary, its sandbox scored by `systemd-analyze
//! security`, and the one hardening it leaves out, MemoryDenyWriteExecute,
//! shown to stop plugins from loading.

use std::process::Command;

use sluice_tests::{outcome, plugin, repo_root, sluice, sluice_bin};

/// The unit with its `ExecStart` binary replaced by the one the tests
/// built (`verify` checks that the binary exists and is executable).
fn unit_file(dir: &std::path::Path) -> std::path::PathBuf {
    let unit = std::fs::read_to_string(repo_root().join("deploy/systemd/sluice.service"))
        .expect("deploy/systemd/sluice.service");
    assert!(
        unit.contains("ExecStart=/usr/local/bin/sluice run "),
        "{unit}"
    );
    let path = dir.join("sluice.service");
    let local = unit.replace(
        "/usr/local/bin/sluice",
        sluice_bin().to_str().expect("a UTF-8 path"),
    );
    std::fs::write(&path, local).unwrap();
    path
}

#[test]
fn the_systemd_unit_verifies_and_its_sandbox_is_rated_ok() {
    let dir = tempfile::tempdir().unwrap();
    let path = unit_file(dir.path());
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze (Debian's systemd; scripts/setup installs it)");
    let (ok, text) = outcome(&out);
    assert!(
        ok && text.trim().is_empty(),
        "systemd-analyze verify: {text}"
    );
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&path)
        .output()
        .unwrap();
    let (_, text) = outcome(&out);
    // "→ Overall exposure level for sluice.service: 1.3 OK": systemd's own
    // rating, from 0 (locked down) to 10; OK is below 2.
    let level: f64 = text
        .lines()
        .find_map(|l| l.split_once("Overall exposure level for sluice.service: "))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{text}"));
    assert!(level < 2.0, "exposure {level}, not OK:\n{text}");
}

/// systemd's `MemoryDenyWriteExecute=yes` is the kernel's
/// `prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN)` (Linux 6.3 and later):
/// no memory may become executable after being writable. Set here by a
/// wrapper that then runs `sluice plugin test`, it makes loading a plugin
/// fail, even one compiled and cached by the run before without it: the
/// reason the unit leaves the setting off.
#[test]
fn memory_deny_write_execute_stops_plugins_loading_so_the_unit_leaves_it_off() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"topic\":\"t\",\"value\":{\"id\":1}}\n").unwrap();
    let cache = dir.path().join("cache");
    let test = |mdwe: bool| {
        let mut cmd = if mdwe {
            let mut c = Command::new("python3");
            c.args([
                "-c",
                "import ctypes, os, sys\n\
                 libc = ctypes.CDLL(None, use_errno=True)\n\
                 # PR_SET_MDWE = 65, PR_MDWE_REFUSE_EXEC_GAIN = 1\n\
                 if libc.prctl(65, 1, 0, 0, 0) != 0:\n\
                 \x20   sys.exit('prctl(PR_SET_MDWE) failed: errno %d (Linux 6.3 or later has it)' % ctypes.get_errno())\n\
                 os.execv(sys.argv[1], sys.argv[1:])",
            ])
            .arg(sluice_bin());
            c
        } else {
            Command::new(sluice_bin())
        };
        // The environment sluice() sets, with a cache of this test's own.
        let base = sluice();
        for (k, v) in base.get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        cmd.env("SLUICE_CACHE_DIR", &cache)
            .args(["plugin", "test"])
            .arg(plugin("insert-field"))
            .args(["-c", "static.field=src", "-c", "static.value=unit"])
            .arg("--input")
            .arg(&input)
            .output()
            .unwrap()
    };
    let (ok, text) = outcome(&test(false));
    assert!(
        ok && text.contains("\"src\":\"unit\""),
        "without MDWE: {text}"
    );
    let (ok, text) = outcome(&test(true));
    assert!(
        !ok && !text.contains("prctl(PR_SET_MDWE) failed"),
        "with MDWE the plugin must fail to load: {text}"
    );
    // The error says what to change, not that the file is broken.
    assert!(
        text.contains("may not make memory executable") && text.contains("MemoryDenyWriteExecute"),
        "{text}"
    );
}
