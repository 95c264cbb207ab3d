//! The global allocator of plugins built with this SDK: Talc in place of
//! wasi-libc's dlmalloc, which Rust's standard library uses in Wasm by
//! default.

/// Every allocation a plugin makes: its replies, the strings and maps of a
/// parsed document, and the buffers the canonical ABI's `cabi_realloc`
/// lowers a call's arguments into. A component's instance is single-threaded,
/// which is what `WasmDynamicTalc` asks for; it grows linear memory as
/// dlmalloc did.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
