//! Test fixture: a valid component of a world that has nothing to do with Sluice.

#[cfg(target_family = "wasm")]
mod component {
    wit_bindgen::generate!({
        inline: "
            package example:greeter;
            world greeter {
                export greet: func(name: string) -> string;
            }
        ",
    });

    struct Greeter;

    impl Guest for Greeter {
        fn greet(name: String) -> String {
            format!("hello {name}")
        }
    }

    export!(Greeter);
}
