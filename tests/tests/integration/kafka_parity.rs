//! Sluice's converters and transforms against Kafka's own classes: the same
//! records go through Kafka's `JsonConverter`, `StringConverter`,
//! `ByteArrayConverter`, `InsertField$Value` and `Filter` (run by
//! `tests/kafka-oracle`, built from Maven Central at the test broker's
//! release) and through Sluice's plugins (`sluice plugin test`), and the
//! results must be the same: the same value, or a failure where Kafka
//! fails. Where Sluice differs on purpose, the case says why, with a reason
//! that `docs/kafka-parity.md` explains, and the test checks that it really
//! differs in that way (a stale reason fails too).

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use serde_json::{Value, json};
use sluice_tests::{oracle, plugin, sluice};

const JSON: &str = "org.apache.kafka.connect.json.JsonConverter";
const STRING: &str = "org.apache.kafka.connect.storage.StringConverter";
const BYTES: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";
const INSERT_FIELD: &str = "org.apache.kafka.connect.transforms.InsertField$Value";
const FILTER: &str = "org.apache.kafka.connect.transforms.Filter";
const PREDICATES: &str = "org.apache.kafka.connect.transforms.predicates.";

/// Where Sluice deliberately differs from Kafka (`docs/kafka-parity.md`
/// has a section for each reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Differs {
    /// Sluice fails the record where Kafka coerces the value silently.
    Stricter(&'static str),
    /// Sluice keeps the value as written where Kafka changes it.
    AsWritten(&'static str),
}

impl Differs {
    fn reason(self) -> &'static str {
        match self {
            Differs::Stricter(r) | Differs::AsWritten(r) => r,
        }
    }
}

const COERCED_TYPE: Differs = Differs::Stricter("coerced-type");
const OUT_OF_RANGE: Differs = Differs::Stricter("out-of-range");
const TRUNCATED: Differs = Differs::Stricter("truncated-fraction");
const INFINITE: Differs = Differs::Stricter("infinite-float");
const TRAILING: Differs = Differs::Stricter("trailing-content");
const NOT_UTF8: Differs = Differs::Stricter("not-utf8-json");
const SCHEMALESS: Differs = Differs::AsWritten("schemaless-as-written");

/// A transform step: Sluice's plugin and config, and Kafka's class spec.
#[derive(Clone)]
struct Step {
    plugin: &'static str,
    config: Vec<(String, String)>,
    kafka: Value,
}

/// One case: a record through a converter (and transforms) on both sides.
#[derive(Clone)]
struct Case {
    id: String,
    /// Sluice's converter plugin and Kafka's class.
    plugin: &'static str,
    class: &'static str,
    /// The converter's options: the same names on both sides.
    config: Vec<(String, String)>,
    key: bool,
    input: Option<Vec<u8>>,
    topic: String,
    timestamp: Option<i64>,
    headers: Vec<(String, Option<String>)>,
    steps: Vec<Step>,
    differs: Option<Differs>,
}

impl Case {
    fn new(
        id: impl Into<String>,
        plugin: &'static str,
        class: &'static str,
        input: Option<&[u8]>,
    ) -> Case {
        Case {
            id: id.into(),
            plugin,
            class,
            config: Vec::new(),
            key: false,
            input: input.map(<[u8]>::to_vec),
            topic: "orders".into(),
            timestamp: Some(1_700_000_000_000),
            headers: Vec::new(),
            steps: Vec::new(),
            differs: None,
        }
    }

    fn json(id: impl Into<String>, schemas: bool, text: &str) -> Case {
        Case::new(id, "json", JSON, Some(text.as_bytes()))
            .with("schemas.enable", &schemas.to_string())
    }

    fn with(mut self, key: &str, value: &str) -> Case {
        self.config.retain(|(k, _)| k != key);
        self.config.push((key.into(), value.into()));
        self
    }

    fn differs(mut self, d: Option<Differs>) -> Case {
        self.differs = d;
        self
    }

    /// The case for the oracle; the record's offset is the case's index, as
    /// on Sluice's side.
    fn oracle_case(&self, offset: usize) -> Value {
        let b64 = |b: &Option<Vec<u8>>| {
            b.as_ref().map_or(Value::Null, |b| {
                base64::engine::general_purpose::STANDARD.encode(b).into()
            })
        };
        let converter = json!({"class": self.class, "config": config_object(&self.config)});
        let output: BTreeMap<&str, &str> = self
            .config
            .iter()
            .filter(|(k, _)| k == "decimal.format" || k == "replace.null.with.default")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let record = json!({
            "topic": self.topic,
            "partition": 0,
            "offset": offset,
            "timestamp": self.timestamp,
            "key": if self.key { b64(&self.input) } else { Value::Null },
            "value": if self.key { Value::Null } else { b64(&self.input) },
            "headers": self.headers.iter().map(|(k, v)| json!([k, v.as_ref().map(|v| base64::engine::general_purpose::STANDARD.encode(v))])).collect::<Vec<_>>(),
        });
        let mut case = json!({
            "id": self.id,
            "record": record,
            "transforms": self.steps.iter().map(|s| s.kafka.clone()).collect::<Vec<_>>(),
            "output": output,
        });
        case[if self.key {
            "key_converter"
        } else {
            "value_converter"
        }] = converter;
        case
    }
}

