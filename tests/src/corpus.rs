//! The corpus of public connector configs (`tests/connect-configs/`): each
//! file's connector config taken out of what wraps it, as its user would
//! (a `curl` script run, a Kubernetes resource or a Terraform block read),
//! without changing a character of the config itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A connector config as found in one corpus file.
#[derive(Debug, Clone)]
pub struct Found {
    /// The connector's name where the file gives one (a create request, a
    /// `name` option, the URL of a `PUT …/config`, a resource's name).
    pub name: Option<String>,
    /// The config: every value a string, as Connect keeps them.
    pub config: BTreeMap<String, String>,
    /// What `sluice import` reads: the file itself when it is JSON or
    /// properties, else the config taken out of its wrapper, as JSON.
    pub import_text: Vec<u8>,
}

/// The corpus directory.
pub fn dir() -> PathBuf {
    crate::repo_root().join("tests").join("connect-configs")
}

/// Every config file of the corpus (not the `.source` sidecars), sorted.
pub fn files() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("tests/connect-configs")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("json" | "properties" | "sh" | "yaml" | "tf")
            )
        })
        .collect();
    out.sort();
    out
}

/// The file's id: its name without the extension.
pub fn id(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The connector config of `text`, the contents of `path` (with the
/// placeholders its user fills in already filled), or why there is none.
pub fn extract(path: &Path, text: &str) -> Result<Found, String> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("sh") => from_curl(path, text),
        Some("yaml") => from_kubernetes(text),
        Some("tf") => from_terraform(text),
        _ => {
            // An AWS MSK Connect create-connector request wraps the config.
            if let Ok(serde_json::Value::Object(top)) = serde_json::from_str(text)
                && let Some(serde_json::Value::Object(inner)) = top.get("connectorConfiguration")
            {
                let config = strings(inner)?;
                let name = top
                    .get("connectorName")
                    .and_then(|n| n.as_str())
                    .map(String::from);
                return Ok(wrapped(name, config));
            }
            let c = sluice::connect::json::parse_any(text.as_bytes()).map_err(|e| e.to_string())?;
            Ok(Found {
                name: c.name,
                config: c.config,
                import_text: text.as_bytes().to_vec(),
            })
        }
    }
}

fn wrapped(name: Option<String>, config: BTreeMap<String, String>) -> Found {
    let body = match &name {
        Some(n) => serde_json::json!({ "name": n, "config": config }),
        None => serde_json::json!(config),
    };
    Found {
        name,
        config,
        import_text: serde_json::to_vec_pretty(&body).unwrap_or_default(),
    }
}

fn strings(
    map: &serde_json::Map<String, serde_json::Value>,
) -> Result<BTreeMap<String, String>, String> {
    sluice::connect::json::config_map(map.clone()).map_err(|e| e.to_string())
}

/// Runs the script with bash, `curl` being a function that prints the
/// method, the URL and the body it would send: bash parses the quoting,
/// the variables and the here-documents as it does for the script's user.
fn from_curl(path: &Path, text: &str) -> Result<Found, String> {
    const CURL: &str = r#"
curl() {
  local method="" url="" data=""
  while [ $# -gt 0 ]; do
    case "$1" in
      -X|--request) method=$2; shift 2 ;;
      -d|--data|--data-raw|--data-binary) data=$2; shift 2 ;;
      --url) url=$2; shift 2 ;;
      -H|--header|-u|--user|-o|--output|-w|--write-out) shift 2 ;;
      -*) shift ;;
      *) url=$1; shift ;;
    esac
  done
  if [ "$data" = "@-" ]; then data=$(cat); fi
  printf '%s\n%s\n%s' "$method" "$url" "$data"
}
"#;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let script = dir.path().join(path.file_name().unwrap_or_default());
    std::fs::write(&script, text).map_err(|e| e.to_string())?;
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c"])
        .arg(format!("{CURL}\nsource \"$1\""))
        .arg("bash")
        .arg(&script)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .map_err(|e| format!("bash: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = stdout.splitn(3, '\n');
    let (_method, url, data) = (
        lines.next().unwrap_or_default(),
        lines.next().unwrap_or_default(),
        lines.next().unwrap_or_default(),
    );
    if data.trim().is_empty() {
        return Err(format!(
            "the script sends no body: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let url_name = url
        .split("/connectors/")
        .nth(1)
        .and_then(|rest| rest.strip_suffix("/config"))
        .map(String::from);
    let c = sluice::connect::json::parse(data.as_bytes()).map_err(|e| e.to_string())?;
    let name = url_name.or(c.name);
    let mut found = wrapped(name, c.config);
    // The body as the script sends it, not as re-serialized.
    found.import_text = data.as_bytes().to_vec();
    Ok(found)
}

/// A Strimzi `KafkaConnector` (`spec.config`, `spec.tasksMax`) or a
/// Confluent for Kubernetes `Connector` (`spec.configs`, `spec.taskMax`):
/// the operator adds `connector.class` and `tasks.max` from the spec.
fn from_kubernetes(text: &str) -> Result<Found, String> {
    let doc: serde_json::Value = serde_norway::from_str(text).map_err(|e| e.to_string())?;
    let spec = &doc["spec"];
    let map = spec["config"]
        .as_object()
        .or_else(|| spec["configs"].as_object())
        .ok_or("no spec.config or spec.configs")?;
    let mut config = strings(map)?;
    if let Some(class) = spec["class"].as_str() {
        config.insert("connector.class".into(), class.into());
    }
    if let Some(n) = spec["tasksMax"].as_u64().or(spec["taskMax"].as_u64()) {
        config.insert("tasks.max".into(), n.to_string());
    }
    let name = doc["metadata"]["name"].as_str().map(String::from);
    Ok(wrapped(name, config))
}

/// A Terraform `connector_configuration = { … }` (or `tomap({ … })`);
/// an expression that is not a literal (`var.topic`) is kept as its text.
fn from_terraform(text: &str) -> Result<Found, String> {
    use hcl::expr::{Expression, ObjectKey};
    let body: hcl::Body = hcl::parse(text).map_err(|e| e.to_string())?;
    let attr = body
        .attributes()
        .find(|a| a.key() == "connector_configuration")
        .ok_or("no connector_configuration")?;
    let object = match attr.expr() {
        Expression::Object(o) => o,
        Expression::FuncCall(call) => match call.args.first() {
            Some(Expression::Object(o)) => o,
            _ => return Err("connector_configuration is not a map".into()),
        },
        _ => return Err("connector_configuration is not a map".into()),
    };
    let mut config = BTreeMap::new();
    for (k, v) in object {
        let key = match k {
            ObjectKey::Identifier(i) => i.to_string(),
            ObjectKey::Expression(Expression::String(s)) => s.clone(),
            other => other.to_string(),
        };
        let value = match v {
            Expression::String(s) => s.clone(),
            Expression::Number(n) => n.to_string(),
            Expression::Bool(b) => b.to_string(),
            other => other.to_string(),
        };
        config.insert(key, value);
    }
    Ok(wrapped(None, config))
}
