//! Fuzz target: any bytes as a batch of records through the first-party
//! converters, insert-field and json-batch (loaded from
//! $SLUICE_FUZZ_PLUGINS, precompiled into $SLUICE_FUZZ_CACHE).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

#[path = "../../tests/src/fuzz_checks.rs"]
#[allow(dead_code)] // each target uses part of the shared checks
mod fuzz_checks;

fn path() -> &'static fuzz_checks::RecordPath {
    static PATH: OnceLock<fuzz_checks::RecordPath> = OnceLock::new();
    PATH.get_or_init(|| {
        let var = |name: &str| {
            PathBuf::from(std::env::var_os(name).unwrap_or_else(|| {
                panic!("{name} is not set: run the target through scripts/fuzz")
            }))
        };
        fuzz_checks::RecordPath::start(&var("SLUICE_FUZZ_PLUGINS"), &var("SLUICE_FUZZ_CACHE"))
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| path().check(data));
