"""The batch layer: the contract's arena batches to Records and back, and
the per-record loops of the three plugin kinds. Pure Python over duck-typed
batches, so the same loops run in the component and in plain CPython tests."""

from __future__ import annotations

from . import BINARY, Config, Record, failure_message

_KIND_NAMES = {0: "binary", 1: "text", 2: "json"}


def kind_name(kind) -> str:
    """A value-kind enum of the bindings (or a name) as BINARY, TEXT or JSON."""
    if isinstance(kind, str):
        return kind
    return _KIND_NAMES.get(getattr(kind, "value", kind), BINARY)


def decode(batch) -> list:
    """The Records of an arena batch (`data`, `records`, `headers`)."""
    data = batch.data
    headers = batch.headers
    topics = {}
    out = []
    for r in batch.records:
        span = r.topic
        topic = topics.get((span.start, span.len))
        if topic is None:
            topic = bytes(data[span.start:span.start + span.len]).decode("utf-8")
            topics[(span.start, span.len)] = topic
        hs = []
        for h in headers[r.first_header:r.first_header + r.header_count]:
            name = bytes(data[h.name.start:h.name.start + h.name.len]).decode("utf-8")
            v = h.value
            hs.append((name, None if v is None else bytes(data[v.start:v.start + v.len])))
        k, v = r.key, r.value
        out.append(Record(
            topic=topic,
            partition=r.partition,
            offset=r.offset,
            timestamp=r.timestamp,
            key=None if k is None else bytes(data[k.start:k.start + k.len]),
            value=None if v is None else bytes(data[v.start:v.start + v.len]),
            key_kind=kind_name(r.key_kind),
            value_kind=kind_name(r.value_kind),
            headers=hs,
        ))
    return out


class Arena:
    """An output data buffer that hands out (start, len) spans."""

    def __init__(self):
        self.data = bytearray()

    def put(self, b: bytes):
        start = len(self.data)
        self.data += b
        return start, len(b)


def check_kind(kind: str) -> str:
    if kind not in ("binary", "text", "json"):
        raise ValueError(f"value kind {kind!r} is not binary, text or json")
    return kind


def as_bytes(v) -> bytes:
    """What a plugin returned as bytes: bytes as they are, str as UTF-8."""
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    raise TypeError(f"expected bytes or str, not {type(v).__name__}")


def _check_bytes(v, what: str) -> None:
    if v is not None and not isinstance(v, (bytes, bytearray)):
        raise TypeError(f"{what} must be bytes or None, not {type(v).__name__}")


def check_record(r) -> None:
    """Checks an output record's fields, so a bad one fails its own input
    record instead of the whole call when the batch is assembled."""
    if not isinstance(r.topic, str):
        raise TypeError(f"a record's topic must be str, not {type(r.topic).__name__}")
    for name in ("partition", "offset"):
        if not isinstance(getattr(r, name), int):
            raise TypeError(f"a record's {name} must be int")
    if r.timestamp is not None and not isinstance(r.timestamp, int):
        raise TypeError("a record's timestamp must be int or None")
    _check_bytes(r.key, "a record's key")
    _check_bytes(r.value, "a record's value")
    check_kind(r.key_kind)
    check_kind(r.value_kind)
    for h in r.headers:
        if not isinstance(h, tuple) or len(h) != 2 or not isinstance(h[0], str):
            raise TypeError("a header must be a (str name, bytes value) pair")
        _check_bytes(h[1], f"header {h[0]}")


def run_transform(plugin, records):
    """Runs `plugin.transform` on each record: `(outputs, origins, failures)`,
    outputs in input order, `origins[i]` the input index of `outputs[i]`,
    `failures` a list of `(input index, message)`."""
    outputs, origins, failures = [], [], []
    for i, record in enumerate(records):
        try:
            result = plugin.transform(record)
            if result is None:
                continue
            if isinstance(result, Record):
                result = [result]
            result = list(result)
            for r in result:
                if not isinstance(r, Record):
                    raise TypeError(f"transform returned {type(r).__name__}, not a Record")
                check_record(r)
        except BaseException as e:  # sys.exit() too: an escaping one would trap the instance
            failures.append((i, failure_message(e)))
            continue
        for r in result:
            outputs.append(r)
            origins.append(i)
    return outputs, origins, failures


def run_convert(plugin, records, part: str):
    """Runs `plugin.convert` on the key or value of each record: a list of
    `("converted", bytes, kind)`, `("null",)` or `("failed", message)`."""
    items = []
    for record in records:
        data = record.key if part == "key" else record.value
        try:
            if data is None:
                items.append(("null",))
                continue
            result = plugin.convert(data, record, part)
            if result is None:
                items.append(("null",))
                continue
            converted, kind = result
            items.append(("converted", as_bytes(converted), check_kind(kind)))
        except BaseException as e:
            items.append(("failed", failure_message(e)))
    return items


def run_encode(plugin, records):
    """Runs `plugin.encode` on each record: a list of `bytes` or `("failed", message)`."""
    items = []
    for record in records:
        try:
            items.append(as_bytes(plugin.encode(record)))
        except BaseException as e:
            items.append(("failed", failure_message(e)))
    return items


def start(cls, entries):
    """A configured instance of plugin class `cls`; raises with the plugin's message."""
    plugin = cls()
    plugin.configure(Config(entries, cls.config_keys))
    return plugin
