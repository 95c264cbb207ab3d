//! Rebuilds `sluice` when what `sluice plugin new` embeds changes: the
//! templates, the SDKs, the WIT contract and the pinned tool versions
//! (`include_dir!` does not tell cargo about files added to a directory).

fn main() {
    for path in [
        "../sdk/templates",
        "../sdk/python/sluice_sdk",
        "../sdk/js",
        "../sdk/c",
        "../sdk/go",
        "../wit",
        "../scripts/sdk/versions",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }
}
