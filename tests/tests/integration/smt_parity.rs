//! Kafka's single message transforms against Sluice's: the same records
//! (schemaless and schema'd JSON, read by `JsonConverter` on Kafka's side
//! and by the `json` plugin on Sluice's) go through Kafka's SMT classes (run
//! by `tests/kafka-oracle`, at the test broker's release) and through the
//! plugins Sluice maps those classes to (`sluice plugin test`, with
//! `--predicate` for the host's predicates). The whole record must come out
//! the same: topic, timestamp, key and value with their schemas, and the
//! headers' bytes; or both sides fail, or both drop it.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Value, json};
use sluice::connect::TRANSFORM_CLASSES;
use sluice_tests::{oracle, plugin, sluice};

use super::kafka_parity::{differ, differ_schema};

const JSON: &str = "org.apache.kafka.connect.json.JsonConverter";
const SMT: &str = "org.apache.kafka.connect.transforms.";
const PREDICATES: &str = "org.apache.kafka.connect.transforms.predicates.";

/// One SMT of a chain, with its predicate.
#[derive(Clone, Debug)]
struct Smt {
    class: String,
    config: Vec<(String, String)>,
    /// Predicate (short name) and its option value.
    predicate: Option<(&'static str, Option<&'static str>)>,
    negate: bool,
}

fn smt(class: &str, config: &[(&str, &str)]) -> Smt {
    Smt {
        class: format!("{SMT}{class}"),
        config: config
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        predicate: None,
        negate: false,
    }
}

impl Smt {
    fn when(mut self, predicate: &'static str, arg: Option<&'static str>, negate: bool) -> Smt {
        self.predicate = Some((predicate, arg));
        self.negate = negate;
        self
    }

    /// The plugin Sluice maps the class to (the table `sluice import` uses).
    fn plugin(&self) -> &'static str {
        TRANSFORM_CLASSES
            .iter()
            .find(|(c, ..)| *c == self.class)
            .map(|(_, p, _)| *p)
            .unwrap_or_else(|| panic!("{} is not mapped to a plugin", self.class))
    }

    fn kafka(&self) -> Value {
        let config: serde_json::Map<String, Value> = self
            .config
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect();
        let mut t = json!({"class": self.class, "config": config});
        if let Some((p, arg)) = self.predicate {
            let option = match p {
                "TopicNameMatches" => json!({"pattern": arg}),
                "HasHeaderKey" => json!({"name": arg}),
                _ => json!({}),
            };
            t["predicate"] = json!({"class": format!("{PREDICATES}{p}"), "config": option});
            t["negate"] = self.negate.into();
        }
        t
    }

    /// The arguments of `sluice plugin test` for this step.
    fn args(&self) -> Vec<String> {
        let mut a = vec!["-c".to_string(), format!("connect.class={}", self.class)];
        for (k, v) in &self.config {
            a.push("-c".into());
            a.push(format!("{k}={v}"));
        }
        if let Some((p, arg)) = self.predicate {
            a.push("--predicate".into());
            a.push(match arg {
                Some(v) => format!("{p}={v}"),
                None => p.to_string(),
            });
            if self.negate {
                a.push("--negate".into());
            }
        }
        a
    }
}

/// One record through a chain, on both sides.
#[derive(Clone, Debug)]
struct Case {
    id: String,
    /// `schemas.enable` of both converters.
    schemas: bool,
    key: Option<String>,
    value: Option<String>,
    topic: String,
    timestamp: Option<i64>,
    headers: Vec<(String, Option<String>)>,
    steps: Vec<Smt>,
    /// Numbers are compared as 32-bit floats: the case casts schemaless
    /// values to float32, which Java 17 prints with more digits than the
    /// float needs (JDK-4511638, fixed in JDK 19); Sluice writes the
    /// shortest digits, as Kafka does on JDK 19 and later.
    float32: bool,
    /// Connect's `header.converter` (default SimpleHeaderConverter), given
    /// to the transforms that write headers, as `sluice import` does.
    header_converter: Option<&'static str>,
}

fn case(id: &str, schemas: bool, value: Option<&str>, steps: Vec<Smt>) -> Case {
    Case {
        id: id.into(),
        schemas,
        key: None,
        value: value.map(String::from),
        topic: "orders-eu".into(),
        timestamp: Some(1_700_000_000_000),
        headers: Vec::new(),
        steps,
        float32: false,
        header_converter: None,
    }
}

impl Case {
    fn key(mut self, key: &str) -> Case {
        self.key = Some(key.into());
        self
    }

    fn topic(mut self, topic: &str) -> Case {
        self.topic = topic.into();
        self
    }

    fn timestamp(mut self, ts: Option<i64>) -> Case {
        self.timestamp = ts;
        self
    }

    fn header_converter(mut self, class: &'static str) -> Case {
        self.header_converter = Some(class);
        self
    }

    fn float32(mut self) -> Case {
        self.float32 = true;
        self
    }

    fn header(mut self, name: &str, value: Option<&str>) -> Case {
        self.headers.push((name.into(), value.map(String::from)));
        self
    }

    fn oracle_case(&self, offset: usize) -> Value {
        let b64 = |s: &Option<String>| {
            s.as_ref().map_or(Value::Null, |s| {
                base64::engine::general_purpose::STANDARD
                    .encode(s.as_bytes())
                    .into()
            })
        };
        let converter =
            json!({"class": JSON, "config": {"schemas.enable": self.schemas.to_string()}});
        let mut case = json!({
            "id": self.id,
            "key_converter": converter,
            "value_converter": converter,
            "record": {
                "topic": self.topic,
                "partition": 0,
                "offset": offset,
                "timestamp": self.timestamp,
                "key": b64(&self.key),
                "value": b64(&self.value),
                "headers": self.headers.iter().map(|(k, v)| json!([k, b64(v)])).collect::<Vec<_>>(),
            },
            "transforms": self.steps.iter().map(Smt::kafka).collect::<Vec<_>>(),
        });
        if let Some(c) = self.header_converter {
            // The worker configures a header converter with converter.type.
            case["header_converter"] = json!({"class": c, "config": {"converter.type": "header"}});
        }
        case
    }

    /// The input line of Sluice's first stage: raw bytes, as consumed.
    fn line(&self, offset: usize) -> Value {
        json!({
            "topic": self.topic,
            "offset": offset,
            "timestamp": self.timestamp,
            "headers": self.headers,
            "key": self.key,
            "value": self.value,
            "value_kind": "binary",
        })
    }
}

/// A record as it came out of one side.
#[derive(Clone, Debug, PartialEq)]
enum Out {
    Record {
        topic: String,
        timestamp: Option<i64>,
        /// (payload, schema) of the key and the value.
        key: (Value, Option<Value>),
        value: (Value, Option<Value>),
        headers: Vec<(String, Option<Vec<u8>>)>,
    },
    Dropped,
    Failed(String),
}

fn kafka_out(answer: &Value) -> Out {
    if let Some(e) = answer.get("error") {
        return Out::Failed(format!("{}: {}", e["stage"], e["message"]));
    }
    if answer.get("dropped").is_some() {
        return Out::Dropped;
    }
    let r = &answer["records"][0];
    let part = |v: &Value| {
        (
            v.get("payload").cloned().unwrap_or(Value::Null),
            v.get("schema").cloned().filter(|s| !s.is_null()),
        )
    };
    Out::Record {
        topic: r["topic"].as_str().unwrap_or_default().into(),
        timestamp: r["timestamp"].as_i64(),
        key: part(&r["key"]),
        value: part(&r["value"]),
        headers: r["header_bytes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|h| {
                (
                    h[0].as_str().unwrap_or_default().to_string(),
                    h[1].as_str().map(|b| {
                        base64::engine::general_purpose::STANDARD
                            .decode(b)
                            .expect("base64 header")
                    }),
                )
            })
            .collect(),
    }
}

