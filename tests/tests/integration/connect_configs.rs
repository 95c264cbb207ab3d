//! Public connector configs written by other people (`tests/connect-configs/`),
//! each run through `sluice import` and `POST /connectors` as its author
//! wrote it: the outcome of each must be the one `expected.toml` records,
//! and the figures (accepted unchanged, with warnings, refused, the causes
//! ranked) are printed. `SLUICE_CORPUS_BIN=<another sluice>` measures that
//! build's `import` instead and only prints the figures.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;
use sluice_tests::corpus;
use sluice_tests::rest::ApiWorker;

/// What `expected.toml` says of one file.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    /// `unchanged`, `warnings` or `refused`.
    import: String,
    /// The status `POST /connectors` answers; absent when there is no
    /// config to send (the file is not valid as written).
    api: Option<u16>,
    /// Placeholders the file's user fills in: text → what replaces it.
    #[serde(default)]
    fill: BTreeMap<String, String>,
    /// Why Kafka Connect refuses the config too (or its task fails on it),
    /// for a refusal the report counts as "not valid as written".
    invalid: Option<String>,
    /// What stops it or what it shows, in a few words.
    #[serde(default)]
    #[allow(dead_code)]
    note: String,
}

/// One file's outcome.
#[derive(Debug)]
struct Outcome {
    id: String,
    import: &'static str,
    api: Option<u16>,
    causes: Vec<String>,
    filled: bool,
}

/// Why a config is refused, in the report's terms: what Sluice lacks, and
/// what no Kafka Connect would take either.
fn cause(key: &str, message: &str) -> String {
    let m = message.to_ascii_lowercase();
    let registry = ["avroconverter", "protobufconverter", "jsonschemaconverter"];
    if m.contains("not valid json")
        || m.contains("not a valid properties")
        || m.contains("script sends no body")
        || m.contains("yaml")
    {
        "not valid as written (Kafka Connect refuses it too)".into()
    } else if key.ends_with("converter") && registry.iter().any(|r| m.contains(r)) {
        "a Schema Registry converter".into()
    } else if (key == "format.class" || key.starts_with("format.output"))
        && (m.contains("avro") || m.contains("parquet"))
    {
        "an Avro or Parquet format".into()
    } else if key.starts_with("transforms.") && key.ends_with(".type") {
        "a transform class of the author's own (it runs once ported to a Wasm plugin that declares it)".into()
    } else if key == "connector.class" && m.contains("aivenkafkaconnects3") {
        "Aiven's S3 sink".into()
    } else if key == "schema.compatibility" {
        "schema compatibility other than NONE".into()
    } else if m.contains("oauth2") {
        "OAuth2 credentials".into()
    } else if key.contains("keystore") || key.contains("truststore") {
        "Java key stores".into()
    } else if key.is_empty() {
        message.chars().take(60).collect()
    } else {
        format!("{key}: {}", message.chars().take(60).collect::<String>())
    }
}