fn config_object(config: &[(String, String)]) -> Value {
    Value::Object(
        config
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn pairs(config: &[(&str, &str)]) -> Vec<(String, String)> {
    config
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// What came out on one side.
#[derive(Debug)]
enum Result {
    /// The record's key or value as JSON (json), a string (text), or the
    /// bytes in base64 (bytes); the topic it went to.
    Kept {
        value: Value,
        topic: String,
        /// The schema it carries on (Kafka's envelope; Sluice's
        /// `value_schema`), `None` for none.
        schema: Option<Value>,
    },
    Dropped,
    Failed(#[allow(dead_code)] String),
}

fn kafka_result(case: &Case, answer: &Value) -> (Result, Option<Value>) {
    if let Some(e) = answer.get("error") {
        return (
            Result::Failed(format!("{}: {}", e["stage"], e["message"])),
            None,
        );
    }
    if answer.get("dropped").is_some() {
        return (Result::Dropped, None);
    }
    let r = &answer["records"][0];
    let envelope = &r[if case.key { "key" } else { "value" }];
    let topic = r["topic"].as_str().unwrap_or_default().to_string();
    let schema = envelope.get("schema").cloned().filter(|s| !s.is_null());
    (
        Result::Kept {
            value: envelope.get("payload").cloned().unwrap_or(Value::Null),
            topic,
            schema: schema.clone(),
        },
        schema,
    )
}

/// Runs every case's record through Sluice: the converter, then each
/// transform, with `sluice plugin test`; cases that share plugins and
/// options run in one call per stage.
fn run_sluice(cases: &[Case]) -> Vec<Result> {
    let mut results: Vec<Option<Result>> = cases.iter().map(|_| None).collect();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, c) in cases.iter().enumerate() {
        let steps: Vec<String> = c
            .steps
            .iter()
            .map(|s| format!("{}{:?}", s.plugin, s.config))
            .collect();
        groups
            .entry(format!(
                "{} {:?} key={} {:?}",
                c.plugin, c.config, c.key, steps
            ))
            .or_default()
            .push(i);
    }
    for members in groups.values() {
        let first = &cases[members[0]];
        let lines: Vec<String> = members
            .iter()
            .map(|&i| {
                let c = &cases[i];
                let mut line = json!({
                    "topic": c.topic,
                    "offset": i,
                    "timestamp": c.timestamp,
                    "headers": c.headers,
                });
                if let Some(b) = &c.input {
                    line[if c.key { "key_base64" } else { "value_base64" }] =
                        base64::engine::general_purpose::STANDARD.encode(b).into();
                }
                line.to_string()
            })
            .collect();
        // Stage by stage; what a stage keeps goes on to the next.
        let mut pending: BTreeMap<i64, Value> = BTreeMap::new();
        let outcomes = plugin_test(first.plugin, &first.config, first.key, &lines);
        for o in outcomes {
            let i = o["offset"].as_i64().unwrap();
            match o["outcome"].as_str() {
                Some("kept") => {
                    pending.insert(i, o["records"][0].clone());
                }
                Some("failed") => {
                    results[i as usize] = Some(Result::Failed(o["error"].to_string()))
                }
                other => panic!("converter outcome {other:?}: {o}"),
            }
        }
        for step in &first.steps {
            if pending.is_empty() {
                break;
            }
            let lines: Vec<String> = pending.values().map(Value::to_string).collect();
            let outcomes = plugin_test(step.plugin, &step.config, false, &lines);
            pending.clear();
            for o in outcomes {
                let i = o["offset"].as_i64().unwrap();
                match o["outcome"].as_str() {
                    Some("kept") => {
                        pending.insert(i, o["records"][0].clone());
                    }
                    Some("dropped") => results[i as usize] = Some(Result::Dropped),
                    Some("failed") => {
                        results[i as usize] = Some(Result::Failed(o["error"].to_string()))
                    }
                    other => panic!("transform outcome {other:?}: {o}"),
                }
            }
        }
        for (i, r) in pending {
            let c = &cases[i as usize];
            let part = if c.key { "key" } else { "value" };
            let value = match (r[part].clone(), r.get(format!("{part}_base64"))) {
                (_, Some(b)) => b.clone(),
                (v, None) if c.plugin == "bytes" => match v {
                    Value::String(s) => base64::engine::general_purpose::STANDARD
                        .encode(s.as_bytes())
                        .into(),
                    other => other,
                },
                (v, None) => v,
            };
            results[i as usize] = Some(Result::Kept {
                value,
                topic: r["topic"].as_str().unwrap_or_default().to_string(),
                schema: r.get(format!("{part}_schema")).cloned(),
            });
        }
    }
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|| panic!("no outcome for case {}", cases[i].id)))
        .collect()
}

/// `sluice plugin test` over `lines`: one outcome per line. A plugin that
/// refuses its configuration fails every record (Kafka refuses the config).
fn plugin_test(name: &str, config: &[(String, String)], key: bool, lines: &[String]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.jsonl");
    std::fs::write(&input, lines.join("\n")).unwrap();
    let mut cmd = sluice();
    cmd.arg("plugin")
        .arg("test")
        .arg(plugin(name))
        .arg("-i")
        .arg(&input);
    if key {
        cmd.args(["--part", "key"]);
    }
    for (k, v) in config {
        cmd.arg("-c").arg(format!("{k}={v}"));
    }
    let out = cmd.output().expect("run sluice plugin test");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && stderr.contains("rejected its configuration") {
        return lines
            .iter()
            .map(|l| {
                let line: Value = serde_json::from_str(l).unwrap();
                json!({"offset": line["offset"], "outcome": "failed", "error": stderr})
            })
            .collect();
    }
    assert!(
        out.status.success(),
        "sluice plugin test {name} {config:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("an outcome line is JSON"))
        .collect()
}

/// Whether two JSON numbers are the same number (as 32-bit floats for `float`).
fn same_number(a: &Value, b: &Value, float32: bool) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                return x == y;
            }
            if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
                return x == y;
            }
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) if float32 => (x as f32) == (y as f32),
                (Some(x), Some(y)) => x == y,
                _ => false,
            }
        }
        _ => false,
    }
}

/// Why `ours` is not the value Kafka wrote (`kafka`, with its `schema`).
pub(super) fn differ(
    schema: Option<&Value>,
    kafka: &Value,
    ours: &Value,
    path: &str,
) -> Option<String> {
    let here = |what: &str| Some(format!("{path}: {what}: Kafka {kafka}, Sluice {ours}"));
    let schema = schema.filter(|s| !s.is_null());
    let ty = schema.and_then(|s| s["type"].as_str());
    match (kafka, ours) {
        (Value::Null, Value::Null) => None,
        (Value::Number(_), Value::Number(_)) => (!same_number(kafka, ours, ty == Some("float")))
            .then(|| here("numbers differ"))
            .flatten(),
        (Value::Array(k), Value::Array(o)) if ty == Some("map") => {
            // A map with non-string keys: [key, value] pairs in any order.
            if k.len() != o.len() {
                return here("maps differ in size");
            }
            let (ks, vs) = (schema.map(|s| &s["keys"]), schema.map(|s| &s["values"]));
            for pair in k {
                let found = o.iter().any(|p| {
                    differ(ks, &pair[0], &p[0], path).is_none()
                        && differ(vs, &pair[1], &p[1], path).is_none()
                });
                if !found {
                    return here(&format!("map entry {pair} missing"));
                }
            }
            None
        }
        (Value::Array(k), Value::Array(o)) => {
            if k.len() != o.len() {
                return here("arrays differ in length");
            }
            let items = schema.map(|s| &s["items"]);
            k.iter()
                .zip(o)
                .enumerate()
                .find_map(|(i, (k, o))| differ(items, k, o, &format!("{path}[{i}]")))
        }
        (Value::Object(k), Value::Object(o)) => {
            let keys: BTreeSet<&String> = k.keys().collect();
            if keys != o.keys().collect() {
                return here("fields differ");
            }
            let fields = schema.and_then(|s| s["fields"].as_array());
            k.iter().find_map(|(name, kv)| {
                let field_schema = match (ty, fields) {
                    (Some("struct"), Some(fs)) => fs.iter().find(|f| f["field"] == name.as_str()),
                    (Some("map"), _) => schema.map(|s| &s["values"]),
                    _ => None,
                };
                differ(field_schema, kv, &o[name], &format!("{path}.{name}"))
            })
        }
        _ if kafka == ours => None,
        _ => here("values differ"),
    }
}

