//! Fuzz target: any bytes as a manifest. Parsing, provider resolution and
//! validation must return an error or a manifest, never panic or hang.
#![no_main]

#[path = "../../tests/src/fuzz_checks.rs"]
#[allow(dead_code)] // each target uses part of the shared checks
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::manifest(data));
