/// <reference lib="es2020" />
// TypeScript declarations of Sluice's JavaScript SDK (index.js): what a plugin
// author uses. They describe index.js exactly; keep them in step with it.
// The raw contract types (`RawBatch` and the rest) are the shapes
// componentize-js hands the component's exports; plugins rarely need them.
//
//   import { Record, RecordError, Transform } from "./sluice-sdk/index.js";
//
// `Record` here shadows TypeScript's built-in `Record<K, V>` utility type in
// a module that imports it: `import { Record as SluiceRecord } ...` if you
// need both.
//
// The plugin runs in SpiderMonkey (componentize-js), a modern engine: the
// reference below brings ES2020's library types (Map, Iterable, bigint) into
// a compilation even when its target is older.

// ---- Value kinds -------------------------------------------------------------

/** What a record's key or value holds. */
export type ValueKind = "binary" | "text" | "json";
/** Bytes of unknown structure (the state before any converter). */
export const BINARY: "binary";
/** UTF-8 text. */
export const TEXT: "text";
/** One UTF-8 JSON document. (Named `JSON_KIND` so it does not shadow the global `JSON`.) */
export const JSON_KIND: "json";

/** Which part of a record a converter works on. */
export type Part = "key" | "value";

// ---- Records -----------------------------------------------------------------

/** A header: its name and its value (bytes, or null). */
export type Header = [name: string, value: Uint8Array | null];

/** The fields of a `Record`; every one is optional (see `Record`'s defaults). */
export interface RecordFields {
  topic?: string;
  partition?: number;
  offset?: number;
  timestamp?: number | null;
  key?: Uint8Array | null;
  value?: Uint8Array | null;
  keyKind?: ValueKind;
  valueKind?: ValueKind;
  headers?: Header[];
}

/**
 * Throw it (or any error) to fail the record being processed: the message
 * reaches the log and the dead letter queue as it is.
 */
export class RecordError extends Error {}

/** One Kafka record, as a plugin sees it and as a transform emits it. */
export class Record {
  /**
   * A record from `fields`; a field left out (or null) defaults to topic "",
   * partition 0, offset 0, timestamp null, key null, value null (a
   * tombstone), kinds `"binary"` and no headers.
   */
  constructor(fields?: RecordFields);
  topic: string;
  partition: number;
  /** The input's offset. A transform's outputs keep it; the host ignores it on outputs. */
  offset: number;
  /** Milliseconds since the Unix epoch, or null. */
  timestamp: number | null;
  key: Uint8Array | null;
  /** null is a tombstone. */
  value: Uint8Array | null;
  keyKind: ValueKind;
  valueKind: ValueKind;
  /** `[name, value]` pairs in order; a value may be null. */
  headers: Header[];

  /** True when the value is null. */
  isTombstone(): boolean;
  /** True when a header called `name` is there (its value may be null). */
  hasHeader(name: string): boolean;
  /** The value of the first header called `name`; null when there is none or its value is null. */
  header(name: string): Uint8Array | null;
  /** The value as text; throws a RecordError naming the offset when it is null or not UTF-8. */
  valueText(): string;
  /**
   * The value parsed as JSON; throws a RecordError naming the offset and what
   * is wrong. The result is `any`, as `JSON.parse`'s: name a type to check
   * against (`record.valueJson<Order>()`), it is not validated.
   */
  valueJson<T = any>(): T;
  /** A copy with some fields changed: `record.with({ topic: "other" })`. */
  with(changes: RecordFields): Record;
  /** A copy whose value is `document` as JSON text and whose value kind is `"json"`. */
  withJson(document: unknown): Record;
}

// ---- Configuration -----------------------------------------------------------

/** Configuration as the manifest gives it: `[key, value]` pairs (a `Map` works too). */
export type ConfigEntries = ReadonlyArray<readonly [string, string]> | Iterable<readonly [string, string]>;

/** The type of a configuration value (every value arrives as a string). */
export type ConfigType = "string" | "integer" | "float" | "boolean" | "list";

/**
 * One configuration key a plugin accepts, in `static info.config`: the host
 * checks manifest values against it before the plugin starts, and
 * `sluice plugins` lists it.
 */
export interface ConfigKey {
  name: string;
  /** `"list"` is comma separated. Default `"string"`. */
  type?: ConfigType;
  /** The value used when the key is not given (turned into a string). */
  default?: string | number | boolean | null;
  /** Default false. */
  required?: boolean;
  /** One line for `sluice plugins`. */
  description?: string;
}

