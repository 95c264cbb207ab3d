// Write Sluice plugins in JavaScript, built with componentize-js.
//
// A Sluice plugin is a WebAssembly component the host loads from its plugin
// directory: a converter (raw key or value bytes to typed bytes), a transform
// (keep, change, drop, split or fail records) or a formatter (records to an
// HTTP body or object contents). The host calls plugins with whole batches in
// an arena layout; this SDK hides it and calls your code once per record,
// catching each record's error on its own so one bad record never fails its
// neighbours. See README.md.

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** What a key or value holds. */
export const BINARY = "binary";
export const TEXT = "text";
export const JSON_KIND = "json";
const KINDS = new Set([BINARY, TEXT, JSON_KIND]);

/** Throw it (or any error) to fail the record being processed. */
export class RecordError extends Error {}

/** One Kafka record as a plugin sees it and as a transform emits it. */
export class Record {
  constructor(fields = {}) {
    this.topic = fields.topic ?? "";
    this.partition = fields.partition ?? 0;
    this.offset = fields.offset ?? 0;
    /** Milliseconds since the Unix epoch, or null. */
    this.timestamp = fields.timestamp ?? null;
    /** Uint8Array or null. */
    this.key = fields.key ?? null;
    /** Uint8Array, or null for a tombstone. */
    this.value = fields.value ?? null;
    this.keyKind = fields.keyKind ?? BINARY;
    this.valueKind = fields.valueKind ?? BINARY;
    /** [name, Uint8Array | null] pairs in order. */
    this.headers = fields.headers ?? [];
  }

  isTombstone() {
    return this.value === null;
  }

  hasHeader(name) {
    return this.headers.some(([n]) => n === name);
  }

  /** The value of the first header called `name` (null when absent or null). */
  header(name) {
    const h = this.headers.find(([n]) => n === name);
    return h ? h[1] : null;
  }

  /** The value as text; a RecordError names the offset when it is null or not UTF-8. */
  valueText() {
    if (this.value === null) throw new RecordError(`offset ${this.offset}: value is null`);
    try {
      return decoder.decode(this.value);
    } catch (e) {
      throw new RecordError(`offset ${this.offset}: value is not UTF-8`);
    }
  }

  /** The value parsed as JSON; a RecordError names the offset and what is wrong. */
  valueJson() {
    const text = this.valueText();
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new RecordError(`offset ${this.offset}: value is not valid JSON: ${e.message}`);
    }
  }

  /** A copy with some fields changed. */
  with(changes) {
    return new Record({ ...this, ...changes });
  }

  /** A copy whose value is `document` as JSON. */
  withJson(document) {
    return this.with({ value: encoder.encode(JSON.stringify(document)), valueKind: JSON_KIND });
  }
}

/** The plugin's configuration: manifest values with declared defaults filled in. */
export class Config {
  constructor(entries, keys = []) {
    this.values = new Map();
    for (const k of keys) if (k.default !== undefined && k.default !== null) this.values.set(k.name, String(k.default));
    for (const [k, v] of entries) this.values.set(k, v);
  }
  has(name) { return this.values.has(name); }
  getString(name, fallback = null) { return this.values.has(name) ? this.values.get(name) : fallback; }
  require(name) {
    if (!this.values.has(name)) throw new Error(`missing required key ${JSON.stringify(name)}`);
    return this.values.get(name);
  }
  getInt(name, fallback = null) {
    const v = this.values.get(name);
    if (v === undefined) return fallback;
    if (!/^[+-]?\d+$/.test(v.trim())) throw new Error(`${name}: ${JSON.stringify(v)} is not an integer`);
    return Number.parseInt(v, 10);
  }
  getFloat(name, fallback = null) {
    const v = this.values.get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (Number.isNaN(n)) throw new Error(`${name}: ${JSON.stringify(v)} is not a number`);
    return n;
  }
  getBool(name, fallback = null) {
    const v = this.values.get(name);
    if (v === undefined) return fallback;
    if (!["true", "false"].includes(v.toLowerCase())) throw new Error(`${name}: ${JSON.stringify(v)} is not true or false`);
    return v.toLowerCase() === "true";
  }
  /** A comma-separated value as trimmed, non-empty items. */
  getList(name, fallback = null) {
    const v = this.values.get(name);
    if (v === undefined) return fallback;
    return v.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  }
}

/**
 * Every plugin class declares `static info = { name, version, description,
 * config: [{ name, type, default, required, description }] }` and may
 * implement `configure(config)` (throw to refuse the configuration).
 */
export class Plugin {
  configure(_config) {}
}

/** `transform(record)` returns a Record, an array of Records (a split; [] drops), or null to drop; throw to fail. */
export class Transform extends Plugin {
  transform(record) {
    return record;
  }
}

/** `convert(bytes, record, part)` returns `{ bytes, kind }`, or null when the part is null; throw to fail. */
export class Converter extends Plugin {
  convert(bytes, _record, _part) {
    return { bytes, kind: BINARY };
  }
}

/**
 * `encode(record)` returns the record's bytes (Uint8Array or string); throw
 * to fail. Framing: `static format = { contentType, extension, prefix,
 * separator, suffix }`; optional `header()` and `trailer()`.
 */
export class Formatter extends Plugin {
  encode(record) {
    return record.value ?? new Uint8Array();
  }
  header() {
    return new Uint8Array();
  }
  trailer() {
    return new Uint8Array();
  }
}

let hostLog = null;
/** Registers the host's log import; the export functions do it. */
export function setHostLog(fn) {
  hostLog = fn;
}

function write(level, message) {
  if (hostLog) hostLog(level, String(message));
  else console.error(`[${level}] ${message}`);
}

