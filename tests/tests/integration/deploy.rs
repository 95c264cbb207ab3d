//! The deployment files, checked as their own tools check them: the systemd
//! unit (`deploy/systemd/sluice.service`) verified by `systemd-analyze
//! verify` against the built binary, its sandbox scored by `systemd-analyze
//! security`, and the one hardening it leaves out, MemoryDenyWriteExecute,
//! shown to stop plugins from loading; the container image
//! (`scripts/image`) read back from its OCI archive and run from its layer.

use std::process::Command;

use sluice_tests::{outcome, output_with_stdin, plugin, repo_root, sluice, sluice_bin};

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
    let env = strings(&c["Env"]);
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

/// The strings of a JSON array.
fn strings(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(|e| e.as_str()).collect())
        .unwrap_or_default()
}

/// A tool's path: `$var` (scripts/test installs it), else installed now by
/// the project's `script`.
fn tool(var: &str, script: &str) -> String {
    if let Ok(path) = std::env::var(var) {
        return path;
    }
    let out = Command::new(repo_root().join(script)).output().unwrap();
    let (ok, text) = outcome(&out);
    assert!(ok, "{script}: {text}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `helm template` of the chart with `values` (a file of
/// tests/deploy/values/), and whether it rendered.
fn render(helm: &str, values: &str) -> (bool, String) {
    let chart = repo_root().join("deploy/helm/sluice");
    let out = Command::new(helm)
        .args(["template", "shop"])
        .arg(&chart)
        .arg("--namespace")
        .arg("sinks")
        .arg("-f")
        .arg(repo_root().join("tests/deploy/values").join(values))
        .output()
        .unwrap();
    (out.status.success(), outcome(&out).1)
}

/// The rendered resources, by kind and name.
fn resources(yaml: &str) -> std::collections::BTreeMap<String, serde_json::Value> {
    use serde::Deserialize as _;
    serde_norway::Deserializer::from_str(yaml)
        .filter_map(|doc| serde_json::Value::deserialize(doc).ok())
        .filter(|v| v.is_object())
        .map(|v| {
            (
                format!(
                    "{} {}",
                    v["kind"].as_str().unwrap_or("?"),
                    v["metadata"]["name"].as_str().unwrap_or("?")
                ),
                v,
            )
        })
        .collect()
}

/// `deploy/helm/sluice` rendered with the defaults and with KEDA, a
/// manifest, a ServiceMonitor and volumes: `helm lint` passes, every
/// resource is valid against Kubernetes' own schemas (1.30) or its CRD
/// (KEDA's ScaledObject, the Prometheus operator's ServiceMonitor), with
/// unknown fields refused, and the resources say what the chart promises.
#[test]
fn the_helm_chart_lints_and_renders_valid_resources() {
    let helm = tool("SLUICE_HELM", "scripts/deploy/setup-helm");
    let python = tool(
        "SLUICE_KUBE_VALIDATE_PYTHON",
        "scripts/deploy/setup-validate",
    );
    let chart = repo_root().join("deploy/helm/sluice");
    for values in ["defaults.yaml", "keda.yaml"] {
        let out = Command::new(&helm)
            .args(["lint", "--strict"])
            .arg(&chart)
            .arg("-f")
            .arg(repo_root().join("tests/deploy/values").join(values))
            .output()
            .unwrap();
        let (ok, text) = outcome(&out);
        assert!(ok, "helm lint with {values}: {text}");
        let (ok, yaml) = render(&helm, values);
        assert!(ok, "helm template with {values}: {yaml}");
        let out = output_with_stdin(
            Command::new(&python)
                .arg(repo_root().join("tests/deploy/validate.py"))
                .arg("1.30"),
            yaml.as_bytes(),
        );
        let (ok, text) = outcome(&out);
        assert!(ok, "validating the resources of {values}: {text}\n{yaml}");
    }

    // The defaults: two workers of one group, the API behind a Service with
    // a token every worker shares, probes on /health, a budget for
    // disruptions, Prometheus annotations, a non-root read-only container.
    let (_, yaml) = render(&helm, "defaults.yaml");
    let r = resources(&yaml);
    let d = &r["Deployment shop-sluice"];
    assert_eq!(d["spec"]["replicas"], 2);
    let pod = &d["spec"]["template"];
    let c = &pod["spec"]["containers"][0];
    let args = strings(&c["args"]);
    assert_eq!(
        args,
        [
            "run",
            "--group-id",
            "shop-sluice",
            "--bootstrap-servers",
            "kafka:9092"
        ]
    );
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/health");
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/health");
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(pod["spec"]["securityContext"]["runAsUser"], 10001);
    assert_eq!(
        pod["metadata"]["annotations"]["prometheus.io/scrape"],
        "true"
    );
    let token = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "SLUICE_API_TOKEN")
        .expect("SLUICE_API_TOKEN");
    assert_eq!(
        token["valueFrom"]["secretKeyRef"]["name"],
        "shop-sluice-api"
    );
    assert!(r.contains_key("Secret shop-sluice-api"), "{:?}", r.keys());
    assert_eq!(r["Service shop-sluice"]["spec"]["ports"][0]["port"], 8083);
    assert_eq!(
        r["PodDisruptionBudget shop-sluice"]["spec"]["maxUnavailable"],
        1
    );
    assert!(
        !r.keys()
            .any(|k| k.starts_with("ScaledObject") || k.starts_with("ConfigMap"))
    );

    // KEDA: the lag of the connector's group scales the Deployment, never
    // beyond the topic's partitions; KEDA owns the replica count.
    let (_, yaml) = render(&helm, "keda.yaml");
    let r = resources(&yaml);
    let so = &r["ScaledObject shop-sluice"];
    assert_eq!(so["spec"]["scaleTargetRef"]["name"], "shop-sluice");
    assert_eq!(so["spec"]["maxReplicaCount"], 12);
    assert_eq!(so["spec"]["minReplicaCount"], 2);
    let trigger = &so["spec"]["triggers"][0];
    assert_eq!(trigger["type"], "kafka");
    assert_eq!(trigger["metadata"]["consumerGroup"], "connect-orders-s3");
    assert_eq!(trigger["metadata"]["topic"], "orders");
    assert_eq!(trigger["metadata"]["lagThreshold"], "5000");
    let d = &r["Deployment shop-sluice"];
    assert!(
        d["spec"].get("replicas").is_none(),
        "KEDA sets the replicas"
    );
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    let args = strings(&c["args"]);
    assert_eq!(args[..2], ["run", "/etc/sluice/connectors.toml"]);
    assert!(
        args.contains(&"value.converter.schemas.enable=false"),
        "{args:?}"
    );
    assert!(
        r["ConfigMap shop-sluice"]["data"]["connectors.toml"]
            .as_str()
            .unwrap()
            .contains("name = \"orders-s3\"")
    );
    assert!(r.contains_key("ServiceMonitor shop-sluice"));
    assert!(
        !r.contains_key("Secret shop-sluice-api"),
        "the user's own Secret is used"
    );

    // KEDA without a connector to follow is refused, saying what to set.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "keda:\n  enabled: true\n  topic: orders\n").unwrap();
    let out = Command::new(&helm)
        .args(["template", "shop"])
        .arg(&chart)
        .arg("-f")
        .arg(&bad)
        .output()
        .unwrap();
    let (ok, text) = outcome(&out);
    assert!(!ok && text.contains("keda.connector"), "{text}");
}
