"""Reads Parquet files with pyarrow (an independent reader, installed by
scripts/registry/setup-python) and prints, as one JSON document, a list with
one entry per file: {"columns": [[name, Arrow type], ...] of the top-level
fields, "parquet_schema": the Parquet schema as pyarrow prints it, "codec":
the first column chunk's compression, "row_groups": their count,
"metadata": the footer's key/value metadata, "records": the rows}. Values
are made JSON as read_avro.py makes them, and a map's entries an object.

Usage: read_parquet.py FILE...
"""

import json
import sys

import pyarrow.parquet as pq

from read_avro import plain


def entries(v):
    """Map columns come as lists of (key, value) tuples."""
    if isinstance(v, dict):
        return {k: entries(x) for k, x in v.items()}
    if isinstance(v, list):
        if v and all(isinstance(x, tuple) and len(x) == 2 for x in v):
            return {k: entries(x) for k, x in v}
        return [entries(x) for x in v]
    return v


def main():
    out = []
    for path in sys.argv[1:]:
        f = pq.ParquetFile(path)
        table = f.read()
        meta = f.metadata
        out.append({
            "columns": [[field.name, str(field.type)] for field in table.schema],
            "parquet_schema": str(f.schema),
            "codec": meta.row_group(0).column(0).compression if meta.num_row_groups else None,
            "row_groups": meta.num_row_groups,
            "metadata": {k.decode(): v.decode() for k, v in (meta.metadata or {}).items()},
            "records": [plain(entries(r)) for r in table.to_pylist()],
        })
    print(json.dumps(out))


if __name__ == "__main__":
    main()
