"""Write Sluice plugins in Python.

A Sluice plugin is a WebAssembly component the host loads from its plugin
directory: a converter (raw key or value bytes to typed bytes, like Kafka
Connect's converters), a transform (keep, change, drop, split or fail records,
like Connect's SMTs) or a formatter (records to an HTTP body or object
contents). The host calls a plugin with whole batches in an arena layout; this
SDK hides that and calls your code once per record, catching each record's
error on its own so one bad record never fails its neighbours.

A transform::

    import sluice_sdk as sluice

    class AddTopic(sluice.Transform):
        name = "add-topic"
        version = "0.1.0"
        description = "Adds the record's topic to JSON object values"
        config_keys = [sluice.ConfigKey("field", default="topic", description="Field to set")]

        def configure(self, config):
            self.field = config.get_str("field")

        def transform(self, record):
            value = record.value_json()
            if not isinstance(value, dict):
                raise sluice.RecordError(f"offset {record.offset}: value is not a JSON object")
            value[self.field] = record.topic
            return record.with_json(value)

    Transformation = sluice.export_transform(AddTopic)

`componentize-py -d wit -w transform componentize app -o add-topic.wasm` turns
it into a component (see sdk/python/README.md). The same classes run in plain
CPython for unit tests (see "Testing" in sdk/python/README.md).
"""

from __future__ import annotations

import json as _json
import sys as _sys
from dataclasses import dataclass, field, replace as _replace
from typing import Iterable, Iterator, Mapping, Optional, Sequence, Union

__all__ = [
    "BINARY", "TEXT", "JSON", "Record", "RecordError", "ConfigKey", "Config",
    "Plugin", "Transform", "Converter", "Formatter", "log",
    "export_transform", "export_converter", "export_formatter",
]

#: What a key or value holds: bytes of unknown structure (before any converter).
BINARY = "binary"
#: UTF-8 text.
TEXT = "text"
#: One UTF-8 JSON document.
JSON = "json"
_KINDS = (BINARY, TEXT, JSON)


class RecordError(Exception):
    """Raise it (or any exception) to fail the record being processed; the
    message reaches the log and the dead letter queue as it is."""


@dataclass
class Record:
    """One Kafka record, as a plugin sees it and as a transform emits it."""

    topic: str
    partition: int = 0
    offset: int = 0
    #: Milliseconds since the Unix epoch, or None.
    timestamp: Optional[int] = None
    key: Optional[bytes] = None
    #: None is a tombstone.
    value: Optional[bytes] = None
    key_kind: str = BINARY
    value_kind: str = BINARY
    #: (name, value) pairs in order; a value may be None.
    headers: list = field(default_factory=list)

    def is_tombstone(self) -> bool:
        """True when the value is null."""
        return self.value is None

    def has_header(self, name: str) -> bool:
        """True when a header called `name` is there (its value may be null)."""
        return any(n == name for n, _ in self.headers)

    def header(self, name: str, default: Optional[bytes] = None) -> Optional[bytes]:
        """The value of the first header called `name`, else `default`."""
        for n, v in self.headers:
            if n == name:
                return v
        return default

    def value_text(self) -> str:
        """The value as text; a RecordError names the offset if it is null or not UTF-8."""
        if self.value is None:
            raise RecordError(f"offset {self.offset}: value is null")
        try:
            return self.value.decode("utf-8")
        except UnicodeDecodeError as e:
            raise RecordError(f"offset {self.offset}: value is not UTF-8: {e}") from None

    def value_json(self):
        """The value parsed as JSON; a RecordError names the offset and what is wrong."""
        text = self.value_text()
        try:
            return _json.loads(text)
        except ValueError as e:
            raise RecordError(f"offset {self.offset}: value is not valid JSON: {e}") from None

    def replace(self, **changes) -> "Record":
        """A copy with some fields changed: `record.replace(topic="other")`."""
        return _replace(self, **changes)

    def with_value(self, value: Optional[bytes], kind: Optional[str] = None) -> "Record":
        """A copy with another value (and optionally value kind)."""
        return _replace(self, value=value, value_kind=kind or self.value_kind)

    def with_json(self, document) -> "Record":
        """A copy whose value is `document` encoded as compact JSON."""
        encoded = _json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        return _replace(self, value=encoded.encode("utf-8"), value_kind=JSON)


@dataclass(frozen=True)
class ConfigKey:
    """One configuration key a plugin accepts: the host checks values against
    it before the plugin starts, and `sluice plugins` lists it."""

    name: str
    #: "string", "integer", "float", "boolean" or "list" (comma separated).
    type: str = "string"
    #: The value used when the key is not given, as a string.
    default: Optional[str] = None
    required: bool = False
    description: str = ""


