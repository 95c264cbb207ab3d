//! Benchmark fixture: returns every record of a nested-layout batch as is.

#[cfg(target_family = "wasm")]
mod component {
    wit_bindgen::generate!({ path: "../../wit/nested.wit", world: "nested-layout" });

    use exports::sluice_bench::nested::api::{Guest, NestedRecord, Output, Reply};

    struct Identity;

    impl Guest for Identity {
        fn identity(input: Vec<NestedRecord>) -> Reply {
            let outputs = input
                .into_iter()
                .enumerate()
                .map(|(i, r)| Output {
                    origin: i as u32,
                    record: r,
                })
                .collect();
            Reply {
                outputs,
                failures: Vec::new(),
            }
        }
    }

    export!(Identity);
}
