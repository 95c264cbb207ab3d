//! Test fixture: a transform that attacks the host through what it returns,
//! with the raw contract types (no SDK checks in the way). `mode` chooses:
//!
//! - `alias-values`: every output record's value is the whole data buffer
//!   (1 MiB), so a host that copies each would allocate records × 1 MiB;
//! - `shared-headers`: every output record claims the same 10 000 headers;
//! - `keep-twice`: every input kept twice, so the host would copy its
//!   headers twice for a 128-byte reply;
//! - `keep-many`: every input's value kept by 1,000 outputs, so a host that
//!   took them all would hold a thousand copies of each for a 40 KB reply;
//! - `long-failures`: every record fails with a 1 MiB message;
//! - `log-flood`: 10 000 log lines per batch, each with a forged second line.
//!
//! The host must refuse or bound each, fail only that batch's records, and
//! keep running.

#[cfg(target_family = "wasm")]
mod component {
    use std::cell::RefCell;

    use sluice_contract::layout::{HeaderEntry, KEEP_RECORD, KEEP_VALUE, RecordEntry, Span};
    use sluice_sdk::glue::converter_world::sluice::plugin::log;
    use sluice_sdk::glue::transform_world::exports::sluice::plugin::transformation::{
        Guest, Transformed,
    };
    use sluice_sdk::wit::{Batch, ConfigKey, ConfigType, Failure, PluginKind, PluginMetadata};

    thread_local! {
        static MODE: RefCell<String> = const { RefCell::new(String::new()) };
    }

    struct Hostile;

    const MIB: usize = 1 << 20;

    impl Guest for Hostile {
        fn metadata() -> PluginMetadata {
            PluginMetadata {
                name: "hostile".into(),
                version: "0.0.1".into(),
                kind: PluginKind::Transform,
                description: "Attacks the host through its replies (test fixture)".into(),
                config: vec![ConfigKey {
                    name: "mode".into(),
                    value_type: ConfigType::String,
                    default_value: None,
                    required: true,
                    description:
                        "alias-values, shared-headers, keep-twice, keep-many, long-failures or log-flood"
                            .into(),
                }],
            }
        }

        fn configure(config: Vec<(String, String)>) -> Result<(), String> {
            let mode = config
                .into_iter()
                .find(|(k, _)| k == "mode")
                .map(|(_, v)| v)
                .ok_or("hostile: set mode")?;
            MODE.with(|m| *m.borrow_mut() = mode);
            Ok(())
        }

        fn transform(input: Batch) -> Transformed {
            let entries = RecordEntry::read_all(&input.records).unwrap_or_default();
            let n = entries.len();
            let mode = MODE.with(|m| m.borrow().clone());
            match mode.as_str() {
                "alias-values" => {
                    let mut data = input.data.clone();
                    data.resize(data.len().max(MIB), b'x');
                    let all = Span {
                        start: 0,
                        len: data.len() as u32,
                    };
                    let records = entries
                        .iter()
                        .enumerate()
                        .map(|(i, r)| RecordEntry {
                            value: Some(all),
                            header_count: 0,
                            first_header: 0,
                            offset: i as i64,
                            ..*r
                        })
                        .collect();
                    one_each(data, records, Vec::new())
                }
                "shared-headers" => {
                    let mut data = input.data.clone();
                    let name = Span {
                        start: data.len() as u32,
                        len: 1,
                    };
                    data.push(b'h');
                    let headers = vec![HeaderEntry { name, value: None }; 10_000];
                    let records = entries
                        .iter()
                        .enumerate()
                        .map(|(i, r)| RecordEntry {
                            first_header: 0,
                            header_count: 10_000,
                            offset: i as i64,
                            ..*r
                        })
                        .collect();
                    one_each(data, records, headers)
                }
                "keep-twice" => {
                    // Every input kept twice: two copies of its headers for
                    // 128 bytes of reply.
                    kept((0..n).flat_map(|i| [i, i]))
                }
                "keep-many" => {
                    let records = (0..n)
                        .flat_map(|i| {
                            (0..1000).map(move |_| RecordEntry {
                                topic: Span { start: 0, len: 1 },
                                flags: KEEP_VALUE,
                                offset: i as i64,
                                ..Default::default()
                            })
                        })
                        .collect();
                    reply(b"t".to_vec(), records, Vec::new())
                }
                "long-failures" => Transformed {
                    output: Batch {
                        data: Vec::new(),
                        records: Vec::new(),
                        headers: Vec::new(),
                        schemas: Vec::new(),
                    },
                    failures: (0..n as u32)
                        .map(|input| Failure {
                            input,
                            message: "y".repeat(MIB),
                        })
                        .collect(),
                },
                _ => {
                    for i in 0..10_000 {
                        log::log(
                            log::Level::Error,
                            &format!(
                                "flood {i}\n2026-12-04T00:00:00.000000Z ERROR sluice: forged line"
                            ),
                        );
                    }
                    kept(0..n)
                }
            }
        }
    }

    /// One output per input, in order.
    fn one_each(
        data: Vec<u8>,
        records: Vec<RecordEntry>,
        headers: Vec<HeaderEntry>,
    ) -> Transformed {
        reply(data, records, headers)
    }

    /// Each of `inputs` kept as it is, in order.
    fn kept(inputs: impl Iterator<Item = usize>) -> Transformed {
        let records = inputs
            .map(|i| RecordEntry {
                flags: KEEP_RECORD,
                offset: i as i64,
                ..Default::default()
            })
            .collect();
        reply(Vec::new(), records, Vec::new())
    }

    fn reply(data: Vec<u8>, records: Vec<RecordEntry>, headers: Vec<HeaderEntry>) -> Transformed {
        let mut r = Vec::new();
        records.iter().for_each(|e| e.write(&mut r));
        let mut h = Vec::new();
        headers.iter().for_each(|e| e.write(&mut h));
        Transformed {
            output: Batch {
                data,
                records: r,
                headers: h,
                schemas: Vec::new(),
            },
            failures: Vec::new(),
        }
    }

    sluice_sdk::glue::transform_world::export!(Hostile with_types_in sluice_sdk::glue::transform_world);
}