/// The problems `sluice import` printed: (key, message) per `  - ` line,
/// or the one-line error.
fn import_problems(stderr: &str) -> Vec<(String, String)> {
    let listed: Vec<(String, String)> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("  - "))
        .map(|p| match p.split_once(": ") {
            Some((k, m)) if !k.contains(' ') => (k.to_string(), m.to_string()),
            _ => (String::new(), p.to_string()),
        })
        .collect();
    if !listed.is_empty() {
        return listed;
    }
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .map(|e| (String::new(), e.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_connector_configs_run_as_their_authors_wrote_them() {
    let text = std::fs::read_to_string(corpus::dir().join("expected.toml")).unwrap();
    let expected: BTreeMap<String, Expected> = toml::from_str(&text).unwrap();
    let other_bin = std::env::var_os("SLUICE_CORPUS_BIN");
    let api = ApiWorker::start(&["--worker", "config.providers=file,env"]).await;
    let work = tempfile::tempdir().unwrap();
    let mut outcomes = Vec::new();
    let files = corpus::files();
    for path in &files {
        let id = corpus::id(path);
        let Some(want) = expected.get(&id) else {
            panic!("{id}: not in tests/connect-configs/expected.toml");
        };
        let mut text = std::fs::read_to_string(path).unwrap();
        for (from, to) in &want.fill {
            assert!(text.contains(from.as_str()), "{id}: no {from:?} to fill");
            text = text.replace(from.as_str(), to);
        }
        let found = corpus::extract(path, &text);
        // `sluice import`, on the file itself or on the config its wrapper holds.
        let (import, mut causes) = match &found {
            Err(e) => ("refused", vec![cause("", e)]),
            Ok(f) => {
                let direct = matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("json" | "properties")
                ) && f.import_text == text.as_bytes();
                let ext = if direct {
                    path.extension().unwrap().to_str().unwrap()
                } else {
                    "json"
                };
                let file = work.path().join(format!("{id}.{ext}"));
                std::fs::write(&file, &f.import_text).unwrap();
                let mut cmd = match &other_bin {
                    Some(bin) => std::process::Command::new(bin),
                    None => sluice_tests::sluice(),
                };
                cmd.arg("import").arg(&file);
                let name_in_body = sluice::connect::json::parse_any(&f.import_text)
                    .ok()
                    .and_then(|c| c.name);
                if let (Some(n), None) = (&f.name, &name_in_body) {
                    cmd.args(["--name", n]);
                }
                let out = cmd.output().unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr);
                if out.status.success() {
                    let warned = stderr.lines().any(|l| l.starts_with("warning:"));
                    (if warned { "warnings" } else { "unchanged" }, vec![])
                } else {
                    let causes = import_problems(&stderr)
                        .iter()
                        .map(|(k, m)| cause(k, m))
                        .collect();
                    ("refused", causes)
                }
            }
        };
        // `POST /connectors`, as the file's user sends it.
        let api_code = match &found {
            Err(_) => None,
            Ok(f) => {
                let name = f.name.clone().unwrap_or_else(|| id.clone());
                let body = json!({ "name": name, "config": f.config });
                let (code, v) = api.call("POST", "/connectors", Some(&body)).await;
                if code == 201 {
                    let path = format!("/connectors/{}", urlencode(&name));
                    let (code, v) = api.call("DELETE", &path, None).await;
                    assert_eq!(code, 204, "{id}: {v}");
                } else if import != "refused" {
                    causes.push(format!(
                        "API only: {}",
                        v["message"].as_str().unwrap_or_default()
                    ));
                }
                Some(code)
            }
        };
        if want.invalid.is_some() {
            causes = vec![cause("", "not valid json")];
        }
        causes.sort();
        causes.dedup();
        outcomes.push(Outcome {
            id,
            import,
            api: api_code,
            causes,
            filled: !want.fill.is_empty(),
        });
    }
    let report = report(&outcomes);
    println!("{report}");
    if other_bin.is_some() {
        return;
    }
    let mut wrong = String::new();
    for o in &outcomes {
        let want = &expected[&o.id];
        if o.import != want.import || o.api != want.api {
            let _ = writeln!(
                wrong,
                "{}: import {} (expected {}), API {:?} (expected {:?}); causes: {:?}",
                o.id, o.import, want.import, o.api, want.api, o.causes
            );
        }
    }
    let stale: Vec<&String> = expected
        .keys()
        .filter(|k| !outcomes.iter().any(|o| &o.id == *k))
        .collect();
    assert!(stale.is_empty(), "entries without a file: {stale:?}");
    assert!(
        wrong.is_empty(),
        "outcomes differ from tests/connect-configs/expected.toml (update it when a change is deliberate):\n{wrong}\n{report}"
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The figures: how many configs were accepted unchanged, with warnings and
/// refused, and the causes of refusal ranked by how many configs they stop.
fn report(outcomes: &[Outcome]) -> String {
    let n = outcomes.len();
    let count = |what: &str| outcomes.iter().filter(|o| o.import == what).count();
    let pct = |k: usize| 100.0 * k as f64 / n.max(1) as f64;
    let (unchanged, warnings, refused) = (count("unchanged"), count("warnings"), count("refused"));
    let api_ok = outcomes.iter().filter(|o| o.api == Some(201)).count();
    let filled = outcomes.iter().filter(|o| o.filled).count();
    let mut out = String::new();
    let _ = writeln!(out, "corpus: {n} public connector configs");
    let _ = writeln!(
        out,
        "  sluice import: {unchanged} accepted unchanged ({:.0} %), {warnings} accepted with warnings ({:.0} %), {refused} refused ({:.0} %); accepted in all {:.0} %",
        pct(unchanged),
        pct(warnings),
        pct(refused),
        pct(unchanged + warnings)
    );
    let _ = writeln!(
        out,
        "  POST /connectors: {api_ok} of {n} created ({:.0} %); {filled} files had placeholders their user fills in",
        pct(api_ok)
    );
    let mut ranked: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for o in outcomes {
        for c in &o.causes {
            ranked.entry(c).or_default().push(&o.id);
        }
    }
    let mut ranked: Vec<(&str, Vec<&str>)> = ranked.into_iter().collect();
    ranked.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let _ = writeln!(
        out,
        "  causes of refusal, ranked (a config may have several):"
    );
    for (c, ids) in &ranked {
        let _ = writeln!(out, "    {:>3}  {c}  [{}]", ids.len(), ids.join(", "));
    }
    let _ = writeln!(out, "  per config:");
    for o in outcomes {
        let api = o.api.map_or("-".to_string(), |c| c.to_string());
        let _ = writeln!(out, "    {:<48} {:<9} {api}", o.id, o.import);
    }
    out
}