/// Compares one case's results; `None` when they meet the expectation.
/// The schema a record carries on, Kafka's against Sluice's: the same
/// Connect schema (as JSON values, so the order of parameters is not
/// compared), or none on both sides. Decimal defaults are compared as
/// numbers: Kafka writes them in the output's `decimal.format`, Sluice
/// carries them as they came.
pub(super) fn differ_schema(kafka: Option<&Value>, ours: Option<&Value>) -> Option<String> {
    let normal = |s: Option<&Value>| {
        s.cloned().map(|mut s| {
            decimal_defaults_as_numbers(&mut s);
            s
        })
    };
    (normal(kafka) != normal(ours)).then(|| {
        format!(
            "schema carried on: Kafka {}, Sluice {}",
            kafka.map_or("none".into(), Value::to_string),
            ours.map_or("none".into(), Value::to_string)
        )
    })
}

/// Every Decimal default in `schema` (base64 of the unscaled value, or a
/// number) as a JSON number.
fn decimal_defaults_as_numbers(schema: &mut Value) {
    match schema {
        Value::Object(o) => {
            let scale = o
                .get("parameters")
                .and_then(|p| p.get("scale"))
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<i32>().ok());
            if o.get("name").and_then(Value::as_str)
                == Some("org.apache.kafka.connect.data.Decimal")
                && let (Some(Value::String(b64)), Some(scale)) = (o.get("default"), scale)
                && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64)
                && bytes.len() <= 16
            {
                let fill = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
                    0xff
                } else {
                    0
                };
                let mut be = [fill; 16];
                be[16 - bytes.len()..].copy_from_slice(&bytes);
                let unscaled = i128::from_be_bytes(be) as f64;
                o.insert("default".into(), json!(unscaled / 10f64.powi(scale)));
            }
            o.values_mut().for_each(decimal_defaults_as_numbers);
        }
        Value::Array(a) => a.iter_mut().for_each(decimal_defaults_as_numbers),
        _ => {}
    }
}

fn verdict(case: &Case, kafka: &Result, schema: Option<&Value>, ours: &Result) -> Option<String> {
    let same = match (kafka, ours) {
        (Result::Failed(_), Result::Failed(_)) | (Result::Dropped, Result::Dropped) => None,
        (
            Result::Kept {
                value: k,
                topic: kt,
                schema: ks,
            },
            Result::Kept {
                value: o,
                topic: ot,
                schema: os,
            },
        ) => {
            if kt != ot {
                Some(format!("topic: Kafka {kt}, Sluice {ot}"))
            } else if let Some(d) = differ(schema, k, o, if case.key { "key" } else { "value" }) {
                Some(d)
            } else {
                differ_schema(ks.as_ref(), os.as_ref())
            }
        }
        (k, o) => Some(format!("Kafka {k:?}, Sluice {o:?}")),
    };
    match (case.differs, same) {
        (None, same) => same,
        (Some(Differs::Stricter(_)), _) => match ours {
            Result::Failed(_) => None,
            o => Some(format!("expected Sluice to fail; got {o:?}")),
        },
        (Some(Differs::AsWritten(_)), Some(_)) => match ours {
            Result::Kept { .. } => None,
            o => Some(format!(
                "expected Sluice to keep the value as written; got {o:?}"
            )),
        },
        (Some(d), None) => Some(format!(
            "listed as a deliberate difference ({}) but Sluice and Kafka agree: drop the reason",
            d.reason()
        )),
    }
}