fn sluice_out(r: &Value) -> Out {
    let part = |name: &str| {
        (
            r[name].clone(),
            r.get(format!("{name}_schema"))
                .cloned()
                .filter(|s| !s.is_null()),
        )
    };
    Out::Record {
        topic: r["topic"].as_str().unwrap_or_default().into(),
        timestamp: r["timestamp"].as_i64(),
        key: part("key"),
        value: part("value"),
        headers: r["headers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|h| {
                (
                    h[0].as_str().unwrap_or_default().to_string(),
                    h[1].as_str().map(|s| s.as_bytes().to_vec()),
                )
            })
            .collect(),
    }
}

/// `sluice plugin test` of `name` with `args` over `lines`: one outcome
/// each. A plugin that refuses its configuration fails every record (Kafka
/// refuses the config).
fn stage(name: &str, args: &[String], lines: &[Value]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.jsonl");
    let text: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(&input, text.join("\n")).unwrap();
    let out = sluice()
        .args(["plugin", "test"])
        .arg(plugin(name))
        .arg("-i")
        .arg(&input)
        .args(args)
        .output()
        .expect("run sluice plugin test");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && stderr.contains("rejected its configuration") {
        return lines
            .iter()
            .map(|_| json!({"outcome": "failed", "error": stderr}))
            .collect();
    }
    assert!(
        out.status.success(),
        "sluice plugin test {name} {args:?} failed:\n{stderr}"
    );
    let outcomes: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("an outcome line is JSON"))
        .collect();
    assert_eq!(outcomes.len(), lines.len(), "one outcome per record");
    outcomes
}

/// Runs every case through Sluice: the key and value converters, then each
/// step; cases with the same chain run in one call per stage.
fn run_sluice(cases: &[Case]) -> Vec<Out> {
    let mut results: Vec<Option<Out>> = cases.iter().map(|_| None).collect();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let args = |c: &Case, s: &Smt| {
        let mut a = s.args();
        if let Some(h) = c.header_converter
            && ["header-from", "insert-header", "extract-new-record-state"].contains(&s.plugin())
        {
            a.extend(["-c".to_string(), format!("header.converter={h}")]);
        }
        a
    };
    for (i, c) in cases.iter().enumerate() {
        let chain: Vec<Vec<String>> = c.steps.iter().map(|s| args(c, s)).collect();
        groups
            .entry(format!("{} {chain:?}", c.schemas))
            .or_default()
            .push(i);
    }
    for members in groups.values() {
        let first = &cases[members[0]];
        let schemas = format!("schemas.enable={}", first.schemas);
        let mut pending: Vec<(usize, Value)> =
            members.iter().map(|&i| (i, cases[i].line(i))).collect();
        let mut stages: Vec<(&str, Vec<String>)> = vec![
            (
                "json",
                vec!["-c".into(), schemas.clone(), "--part".into(), "key".into()],
            ),
            ("json", vec!["-c".into(), schemas]),
        ];
        stages.extend(first.steps.iter().map(|s| (s.plugin(), args(first, s))));
        for (name, args) in &stages {
            if pending.is_empty() {
                break;
            }
            let lines: Vec<Value> = pending.iter().map(|(_, l)| l.clone()).collect();
            let outcomes = stage(name, args, &lines);
            let mut next = Vec::new();
            for ((i, _), o) in pending.into_iter().zip(outcomes) {
                match o["outcome"].as_str() {
                    Some("kept") => {
                        let records = o["records"].as_array().expect("records");
                        assert_eq!(records.len(), 1, "{}: one record out", cases[i].id);
                        next.push((i, records[0].clone()));
                    }
                    Some("dropped") => results[i] = Some(Out::Dropped),
                    Some("failed") => results[i] = Some(Out::Failed(o["error"].to_string())),
                    other => panic!("outcome {other:?}: {o}"),
                }
            }
            pending = next;
        }
        for (i, line) in pending {
            results[i] = Some(sluice_out(&line));
        }
    }
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|| panic!("no outcome for {}", cases[i].id)))
        .collect()
}

/// Every number of `v` rounded to a 32-bit float.
fn as_float32(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or_default() as f32;
            *v = json!(f64::from(f));
        }
        Value::Array(a) => a.iter_mut().for_each(as_float32),
        Value::Object(o) => o.values_mut().for_each(as_float32),
        _ => {}
    }
}

/// Why Sluice's result is not Kafka's, if it is not.
fn verdict(kafka: &Out, ours: &Out) -> Option<String> {
    match (kafka, ours) {
        (Out::Failed(_), Out::Failed(_)) | (Out::Dropped, Out::Dropped) => None,
        (
            Out::Record {
                topic: kt,
                timestamp: kts,
                key: kk,
                value: kv,
                headers: kh,
            },
            Out::Record {
                topic: ot,
                timestamp: ots,
                key: ok,
                value: ov,
                headers: oh,
            },
        ) => {
            if kt != ot {
                return Some(format!("topic: Kafka {kt}, Sluice {ot}"));
            }
            if kts != ots {
                return Some(format!("timestamp: Kafka {kts:?}, Sluice {ots:?}"));
            }
            for (name, (kp, ks), (op, os)) in [("key", kk, ok), ("value", kv, ov)] {
                if let Some(d) = differ(ks.as_ref(), kp, op, name) {
                    return Some(d);
                }
                if let Some(d) = differ_schema(ks.as_ref(), os.as_ref()) {
                    return Some(format!("{name} {d}"));
                }
            }
            (kh != oh).then(|| format!("headers: Kafka {kh:?}, Sluice {oh:?}"))
        }
        (k, o) => Some(format!("Kafka {k:?}, Sluice {o:?}")),
    }
}

