//! The plugin runtime with the real, built plugins: loading and refusing
//! components, configuration errors, per-record errors, and plugins that
//! trap, loop, allocate without bound or block; what the sandbox grants.

use std::sync::Arc;

use bytes::Bytes;
use sluice::plugin::{
    CallError, ConfigureError, ConfiguredPlugin, Conversion, DirGrant, Grants, Limits, LoadError,
    Part, PluginKind, Sandbox, TransformOutcome,
};
use sluice::record::{Record, ValueKind};
use sluice_tests::{plugin, runtime, test_plugin};

fn cfg(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn json_record(offset: i64, value: &str) -> Record {
    let mut r = Record::new("orders", Some(Bytes::copy_from_slice(value.as_bytes())));
    r.offset = offset;
    r.value_kind = ValueKind::Json;
    r
}

fn raw_record(offset: i64, value: &[u8]) -> Record {
    let mut r = Record::new("orders", Some(Bytes::copy_from_slice(value)));
    r.offset = offset;
    r
}

async fn start(name: &str, config: &[(&str, &str)]) -> ConfiguredPlugin {
    start_with(name, config, Limits::default()).await
}

async fn start_with(name: &str, config: &[(&str, &str)], limits: Limits) -> ConfiguredPlugin {
    let path = if name == "chaos" {
        test_plugin(name)
    } else {
        plugin(name)
    };
    let rt = runtime();
    let loaded = rt
        .load(&path)
        .await
        .unwrap_or_else(|e| panic!("{name} loads: {e}"));
    rt.configure(loaded, cfg(config), limits)
        .await
        .unwrap_or_else(|e| panic!("{name} configures: {e}"))
}

#[tokio::test]
async fn every_first_party_plugin_loads_with_its_metadata() {
    let loaded = runtime()
        .load_dir(&sluice_tests::plugin_dir())
        .await
        .unwrap();
    let mut found: Vec<(String, PluginKind)> = loaded
        .into_iter()
        .map(|(path, r)| {
            let p = r.unwrap_or_else(|e| panic!("{} loads: {e}", path.display()));
            assert_eq!(
                p.contract,
                sluice::plugin::Contract::V0_2,
                "{}",
                path.display()
            );
            (p.metadata.name.clone(), p.metadata.kind)
        })
        .collect();
    found.sort();
    // Every first-party plugin crate (plugins/<name>/) loads.
    assert_eq!(
        found.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
        sluice_tests::first_party_plugins()
    );
    let kind = |name: &str| found.iter().find(|(n, _)| n == name).map(|(_, k)| *k);
    assert_eq!(kind("json"), Some(PluginKind::Converter));
    assert_eq!(kind("cast"), Some(PluginKind::Transform));
    assert_eq!(kind("json-batch"), Some(PluginKind::Formatter));
    for (name, k) in &found {
        let wanted = match name.as_str() {
            "json" | "string" | "bytes" | "avro" | "json-schema" | "protobuf" => {
                PluginKind::Converter
            }
            "json-batch" | "jsonl" | "bytearray" | "aiven-output" | "avro-format"
            | "parquet-format" => PluginKind::Formatter,
            _ => PluginKind::Transform,
        };
        assert_eq!(*k, wanted, "{name}");
    }
}

#[tokio::test]
async fn json_converter_fails_only_the_bad_record() {
    let json = start("json", &[("schemas.enable", "false")]).await;
    let records = vec![
        raw_record(10, br#"{"a":1}"#),
        raw_record(11, b"{not json"),
        Record::new("orders", None),
    ];
    let out = json.convert(Part::Value, &records).await.unwrap();
    assert_eq!(
        out[0],
        Conversion::Converted {
            bytes: Bytes::from_static(br#"{"a":1}"#),
            kind: ValueKind::Json,
            schema: None,
        }
    );
    match &out[1] {
        Conversion::Failed(m) => assert!(
            m.contains("orders partition 0 offset 11: value is not valid JSON"),
            "{m}"
        ),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(out[2], Conversion::Null { schema: None });
}

#[tokio::test]
async fn json_converter_unwraps_the_schema_envelope_by_default() {
    let json = start("json", &[]).await;
    let records = vec![
        raw_record(
            0,
            br#"{"schema":{"type":"struct","fields":[{"field":"id","type":"int64"}]},"payload":{"id":7}}"#,
        ),
        raw_record(1, br#"{"id":7}"#),
        raw_record(
            2,
            br#"{"schema":{"type":"struct","fields":[{"field":"id","type":"int64"}]},"payload":{"id":"seven"}}"#,
        ),
    ];
    let out = json.convert_records(Part::Value, records).await.unwrap();
    assert_eq!(
        out[0].as_ref().unwrap().value.as_deref(),
        Some(&br#"{"id":7}"#[..])
    );
    assert!(
        out[1]
            .as_ref()
            .unwrap_err()
            .contains("schemas.enable=false")
    );
    let wrong = out[2].as_ref().unwrap_err();
    assert!(
        wrong.contains("does not match its schema: payload.id: expected an integer"),
        "{wrong}"
    );
}

#[tokio::test]
async fn string_converter_never_fails_on_invalid_utf8() {
    let string = start("string", &[]).await;
    let out = string
        .convert_records(Part::Value, vec![raw_record(0, b"ok\xff")])
        .await
        .unwrap();
    let r = out[0].as_ref().unwrap();
    assert_eq!(r.value.as_deref(), Some("ok\u{FFFD}".as_bytes()));
    assert_eq!(r.value_kind, ValueKind::Text);
}

#[tokio::test]
async fn insert_field_and_drop_keep_per_record_outcomes() {
    let insert = start(
        "insert-field",
        &[("topic.field", "topic"), ("offset.field", "offset")],
    )
    .await;
    let out = insert
        .transform(&[json_record(5, r#"{"id":1}"#), json_record(6, "[1,2]")])
        .await
        .unwrap();
    let TransformOutcome::Kept(kept) = &out[0] else {
        panic!("{out:?}")
    };
    // The object as it came, the fields appended in Kafka's order.
    assert_eq!(
        kept[0].value.as_deref(),
        Some(&br#"{"id":1,"topic":"orders","offset":5}"#[..])
    );
    assert_eq!(kept[0].offset, 5);
    assert!(
        matches!(&out[1], TransformOutcome::Failed(m) if m.contains("offset 6") && m.contains("not an array"))
    );

    let drop = start(
        "drop",
        &[("predicate", "TopicNameMatches"), ("pattern", "ord.*")],
    )
    .await;
    let mut other = json_record(7, "{}");
    other.topic = Arc::from("payments");
    let out = drop
        .transform(&[json_record(6, "{}"), other])
        .await
        .unwrap();
    assert_eq!(out[0], TransformOutcome::Dropped);
    assert!(matches!(&out[1], TransformOutcome::Kept(r) if &*r[0].topic == "payments"));
}

#[tokio::test]
async fn json_batch_builds_the_treasure_data_body() {
    let f = start(
        "json-batch",
        &[
            ("request.body.format", "json"),
            ("batch.prefix", r#"{"records":"#),
            ("batch.suffix", "}"),
            ("batch.json.as.array", "true"),
        ],
    )
    .await;
    let records: Vec<Record> = (0..3)
        .map(|i| json_record(i, &format!(r#"{{"n":{i}}}"#)))
        .collect();
    let items: Vec<Bytes> = f
        .encode(&records)
        .await
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let info = f.format_info().expect("a formatter has framing");
    let body = info.frame(
        &f.header().await.unwrap(),
        items.iter().map(|b| &b[..]),
        &f.trailer().await.unwrap(),
    );
    assert_eq!(
        String::from_utf8(body).unwrap(),
        r#"{"records":[{"n":0},{"n":1},{"n":2}]}"#
    );
    assert_eq!(info.content_type, "application/json");
}

/// 64 records of 64 KiB (4 MiB of values) and a record with a null value.
fn four_mib() -> Vec<Record> {
    let mut records: Vec<Record> = (0..64)
        .map(|i| raw_record(i, &vec![b'a' + (i % 26) as u8; 64 * 1024]))
        .collect();
    records.push(Record::new("orders", None));
    records
}

/// Less than the 4 MiB batch: what an instance's memory stays under when
/// no batch was copied into it.
const NOT_COPIED_IN: usize = 3 << 20;

#[tokio::test]
async fn a_converter_that_keeps_the_bytes_is_sent_no_batch() {
    let bytes = start("bytes", &[]).await;
    let records = four_mib();
    let out = bytes.convert(Part::Value, &records).await.unwrap();
    // Kafka's `Schema.OPTIONAL_BYTES_SCHEMA`.
    let schema = sluice::record::Schema::parse(r#"{"type":"bytes","optional":true}"#)
        .unwrap()
        .parsed;
    for (r, c) in records.iter().zip(&out) {
        match (c, &r.value) {
            (
                Conversion::Converted {
                    bytes,
                    kind,
                    schema: s,
                },
                Some(v),
            ) => {
                // The host's own bytes, not a copy.
                assert_eq!(bytes.as_ptr(), v.as_ptr());
                assert_eq!(bytes.len(), v.len());
                assert_eq!(*kind, ValueKind::Binary);
                assert_eq!(s.as_ref().map(|s| &s.parsed), Some(&schema));
            }
            (Conversion::Null { schema: s }, None) => {
                assert_eq!(s.as_ref().map(|s| &s.parsed), Some(&schema))
            }
            other => panic!("unexpected conversion {other:?}"),
        }
    }
    let memory = bytes.memory_high_water();
    assert!(
        memory < NOT_COPIED_IN,
        "the 4 MiB batch reached the plugin: {memory} bytes of memory"
    );
}

#[tokio::test]
async fn a_formatter_that_writes_values_as_they_are_is_sent_no_batch() {
    let string = start("json-batch", &[("request.body.format", "string")]).await;
    let records = four_mib();
    let out = string.encode(&records).await.unwrap();
    for (r, e) in records.iter().zip(&out) {
        let e = e.as_ref().unwrap();
        match &r.value {
            Some(v) => assert_eq!((e.as_ptr(), e.len()), (v.as_ptr(), v.len())),
            None => assert!(e.is_empty()),
        }
    }
    let memory = string.memory_high_water();
    assert!(
        memory < NOT_COPIED_IN,
        "the 4 MiB batch reached the plugin: {memory} bytes of memory"
    );
    // The meter works: the same formatter in `json` mode reads every value.
    let json = start("json-batch", &[("request.body.format", "json")]).await;
    let records: Vec<Record> = four_mib()
        .into_iter()
        .map(|mut r| {
            r.value = r
                .value
                .map(|_| Bytes::from(format!("\"{}\"", "b".repeat(64 * 1024))));
            r.value_kind = ValueKind::Json;
            r
        })
        .collect();
    json.encode(&records).await.unwrap();
    let memory = json.memory_high_water();
    assert!(memory > 4 << 20, "{memory}");
}

#[tokio::test]
async fn config_errors_name_the_plugin_and_the_key() {
    let rt = runtime();
    let insert = rt.load(&plugin("insert-field")).await.unwrap();
    let err = rt
        .configure(
            insert.clone(),
            cfg(&[("topic.feild", "t")]),
            Limits::default(),
        )
        .await
        .err()
        .unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains("plugin `insert-field` rejected its configuration"),
        "{msg}"
    );
    assert!(
        msg.contains(
            "unknown key `topic.feild` (known keys: connect.class, topic.field, partition.field"
        ),
        "{msg}"
    );

    // The plugin's own check, reported verbatim.
    let err = rt
        .configure(insert, vec![], Limits::default())
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&err, ConfigureError::Rejected { message, .. } if message.contains("nothing to insert")),
        "{err}"
    );

    let drop = rt.load(&plugin("drop")).await.unwrap();
    let err = rt
        .configure(
            drop,
            cfg(&[("predicate", "TopicNameMatches")]),
            Limits::default(),
        )
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("TopicNameMatches needs `pattern`"),
        "{err}"
    );

    let chaos = rt.load(&test_plugin("chaos")).await.unwrap();
    let err = rt
        .configure(chaos, cfg(&[("refuse", "true")]), Limits::default())
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("chaos: configuration refused as asked"),
        "{err}"
    );
}

#[tokio::test]
async fn a_trap_fails_its_batch_and_the_next_batch_runs_on_a_fresh_instance() {
    let chaos = start("chaos", &[]).await;
    let err = chaos
        .transform(&[raw_record(0, b"fine"), raw_record(1, b"trap")])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallError::Trap { plugin, .. } if plugin == "chaos"),
        "{err}"
    );
    let out = chaos.transform(&[raw_record(2, b"fine")]).await.unwrap();
    assert!(matches!(&out[0], TransformOutcome::Kept(_)));
}

#[tokio::test]
async fn an_endless_loop_hits_the_cpu_deadline_and_the_host_carries_on() {
    let chaos = start_with("chaos", &[], Limits::new(64, 200, 10_000)).await;
    let err = chaos
        .transform(&[raw_record(0, b"loop")])
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::Deadline { ms: 200, .. }), "{err}");
    assert!(err.to_string().contains("CPU deadline of 200 ms"), "{err}");
    let out = chaos.transform(&[raw_record(1, b"fine")]).await.unwrap();
    assert!(matches!(&out[0], TransformOutcome::Kept(_)));
}

#[tokio::test]
async fn unbounded_allocation_hits_the_memory_limit() {
    let chaos = start_with("chaos", &[], Limits::new(32, 10_000, 20_000)).await;
    let err = chaos
        .transform(&[raw_record(0, b"alloc")])
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallError::MemoryLimit { limit_mib: 32, .. }),
        "{err}"
    );
    let out = chaos.transform(&[raw_record(1, b"fine")]).await.unwrap();
    assert!(matches!(&out[0], TransformOutcome::Kept(_)));
}

#[tokio::test]
async fn a_call_blocked_in_wasi_hits_the_wall_clock_timeout() {
    // The CPU deadline cannot fire while the guest sleeps in a host call.
    let chaos = start_with("chaos", &[], Limits::new(64, 60_000, 300)).await;
    let started = std::time::Instant::now();
    let err = chaos
        .transform(&[raw_record(0, b"sleep")])
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::Timeout { ms: 300, .. }), "{err}");
    // The guest asked for 30 s; the call was abandoned long before.
    assert!(started.elapsed() < std::time::Duration::from_secs(25));
    let out = chaos.transform(&[raw_record(1, b"fine")]).await.unwrap();
    assert!(matches!(&out[0], TransformOutcome::Kept(_)));
}

#[tokio::test]
async fn files_that_are_not_components_are_refused_with_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();

    let core = dir.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let err = rt.load(&core).await.err().unwrap();
    assert!(matches!(err, LoadError::CoreModule { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("core.wasm: a core WebAssembly module, not a component"),
        "{err}"
    );

    let text = dir.path().join("notes.wasm");
    std::fs::write(&text, b"hello, world").unwrap();
    let err = rt.load(&text).await.err().unwrap();
    assert!(matches!(err, LoadError::NotWasm { .. }), "{err}");

    let whole = std::fs::read(plugin("insert-field")).unwrap();
    let truncated = dir.path().join("truncated.wasm");
    std::fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();
    let err = rt.load(&truncated).await.err().unwrap();
    assert!(matches!(err, LoadError::Compile { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("truncated.wasm: invalid or truncated component"),
        "{err}"
    );

    let err = rt
        .load(&dir.path().join("missing.wasm"))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, LoadError::Read { .. }), "{err}");
}

#[tokio::test]
async fn a_component_of_another_world_is_not_a_plugin() {
    let err = runtime()
        .load(&test_plugin("foreign-world"))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, LoadError::NotAPlugin { .. }), "{err}");
    assert!(err.to_string().contains("it exports: greet"), "{err}");
}

#[tokio::test]
async fn a_component_for_an_unknown_contract_version_is_refused() {
    let err = runtime()
        .load(&test_plugin("future-contract"))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&err, LoadError::UnsupportedContract { found, .. } if found == "9.0.0"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("this host supports sluice:plugin@0.1.0"),
        "{err}"
    );
}

