#!/usr/bin/env bash
# Builds {{name}}.wasm from plugin.c: C bindings from wit/ (wit-bindgen-cli
# {{wit_bindgen_cli}}), clang-14 for wasm32-wasi with wasi-libc, jsmn's header
# (Debian: clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32 libjsmn-dev),
# then `wasm-tools component new` ({{wasm_tools}}) with the WASI preview-1
# reactor adapter of wasmtime {{adapter_provider}}. In Sluice's repository,
# `scripts/sdk/setup c` installs all of it and prints the directory to put on PATH.
set -euo pipefail
cd "$(dirname "$0")"
missing() { echo "build.sh: $1 not found: $2" >&2; exit 1; }
command -v wit-bindgen >/dev/null || missing wit-bindgen "cargo install --locked wit-bindgen-cli --version {{wit_bindgen_cli}}"
command -v wasm-tools >/dev/null || missing wasm-tools "cargo install --locked wasm-tools --version {{wasm_tools}}"
command -v clang-14 >/dev/null || missing clang-14 "apt-get install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32"
[ -f /usr/include/jsmn.h ] || missing jsmn.h "apt-get install libjsmn-dev"
adapter=${SLUICE_WASI_ADAPTER:-}
if [ -z "$adapter" ]; then
  IFS=: read -ra dirs <<< "$PATH"
  for d in "${dirs[@]}"; do
    [ -f "$d/wasi_snapshot_preview1.reactor.wasm" ] && { adapter="$d/wasi_snapshot_preview1.reactor.wasm"; break; }
  done
fi
[ -n "$adapter" ] || missing wasi_snapshot_preview1.reactor.wasm \
  "set SLUICE_WASI_ADAPTER to the reactor adapter of wasmtime {{adapter_provider}} (crate wasi-preview1-component-adapter-provider)"
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
world={{world}}
log=$(wit-bindgen c wit --world "$world" --out-dir "$gen" 2>&1) || { echo "$log" >&2; exit 1; }
cp /usr/include/jsmn.h "$gen/" # alone: all of /usr/include would bring the host's libc headers
clang-14 --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 -Wall \
  -DSLUICE_WORLD_"${world^^}" -I sluice -I "$gen" \
  plugin.c sluice/sluice.c sluice/sluice_util.c "$gen/$world.c" "$gen/${world}_component_type.o" \
  -o "$gen/core.wasm"
wasm-tools component new "$gen/core.wasm" --adapt "wasi_snapshot_preview1=$adapter" -o {{name}}.wasm
echo "built $(pwd)/{{name}}.wasm"