/**
 * What a plugin class declares as `static info`. Every field has a default
 * (name `"unnamed"`, version `"0.1.0"`, no description, no keys), but name
 * it: the name is what `sluice plugins` and failures show.
 *
 * A plain static initializer widens `type: "list"` to `string`, so the
 * export functions check a class's `info` loosely (`LooseInfo`). To have the
 * key types checked, write `static info = { ... } satisfies PluginInfo` in
 * TypeScript, or give it a JSDoc `@satisfies {PluginInfo}` tag in checked
 * JavaScript.
 */
export interface PluginInfo {
  name?: string;
  version?: string;
  description?: string;
  config?: readonly ConfigKey[];
}

/** `PluginInfo` as a class's `static info` is checked: a key's `type` may be any string there. */
export interface LooseInfo {
  name?: string;
  version?: string;
  description?: string;
  config?: ReadonlyArray<Omit<ConfigKey, "type"> & { type?: string }>;
}

/**
 * The plugin's configuration: the manifest's values, with the declared
 * defaults filled in. Typed getters return the fallback (default null) when
 * the key has no value, and throw an Error naming the key when the value
 * does not parse. A key with a default always has a value: use `require`
 * for it in TypeScript to get a `string` rather than `string | null`.
 */
export class Config {
  /** `entries` are the manifest's `[key, value]` pairs; `keys` supply defaults. */
  constructor(entries: ConfigEntries, keys?: readonly ConfigKey[]);
  /** Every value, defaults included. */
  values: Map<string, string>;
  /** True when `name` has a value (given or by default). */
  has(name: string): boolean;
  /** The value of `name`; throws `missing required key "name"` when there is none. */
  require(name: string): string;
  getString(name: string): string | null;
  getString<F>(name: string, fallback: F): string | F;
  /** An integer (`/^[+-]?\d+$/` after trimming). */
  getInt(name: string): number | null;
  getInt<F>(name: string, fallback: F): number | F;
  /** Any string `Number()` reads (`""` and `" "` read as 0). */
  getFloat(name: string): number | null;
  getFloat<F>(name: string, fallback: F): number | F;
  /** `true` or `false`, any case. */
  getBool(name: string): boolean | null;
  getBool<F>(name: string, fallback: F): boolean | F;
  /** A comma-separated value as trimmed, non-empty items. */
  getList(name: string): string[] | null;
  getList<F>(name: string, fallback: F): string[] | F;
}

// ---- Plugin classes ----------------------------------------------------------

/**
 * The base of every plugin class. Declare `static info: PluginInfo`;
 * override `configure` to read the configuration (throw to refuse it: the
 * message reaches the user as it is). The class is instantiated with no
 * arguments, once per plugin instance, and `configure` is called before any
 * record.
 */
export class Plugin {
  configure(config: Config): void;
}

/**
 * What `transform` may return: the record (changed or not); an array of
 * records (a split, in order; `[]` drops the record); or null/undefined to
 * drop it. Throw to fail it.
 */
export type TransformResult = Record | readonly Record[] | null | undefined;

/** Keeps, changes, drops, splits or fails records. The default keeps every record. */
export class Transform extends Plugin {
  transform(record: Record): TransformResult;
}

/** What `convert` returns for a converted part: its bytes (a string is encoded as UTF-8) and kind (default `"binary"`). */
export interface Converted {
  bytes: Uint8Array | string;
  kind?: ValueKind;
}

/**
 * Turns a record's raw key or value bytes into typed bytes. `convert` is not
 * called for a null part (it stays null). Return `{ bytes, kind }`, or
 * null/undefined to make the part null; throw to fail the record. The
 * default passes the bytes through as `"binary"`.
 */
export class Converter extends Plugin {
  convert(bytes: Uint8Array, record: Record, part: Part): Converted | null | undefined;
}

/**
 * How a formatter's records are put together, as `static format`:
 * `header() + prefix + rec1 + separator + rec2 ... + suffix + trailer()`.
 * Strings are encoded as UTF-8. It is read from the class, so it cannot
 * depend on the configuration.
 */
export interface FormatInfo {
  /** Default `"application/octet-stream"`. */
  contentType?: string;
  /** The file extension of objects, with its dot. Default `".bin"`. */
  extension?: string;
  /** Default empty. */
  prefix?: Uint8Array | string | null;
  /** Default `"\n"`; `""` for none. */
  separator?: Uint8Array | string | null;
  /** Default empty. */
  suffix?: Uint8Array | string | null;
}

