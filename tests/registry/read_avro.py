"""Reads Avro object container files with fastavro (an independent reader,
installed with confluent-kafka's avro extra by scripts/registry/setup-python)
and prints, as one JSON document, a list with one entry per file:
{"schema": the writer schema's JSON text as the header holds it, "codec":
the codec, "records": the records}. Values are made JSON: a decimal as its
text, a timestamp as epoch milliseconds, a date as days since the epoch, a
time as milliseconds of the day, bytes as base64.

Usage: read_avro.py FILE...
"""

import base64
import datetime
import decimal
import json
import sys

import fastavro

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def plain(v):
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, tuple):
        return [plain(x) for x in v]
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, datetime.datetime):
        return (v - EPOCH) // datetime.timedelta(milliseconds=1)
    if isinstance(v, datetime.date):
        return (v - datetime.date(1970, 1, 1)).days
    if isinstance(v, datetime.time):
        return ((v.hour * 60 + v.minute) * 60 + v.second) * 1000 + v.microsecond // 1000
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode("ascii")
    return v


def main():
    out = []
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            reader = fastavro.reader(f)
            records = [plain(r) for r in reader]
            out.append({
                "schema": reader.metadata["avro.schema"],
                "codec": reader.codec,
                "records": records,
            })
    print(json.dumps(out))


if __name__ == "__main__":
    main()