/** Lines in the host's log, tagged with the plugin's name. */
export const log = {
  trace: (m) => write("trace", m),
  debug: (m) => write("debug", m),
  info: (m) => write("info", m),
  warn: (m) => write("warn", m),
  error: (m) => write("error", m),
};

/** What a failed record reports: the error's message. */
export function failureMessage(e) {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

// ---- The arena layout ------------------------------------------------------

function slice(data, span) {
  return span === undefined || span === null ? null : data.slice(span.start, span.start + span.len);
}

function text(data, span) {
  return decoder.decode(data.subarray(span.start, span.start + span.len));
}

/** The Records of a contract batch `{ data, records, headers }`. */
export function decodeBatch(batch) {
  const { data, headers } = batch;
  const topics = new Map();
  return batch.records.map((r) => {
    const key = `${r.topic.start}:${r.topic.len}`;
    let topic = topics.get(key);
    if (topic === undefined) {
      topic = text(data, r.topic);
      topics.set(key, topic);
    }
    const hs = headers.slice(r.firstHeader, r.firstHeader + r.headerCount).map((h) => [text(data, h.name), slice(data, h.value)]);
    return new Record({
      topic,
      partition: r.partition,
      offset: Number(r.offset),
      timestamp: r.timestamp === undefined || r.timestamp === null ? null : Number(r.timestamp),
      key: slice(data, r.key),
      value: slice(data, r.value),
      keyKind: r.keyKind,
      valueKind: r.valueKind,
      headers: hs,
    });
  });
}

/** A growing byte buffer handing out spans. */
export class Arena {
  constructor() {
    this.buf = new Uint8Array(1 << 16);
    this.len = 0;
  }
  put(bytes) {
    if (typeof bytes === "string") bytes = encoder.encode(bytes);
    if (!ArrayBuffer.isView(bytes)) throw new TypeError("expected a Uint8Array or a string");
    if (this.len + bytes.length > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.len + bytes.length) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    const start = this.len;
    this.buf.set(bytes, start);
    this.len += bytes.length;
    return { start, len: bytes.length };
  }
  bytes() {
    return this.buf.slice(0, this.len);
  }
}

function checkKind(kind) {
  if (!KINDS.has(kind)) throw new TypeError(`value kind ${JSON.stringify(kind)} is not binary, text or json`);
  return kind;
}

const isInteger = (v) => Number.isInteger(v) || typeof v === "bigint";

function checkBytes(v, what) {
  if (v !== null && typeof v !== "string" && !ArrayBuffer.isView(v)) {
    throw new TypeError(`${what} must be a Uint8Array, a string or null`);
  }
}

/** Checks an output record's fields, so a bad one fails its own input
 * record instead of the whole call when the batch is assembled. */
function checkRecord(r) {
  if (typeof r.topic !== "string") throw new TypeError("a record's topic must be a string");
  if (!Number.isInteger(r.partition)) throw new TypeError("a record's partition must be an integer");
  if (!isInteger(r.offset)) throw new TypeError("a record's offset must be an integer");
  if (r.timestamp !== null && !isInteger(r.timestamp)) throw new TypeError("a record's timestamp must be an integer or null");
  checkBytes(r.key, "a record's key");
  checkBytes(r.value, "a record's value");
  checkKind(r.keyKind);
  checkKind(r.valueKind);
  if (!Array.isArray(r.headers)) throw new TypeError("a record's headers must be an array of [name, value] pairs");
  for (const h of r.headers) {
    if (!Array.isArray(h) || typeof h[0] !== "string") throw new TypeError("a header must be a [name, value] pair with a string name");
    checkBytes(h[1], `header ${h[0]}`);
  }
}

/** Runs `plugin.transform` per record: `{ outputs, origins, failures: [[index, message]] }`. */
export function runTransform(plugin, records) {
  const outputs = [];
  const origins = [];
  const failures = [];
  records.forEach((record, i) => {
    let result;
    try {
      result = plugin.transform(record);
      if (result === null || result === undefined) return;
      if (!Array.isArray(result)) result = [result];
      for (const r of result) {
        if (!(r instanceof Record)) throw new TypeError("transform returned something that is not a Record");
        checkRecord(r);
      }
    } catch (e) {
      failures.push([i, failureMessage(e)]);
      return;
    }
    for (const r of result) {
      outputs.push(r);
      origins.push(i);
    }
  });
  return { outputs, origins, failures };
}

/** Runs `plugin.convert` per record: items `{ bytes, kind }`, `null`, or `{ failed: message }`. */
export function runConvert(plugin, records, part) {
  return records.map((record) => {
    const data = part === "key" ? record.key : record.value;
    try {
      if (data === null) return null;
      const result = plugin.convert(data, record, part);
      if (result === null || result === undefined) return null;
      let bytes = result.bytes;
      if (typeof bytes === "string") bytes = encoder.encode(bytes);
      if (!ArrayBuffer.isView(bytes)) throw new TypeError("convert must return { bytes: Uint8Array | string, kind }");
      return { bytes, kind: checkKind(result.kind ?? BINARY) };
    } catch (e) {
      return { failed: failureMessage(e) };
    }
  });
}

/** Runs `plugin.encode` per record: items `Uint8Array` or `{ failed: message }`. */
export function runEncode(plugin, records) {
  return records.map((record) => {
    try {
      const b = plugin.encode(record);
      if (typeof b === "string") return encoder.encode(b);
      if (!ArrayBuffer.isView(b)) throw new TypeError("encode must return a Uint8Array or a string");
      return b;
    } catch (e) {
      return { failed: failureMessage(e) };
    }
  });
}

/** A configured instance of plugin class `cls`. */
export function start(cls, entries) {
  const plugin = new cls();
  plugin.configure(new Config(entries, cls.info?.config ?? []));
  return plugin;
}
