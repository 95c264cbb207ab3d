#!/usr/bin/env bash
# Builds {{name}}.wasm from app.py with componentize-py (it bundles its own
# CPython): `pip install componentize-py=={{componentize_py}}`, or in Sluice's
# repository `scripts/sdk/setup python`, which prints the directory to put on PATH.
set -euo pipefail
cd "$(dirname "$0")"
command -v componentize-py >/dev/null || {
  echo "build.sh: componentize-py not found: pip install componentize-py=={{componentize_py}}" >&2
  exit 1
}
componentize-py -d wit -w {{world}} componentize -p . app -o {{name}}.wasm
echo "built $(pwd)/{{name}}.wasm"
