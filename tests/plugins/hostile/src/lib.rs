//! Test fixture: a transform that attacks the host through what it returns,
//! with the raw contract types (no SDK checks in the way). `mode` chooses:
//!
//! - `alias-values`: every output record's value is the whole data buffer
//!   (1 MiB), so a host that copies each would allocate records × 1 MiB;
//! - `shared-headers`: every output record claims the same 10 000 headers;
//! - `long-failures`: every record fails with a 1 MiB message;
//! - `log-flood`: 10 000 log lines per batch, each with a forged second line.
//!
//! The host must refuse or bound each, fail only that batch's records, and
//! keep running.

#[cfg(target_family = "wasm")]
mod component {
    use std::cell::RefCell;

    use sluice_sdk::glue::converter_world::sluice::plugin::log;
    use sluice_sdk::glue::transform_world::exports::sluice::plugin::transformation::{
        Guest, Transformed,
    };
    use sluice_sdk::wit::{
        Batch, ConfigKey, ConfigType, Failure, Header, PluginKind, PluginMetadata, Record, Span,
    };

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
                    description: "alias-values, shared-headers, long-failures or log-flood".into(),
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
            let n = input.records.len();
            let mode = MODE.with(|m| m.borrow().clone());
            match mode.as_str() {
                "alias-values" => {
                    let mut data = input.data.clone();
                    data.resize(data.len().max(MIB), b'x');
                    let all = Span {
                        start: 0,
                        len: data.len() as u32,
                    };
                    let records = input
                        .records
                        .iter()
                        .map(|r| Record {
                            value: Some(all),
                            header_count: 0,
                            first_header: 0,
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
                    let headers = vec![Header { name, value: None }; 10_000];
                    let records = input
                        .records
                        .iter()
                        .map(|r| Record {
                            first_header: 0,
                            header_count: 10_000,
                            ..*r
                        })
                        .collect();
                    one_each(data, records, headers)
                }
                "long-failures" => Transformed {
                    output: Batch {
                        data: Vec::new(),
                        records: Vec::new(),
                        headers: Vec::new(),
                    },
                    origins: Vec::new(),
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
                    Transformed {
                        output: input,
                        origins: (0..n as u32).collect(),
                        failures: Vec::new(),
                    }
                }
            }
        }
    }

    /// One output per input, in order.
    fn one_each(data: Vec<u8>, records: Vec<Record>, headers: Vec<Header>) -> Transformed {
        let n = records.len() as u32;
        Transformed {
            output: Batch {
                data,
                records,
                headers,
            },
            origins: (0..n).collect(),
            failures: Vec::new(),
        }
    }

    sluice_sdk::glue::transform_world::export!(Hostile with_types_in sluice_sdk::glue::transform_world);
}
