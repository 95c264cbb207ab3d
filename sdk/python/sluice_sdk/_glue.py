"""The exports componentize-py wires up: classes implementing the contract's
`conversion`, `transformation` and `formatting` interfaces over a plugin class.
Imported only inside a component build, where the `wit_world` bindings exist.
Nothing escapes an export as an exception: an uncaught one would trap and
kill the instance, so whole-call problems fail every record of the call."""

from __future__ import annotations

from componentize_py_types import Err
from wit_world.imports import types

from . import _batch, log

_CONFIG_TYPES = {
    "string": types.ConfigType.STRING,
    "integer": types.ConfigType.INTEGER,
    "float": types.ConfigType.FLOAT,
    "boolean": types.ConfigType.BOOLEAN,
    "list": types.ConfigType.LIST,
}
_VALUE_KINDS = {
    "binary": types.ValueKind.BINARY,
    "text": types.ValueKind.TEXT,
    "json": types.ValueKind.JSON,
}


def _metadata(cls, kind) -> types.PluginMetadata:
    return types.PluginMetadata(
        name=cls.name,
        version=cls.version,
        kind=kind,
        description=cls.description,
        config=[
            types.ConfigKey(
                name=k.name,
                value_type=_CONFIG_TYPES[k.type],
                default_value=None if k.default is None else str(k.default),
                required=k.required,
                description=k.description,
            )
            for k in cls.config_keys
        ],
    )


def _fail_all(n: int, message: str) -> list:
    return [types.Failure(input=i, message=message) for i in range(n)]


# The configured plugin of this instance. componentize-py may make a new
# object of the export class for every call, so it cannot live on `self`.
_configured_plugin = None


class _Base:
    plugin_class = None
    kind = None

    def metadata(self) -> types.PluginMetadata:
        return _metadata(self.plugin_class, self.kind)

    def configure(self, config) -> None:
        global _configured_plugin
        try:
            _configured_plugin = _batch.start(self.plugin_class, config)
        except BaseException as e:
            raise Err(_batch.failure_message(e))

    @property
    def _plugin(self):
        return _configured_plugin

    def _configured(self):
        if _configured_plugin is None:
            raise RuntimeError("the host called the plugin before `configure`")
        return _configured_plugin


def _span(start_len) -> types.Span:
    return types.Span(start=start_len[0], len=start_len[1])


def _output_batch(records) -> types.Batch:
    arena = _batch.Arena()
    out, headers = [], []
    for r in records:
        first = len(headers)
        for name, value in r.headers:
            headers.append(types.Header(
                name=_span(arena.put(name.encode("utf-8"))),
                value=None if value is None else _span(arena.put(value)),
            ))
        out.append(types.Record(
            topic=_span(arena.put(r.topic.encode("utf-8"))),
            partition=r.partition,
            offset=r.offset,
            timestamp=r.timestamp,
            key=None if r.key is None else _span(arena.put(r.key)),
            key_kind=_VALUE_KINDS[r.key_kind],
            value=None if r.value is None else _span(arena.put(r.value)),
            value_kind=_VALUE_KINDS[r.value_kind],
            first_header=first,
            header_count=len(r.headers),
        ))
    return types.Batch(data=bytes(arena.data), records=out, headers=headers)


def _framing_bytes(name: str, v) -> bytes:
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    raise TypeError(f"{name} must be bytes or str, not {type(v).__name__}")


def _framing(fm, p):
    """The FormatInfo of formatter `p`; TypeError naming a field of the wrong
    type (checked at `configure`, so `info` cannot trap later)."""
    for name in ("content_type", "extension"):
        if not isinstance(getattr(p, name), str):
            raise TypeError(f"{name} must be str")
    return fm.FormatInfo(
        content_type=p.content_type,
        extension=p.extension,
        prefix=_framing_bytes("prefix", p.prefix),
        separator=_framing_bytes("separator", p.separator),
        suffix=_framing_bytes("suffix", p.suffix),
    )


def transformation(cls):
    from wit_world.exports import transformation as tf

    class Transformation(_Base):
        plugin_class = cls
        kind = types.PluginKind.TRANSFORM

        def transform(self, input: types.Batch) -> tf.Transformed:
            n = len(input.records)
            try:
                records = _batch.decode(input)
                outputs, origins, failures = _batch.run_transform(self._configured(), records)
                return tf.Transformed(
                    output=_output_batch(outputs),
                    origins=origins,
                    failures=[types.Failure(input=i, message=m) for i, m in failures],
                )
            except BaseException as e:
                return tf.Transformed(
                    output=types.Batch(data=b"", records=[], headers=[]),
                    origins=[],
                    failures=_fail_all(n, _batch.failure_message(e)),
                )

    return Transformation


def conversion(cls):
    from wit_world.exports import conversion as cv

    class Conversion(_Base):
        plugin_class = cls
        kind = types.PluginKind.CONVERTER

        def convert(self, part, input: types.Batch) -> cv.Conversions:
            n = len(input.records)
            try:
                records = _batch.decode(input)
                which = "key" if part == cv.Part.KEY else "value"
                arena = _batch.Arena()
                items, failures = [], []
                for i, item in enumerate(_batch.run_convert(self._configured(), records, which)):
                    if item[0] == "converted":
                        span = _span(arena.put(item[1]))
                        items.append(cv.Conversion_Converted((span, _VALUE_KINDS[item[2]])))
                    elif item[0] == "null":
                        items.append(cv.Conversion_Null())
                    else:
                        items.append(cv.Conversion_Failed())
                        failures.append(types.Failure(input=i, message=item[1]))
                return cv.Conversions(data=bytes(arena.data), items=items, failures=failures)
            except BaseException as e:
                return cv.Conversions(
                    data=b"",
                    items=[cv.Conversion_Failed() for _ in range(n)],
                    failures=_fail_all(n, _batch.failure_message(e)),
                )

    return Conversion


def formatting(cls):
    from wit_world.exports import formatting as fm

    class Formatting(_Base):
        plugin_class = cls
        kind = types.PluginKind.FORMATTER

        def configure(self, config) -> None:
            _Base.configure(self, config)
            try:
                _framing(fm, self._plugin)
            except BaseException as e:
                raise Err(f"the formatter's framing: {_batch.failure_message(e)}")

        def info(self) -> fm.FormatInfo:
            return _framing(fm, self._plugin or cls)

        def header(self) -> bytes:
            try:
                return _framing_bytes("header()", self._configured().header())
            except BaseException as e:
                log.error(f"header() failed, writing none: {_batch.failure_message(e)}")
                return b""

        def trailer(self) -> bytes:
            try:
                return _framing_bytes("trailer()", self._configured().trailer())
            except BaseException as e:
                log.error(f"trailer() failed, writing none: {_batch.failure_message(e)}")
                return b""

        def encode(self, input: types.Batch) -> fm.Encoded:
            n = len(input.records)
            try:
                records = _batch.decode(input)
                arena = _batch.Arena()
                items, failures = [], []
                for i, item in enumerate(_batch.run_encode(self._configured(), records)):
                    if isinstance(item, bytes):
                        items.append(_span(arena.put(item)))
                    else:
                        items.append(None)
                        failures.append(types.Failure(input=i, message=item[1]))
                return fm.Encoded(data=bytes(arena.data), items=items, failures=failures)
            except BaseException as e:
                return fm.Encoded(data=b"", items=[None] * n, failures=_fail_all(n, _batch.failure_message(e)))

    return Formatting
