//! Test fixture: a component built for a contract version this host does
//! not know (`sluice:plugin@9.0.0`).

#[cfg(target_family = "wasm")]
mod component {
    wit_bindgen::generate!({
        inline: "
            package sluice:plugin@9.0.0;
            interface transformation {
                describe: func() -> string;
            }
            world transform {
                export transformation;
            }
        ",
    });

    struct Future;

    impl exports::sluice::plugin::transformation::Guest for Future {
        fn describe() -> String {
            "from the future".into()
        }
    }

    export!(Future);
}