/// Runs `cases` on both sides; fails listing every case that differs.
fn check(cases: &[Case]) {
    let ids: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), cases.len(), "case ids are unique");
    let answers = oracle::run(
        &cases
            .iter()
            .enumerate()
            .map(|(i, c)| c.oracle_case(i))
            .collect::<Vec<_>>(),
    );
    let ours = run_sluice(cases);
    let mut failures = Vec::new();
    let (mut kept, mut failed) = (0, 0);
    for ((case, answer), ours) in cases.iter().zip(&answers).zip(&ours) {
        let mut kafka = kafka_out(answer);
        let mut ours = ours.clone();
        if case.float32 && verdict(&kafka, &ours).is_none() {
            failures.push(format!(
                "{}: compared as float32, but Kafka's digits and Sluice's agree: drop .float32()",
                case.id
            ));
        }
        if case.float32 {
            for out in [&mut kafka, &mut ours] {
                if let Out::Record { value, .. } = out {
                    as_float32(&mut value.0);
                }
            }
        }
        match &kafka {
            Out::Failed(_) => failed += 1,
            _ => kept += 1,
        }
        if let Some(why) = verdict(&kafka, &ours) {
            failures.push(format!(
                "{}: {why}\n    Kafka  {kafka:?}\n    Sluice {ours:?}",
                case.id
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
    eprintln!(
        "{} cases agree with Kafka: {kept} records out, {failed} failures",
        cases.len()
    );
}

/// A schema'd value: `JsonConverter`'s envelope.
fn env(schema: &Value, payload: Value) -> String {
    json!({"schema": schema, "payload": payload}).to_string()
}

fn order_schema() -> Value {
    json!({
        "type": "struct", "name": "shop.Order", "version": 3, "optional": false,
        "fields": [
            {"field": "id", "type": "int64", "optional": false},
            {"field": "name", "type": "string", "optional": true},
            {"field": "price", "type": "double", "optional": true, "default": 1.5},
            {"field": "flag", "type": "boolean", "optional": true},
            {"field": "tags", "type": "array", "items": {"type": "string", "optional": false}, "optional": true},
            {"field": "address", "type": "struct", "optional": true, "fields": [
                {"field": "city", "type": "string", "optional": true},
                {"field": "zip", "type": "int32", "optional": true, "default": 1000}
            ]}
        ]
    })
}

fn order(id: i64) -> String {
    env(
        &order_schema(),
        json!({"id": id, "name": "tea", "price": null, "flag": true, "tags": ["a"],
               "address": {"city": "Lyon", "zip": 69001}}),
    )
}

fn order_without_address() -> String {
    env(
        &order_schema(),
        json!({"id": 2, "name": null, "price": 9.5, "flag": false, "tags": null, "address": null}),
    )
}

const PLAIN: &str = r#"{"id":1,"name":"tea","price":2.5,"flag":true,"tags":["a","b"],"address":{"city":"Lyon","zip":69001}}"#;

fn field_cases() -> Vec<Case> {
    let s = true;
    let extract = |field: &str| smt("ExtractField$Value", &[("field", field)]);
    let extract_v2 = |field: &str| {
        smt(
            "ExtractField$Value",
            &[("field", field), ("field.syntax.version", "V2")],
        )
    };
    vec![
        case(
            "extract: a field of a map",
            false,
            Some(PLAIN),
            vec![extract("name")],
        ),
        case(
            "extract: a nested map",
            false,
            Some(PLAIN),
            vec![extract("address")],
        ),
        case(
            "extract: a missing key gives null",
            false,
            Some(PLAIN),
            vec![extract("nope")],
        ),
        case(
            "extract: a tombstone stays null",
            false,
            None,
            vec![extract("id")],
        ),
        case(
            "extract: not a map",
            false,
            Some(r#""text""#),
            vec![extract("id")],
        ),
        case(
            "extract: a struct field",
            s,
            Some(&order(1)),
            vec![extract("name")],
        ),
        case(
            "extract: a nested struct",
            s,
            Some(&order(1)),
            vec![extract("address")],
        ),
        case(
            "extract: a null field takes its default",
            s,
            Some(&order(1)),
            vec![extract("price")],
        ),
        case(
            "extract: without defaults",
            s,
            Some(&order(1)),
            vec![smt(
                "ExtractField$Value",
                &[("field", "price"), ("replace.null.with.default", "false")],
            )],
        ),
        case(
            "extract: an unknown struct field fails",
            s,
            Some(&order(1)),
            vec![extract("nope")],
        ),
        case(
            "extract: V2 steps into a map",
            false,
            Some(PLAIN),
            vec![extract_v2("address.city")],
        ),
        case(
            "extract: V2 steps into a struct",
            s,
            Some(&order(1)),
            vec![extract_v2("address.zip")],
        ),
        case(
            "extract: V2 into a null struct",
            s,
            Some(&order_without_address()),
            vec![extract_v2("address.city")],
        ),
        case(
            "extract: V1 takes dots literally",
            false,
            Some(r#"{"a.b":1,"a":{"b":2}}"#),
            vec![extract("a.b")],
        ),
        case(
            "extract: the key",
            false,
            Some(PLAIN),
            vec![smt("ExtractField$Key", &[("field", "id")])],
        )
        .key(r#"{"id":7,"region":"eu"}"#),
        case(
            "hoist: a map",
            false,
            Some(PLAIN),
            vec![smt("HoistField$Value", &[("field", "order")])],
        ),
        case(
            "hoist: a string",
            false,
            Some(r#""x""#),
            vec![smt("HoistField$Value", &[("field", "v")])],
        ),
        case(
            "hoist: a tombstone",
            false,
            None,
            vec![smt("HoistField$Value", &[("field", "v")])],
        ),
        case(
            "hoist: a struct",
            s,
            Some(&order(1)),
            vec![smt("HoistField$Value", &[("field", "order")])],
        ),
        case(
            "hoist: the key",
            s,
            Some(&order(1)),
            vec![smt("HoistField$Key", &[("field", "k")])],
        )
        .key(&env(&json!({"type": "int64", "optional": false}), json!(7))),
        case(
            "value to key: a map",
            false,
            Some(PLAIN),
            vec![smt("ValueToKey", &[("fields", "id,name")])],
        ),
        case(
            "value to key: a missing field",
            false,
            Some(PLAIN),
            vec![smt("ValueToKey", &[("fields", "id,nope")])],
        ),
        case(
            "value to key: a struct",
            s,
            Some(&order(1)),
            vec![smt("ValueToKey", &[("fields", "id,price")])],
        ),
        case(
            "value to key: an unknown struct field",
            s,
            Some(&order(1)),
            vec![smt("ValueToKey", &[("fields", "id,nope")])],
        ),
        case(
            "value to key: a tombstone",
            false,
            None,
            vec![smt("ValueToKey", &[("fields", "id")])],
        ),
    ]
}

fn replace_and_mask_cases() -> Vec<Case> {
    let s = true;
    let replace = |k: &str, v: &str| smt("ReplaceField$Value", &[(k, v)]);
    let mask = |config: &[(&str, &str)]| smt("MaskField$Value", config);
    vec![
        case(
            "replace: exclude",
            false,
            Some(PLAIN),
            vec![replace("exclude", "name,tags")],
        ),
        case(
            "replace: include",
            false,
            Some(PLAIN),
            vec![replace("include", "id,price,nope")],
        ),
        case(
            "replace: renames",
            false,
            Some(PLAIN),
            vec![replace("renames", "id:order_id,name:title")],
        ),
        case(
            "replace: exclude wins over include",
            false,
            Some(PLAIN),
            vec![smt(
                "ReplaceField$Value",
                &[("include", "id,name"), ("exclude", "name")],
            )],
        ),
        case(
            "replace: a tombstone",
            false,
            None,
            vec![replace("exclude", "id")],
        ),
        case(
            "replace: not a map",
            false,
            Some("[1,2]"),
            vec![replace("exclude", "id")],
        ),
        case(
            "replace: struct exclude",
            s,
            Some(&order(1)),
            vec![replace("exclude", "address,tags")],
        ),
        case(
            "replace: struct include",
            s,
            Some(&order(1)),
            vec![replace("include", "price,id")],
        ),
        case(
            "replace: struct renames keep the schema's name",
            s,
            Some(&order(1)),
            vec![replace("renames", "id:order_id,address:where")],
        ),
        case(
            "replace: a bad rename",
            false,
            Some(PLAIN),
            vec![replace("renames", "id")],
        ),
        case(
            "replace: the key",
            false,
            Some(PLAIN),
            vec![smt("ReplaceField$Key", &[("exclude", "region")])],
        )
        .key(r#"{"id":7,"region":"eu"}"#),
        case(
            "mask: every type of a map",
            false,
            Some(PLAIN),
            vec![mask(&[("fields", "id,name,price,flag,tags,address,nope")])],
        ),
        case(
            "mask: a replacement for numbers and strings",
            false,
            Some(PLAIN),
            vec![mask(&[("fields", "id,name,price"), ("replacement", "42")])],
        ),
        case(
            "mask: a replacement that is not a number",
            false,
            Some(PLAIN),
            vec![mask(&[("fields", "id"), ("replacement", "x")])],
        ),
        case(
            "mask: a replacement for a boolean",
            false,
            Some(PLAIN),
            vec![mask(&[("fields", "flag"), ("replacement", "x")])],
        ),
        case(
            "mask: struct fields",
            s,
            Some(&order(1)),
            vec![mask(&[("fields", "id,name,flag,tags")])],
        ),
        case(
            "mask: a struct field that is a struct",
            s,
            Some(&order(1)),
            vec![mask(&[("fields", "address")])],
        ),
        case(
            "mask: struct fields with a replacement",
            s,
            Some(&order_without_address()),
            vec![mask(&[("fields", "id,price,name"), ("replacement", "9")])],
        ),
        case(
            "mask: a tombstone",
            false,
            None,
            vec![mask(&[("fields", "id")])],
        ),
    ]
}

fn shape_cases() -> Vec<Case> {
    let s = true;
    let meta = |config: &[(&str, &str)]| smt("SetSchemaMetadata$Value", config);
    let map_schema = json!({"type": "struct", "optional": false, "fields": [
        {"field": "m", "type": "map", "keys": {"type": "string", "optional": false},
         "values": {"type": "int32", "optional": false}, "optional": false}
    ]});
    vec![
        case(
            "flatten: a map",
            false,
            Some(PLAIN),
            vec![smt("Flatten$Value", &[])],
        ),
        case(
            "flatten: a delimiter",
            false,
            Some(r#"{"a":{"b":{"c":1},"d":null},"e":[{"f":1}]}"#),
            vec![smt("Flatten$Value", &[("delimiter", "_")])],
        ),
        case(
            "flatten: a struct",
            s,
            Some(&order(1)),
            vec![smt("Flatten$Value", &[])],
        ),
        case(
            "flatten: a null nested struct",
            s,
            Some(&order_without_address()),
            vec![smt("Flatten$Value", &[("delimiter", "__")])],
        ),
        case(
            "flatten: a map in a struct",
            s,
            Some(&env(&map_schema, json!({"m": {"a": 1}}))),
            vec![smt("Flatten$Value", &[])],
        ),
        case(
            "flatten: a tombstone",
            false,
            None,
            vec![smt("Flatten$Value", &[])],
        ),
        case(
            "flatten: the key",
            false,
            Some(PLAIN),
            vec![smt("Flatten$Key", &[])],
        )
        .key(r#"{"id":{"n":7}}"#),
        case(
            "schema metadata: name and version",
            s,
            Some(&order(1)),
            vec![meta(&[
                ("schema.name", "shop.v2.Order"),
                ("schema.version", "7"),
            ])],
        ),
        case(
            "schema metadata: name of a primitive",
            s,
            Some(&env(
                &json!({"type": "string", "optional": true}),
                json!("x"),
            )),
            vec![meta(&[("schema.name", "shop.Text")])],
        ),
        case(
            "schema metadata: version only, defaults applied",
            s,
            Some(&order(1)),
            vec![meta(&[("schema.version", "4")])],
        ),
        case(
            "schema metadata: schemaless fails",
            false,
            Some(PLAIN),
            vec![meta(&[("schema.name", "x")])],
        ),
        case(
            "schema metadata: a schemaless null",
            false,
            None,
            vec![meta(&[("schema.name", "x")])],
        ),
        case(
            "schema metadata: the key",
            s,
            Some(&order(1)),
            vec![smt("SetSchemaMetadata$Key", &[("schema.name", "shop.Key")])],
        )
        .key(&env(&json!({"type": "int64", "optional": false}), json!(7))),
    ]
}

fn routing_cases() -> Vec<Case> {
    let regex = |r: &str, to: &str| smt("RegexRouter", &[("regex", r), ("replacement", to)]);
    vec![
        case(
            "regex router: groups",
            false,
            Some(PLAIN),
            vec![regex("orders-(.*)", "$1.orders")],
        ),
        case(
            "regex router: no match",
            false,
            Some(PLAIN),
            vec![regex("payments-(.*)", "x")],
        ),
        case(
            "regex router: the whole name must match",
            false,
            Some(PLAIN),
            vec![regex("orders", "x")],
        ),
        case(
            "regex router: a literal dollar",
            false,
            Some(PLAIN),
            vec![regex("(.*)", "\\$$1")],
        ),
        case(
            "regex router: an unknown group",
            false,
            Some(PLAIN),
            vec![regex("(.*)", "$2")],
        ),
        case(
            "regex router: a tombstone",
            false,
            None,
            vec![regex("(.*)-eu", "$1")],
        ),
        case(
            "timestamp router: the defaults",
            false,
            Some(PLAIN),
            vec![smt("TimestampRouter", &[])],
        ),
        case(
            "timestamp router: a format",
            false,
            Some(PLAIN),
            vec![smt(
                "TimestampRouter",
                &[
                    ("topic.format", "${timestamp}/${topic}/${topic}"),
                    ("timestamp.format", "yyyy-MM-dd'T'HH'h' EEE MMM"),
                ],
            )],
        ),
        case(
            "timestamp router: before 1970",
            false,
            Some(PLAIN),
            vec![smt(
                "TimestampRouter",
                &[("timestamp.format", "yyyy-MM-dd HH:mm:ss.SSS")],
            )],
        )
        .timestamp(Some(-86_399_999)),
        case(
            "timestamp router: no timestamp",
            false,
            Some(PLAIN),
            vec![smt("TimestampRouter", &[])],
        )
        .timestamp(None),
        case(
            "drop headers",
            false,
            Some(PLAIN),
            vec![smt("DropHeaders", &[("headers", "a,c")])],
        )
        .header("a", Some("1"))
        .header("b", Some("2"))
        .header("a", Some("3"))
        .header("c", None),
        case(
            "drop headers: none there",
            false,
            Some(PLAIN),
            vec![smt("DropHeaders", &[("headers", "x")])],
        )
        .header("a", Some("1")),
    ]
}

fn predicate_cases() -> Vec<Case> {
    let extract = || smt("ExtractField$Value", &[("field", "name")]);
    let route = || smt("RegexRouter", &[("regex", "(.*)"), ("replacement", "$1-x")]);
    vec![
        case(
            "predicate: topic matches",
            false,
            Some(PLAIN),
            vec![extract().when("TopicNameMatches", Some("orders-.*"), false)],
        ),
        case(
            "predicate: topic does not match",
            false,
            Some(PLAIN),
            vec![extract().when("TopicNameMatches", Some("orders-.*"), false)],
        )
        .topic("payments"),
        case(
            "predicate: negated topic",
            false,
            Some(PLAIN),
            vec![route().when("TopicNameMatches", Some("orders"), true)],
        ),
        case(
            "predicate: has a header",
            false,
            Some(PLAIN),
            vec![route().when("HasHeaderKey", Some("trace"), false)],
        )
        .header("trace", None),
        case(
            "predicate: has no header",
            false,
            Some(PLAIN),
            vec![route().when("HasHeaderKey", Some("trace"), false)],
        )
        .header("other", Some("1")),
        case(
            "predicate: not a tombstone",
            false,
            None,
            vec![extract().when("RecordIsTombstone", None, true)],
        ),
        case(
            "predicate: a value, negated tombstone",
            false,
            Some(PLAIN),
            vec![extract().when("RecordIsTombstone", None, true)],
        ),
        case(
            "chain: extract, route by time, replace",
            false,
            Some(r#"{"after":{"id":1,"name":"tea","secret":"s"},"op":"c"}"#),
            vec![
                smt("ExtractField$Value", &[("field", "after")]),
                smt(
                    "TimestampRouter",
                    &[("topic.format", "${topic}-${timestamp}")],
                ),
                smt(
                    "ReplaceField$Value",
                    &[("exclude", "secret"), ("renames", "name:title")],
                ),
                smt("DropHeaders", &[("headers", "trace")]),
            ],
        )
        .header("trace", Some("t1")),
        case(
            "chain: schema'd extract, flatten, value to key",
            true,
            Some(&env(
                &json!({"type": "struct", "optional": false, "fields": [
                    {"field": "after", "type": "struct", "optional": true, "fields": [
                        {"field": "id", "type": "int32", "optional": false},
                        {"field": "where", "type": "struct", "optional": true, "fields": [
                            {"field": "city", "type": "string", "optional": true}]}]}]}),
                json!({"after": {"id": 5, "where": {"city": "Oslo"}}}),
            )),
            vec![
                smt("ExtractField$Value", &[("field", "after")]),
                smt("Flatten$Value", &[("delimiter", "_")]),
                smt("ValueToKey", &[("fields", "id,where_city")]),
            ],
        ),
    ]
}

fn cast_cases() -> Vec<Case> {
    let s = true;
    let cast = |spec: &str| smt("Cast$Value", &[("spec", spec)]);
    let typed = json!({"type": "struct", "optional": false, "fields": [
        {"field": "i8", "type": "int8", "optional": false},
        {"field": "i64", "type": "int64", "optional": true, "default": 7},
        {"field": "f32", "type": "float", "optional": false},
        {"field": "f64", "type": "double", "optional": false},
        {"field": "b", "type": "boolean", "optional": false},
        {"field": "s", "type": "string", "optional": true},
        {"field": "raw", "type": "bytes", "optional": true},
        {"field": "ts", "type": "int64", "name": "org.apache.kafka.connect.data.Timestamp", "version": 1, "optional": true},
        {"field": "day", "type": "int32", "name": "org.apache.kafka.connect.data.Date", "version": 1, "optional": true},
        {"field": "price", "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
         "parameters": {"scale": "2"}, "optional": true}
    ]});
    let row = env(
        &typed,
        json!({"i8": -5, "i64": null, "f32": 1.5, "f64": 12345678.25, "b": true, "s": "42",
               "raw": "aGk=", "ts": 1_700_000_000_123i64, "day": 19_000, "price": "MDk="}),
    );
    let numbers =
        r#"{"n":300,"big":12345678901,"neg":-1.9,"tiny":0.0001,"t":"17","word":"TRUE","f":false}"#;
    let mut out = Vec::new();
    for target in [
        "int8", "int16", "int32", "int64", "float32", "float64", "boolean", "string",
    ] {
        out.push(case(
            &format!("cast: schemaless numbers to {target}"),
            false,
            Some(numbers),
            vec![cast(&format!(
                "n:{target},big:{target},neg:{target},tiny:{target},f:{target}"
            ))],
        ));
        if target == "float32" {
            let last = out.pop().unwrap().float32();
            out.push(last);
        }
        out.push(case(
            &format!("cast: struct fields to {target}"),
            s,
            Some(&row),
            vec![cast(&format!("i8:{target},i64:{target},f32:{target},f64:{target},b:{target},ts:{target},day:{target},price:{target}"))],
        ));
    }
    out.extend([
        case(
            "cast: text to numbers",
            false,
            Some(numbers),
            vec![cast("t:int8,word:boolean")],
        ),
        case(
            "cast: text out of range",
            false,
            Some(r#"{"t":"300"}"#),
            vec![cast("t:int8")],
        ),
        case(
            "cast: text that is no number",
            false,
            Some(r#"{"t":"x"}"#),
            vec![cast("t:int32")],
        ),
        case(
            "cast: text to a double",
            false,
            Some(r#"{"t":" 1e3 "}"#),
            vec![cast("t:float64")],
        ),
        case(
            "cast: bytes to a string",
            s,
            Some(&row),
            vec![cast("raw:string,s:int32")],
        ),
        case(
            "cast: bytes to a number",
            s,
            Some(&row),
            vec![cast("raw:int32")],
        ),
        case(
            "cast: a missing map key",
            false,
            Some(numbers),
            vec![cast("nope:string")],
        ),
        case(
            "cast: a map field",
            false,
            Some(PLAIN),
            vec![cast("address:string")],
        ),
        case(
            "cast: the whole value",
            false,
            Some("12.75"),
            vec![cast("int16")],
        ),
        case(
            "cast: the whole schema'd value keeps its name",
            s,
            Some(&env(
                &json!({"type": "int64", "name": "x.Id", "optional": true}),
                json!(9),
            )),
            vec![cast("string")],
        ),
        case("cast: a tombstone", false, None, vec![cast("int8")]),
        case(
            "cast: to bytes is refused",
            false,
            Some(numbers),
            vec![cast("n:bytes")],
        ),
        case(
            "cast: an unknown type",
            false,
            Some(numbers),
            vec![cast("n:int128")],
        ),
        case(
            "cast: the key",
            false,
            Some(PLAIN),
            vec![smt("Cast$Key", &[("spec", "id:string")])],
        )
        .key(r#"{"id":7}"#),
    ]);
    out
}

fn timestamp_converter_cases() -> Vec<Case> {
    let s = true;
    let conv = |config: &[(&str, &str)]| smt("TimestampConverter$Value", config);
    let typed = json!({"type": "struct", "name": "x.Event", "optional": false, "fields": [
        {"field": "ts", "type": "int64", "name": "org.apache.kafka.connect.data.Timestamp", "version": 1, "optional": true},
        {"field": "day", "type": "int32", "name": "org.apache.kafka.connect.data.Date", "version": 1, "optional": false},
        {"field": "at", "type": "int32", "name": "org.apache.kafka.connect.data.Time", "version": 1, "optional": false},
        {"field": "unix", "type": "int64", "optional": false},
        {"field": "text", "type": "string", "optional": true},
        {"field": "n", "type": "int32", "optional": false}
    ]});
    let row = |ts: Value| {
        env(
            &typed,
            json!({"ts": ts, "day": 19_675, "at": 45_296_789, "unix": -1_234_567,
                   "text": "2024-02-29 13:45:00.250", "n": 1}),
        )
    };
    let fmt = "yyyy-MM-dd HH:mm:ss.SSS";
    let mut out = Vec::new();
    for target in ["string", "unix", "Date", "Time", "Timestamp"] {
        for field in ["ts", "day", "at", "unix", "text"] {
            out.push(case(
                &format!("timestamp converter: {field} to {target}"),
                s,
                Some(&row(json!(1_700_000_000_123i64))),
                vec![conv(&[
                    ("field", field),
                    ("target.type", target),
                    ("format", fmt),
                ])],
            ));
        }
    }
    for precision in ["seconds", "microseconds", "nanoseconds"] {
        out.push(case(
            &format!("timestamp converter: unix in {precision}"),
            s,
            Some(&row(Value::Null)),
            vec![conv(&[
                ("field", "unix"),
                ("target.type", "Timestamp"),
                ("unix.precision", precision),
            ])],
        ));
        out.push(case(
            &format!("timestamp converter: to unix in {precision}"),
            s,
            Some(&row(json!(-1_500i64))),
            vec![conv(&[
                ("field", "ts"),
                ("target.type", "unix"),
                ("unix.precision", precision),
            ])],
        ));
    }
    let schemaless = r#"{"ms":1700000000123,"text":"14/11/2023 22:13","word":"x","f":1.5}"#;
    out.extend([
        case(
            "timestamp converter: a null field",
            s,
            Some(&row(Value::Null)),
            vec![conv(&[
                ("field", "ts"),
                ("target.type", "string"),
                ("format", fmt),
            ])],
        ),
        case(
            "timestamp converter: a field that is no timestamp",
            s,
            Some(&row(Value::Null)),
            vec![conv(&[("field", "n"), ("target.type", "unix")])],
        ),
        case(
            "timestamp converter: schemaless unix to string",
            false,
            Some(schemaless),
            vec![conv(&[
                ("field", "ms"),
                ("target.type", "string"),
                ("format", "EEE, d MMM yyyy HH:mm:ss Z"),
            ])],
        ),
        case(
            "timestamp converter: schemaless string to unix",
            false,
            Some(schemaless),
            vec![conv(&[
                ("field", "text"),
                ("target.type", "unix"),
                ("format", "dd/MM/yyyy HH:mm"),
            ])],
        ),
        case(
            "timestamp converter: text that does not parse",
            false,
            Some(schemaless),
            vec![conv(&[
                ("field", "word"),
                ("target.type", "unix"),
                ("format", "yyyy"),
            ])],
        ),
        case(
            "timestamp converter: a double",
            false,
            Some(schemaless),
            vec![conv(&[("field", "f"), ("target.type", "unix")])],
        ),
        case(
            "timestamp converter: the whole value",
            false,
            Some("1700000000123"),
            vec![conv(&[
                ("target.type", "string"),
                ("format", "yyyyMMdd'T'HHmmss"),
            ])],
        ),
        case(
            "timestamp converter: the whole schema'd value",
            s,
            Some(&env(
                &json!({"type": "string", "optional": true}),
                json!("2024-02-30 00:00:00.000"),
            )),
            vec![conv(&[("target.type", "Timestamp"), ("format", fmt)])],
        ),
        case(
            "timestamp converter: a tombstone",
            false,
            None,
            vec![conv(&[("target.type", "unix")])],
        ),
        case(
            "timestamp converter: string without format",
            false,
            Some(schemaless),
            vec![conv(&[("field", "ms"), ("target.type", "string")])],
        ),
        case(
            "timestamp converter: the key",
            false,
            Some(PLAIN),
            vec![smt(
                "TimestampConverter$Key",
                &[
                    ("field", "at"),
                    ("target.type", "string"),
                    ("format", "HH:mm"),
                ],
            )],
        )
        .key(r#"{"at":3600000}"#),
    ]);
    out
}

fn insert_field_cases() -> Vec<Case> {
    let s = true;
    let all = [
        ("topic.field", "t"),
        ("partition.field", "p!"),
        ("offset.field", "o?"),
        ("timestamp.field", "ts"),
        ("static.field", "origin"),
        ("static.value", "sluice"),
    ];
    let insert = |config: &[(&str, &str)]| smt("InsertField$Value", config);
    vec![
        case(
            "insert: every field into a map",
            false,
            Some(PLAIN),
            vec![insert(&all)],
        ),
        case(
            "insert: every field into a struct",
            s,
            Some(&order(1)),
            vec![insert(&all)],
        ),
        case(
            "insert: no timestamp, schemaless",
            false,
            Some(PLAIN),
            vec![insert(&all)],
        )
        .timestamp(None),
        case(
            "insert: no timestamp, optional in a struct",
            s,
            Some(&order(1)),
            vec![insert(&[("timestamp.field", "ts")])],
        )
        .timestamp(None),
        case(
            "insert: a field the struct has",
            s,
            Some(&order(1)),
            vec![insert(&[("topic.field", "name")])],
        ),
        case(
            "insert: a field the map has",
            false,
            Some(PLAIN),
            vec![insert(&[("topic.field", "name")])],
        ),
        case(
            "insert: a struct's defaults apply",
            s,
            Some(&order_without_address()),
            vec![insert(&[
                ("static.field", "s"),
                ("static.value", "v"),
                ("replace.null.with.default", "false"),
            ])],
        ),
        case("insert: a tombstone", false, None, vec![insert(&all)]),
        case("insert: not a map", false, Some("[1]"), vec![insert(&all)]),
        case(
            "insert: the key",
            false,
            Some(PLAIN),
            vec![smt("InsertField$Key", &[("topic.field", "t")])],
        )
        .key(r#"{"id":7}"#),
        case(
            "insert: a schema'd key",
            s,
            Some(&order(1)),
            vec![smt("InsertField$Key", &[("offset.field", "at!")])],
        )
        .key(&env(
            &json!({"type": "struct", "optional": false, "fields": [
            {"field": "id", "type": "int64", "optional": false}]}),
            json!({"id": 7}),
        )),
    ]
}

fn header_cases() -> Vec<Case> {
    let s = true;
    const STRING: &str = "org.apache.kafka.connect.storage.StringConverter";
    let from = |fields: &str, headers: &str, op: &str| {
        smt(
            "HeaderFrom$Value",
            &[("fields", fields), ("headers", headers), ("operation", op)],
        )
    };
    let insert = |literal: &str| {
        smt(
            "InsertHeader",
            &[("header", "h"), ("value.literal", literal)],
        )
    };
    let mut out = vec![
        case(
            "header from: copy scalars",
            false,
            Some(PLAIN),
            vec![from("id,name,price,flag", "a,b,c,d", "copy")],
        ),
        case(
            "header from: move",
            false,
            Some(PLAIN),
            vec![from("id,name", "a,b", "move")],
        ),
        case(
            "header from: a list",
            false,
            Some(PLAIN),
            vec![from("tags", "t", "copy")],
        ),
        case(
            "header from: a missing field",
            false,
            Some(PLAIN),
            vec![from("nope", "n", "copy")],
        ),
        case(
            "header from: a struct's fields",
            s,
            Some(&order(1)),
            vec![from("id,name,price,tags,address", "a,b,c,d,e", "copy")],
        ),
        case(
            "header from: move out of a struct",
            s,
            Some(&order(1)),
            vec![from("address,tags", "a,t", "move")],
        ),
        case(
            "header from: an unknown struct field",
            s,
            Some(&order(1)),
            vec![from("nope", "n", "copy")],
        ),
        case(
            "header from: a tombstone",
            false,
            None,
            vec![from("id", "a", "copy")],
        ),
        case(
            "header from: fewer headers than fields",
            false,
            Some(PLAIN),
            vec![from("id,name", "a", "copy")],
        ),
        case(
            "header from: the key",
            false,
            Some(PLAIN),
            vec![smt(
                "HeaderFrom$Key",
                &[("fields", "id"), ("headers", "k"), ("operation", "move")],
            )],
        )
        .key(r#"{"id":7,"region":"eu"}"#),
        case(
            "header from: StringConverter writes scalars and lists",
            false,
            Some(PLAIN),
            vec![from("id,name,price,tags", "a,b,c,d", "copy")],
        )
        .header_converter(STRING),
        case(
            "header from: StringConverter writes structs",
            s,
            Some(&order(1)),
            vec![from("address,tags,price", "a,t,p", "copy")],
        )
        .header_converter(STRING),
    ];
    for literal in [
        "42",
        "007",
        "-3",
        "+5",
        "1.50",
        "0.1",
        "1e3",
        "3.4e39",
        "12345678901234567890123",
        "true",
        " false ",
        "hello world",
        "null",
        "x y 1",
    ] {
        out.push(
            case(
                &format!("insert header: {literal:?}"),
                false,
                Some(PLAIN),
                vec![insert(literal)],
            )
            .header("h", Some("before")),
        );
    }
    out.push(
        case(
            "insert header: with StringConverter",
            false,
            Some(PLAIN),
            vec![insert("1.50")],
        )
        .header_converter(STRING),
    );
    out
}

const UNWRAP: &str = "io.debezium.transforms.ExtractNewRecordState";

/// Debezium's `ExtractNewRecordState` with `config`.
fn unwrap(config: &[(&str, &str)]) -> Smt {
    Smt {
        class: UNWRAP.into(),
        ..smt("", config)
    }
}

/// A row of the `customers` table as Debezium's MySQL connector describes
/// it: a required key column, a column with a default, a double.
fn row_schema() -> Value {
    json!({
        "type": "struct", "name": "dbserver1.inventory.customers.Value", "optional": true,
        "fields": [
            {"field": "id", "type": "int32", "optional": false},
            {"field": "email", "type": "string", "optional": true},
            {"field": "name", "type": "string", "optional": true, "default": "anon"},
            {"field": "score", "type": "double", "optional": true},
            {"field": "region", "type": "string", "optional": true}
        ]
    })
}

/// Debezium's change event envelope for `customers`.
fn envelope_schema() -> Value {
    json!({
        "type": "struct", "name": "dbserver1.inventory.customers.Envelope", "version": 2, "optional": false,
        "fields": [
            {"field": "before", "type": "struct", "name": "dbserver1.inventory.customers.Value", "optional": true,
             "fields": row_schema()["fields"]},
            {"field": "after", "type": "struct", "name": "dbserver1.inventory.customers.Value", "optional": true,
             "fields": row_schema()["fields"]},
            {"field": "source", "type": "struct", "name": "io.debezium.connector.mysql.Source", "version": 1, "optional": false,
             "fields": [
                {"field": "version", "type": "string", "optional": false},
                {"field": "connector", "type": "string", "optional": false},
                {"field": "name", "type": "string", "optional": false},
                {"field": "ts_ms", "type": "int64", "optional": false},
                {"field": "snapshot", "type": "string", "optional": true, "name": "io.debezium.data.Enum",
                 "version": 1, "parameters": {"allowed": "true,first,last,false"}, "default": "false"},
                {"field": "db", "type": "string", "optional": false},
                {"field": "table", "type": "string", "optional": true},
                {"field": "pos", "type": "int64", "optional": false}
             ]},
            {"field": "transaction", "type": "struct", "name": "event.block", "version": 1, "optional": true,
             "fields": [
                {"field": "id", "type": "string", "optional": false},
                {"field": "total_order", "type": "int64", "optional": false},
                {"field": "data_collection_order", "type": "int64", "optional": false}
             ]},
            {"field": "op", "type": "string", "optional": false},
            {"field": "ts_ms", "type": "int64", "optional": true}
        ]
    })
}

fn customer(id: i64, email: Option<&str>) -> Value {
    json!({"id": id, "email": email, "name": null, "score": 2.5, "region": "eu-west"})
}

/// A change event: `op` with its before and after rows.
fn change(op: &str, before: Value, after: Value) -> String {
    env(
        &envelope_schema(),
        json!({
            "before": before, "after": after,
            "source": {"version": "3.4.3.Final", "connector": "mysql", "name": "dbserver1",
                       "ts_ms": 1_700_000_000_123_i64, "snapshot": null, "db": "inventory",
                       "table": "customers", "pos": 154},
            "transaction": null,
            "op": op, "ts_ms": 1_700_000_000_456_i64
        }),
    )
}

fn created() -> String {
    change("c", Value::Null, customer(1, Some("ann@example.com")))
}

fn updated() -> String {
    change(
        "u",
        customer(1, Some("ann@example.com")),
        customer(1, Some("ann@example.org")),
    )
}

fn deleted() -> String {
    change("d", customer(1, Some("ann@example.org")), Value::Null)
}

fn truncated() -> String {
    change("t", Value::Null, Value::Null)
}

const CUSTOMER_KEY: &str = r#"{"schema":{"type":"struct","name":"dbserver1.inventory.customers.Key","optional":false,"fields":[{"field":"id","type":"int32","optional":false},{"field":"region","type":"string","optional":true}]},"payload":{"id":1,"region":"eu-west"}}"#;

fn unwrap_cases() -> Vec<Case> {
    let s = true;
    let ev = |id: &str, value: Option<String>, config: &[(&str, &str)]| {
        case(id, s, value.as_deref(), vec![unwrap(config)])
            .key(CUSTOMER_KEY)
            .topic("dbserver1.inventory.customers")
    };
    let mut out = Vec::new();
    // Every kind of event under every delete.tombstone.handling.mode.
    for mode in [
        "tombstone",
        "drop",
        "rewrite",
        "rewrite-with-tombstone",
        "delete-to-tombstone",
    ] {
        for (what, value) in [
            ("a create", Some(created())),
            ("an update", Some(updated())),
            (
                "a snapshot read",
                Some(change("r", Value::Null, customer(2, None))),
            ),
            ("a delete", Some(deleted())),
            ("a truncate", Some(truncated())),
            ("a tombstone", None),
        ] {
            out.push(ev(
                &format!("unwrap {mode}: {what}"),
                value,
                &[("delete.tombstone.handling.mode", mode)],
            ));
        }
    }
    out.extend([
        ev("unwrap: defaults, a create", Some(created()), &[]),
        ev("unwrap: defaults, a delete", Some(deleted()), &[]),
        ev(
            "unwrap: an unknown mode",
            Some(created()),
            &[("delete.tombstone.handling.mode", "none")],
        ),
        case(
            "unwrap: a record that is not a change event passes",
            s,
            Some(&order(1)),
            vec![unwrap(&[("add.fields", "op")])],
        ),
        case(
            "unwrap: a schemaless change event passes",
            false,
            Some(r#"{"before":null,"after":{"id":1},"op":"c"}"#),
            vec![unwrap(&[])],
        ),
        // add.fields
        ev(
            "unwrap: add.fields",
            Some(updated()),
            &[("add.fields", "op,table,source.ts_ms,ts_ms,db,snapshot")],
        ),
        ev(
            "unwrap: add.fields renamed, with a prefix",
            Some(created()),
            &[
                ("add.fields", "op:operation, source.ts_ms:EVENT_TS ,version"),
                ("add.fields.prefix", "meta_"),
            ],
        ),
        ev(
            "unwrap: add.fields of the transaction block, absent",
            Some(created()),
            &[("add.fields", "id,total_order,data_collection_order")],
        ),
        ev(
            "unwrap: add.fields of a field no struct has is skipped",
            Some(created()),
            &[("add.fields", "lsn,op")],
        ),
        ev(
            "unwrap: add.fields on a rewritten delete",
            Some(deleted()),
            &[
                ("add.fields", "op,source.ts_ms"),
                ("delete.tombstone.handling.mode", "rewrite"),
            ],
        ),
        ev(
            "unwrap: add.fields on a delete kept as a null value",
            Some(deleted()),
            &[("add.fields", "op")],
        ),
        ev(
            "unwrap: add.fields three parts",
            Some(created()),
            &[("add.fields", "op:a:b")],
        ),
        // add.headers
        ev(
            "unwrap: add.headers",
            Some(updated()),
            &[("add.headers", "op,source.ts_ms,db,ts_ms,snapshot")],
        ),
        ev(
            "unwrap: add.headers renamed, with a prefix",
            Some(deleted()),
            &[
                ("add.headers", "op:operation,table"),
                ("add.headers.prefix", "dbz."),
                ("delete.tombstone.handling.mode", "rewrite"),
            ],
        ),
        ev(
            "unwrap: add.headers on a kept tombstone",
            None,
            &[
                ("add.headers", "op,table"),
                ("delete.tombstone.handling.mode", "rewrite-with-tombstone"),
            ],
        ),
        ev(
            "unwrap: add.headers and add.fields together",
            Some(created()),
            &[("add.headers", "op"), ("add.fields", "op,table")],
        ),
        ev(
            "unwrap: add.headers with StringConverter",
            Some(created()),
            &[("add.headers", "op,pos")],
        )
        .header_converter("org.apache.kafka.connect.storage.StringConverter"),
        // route.by.field
        ev(
            "unwrap: route.by.field on a create",
            Some(created()),
            &[("route.by.field", "region")],
        ),
        ev(
            "unwrap: route.by.field on a rewritten delete reads the before row",
            Some(deleted()),
            &[
                ("route.by.field", "email"),
                ("delete.tombstone.handling.mode", "rewrite"),
            ],
        ),
        ev(
            "unwrap: route.by.field on a delete kept as a null value",
            Some(deleted()),
            &[("route.by.field", "region")],
        ),
        ev(
            "unwrap: route.by.field with a null column keeps the topic",
            Some(change("c", Value::Null, customer(3, None))),
            &[("route.by.field", "email")],
        ),
        ev(
            "unwrap: route.by.field naming a number fails",
            Some(created()),
            &[("route.by.field", "id")],
        ),
        ev(
            "unwrap: route.by.field naming no column fails",
            Some(created()),
            &[("route.by.field", "nope")],
        ),
        // replace.null.with.default, through the rewrite's InsertField
        ev(
            "unwrap: rewrite fills a null column's default",
            Some(created()),
            &[("delete.tombstone.handling.mode", "rewrite")],
        ),
        ev(
            "unwrap: rewrite keeps nulls without replace.null.with.default",
            Some(created()),
            &[
                ("delete.tombstone.handling.mode", "rewrite"),
                ("replace.null.with.default", "false"),
            ],
        ),
        // drop.fields.header.name
        ev(
            "unwrap: drop.fields removes the optional columns listed",
            Some(updated()),
            &[("drop.fields.header.name", "unchanged")],
        )
        .header("unchanged", Some(r#"["email","id","nope"]"#)),
        ev(
            "unwrap: drop.fields removes every column listed when not compatible",
            Some(updated()),
            &[
                ("drop.fields.header.name", "unchanged"),
                ("drop.fields.keep.schema.compatible", "false"),
            ],
        )
        .header("unchanged", Some(r#"["email","id"]"#)),
        ev(
            "unwrap: drop.fields from the key too",
            Some(updated()),
            &[
                ("drop.fields.header.name", "unchanged"),
                ("drop.fields.from.key", "true"),
            ],
        )
        .header("unchanged", Some(r#"["region","id"]"#)),
        ev(
            "unwrap: drop.fields after add.fields",
            Some(created()),
            &[
                ("drop.fields.header.name", "unchanged"),
                ("add.fields", "op,table"),
            ],
        )
        .header("unchanged", Some(r#"["__table"]"#)),
        ev(
            "unwrap: drop.fields before add.fields on a rewritten delete",
            Some(deleted()),
            &[
                ("drop.fields.header.name", "unchanged"),
                ("add.fields", "op,table"),
                ("delete.tombstone.handling.mode", "rewrite"),
            ],
        )
        .header("unchanged", Some(r#"["__table","email"]"#)),
        ev(
            "unwrap: drop.fields without the header",
            Some(created()),
            &[("drop.fields.header.name", "unchanged")],
        ),
        ev(
            "unwrap: drop.fields with an empty list",
            Some(created()),
            &[("drop.fields.header.name", "unchanged")],
        )
        .header("unchanged", Some("[]")),
        ev(
            "unwrap: drop.fields with a header that is not a list fails",
            Some(created()),
            &[("drop.fields.header.name", "unchanged")],
        )
        .header("unchanged", Some("email")),
        // a column clashing with a field added
        case(
            "unwrap: a column named as an added field fails",
            s,
            Some(&env(
                &json!({"type": "struct", "name": "x.Envelope", "optional": false, "fields": [
                    {"field": "before", "type": "struct", "optional": true, "fields": [
                        {"field": "__op", "type": "string", "optional": true}]},
                    {"field": "after", "type": "struct", "optional": true, "fields": [
                        {"field": "__op", "type": "string", "optional": true}]},
                    {"field": "op", "type": "string", "optional": false}]}),
                json!({"before": null, "after": {"__op": "x"}, "op": "c"}),
            )),
            vec![unwrap(&[("add.fields", "op")])],
        ),
        case(
            "unwrap: an envelope without source and transaction, op only",
            s,
            Some(&env(
                &json!({"type": "struct", "name": "x.Envelope", "optional": false, "fields": [
                    {"field": "before", "type": "struct", "optional": true, "fields": [
                        {"field": "v", "type": "int64", "optional": true}]},
                    {"field": "after", "type": "struct", "optional": true, "fields": [
                        {"field": "v", "type": "int64", "optional": true}]},
                    {"field": "op", "type": "string", "optional": false}]}),
                json!({"before": null, "after": {"v": 5}, "op": "c"}),
            )),
            vec![unwrap(&[("add.fields", "op"), ("add.headers", "op")])],
        ),
        case(
            "unwrap: then ExtractField of a column",
            s,
            Some(&created()),
            vec![
                unwrap(&[("add.fields", "op")]),
                smt("ExtractField$Value", &[("field", "email")]),
            ],
        ),
    ]);
    out
}

#[test]
fn debeziums_extract_new_record_state_matches_debezium() {
    check(&unwrap_cases());
}

#[test]
fn header_from_and_insert_header_match_kafka() {
    check(&header_cases());
}

#[test]
fn insert_field_matches_kafka() {
    check(&insert_field_cases());
}

#[test]
fn timestamp_converter_matches_kafka() {
    check(&timestamp_converter_cases());
}

#[test]
fn cast_matches_kafka() {
    check(&cast_cases());
}

#[test]
fn field_smts_match_kafka() {
    check(&field_cases());
}

#[test]
fn replace_and_mask_field_match_kafka() {
    check(&replace_and_mask_cases());
}

#[test]
fn flatten_and_set_schema_metadata_match_kafka() {
    check(&shape_cases());
}

#[test]
fn routers_and_drop_headers_match_kafka() {
    check(&routing_cases());
}

#[test]
fn predicates_and_chains_match_kafka() {
    check(&predicate_cases());
}