/**
 * Encodes records into an HTTP body or an object's contents. `encode`
 * returns one record's bytes (a string is encoded as UTF-8); throw to fail
 * the record. `header()` and `trailer()` open and close a body (default
 * empty); if they throw, the error is logged and nothing is written. The
 * default `encode` writes the value (empty for a tombstone).
 */
export class Formatter extends Plugin {
  encode(record: Record): Uint8Array | string;
  header(): Uint8Array | string;
  trailer(): Uint8Array | string;
}

/** The instance side any transform class must have (a `Transform` subclass has it). */
export interface TransformPlugin {
  configure(config: Config): void;
  transform(record: Record): TransformResult;
}

/** The instance side any converter class must have (a `Converter` subclass has it). */
export interface ConverterPlugin {
  configure(config: Config): void;
  convert(bytes: Uint8Array, record: Record, part: Part): Converted | null | undefined;
}

/** The instance side any formatter class must have (a `Formatter` subclass has it). */
export interface FormatterPlugin {
  configure(config: Config): void;
  encode(record: Record): Uint8Array | string;
  header(): Uint8Array | string;
  trailer(): Uint8Array | string;
}

/** A plugin class: constructed with no arguments, with its static `info`. */
export interface PluginClass<P> {
  new (): P;
  readonly info?: LooseInfo;
}

/** A formatter class: a plugin class with its static `format`. */
export interface FormatterClass<P extends FormatterPlugin = FormatterPlugin> extends PluginClass<P> {
  readonly format?: FormatInfo;
}

// ---- Logging -----------------------------------------------------------------

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/**
 * Lines in the host's log, tagged with the plugin's name (outside a
 * component, in Node, they go to `console.error` as `[level] message`).
 * The message is turned into a string with `String()`.
 */
export const log: {
  trace(message: unknown): void;
  debug(message: unknown): void;
  info(message: unknown): void;
  warn(message: unknown): void;
  error(message: unknown): void;
};

/** Registers where `log` writes; export.js registers the host's log import. null: `console.error`. */
export function setHostLog(fn: ((level: LogLevel, message: string) => void) | null): void;

/** What a failed record reports for a thrown value: an Error's message (or its name when empty), else `String(value)`. */
export function failureMessage(error: unknown): string;

// ---- The batch layer (used by export.js; handy in tests) ---------------------

/** A byte range of a batch's `data`. */
export interface Span {
  start: number;
  len: number;
}

/** A header of the contract's arena batch. */
export interface RawHeader {
  name: Span;
  value?: Span | null;
}

/** A record of the contract's arena batch (`offset` and `timestamp` are bigints from the host). */
export interface RawRecord {
  topic: Span;
  partition: number;
  offset: bigint | number;
  timestamp?: bigint | number | null;
  key?: Span | null;
  keyKind: ValueKind;
  value?: Span | null;
  valueKind: ValueKind;
  firstHeader: number;
  headerCount: number;
}

/** The contract's batch: every variable-length field is a span of `data`. */
export interface RawBatch {
  data: Uint8Array;
  records: RawRecord[];
  headers: RawHeader[];
}

/** The Records of a contract batch. */
export function decodeBatch(batch: RawBatch): Record[];

/** A growing byte buffer handing out spans. */
export class Arena {
  constructor();
  buf: Uint8Array;
  len: number;
  /** Appends bytes (a string as UTF-8) and returns where they are. */
  put(bytes: Uint8Array | string): Span;
  /** A copy of the bytes written so far. */
  bytes(): Uint8Array;
}

/**
 * Runs `plugin.transform` on each record, catching each record's error:
 * `outputs` in input order, `origins[i]` the input index of `outputs[i]`,
 * `failures` as `[input index, message]`. An input with neither is dropped.
 */
export function runTransform(
  plugin: TransformPlugin,
  records: readonly Record[],
): { outputs: Record[]; origins: number[]; failures: Array<[index: number, message: string]> };

/** Runs `plugin.convert` on `part` of each record: one item per record. */
export function runConvert(
  plugin: ConverterPlugin,
  records: readonly Record[],
  part: Part,
): Array<{ bytes: Uint8Array; kind: ValueKind } | null | { failed: string }>;

/** Runs `plugin.encode` on each record: one item per record. */
export function runEncode(plugin: FormatterPlugin, records: readonly Record[]): Array<Uint8Array | { failed: string }>;

/**
 * A configured instance of plugin class `cls`, as the component makes it:
 * `new cls()`, then `configure(new Config(entries, cls.info.config))`.
 * Throws what `configure` throws.
 */
export function start<P extends { configure(config: Config): void }>(
  cls: PluginClass<P>,
  entries: ConfigEntries,
): P;