#[tokio::test]
async fn precompiled_artifacts_are_written_once_and_reused() {
    let cache = tempfile::tempdir().unwrap();
    let rt = sluice::plugin::Runtime::new(cache.path()).unwrap();
    rt.load(&plugin("bytes")).await.unwrap();
    let files: Vec<_> = std::fs::read_dir(cache.path().join("components"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].extension().is_some_and(|e| e == "cwasm"));
    let written = std::fs::metadata(&files[0]).unwrap().modified().unwrap();
    // A new runtime (a restart) loads the artifact instead of compiling again.
    let rt = sluice::plugin::Runtime::new(cache.path()).unwrap();
    rt.load(&plugin("bytes")).await.unwrap();
    assert_eq!(
        std::fs::metadata(&files[0]).unwrap().modified().unwrap(),
        written
    );
    assert_eq!(
        std::fs::read_dir(cache.path().join("components"))
            .unwrap()
            .count(),
        1
    );
}

#[tokio::test]
async fn calling_a_plugin_as_another_kind_is_an_error_not_a_panic() {
    let insert = start("insert-field", &[("topic.field", "t")]).await;
    let err = insert
        .convert(Part::Value, &[json_record(0, "{}")])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CallError::WrongKind {
                kind: "transform",
                wanted: "converter",
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn plugins_see_no_environment_or_files_unless_granted() {
    let rt = runtime();
    let chaos = rt.load(&test_plugin("chaos")).await.unwrap();
    // The host's own environment and files stay outside the sandbox.
    let denied = rt
        .configure(chaos.clone(), vec![], Limits::default())
        .await
        .unwrap();
    let out = denied
        .transform(&[raw_record(0, b"env"), raw_record(1, b"read")])
        .await
        .unwrap();
    assert!(
        matches!(&out[0], TransformOutcome::Failed(m) if m.contains("CHAOS_SECRET")),
        "{out:?}"
    );
    assert!(
        matches!(&out[1], TransformOutcome::Failed(m) if m.contains("/data/secret.txt")),
        "{out:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.txt"), "from a file").unwrap();
    let sandbox = Sandbox {
        limits: Limits::default(),
        grants: Grants {
            env: vec![("CHAOS_SECRET".into(), "from the manifest".into())],
            dirs: vec![DirGrant {
                host: dir.path().to_path_buf(),
                guest: "/data".into(),
            }],
            ..Grants::default()
        },
    };
    let granted = rt.configure(chaos.clone(), vec![], sandbox).await.unwrap();
    let out = granted
        .transform(&[raw_record(0, b"env"), raw_record(1, b"read")])
        .await
        .unwrap();
    let value = |o: &TransformOutcome| match o {
        TransformOutcome::Kept(r) => r[0].value.clone().unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(value(&out[0]), "from the manifest");
    assert_eq!(value(&out[1]), "from a file");

    // A granted directory that does not exist is an error naming it.
    let missing = Sandbox {
        limits: Limits::default(),
        grants: Grants {
            env: vec![],
            dirs: vec![DirGrant {
                host: dir.path().join("nope"),
                guest: "/x".into(),
            }],
            ..Grants::default()
        },
    };
    let err = rt.configure(chaos, vec![], missing).await.err().unwrap();
    assert!(
        err.to_string().contains("cannot open granted directory"),
        "{err}"
    );
}
