//! The deployment files, checked as their own tools check them: the systemd
//! unit (`deploy/systemd/sluice.service`) verified by `systemd-analyze
//! verify` against the built binary, its sandbox scored by `systemd-analyze
//! security`, and the one hardening it leaves out, MemoryDenyWriteExecute,
//! shown to stop plugins from loading; the container image
//! (`scripts/image`) read back from its OCI archive and run from its layer.

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

/// `scripts/image` (buildah, no daemon) as the tests run it, with their
/// debug build of the binary: the OCI archive's config runs `sluice run`
/// as a non-root user with the REST API on 0.0.0.0:8083 inside the
/// container, exposes that port and carries OCI labels; its layer holds
/// the binary with the libraries it links, the plugins and a cache the
/// user owns, and nothing else: the binary runs from the extracted layer
/// with the layer's own loader and libraries, and (as root, chrooted into
/// the layer as uid 10001) loads a plugin from the image and compiles it
/// into the image's cache.
#[test]
fn the_image_archive_runs_sluice_as_a_non_root_user_with_its_plugins() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("sluice.oci.tar");
    let out = Command::new(repo_root().join("scripts/image"))
        .arg("--binary")
        .arg(sluice_bin())
        .arg("--plugins")
        .arg(sluice_tests::plugin_dir())
        .arg("--out")
        .arg(&archive)
        .output()
        .unwrap();
    let (ok, text) = outcome(&out);
    assert!(ok, "scripts/image: {text}");
    let oci = dir.path().join("oci");
    untar(&archive, &oci);
    let read = |digest: &str| -> Vec<u8> {
        let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
        std::fs::read(oci.join("blobs/sha256").join(hex)).expect("the blob")
    };
    let json = |bytes: Vec<u8>| -> serde_json::Value { serde_json::from_slice(&bytes).unwrap() };
    let index = json(std::fs::read(oci.join("index.json")).unwrap());
    let manifest = json(read(index["manifests"][0]["digest"].as_str().unwrap()));
    let config = json(read(manifest["config"]["digest"].as_str().unwrap()));
    let c = &config["config"];
    assert_eq!(c["User"], "10001:10001", "{config}");
    assert_eq!(
        c["Entrypoint"],
        serde_json::json!(["/usr/local/bin/sluice"])
    );
    assert_eq!(c["Cmd"], serde_json::json!(["run"]));
    assert!(c["ExposedPorts"].get("8083/tcp").is_some(), "{config}");
    let env: Vec<&str> = c["Env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    for want in [
        "SLUICE_LISTENERS=http://0.0.0.0:8083",
        "SLUICE_PLUGIN_DIR=/usr/lib/sluice/plugins",
        "SLUICE_CACHE_DIR=/var/cache/sluice",
    ] {
        assert!(env.contains(&want), "{want} not in {env:?}");
    }
    let version = String::from_utf8(sluice().arg("--version").output().unwrap().stdout).unwrap();
    let labels = &c["Labels"];
    assert_eq!(labels["org.opencontainers.image.title"], "sluice");
    assert_eq!(
        format!(
            "sluice {}",
            labels["org.opencontainers.image.version"].as_str().unwrap()
        ),
        version.trim()
    );
    assert_eq!(labels["org.opencontainers.image.licenses"], "Apache-2.0");
    assert!(labels["org.opencontainers.image.revision"].is_string());

    // The layers, extracted in order.
    let rootfs = dir.path().join("rootfs");
    for layer in manifest["layers"].as_array().unwrap() {
        let digest = layer["digest"].as_str().unwrap();
        let path = oci.join("blobs/sha256").join(&digest["sha256:".len()..]);
        untar(&path, &rootfs);
    }
    let passwd = std::fs::read_to_string(rootfs.join("etc/passwd")).unwrap();
    assert!(passwd.contains("sluice:x:10001:10001:"), "{passwd}");
    let mut entries = std::fs::read_dir(rootfs.join("usr/lib/sluice/plugins"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect::<Vec<_>>();
    entries.sort();
    for plugin in [
        "avro.wasm",
        "json.wasm",
        "jsonl.wasm",
        "parquet-format.wasm",
    ] {
        assert!(
            entries.iter().any(|e| e == plugin),
            "{plugin} in {entries:?}"
        );
    }
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let cache = std::fs::metadata(rootfs.join("var/cache/sluice")).unwrap();
        assert_eq!((cache.uid(), cache.gid()), (10001, 10001));
        assert_eq!(cache.permissions().mode() & 0o777, 0o700);
    }
    // No shell, no package manager: the binary, its libraries and data.
    assert!(!rootfs.join("bin/sh").exists() && !rootfs.join("usr/bin").exists());

    // The binary with the image's loader and libraries only.
    let out = Command::new(rootfs.join("lib64/ld-linux-x86-64.so.2"))
        .arg("--library-path")
        .arg(rootfs.join("lib/x86_64-linux-gnu"))
        .arg(rootfs.join("usr/local/bin/sluice"))
        .arg("--version")
        .env_clear()
        .output()
        .unwrap();
    let (ok, text) = outcome(&out);
    assert!(ok && text.trim() == version.trim(), "{text}");

    // As the image's user, in the image's file system: a plugin of the
    // image loads, compiles into the image's cache and runs.
    if running_as_root() {
        std::fs::write(
            rootfs.join("tmp/in.jsonl"),
            "{\"topic\":\"t\",\"value\":{\"id\":1}}\n",
        )
        .unwrap();
        // Root's tools may be off the tests' PATH.
        let chroot = ["/usr/sbin/chroot", "/sbin/chroot"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("chroot");
        let out = Command::new(chroot)
            .arg("--userspec=10001:10001")
            .arg(&rootfs)
            .args([
                "/usr/local/bin/sluice",
                "plugin",
                "test",
                "/usr/lib/sluice/plugins/insert-field.wasm",
                "-c",
                "static.field=src",
                "-c",
                "static.value=image",
                "--input",
                "/tmp/in.jsonl",
            ])
            .env_clear()
            .env("SLUICE_PLUGIN_DIR", "/usr/lib/sluice/plugins")
            .env("SLUICE_CACHE_DIR", "/var/cache/sluice")
            .output()
            .unwrap();
        let (ok, text) = outcome(&out);
        assert!(ok && text.contains("\"src\":\"image\""), "{text}");
        assert!(rootfs.join("var/cache/sluice/components").is_dir());
    }
}

fn untar(archive: &std::path::Path, into: &std::path::Path) {
    std::fs::create_dir_all(into).unwrap();
    let out = Command::new("tar")
        .arg("-xf")
        .arg(archive)
        .arg("-C")
        .arg(into)
        .output()
        .unwrap();
    assert!(out.status.success(), "tar: {}", outcome(&out).1);
}

/// Whether the tests run as root (chroot needs it).
fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