/// Runs `cases` on both sides and fails listing every case that does not
/// meet its expectation; checks that each listed reason still shows.
fn check(cases: &[Case]) {
    let ids: BTreeSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), cases.len(), "case ids are unique");
    let answers = oracle::run(
        &cases
            .iter()
            .enumerate()
            .map(|(i, c)| c.oracle_case(i))
            .collect::<Vec<_>>(),
    );
    let ours = run_sluice(cases);
    let doc = std::fs::read_to_string(sluice_tests::repo_root().join("docs/kafka-parity.md"))
        .expect("docs/kafka-parity.md");
    let mut failures = Vec::new();
    let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
    for ((case, answer), ours) in cases.iter().zip(&answers).zip(&ours) {
        let (kafka, schema) = kafka_result(case, answer);
        if let Some(d) = case.differs {
            assert!(
                doc.contains(&format!("`{}`", d.reason())),
                "docs/kafka-parity.md explains the reason `{}`",
                d.reason()
            );
            if !matches!((&kafka, ours), (Result::Failed(_), Result::Failed(_))) {
                *shown.entry(d.reason()).or_default() += 1;
            }
        }
        if let Some(why) = verdict(case, &kafka, schema.as_ref(), ours) {
            failures.push(format!(
                "{}: {why}\n    input {:?}\n    Kafka {kafka:?}\n    Sluice {ours:?}",
                case.id,
                case.input.as_deref().map(String::from_utf8_lossy),
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Kafka:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    let reasons: BTreeSet<&str> = cases
        .iter()
        .filter_map(|c| c.differs.map(Differs::reason))
        .collect();
    for r in reasons {
        assert!(
            shown.get(r).copied().unwrap_or(0) > 0,
            "no case shows the deliberate difference `{r}` any more: remove it from the cases and the docs"
        );
    }
    eprintln!(
        "{} cases, {} where Sluice differs on purpose: {:?}",
        cases.len(),
        shown.values().sum::<usize>(),
        shown
    );
}

/// Payloads (JSON text), each with how Sluice reads it differently on purpose.
type Payloads = Vec<(&'static str, Option<Differs>)>;

/// A whole value: its name, its bytes, and how Sluice differs on purpose
/// with `schemas.enable` true and false.
type Whole = (
    &'static str,
    &'static [u8],
    Option<Differs>,
    Option<Differs>,
);

/// Kafka's primitive schema types, each with payloads (JSON text) and
/// whether Sluice reads them differently on purpose.
fn primitives() -> Vec<(&'static str, &'static str, Payloads)> {
    vec![
        (
            "boolean",
            "true",
            vec![
                ("true", None),
                ("false", None),
                ("1", Some(COERCED_TYPE)),
                ("\"true\"", Some(COERCED_TYPE)),
            ],
        ),
        (
            "int8",
            "5",
            vec![
                ("0", None),
                ("127", None),
                ("-128", None),
                ("-0", None),
                ("1.0", None),
                ("1e2", None),
                ("128", Some(OUT_OF_RANGE)),
                ("-129", Some(OUT_OF_RANGE)),
                ("1.5", Some(TRUNCATED)),
                ("\"1\"", Some(COERCED_TYPE)),
                ("true", Some(COERCED_TYPE)),
            ],
        ),
        (
            "int16",
            "5",
            vec![
                ("32767", None),
                ("-32768", None),
                ("32768", Some(OUT_OF_RANGE)),
            ],
        ),
        (
            "int32",
            "5",
            vec![
                ("2147483647", None),
                ("-2147483648", None),
                ("1.5e3", None),
                ("2147483648", Some(OUT_OF_RANGE)),
                ("-7.25", Some(TRUNCATED)),
            ],
        ),
        (
            "int64",
            "5",
            vec![
                ("9223372036854775807", None),
                ("-9223372036854775808", None),
                ("12.0", None),
                ("9223372036854775808", Some(OUT_OF_RANGE)),
                ("1e19", Some(OUT_OF_RANGE)),
            ],
        ),
        (
            "float",
            "1.5",
            vec![
                ("1.5", None),
                ("0.1", None),
                ("0.123456789", None),
                ("3.4028235e38", None),
                ("1", None),
                ("-0.0", None),
                ("1e-46", None),
                ("16777217", None),
                ("1e39", Some(INFINITE)),
                ("\"1.5\"", Some(COERCED_TYPE)),
            ],
        ),
        (
            "double",
            "2.5",
            vec![
                ("1.5", None),
                ("0.1", None),
                ("1e308", None),
                ("12345678901234567890", None),
                ("-1.5e-10", None),
                ("1", None),
                ("0.30000000000000004", None),
                ("1e309", Some(INFINITE)),
                ("\"x\"", Some(COERCED_TYPE)),
                ("[1]", Some(COERCED_TYPE)),
            ],
        ),
        (
            "bytes",
            "\"AQI=\"",
            vec![
                ("\"aGVsbG8=\"", None),
                ("\"\"", None),
                ("\"aGVsbG8\"", None),
                ("\"!!!\"", None),
                ("5", Some(COERCED_TYPE)),
            ],
        ),
        (
            "string",
            "\"dflt\"",
            vec![
                ("\"abc\"", None),
                ("\"\"", None),
                ("\"\\u00fc \\u20ac \\ud83d\\ude00\"", None),
                ("\"\\u0000\\\"\"", None),
                ("5", Some(COERCED_TYPE)),
                ("true", Some(COERCED_TYPE)),
                ("{\"a\":1}", Some(COERCED_TYPE)),
            ],
        ),
    ]
}

/// Every primitive type and payload in every place a value can be: top
/// level, a required and an optional struct field, an array element, a map
/// value under string and under int keys, a map key.
fn schema_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (ty, default, payloads) in primitives() {
        let s = json!({"type": ty});
        let opt = json!({"type": ty, "optional": true});
        for (n, (p, d)) in payloads.iter().enumerate() {
            let contexts = [
                ("top", s.clone(), p.to_string()),
                (
                    "field",
                    json!({"type":"struct","fields":[{"field":"f","type":ty}]}),
                    format!("{{\"f\":{p}}}"),
                ),
                (
                    "optional-field",
                    json!({"type":"struct","fields":[{"field":"f","type":ty,"optional":true}]}),
                    format!("{{\"f\":{p}}}"),
                ),
                (
                    "array",
                    json!({"type":"array","items":opt}),
                    format!("[{p},{p}]"),
                ),
                (
                    "map",
                    json!({"type":"map","keys":{"type":"string"},"values":s}),
                    format!("{{\"k\":{p}}}"),
                ),
                (
                    "int-map",
                    json!({"type":"map","keys":{"type":"int32"},"values":s}),
                    format!("[[1,{p}]]"),
                ),
                (
                    "map-key",
                    json!({"type":"map","keys":s,"values":{"type":"string"}}),
                    if ty == "string" {
                        format!("{{{p}:\"v\"}}")
                    } else {
                        format!("[[{p},\"v\"]]")
                    },
                ),
            ];
            for (ctx, schema, payload) in contexts {
                // Only a string can be an object's key.
                if ctx == "map-key" && ty == "string" && !p.starts_with('"') {
                    continue;
                }
                cases.push(
                    Case::json(
                        format!("{ty}-{n}-{ctx}"),
                        true,
                        &format!(r#"{{"schema":{schema},"payload":{payload}}}"#),
                    )
                    .differs(*d),
                );
            }
        }
        // Nulls and missing fields: defaults, optional, required; with
        // replace.null.with.default on and off.
        let with_default =
            json!({"type": ty, "default": serde_json::from_str::<Value>(default).unwrap()});
        let opt_default = json!({"type": ty, "optional": true, "default": serde_json::from_str::<Value>(default).unwrap()});
        for replace in ["true", "false"] {
            for (ctx, schema, payload) in [
                ("top-null", s.clone(), "null".to_string()),
                ("top-optional-null", opt.clone(), "null".to_string()),
                ("top-default-null", with_default.clone(), "null".to_string()),
                (
                    "top-optional-default-null",
                    opt_default.clone(),
                    "null".to_string(),
                ),
                (
                    "field-missing",
                    json!({"type":"struct","fields":[{"field":"f","type":ty}]}),
                    "{}".to_string(),
                ),
                (
                    "field-default-missing",
                    json!({"type":"struct","fields":[merge(&with_default, "f")]}),
                    "{}".to_string(),
                ),
                (
                    "field-default-null",
                    json!({"type":"struct","fields":[merge(&with_default, "f")]}),
                    "{\"f\":null}".to_string(),
                ),
                (
                    "field-optional-default-null",
                    json!({"type":"struct","fields":[merge(&opt_default, "f")]}),
                    "{\"f\":null}".to_string(),
                ),
                (
                    "array-null-item",
                    json!({"type":"array","items":s}),
                    "[null]".to_string(),
                ),
                (
                    "array-optional-null-item",
                    json!({"type":"array","items":opt}),
                    "[null]".to_string(),
                ),
                (
                    "map-null-value",
                    json!({"type":"map","keys":{"type":"string"},"values":opt_default}),
                    "{\"k\":null}".to_string(),
                ),
            ] {
                cases.push(
                    Case::json(
                        format!("{ty}-{ctx}-replace-{replace}"),
                        true,
                        &format!(r#"{{"schema":{schema},"payload":{payload}}}"#),
                    )
                    .with("replace.null.with.default", replace),
                );
            }
        }
    }
    cases
}

fn merge(schema: &Value, field: &str) -> Value {
    let mut s = schema.clone();
    s["field"] = field.into();
    s
}

/// Decimal, Date, Time and Timestamp, in both decimal formats.
fn logical_cases() -> Vec<Case> {
    let decimal = |scale: &str| json!({"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":scale}});
    let mut cases = Vec::new();
    let decimals: Vec<(&str, Value, &str, Option<Differs>)> = vec![
        ("base64", decimal("2"), "\"BNI=\"", None),
        ("base64-negative", decimal("2"), "\"/w==\"", None),
        ("base64-zero-length", decimal("2"), "\"\"", None),
        ("base64-invalid", decimal("2"), "\"!!\"", None),
        ("number-same-scale", decimal("2"), "12.34", None),
        ("number-other-scale", decimal("2"), "12.345", None),
        ("integer", decimal("0"), "12", None),
        ("integer-scale-2", decimal("2"), "12", None),
        ("exponent", decimal("-2"), "1E+2", None),
        (
            "big",
            decimal("2"),
            "123456789012345678901234567890.12",
            None,
        ),
        ("tiny", decimal("9"), "0.000000012", None),
        ("boolean", decimal("2"), "true", None),
        (
            "no-scale",
            json!({"type":"bytes","name":"org.apache.kafka.connect.data.Decimal"}),
            "\"BNI=\"",
            None,
        ),
        ("bad-scale", decimal("two"), "\"BNI=\"", None),
        (
            "no-scale-number",
            json!({"type":"bytes","name":"org.apache.kafka.connect.data.Decimal"}),
            "1.5",
            None,
        ),
        (
            "default",
            json!({"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"},"default":"BNI="}),
            "null",
            None,
        ),
    ];
    for format in ["BASE64", "NUMERIC"] {
        for (name, schema, payload, d) in &decimals {
            for (ctx, s, p) in [
                ("top", schema.clone(), payload.to_string()),
                (
                    "field",
                    json!({"type":"struct","fields":[merge(schema, "d")]}),
                    format!("{{\"d\":{payload}}}"),
                ),
            ] {
                cases.push(
                    Case::json(
                        format!("decimal-{name}-{ctx}-{format}"),
                        true,
                        &format!(r#"{{"schema":{s},"payload":{p}}}"#),
                    )
                    .with("decimal.format", format)
                    .differs(*d),
                );
            }
        }
    }
    let logical = |ty: &str, name: &str| json!({"type": ty, "name": format!("org.apache.kafka.connect.data.{name}"), "version": 1});
    let others: Vec<(&str, Value, &str, Option<Differs>)> = vec![
        ("date", logical("int32", "Date"), "19000", None),
        ("date-negative", logical("int32", "Date"), "-1", None),
        ("date-fraction", logical("int32", "Date"), "1.0", None),
        ("date-long", logical("int32", "Date"), "2147483648", None),
        (
            "date-text",
            logical("int32", "Date"),
            "\"2024-01-01\"",
            None,
        ),
        ("time", logical("int32", "Time"), "3600000", None),
        ("time-zero", logical("int32", "Time"), "0", None),
        ("time-day", logical("int32", "Time"), "86400000", None),
        ("time-over", logical("int32", "Time"), "86400001", None),
        ("time-negative", logical("int32", "Time"), "-1", None),
        (
            "timestamp",
            logical("int64", "Timestamp"),
            "1700000000000",
            None,
        ),
        (
            "timestamp-negative",
            logical("int64", "Timestamp"),
            "-1",
            None,
        ),
        (
            "timestamp-max",
            logical("int64", "Timestamp"),
            "9223372036854775807",
            None,
        ),
        (
            "timestamp-over",
            logical("int64", "Timestamp"),
            "9223372036854775808",
            Some(OUT_OF_RANGE),
        ),
        (
            "timestamp-fraction",
            logical("int64", "Timestamp"),
            "1.5",
            None,
        ),
        (
            "timestamp-text",
            logical("int64", "Timestamp"),
            "\"x\"",
            None,
        ),
        (
            "timestamp-int32",
            logical("int32", "Timestamp"),
            "1700000000000",
            None,
        ),
    ];
    for (name, schema, payload, d) in others {
        for (ctx, s, p) in [
            ("top", schema.clone(), payload.to_string()),
            (
                "field",
                json!({"type":"struct","fields":[merge(&schema, "t")]}),
                format!("{{\"t\":{payload}}}"),
            ),
            (
                "array",
                json!({"type":"array","items":schema}),
                format!("[{payload}]"),
            ),
        ] {
            cases.push(
                Case::json(
                    format!("{name}-{ctx}"),
                    true,
                    &format!(r#"{{"schema":{s},"payload":{p}}}"#),
                )
                .differs(d),
            );
        }
    }
    cases
}

/// Schemas that are malformed or unusual, nesting, and payload shapes.
fn structure_cases() -> Vec<Case> {
    let env = |s: &str, p: &str| format!(r#"{{"schema":{s},"payload":{p}}}"#);
    let list: Vec<(&str, String, Option<Differs>)> = vec![
        (
            "kafka-float64-name",
            env(r#"{"type":"float64"}"#, "1.5"),
            None,
        ),
        ("unknown-type", env(r#"{"type":"uuid"}"#, "\"x\""), None),
        ("type-missing", env(r#"{"optional":true}"#, "1"), None),
        ("type-not-text", env(r#"{"type":5}"#, "1"), None),
        ("schema-a-string", env(r#""int32""#, "1"), None),
        ("schema-an-array", env(r#"[1]"#, "1"), None),
        ("struct-no-fields", env(r#"{"type":"struct"}"#, "{}"), None),
        (
            "struct-fields-not-array",
            env(r#"{"type":"struct","fields":{}}"#, "{}"),
            None,
        ),
        (
            "struct-empty",
            env(r#"{"type":"struct","fields":[]}"#, r#"{"a":1}"#),
            None,
        ),
        (
            "struct-field-no-name",
            env(r#"{"type":"struct","fields":[{"type":"int32"}]}"#, "{}"),
            None,
        ),
        (
            "struct-field-name-not-text",
            env(
                r#"{"type":"struct","fields":[{"type":"int32","field":1}]}"#,
                "{}",
            ),
            None,
        ),
        (
            "struct-duplicate-field",
            env(
                r#"{"type":"struct","fields":[{"type":"int32","field":"a"},{"type":"int32","field":"a"}]}"#,
                r#"{"a":1}"#,
            ),
            None,
        ),
        (
            "struct-field-order-and-extra",
            env(
                r#"{"type":"struct","fields":[{"type":"int32","field":"b"},{"type":"string","field":"a"}]}"#,
                r#"{"z":[1,{"q":null}],"a":"x","b":2}"#,
            ),
            None,
        ),
        (
            "struct-duplicate-key",
            env(
                r#"{"type":"struct","fields":[{"type":"int32","field":"a"}]}"#,
                r#"{"a":1,"a":2}"#,
            ),
            None,
        ),
        (
            "struct-not-object",
            env(r#"{"type":"struct","fields":[]}"#, "[1]"),
            None,
        ),
        (
            "struct-string-payload",
            env(r#"{"type":"struct","fields":[]}"#, "\"x\""),
            None,
        ),
        (
            "struct-nested",
            env(
                r#"{"type":"struct","fields":[{"field":"o","type":"struct","optional":true,"fields":[{"field":"p","type":"double"},{"field":"q","type":"array","items":{"type":"float"}}]},{"field":"n","type":"int64"}]}"#,
                r#"{"o":{"q":[1.1,2.5],"p":3},"n":7}"#,
            ),
            None,
        ),
        (
            "struct-nested-missing-optional",
            env(
                r#"{"type":"struct","fields":[{"field":"o","type":"struct","optional":true,"fields":[{"field":"p","type":"double"}]}]}"#,
                "{}",
            ),
            None,
        ),
        (
            "struct-nested-missing-required",
            env(
                r#"{"type":"struct","fields":[{"field":"o","type":"struct","fields":[{"field":"p","type":"double"}]}]}"#,
                "{}",
            ),
            None,
        ),
        (
            "struct-default",
            env(
                r#"{"type":"struct","fields":[{"field":"a","type":"int32"}],"default":{"a":1}}"#,
                "null",
            ),
            None,
        ),
        (
            "struct-field-default-wrong-type",
            env(
                r#"{"type":"struct","fields":[{"field":"a","type":"int32","default":"x"}]}"#,
                "{}",
            ),
            Some(COERCED_TYPE),
        ),
        (
            "required-null-default",
            env(
                r#"{"type":"struct","fields":[{"field":"a","type":"int32","default":null}]}"#,
                "{}",
            ),
            None,
        ),
        (
            "optional-null-default",
            env(
                r#"{"type":"struct","fields":[{"field":"a","type":"int32","optional":true,"default":null}]}"#,
                "{}",
            ),
            None,
        ),
        (
            "array-default",
            env(
                r#"{"type":"array","items":{"type":"int32"},"default":[1,2]}"#,
                "null",
            ),
            None,
        ),
        (
            "map-default",
            env(
                r#"{"type":"map","keys":{"type":"string"},"values":{"type":"int32"},"default":{"a":1}}"#,
                "null",
            ),
            None,
        ),
        ("array-no-items", env(r#"{"type":"array"}"#, "[]"), None),
        (
            "array-null-items",
            env(r#"{"type":"array","items":null}"#, "[]"),
            None,
        ),
        (
            "array-object-payload",
            env(r#"{"type":"array","items":{"type":"int32"}}"#, r#"{"a":1}"#),
            Some(COERCED_TYPE),
        ),
        (
            "array-nested",
            env(
                r#"{"type":"array","items":{"type":"array","items":{"type":"string"}}}"#,
                r#"[["a"],[],["b","c"]]"#,
            ),
            None,
        ),
        (
            "map-no-keys",
            env(r#"{"type":"map","values":{"type":"int32"}}"#, "{}"),
            None,
        ),
        (
            "map-no-values",
            env(r#"{"type":"map","keys":{"type":"string"}}"#, "{}"),
            None,
        ),
        (
            "map-null-keys",
            env(
                r#"{"type":"map","keys":null,"values":{"type":"int32"}}"#,
                "{}",
            ),
            None,
        ),
        (
            "map-string-keys-array",
            env(
                r#"{"type":"map","keys":{"type":"string"},"values":{"type":"int32"}}"#,
                "[]",
            ),
            None,
        ),
        (
            "map-int-keys-object",
            env(
                r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}}"#,
                "{}",
            ),
            None,
        ),
        (
            "map-entry-not-array",
            env(
                r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}}"#,
                "[1]",
            ),
            None,
        ),
        (
            "map-entry-length-3",
            env(
                r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}}"#,
                "[[1,2,3]]",
            ),
            None,
        ),
        (
            "map-duplicate-keys",
            env(
                r#"{"type":"map","keys":{"type":"string"},"values":{"type":"int32"}}"#,
                r#"{"a":1,"b":2,"a":3}"#,
            ),
            None,
        ),
        (
            "map-int-duplicate-keys",
            env(
                r#"{"type":"map","keys":{"type":"int64"},"values":{"type":"int32"}}"#,
                "[[1,1],[2,2],[1,3]]",
            ),
            None,
        ),
        (
            "map-struct-keys",
            env(
                r#"{"type":"map","keys":{"type":"struct","fields":[{"field":"k","type":"int32"}]},"values":{"type":"boolean"}}"#,
                r#"[[{"k":1},true],[{"k":2},false]]"#,
            ),
            None,
        ),
        (
            "optional-not-boolean",
            env(r#"{"type":"int32","optional":"true"}"#, "null"),
            None,
        ),
        (
            "name-version-doc",
            env(
                r#"{"type":"int32","name":"my.Type","version":3,"doc":"d","parameters":{"a":"b"}}"#,
                "1",
            ),
            None,
        ),
        (
            "name-not-text",
            env(r#"{"type":"int32","name":5,"version":"x","doc":7}"#, "1"),
            None,
        ),
        (
            "parameter-not-text",
            env(r#"{"type":"int32","parameters":{"a":1}}"#, "1"),
            None,
        ),
        (
            "parameters-not-object",
            env(r#"{"type":"int32","parameters":[1]}"#, "1"),
            None,
        ),
        (
            "schemaless-null-schema",
            env("null", r#"{"b":1,"a":[true,null]}"#),
            None,
        ),
        ("schemaless-null-payload", env("null", "null"), None),
        (
            "number-over-1000-digits",
            env(r#"{"type":"double"}"#, &format!("1{}", "0".repeat(1000))),
            None,
        ),
        (
            "deep-array",
            env(
                &format!(
                    "{}{{\"type\":\"int32\"}}{}",
                    r#"{"type":"array","items":"#.repeat(60),
                    "}".repeat(60)
                ),
                &format!("{}1{}", "[".repeat(60), "]".repeat(60)),
            ),
            None,
        ),
    ];
    list.into_iter()
        .map(|(id, text, d)| Case::json(id, true, &text).differs(d))
        .collect()
}

/// Whole values that are not envelopes, or not JSON.
fn envelope_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let list: Vec<Whole> = vec![
        // (id, bytes, differs with schemas.enable=true, differs with false)
        ("array", b"[1,2]", None, None),
        ("number", b"5", None, None),
        ("string", b"\"s\"", None, None),
        ("null-literal", b"null", None, None),
        ("empty", b"", None, None),
        ("whitespace", b"   ", None, None),
        (
            "missing-payload",
            br#"{"schema":{"type":"int32"}}"#,
            None,
            None,
        ),
        ("missing-schema", br#"{"payload":1}"#, None, None),
        (
            "extra-field",
            br#"{"schema":{"type":"int32"},"payload":1,"x":0}"#,
            None,
            None,
        ),
        (
            "duplicate-payload",
            br#"{"schema":{"type":"int32"},"payload":1,"payload":2}"#,
            None,
            None,
        ),
        (
            "surrounding-space",
            b" \n{\"schema\":{\"type\":\"int32\"},\"payload\":1} \n",
            None,
            None,
        ),
        ("invalid-json", b"{\"schema\":", None, None),
        (
            "trailing-content",
            br#"{"schema":{"type":"int32"},"payload":1} x"#,
            Some(TRAILING),
            Some(TRAILING),
        ),
        (
            "invalid-utf8",
            b"{\"schema\":{\"type\":\"string\"},\"payload\":\"\xc3\x28\"}",
            None,
            None,
        ),
        ("utf16-bom", b"\xfe\xff\x00{\x00}", None, Some(NOT_UTF8)),
        (
            "plain-object",
            br#"{"b":1,"a":{"c":[1.10,true,null,"x"]}}"#,
            None,
            None,
        ),
        (
            "big-integer",
            br#"{"n":12345678901234567890}"#,
            None,
            Some(SCHEMALESS),
        ),
        (
            "precise-decimal",
            br#"{"n":0.1000000000000000055511151231257827}"#,
            None,
            None,
        ),
        ("duplicate-keys", br#"{"a":1,"a":2}"#, None, None),
    ];
    for (id, bytes, with, without) in list {
        cases.push(
            Case::new(format!("envelope-{id}"), "json", JSON, Some(bytes))
                .with("schemas.enable", "true")
                .differs(with),
        );
        cases.push(
            Case::new(format!("plain-{id}"), "json", JSON, Some(bytes))
                .with("schemas.enable", "false")
                .differs(without),
        );
    }
    cases.push(Case::new("envelope-tombstone", "json", JSON, None).with("schemas.enable", "true"));
    cases.push(Case::new("plain-tombstone", "json", JSON, None).with("schemas.enable", "false"));
    // Keys go through the same converter.
    for (n, (text, d)) in [
        (r#"{"schema":{"type":"string"},"payload":"k1"}"#, None),
        (
            r#"{"schema":{"type":"int64"},"payload":"k"}"#,
            Some(COERCED_TYPE),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut c = Case::json(format!("key-{n}"), true, text).differs(d);
        c.key = true;
        cases.push(c);
    }
    // The schema cache: more schemas than it holds, or none.
    for size in ["0", "1"] {
        for (n, ty) in ["int32", "string", "int32"].iter().enumerate() {
            let payload = if *ty == "int32" { "7" } else { "\"s\"" };
            cases.push(
                Case::json(
                    format!("cache-{size}-{n}"),
                    true,
                    &format!(r#"{{"schema":{{"type":"{ty}"}},"payload":{payload}}}"#),
                )
                .with("schemas.cache.size", size),
            );
        }
    }
    cases
}

/// StringConverter in each encoding, and ByteArrayConverter.
fn string_and_bytes_cases() -> Vec<Case> {
    let inputs: Vec<(&str, &[u8])> = vec![
        ("ascii", b"hello"),
        ("utf8", "ü € 😀".as_bytes()),
        ("latin1", b"caf\xe9"),
        ("invalid-utf8", b"a\xc3\x28b\xff"),
        ("truncated-utf8", b"ab\xe2\x82"),
        ("utf16be-bom", b"\xfe\xff\x00h\x00i"),
        ("utf16le-bom", b"\xff\xfeh\x00i\x00"),
        ("odd-length", b"\x00h\x00"),
        ("lone-surrogate", b"\xd8\x00\x00a"),
        ("surrogate-then-odd-byte", b"\xd8\x00\x00"),
        ("empty", b""),
    ];
    let mut cases = Vec::new();
    for encoding in [
        None,
        Some("UTF-8"),
        Some("UTF-16"),
        Some("UTF-16BE"),
        Some("UTF-16LE"),
        Some("ISO-8859-1"),
        Some("US-ASCII"),
    ] {
        for (name, bytes) in &inputs {
            let mut c = Case::new(
                format!("string-{}-{name}", encoding.unwrap_or("default")),
                "string",
                STRING,
                Some(bytes),
            );
            if let Some(e) = encoding {
                c = c.with("converter.encoding", e);
            }
            cases.push(c);
        }
    }
    cases.push(Case::new("string-null", "string", STRING, None));
    for (name, bytes) in &inputs {
        cases.push(Case::new(
            format!("bytes-{name}"),
            "bytes",
            BYTES,
            Some(bytes),
        ));
    }
    cases.push(Case::new(
        "bytes-binary",
        "bytes",
        BYTES,
        Some(&[0, 1, 2, 255, 254]),
    ));
    cases.push(Case::new("bytes-null", "bytes", BYTES, None));
    cases
}

fn insert_field(fields: &[(&str, &str)]) -> Step {
    Step {
        plugin: "insert-field",
        config: pairs(fields),
        kafka: json!({"class": INSERT_FIELD, "config": config_object(&pairs(fields))}),
    }
}

fn filter(predicate: Option<(&str, &[(&str, &str)])>, negate: bool) -> Step {
    let mut ours = Vec::new();
    let mut kafka = json!({"class": FILTER, "config": {}});
    if let Some((name, config)) = predicate {
        ours.push(("predicate".to_string(), name.to_string()));
        ours.extend(pairs(config));
        if negate {
            ours.push(("negate".into(), "true".into()));
        }
        kafka["predicate"] = json!({"class": format!("{PREDICATES}{name}"), "config": config_object(&pairs(config))});
        kafka["negate"] = negate.into();
    }
    Step {
        plugin: "drop",
        config: ours,
        kafka,
    }
}

/// InsertField$Value and Filter on schemaless JSON values.
fn transform_cases() -> Vec<Case> {
    let value = br#"{"id":7,"name":"a"}"#;
    let plain = |id: &str, input: Option<&[u8]>, step: Step| {
        let mut c = Case::new(id, "json", JSON, input).with("schemas.enable", "false");
        c.steps.push(step);
        c
    };
    let all = [
        ("topic.field", "t"),
        ("partition.field", "p"),
        ("offset.field", "o"),
        ("timestamp.field", "ts"),
        ("static.field", "src"),
        ("static.value", "sluice"),
    ];
    let mut cases = vec![
        plain("insert-all", Some(value), insert_field(&all)),
        plain(
            "insert-suffixes",
            Some(value),
            insert_field(&[("topic.field", "t!"), ("offset.field", "o?")]),
        ),
        plain(
            "insert-timestamp-only",
            Some(value),
            insert_field(&[("timestamp.field", "ts")]),
        ),
        plain(
            "insert-overwrites",
            Some(br#"{"t":1}"#),
            insert_field(&[("topic.field", "t")]),
        ),
        plain(
            "insert-static-without-value",
            Some(value),
            insert_field(&[("static.field", "src")]),
        ),
        plain("insert-nothing", Some(value), insert_field(&[])),
        plain(
            "insert-static-value-alone",
            Some(value),
            insert_field(&[("static.value", "v"), ("topic.field", "t")]),
        ),
        plain(
            "insert-into-array",
            Some(b"[1]"),
            insert_field(&[("topic.field", "t")]),
        ),
        plain(
            "insert-into-number",
            Some(b"5"),
            insert_field(&[("topic.field", "t")]),
        ),
        plain(
            "insert-tombstone",
            None,
            insert_field(&[("topic.field", "t")]),
        ),
    ];
    let mut no_ts = plain("insert-no-timestamp", Some(value), insert_field(&all));
    no_ts.timestamp = None;
    cases.push(no_ts);
    let mut no_ts = plain(
        "insert-no-timestamp-only",
        Some(value),
        insert_field(&[("timestamp.field", "ts")]),
    );
    no_ts.timestamp = None;
    cases.push(no_ts);

    cases.push(plain(
        "filter-without-predicate",
        Some(value),
        filter(None, false),
    ));
    cases.push(plain(
        "filter-tombstone-without-predicate",
        None,
        filter(None, false),
    ));
    for negate in [false, true] {
        for (topic, n) in [("orders", 0), ("audit", 1)] {
            let mut c = plain(
                &format!("filter-topic-{n}-negate-{negate}"),
                Some(value),
                filter(Some(("TopicNameMatches", &[("pattern", "ord.*")])), negate),
            );
            c.topic = topic.into();
            cases.push(c);
        }
        for (headers, n) in [
            (vec![("skip".to_string(), None)], 0),
            (vec![("other".to_string(), Some("x".to_string()))], 1),
        ] {
            let mut c = plain(
                &format!("filter-header-{n}-negate-{negate}"),
                Some(value),
                filter(Some(("HasHeaderKey", &[("name", "skip")])), negate),
            );
            c.headers = headers;
            cases.push(c);
        }
        for (input, n) in [(None, 0), (Some(&value[..]), 1)] {
            cases.push(plain(
                &format!("filter-tombstone-{n}-negate-{negate}"),
                input,
                filter(Some(("RecordIsTombstone", &[])), negate),
            ));
        }
    }
    cases
}

#[test]
fn json_converter_reads_every_schema_type_as_kafka_does() {
    check(&schema_cases());
}

#[test]
fn json_converter_reads_logical_types_as_kafka_does() {
    check(&logical_cases());
}

#[test]
fn json_converter_reads_schemas_and_nesting_as_kafka_does() {
    check(&structure_cases());
}

#[test]
fn json_converter_takes_and_refuses_whole_values_as_kafka_does() {
    check(&envelope_cases());
}

#[test]
fn string_and_bytearray_converters_match_kafka() {
    check(&string_and_bytes_cases());
}

#[test]
fn insert_field_and_filter_match_kafka_on_schemaless_values() {
    check(&transform_cases());
}