class Config(Mapping):
    """The plugin's configuration: the manifest's values, with the declared
    defaults filled in. Typed getters raise ValueError naming the key."""

    def __init__(self, entries: Iterable, keys: Sequence[ConfigKey] = ()):
        self._values = {k.name: k.default for k in keys if k.default is not None}
        self._values.update(dict(entries))

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def require(self, name: str) -> str:
        """The value of `name`; ValueError when it is missing."""
        if name not in self._values:
            raise ValueError(f"missing required key {name!r}")
        return self._values[name]

    def get_str(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self._values.get(name, default)

    def get_int(self, name: str, default: Optional[int] = None) -> Optional[int]:
        v = self._values.get(name)
        if v is None:
            return default
        try:
            return int(v)
        except ValueError:
            raise ValueError(f"{name}: {v!r} is not an integer") from None

    def get_float(self, name: str, default: Optional[float] = None) -> Optional[float]:
        v = self._values.get(name)
        if v is None:
            return default
        try:
            return float(v)
        except ValueError:
            raise ValueError(f"{name}: {v!r} is not a number") from None

    def get_bool(self, name: str, default: Optional[bool] = None) -> Optional[bool]:
        v = self._values.get(name)
        if v is None:
            return default
        if v.lower() in ("true", "false"):
            return v.lower() == "true"
        raise ValueError(f"{name}: {v!r} is not true or false")

    def get_list(self, name: str, default: Optional[list] = None) -> Optional[list]:
        """A comma-separated value as a list of trimmed, non-empty items."""
        v = self._values.get(name)
        if v is None:
            return default
        return [item.strip() for item in v.split(",") if item.strip()]


class Plugin:
    """What every plugin declares: its name, version, description and config keys."""

    name = "unnamed"
    version = "0.1.0"
    description = ""
    config_keys: Sequence[ConfigKey] = ()

    def configure(self, config: Config) -> None:
        """Called once per instance before any record; raise to refuse the
        configuration (the message reaches the user as it is)."""


class Transform(Plugin):
    """Keeps, changes, drops, splits or fails records."""

    def transform(self, record: Record) -> Union[Record, Sequence[Record], None]:
        """Return the record (changed or not), a list of records (a split; an
        empty list drops it), or None to drop it; raise to fail it."""
        return record


class Converter(Plugin):
    """Turns a record's raw key or value bytes into typed bytes."""

    def convert(self, data: bytes, record: Record, part: str):
        """`part` is "key" or "value". Return `(bytes, kind)` with kind one of
        BINARY, TEXT, JSON, or None when the part is null; raise to fail."""
        return data, BINARY


class Formatter(Plugin):
    """Encodes records into an HTTP body or an object's contents:
    header + prefix + rec1 + separator + rec2 ... + suffix + trailer."""

    content_type = "application/octet-stream"
    #: The file extension of objects, with its dot.
    extension = ".bin"
    prefix = b""
    separator = b"\n"
    suffix = b""

    def encode(self, record: Record) -> bytes:
        """The bytes of one record; raise to fail it."""
        return record.value or b""

    def header(self) -> bytes:
        """Bytes that open a body or object."""
        return b""

    def trailer(self) -> bytes:
        """Bytes that close a body or object."""
        return b""


class _Log:
    """Log lines go to the host's log, tagged with the plugin's name; in
    plain CPython (tests) they go to standard error."""

    def _write(self, level: str, message: str) -> None:
        try:
            from wit_world.imports import log as host
        except ImportError:
            print(f"[{level}] {message}", file=_sys.stderr)
            return
        host.log(getattr(host.Level, level.upper()), str(message))

    def trace(self, message: str) -> None:
        self._write("trace", message)

    def debug(self, message: str) -> None:
        self._write("debug", message)

    def info(self, message: str) -> None:
        self._write("info", message)

    def warn(self, message: str) -> None:
        self._write("warn", message)

    def error(self, message: str) -> None:
        self._write("error", message)


#: `sluice_sdk.log.info("...")` and so on.
log = _Log()


def failure_message(error: BaseException) -> str:
    """What a failed record reports: the exception's message, or its type."""
    if isinstance(error, SystemExit):
        return f"the plugin called sys.exit({error.code!r})"
    text = str(error)
    return text if text else type(error).__name__


def _component_glue():
    """The component glue, or None in plain CPython (no bindings there), so
    that a plugin module imports in unit tests as it is."""
    try:
        from . import _glue as glue
    except ImportError as e:
        if (e.name or "").split(".")[0] in ("wit_world", "componentize_py_types"):
            return None
        raise
    return glue


def export_transform(cls):
    """The class componentize-py exports as `Transformation`:
    `Transformation = sluice_sdk.export_transform(MyTransform)`. Outside a
    component build it returns `cls` itself."""
    glue = _component_glue()
    return cls if glue is None else glue.transformation(cls)


def export_converter(cls):
    """The class componentize-py exports as `Conversion` (`cls` itself
    outside a component build)."""
    glue = _component_glue()
    return cls if glue is None else glue.conversion(cls)


def export_formatter(cls):
    """The class componentize-py exports as `Formatting` (`cls` itself
    outside a component build)."""
    glue = _component_glue()
    return cls if glue is None else glue.formatting(cls)
