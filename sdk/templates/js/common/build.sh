#!/usr/bin/env bash
# Builds {{name}}.wasm from app.js with componentize-js:
# `npm install @bytecodealliance/componentize-js@{{componentize_js}}`, or in
# Sluice's repository `scripts/sdk/setup js`, which prints the directory to put on PATH.
set -euo pipefail
cd "$(dirname "$0")"
command -v componentize-js >/dev/null || {
  echo "build.sh: componentize-js not found: npm install -g @bytecodealliance/componentize-js@{{componentize_js}}" >&2
  exit 1
}
# Sluice links no wasi:http: leave the HTTP features out.
componentize-js app.js --wit wit --world-name {{world}} --disable http fetch-event -o {{name}}.wasm
echo "built $(pwd)/{{name}}.wasm"
