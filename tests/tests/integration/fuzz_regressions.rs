//! Replays every input the fuzz targets keep (`fuzz/seeds`, and in
//! `fuzz/regressions` each input that once failed) through the same checks,
//! so a fixed bug stays fixed without running the fuzzer.

use std::path::PathBuf;

use sluice_tests::fuzz_checks::{self, RecordPath};
use sluice_tests::{cache_dir, plugin_dir, repo_root};

/// The files of `fuzz/seeds/<target>` and `fuzz/regressions/<target>`.
fn inputs(target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for kind in ["seeds", "regressions"] {
        let dir = repo_root().join("fuzz").join(kind).join(target);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            files.extend(entries.map(|e| e.expect("dir entry").path()));
        }
    }
    files.sort();
    files
}

#[test]
fn kept_manifest_inputs_still_parse_without_panicking() {
    let files = inputs("manifest");
    assert!(!files.is_empty(), "fuzz/seeds/manifest has seeds");
    for f in files {
        fuzz_checks::manifest(&std::fs::read(&f).unwrap());
    }
}

#[test]
fn kept_record_inputs_still_pass_the_record_path_checks() {
    let files = inputs("records");
    assert!(!files.is_empty(), "fuzz/seeds/records has seeds");
    // The checks run their own runtime: build it outside any other.
    let path = RecordPath::start(&plugin_dir(), &cache_dir());
    for f in files {
        path.check(&std::fs::read(&f).unwrap());
    }
}

#[test]
fn the_fuzz_input_format_yields_keys_values_headers_and_tombstones() {
    let records = fuzz_checks::records_from(b"k\x1fv\x1dh1=a\x1ch2\x1e\x00gone\x1eplain");
    assert_eq!(records.len(), 3);
    assert_eq!(records[0].key.as_deref(), Some(&b"k"[..]));
    assert_eq!(records[0].value.as_deref(), Some(&b"v"[..]));
    assert_eq!(records[0].headers.len(), 2);
    assert_eq!(records[0].headers[1].value, None);
    assert_eq!(records[1].value, None, "a leading 0x00 is a tombstone");
    assert_eq!(records[2].value.as_deref(), Some(&b"plain"[..]));
}
