// The component's exports over a plugin class: what componentize-js wires
// to the contract's `transformation`, `conversion` and `formatting`
// interfaces. Nothing escapes an export as an exception (it would trap and
// kill the instance): a whole-call problem fails every record of the call.
//
//   import { exportTransform } from "./sluice-sdk/export.js";
//   export const transformation = exportTransform(MyTransform);

import { log as hostLog } from "sluice:plugin/log@0.1.0";
import { Arena, decodeBatch, failureMessage, runConvert, runEncode, runTransform, setHostLog, start } from "./index.js";

setHostLog(hostLog);

function metadata(cls, kind) {
  const info = cls.info ?? {};
  return {
    name: info.name ?? "unnamed",
    version: info.version ?? "0.1.0",
    kind,
    description: info.description ?? "",
    config: (info.config ?? []).map((k) => ({
      name: k.name,
      valueType: k.type ?? "string",
      defaultValue: k.default === undefined || k.default === null ? undefined : String(k.default),
      required: Boolean(k.required),
      description: k.description ?? "",
    })),
  };
}

function failAll(n, message) {
  return Array.from({ length: n }, (_, input) => ({ input, message }));
}

function lifecycle(cls, kind) {
  let plugin = null;
  return {
    metadata: () => metadata(cls, kind),
    configure(config) {
      try {
        plugin = start(cls, config);
      } catch (e) {
        // The error of a `result<_, string>` is the thrown string.
        throw failureMessage(e);
      }
    },
    configured() {
      if (plugin === null) throw new Error("the host called the plugin before `configure`");
      return plugin;
    },
  };
}

function outputBatch(records) {
  const arena = new Arena();
  const out = [];
  const headers = [];
  for (const r of records) {
    const first = headers.length;
    for (const [name, value] of r.headers) {
      headers.push({ name: arena.put(name), value: value === null ? undefined : arena.put(value) });
    }
    out.push({
      topic: arena.put(r.topic),
      partition: r.partition,
      offset: BigInt(r.offset),
      timestamp: r.timestamp === null ? undefined : BigInt(r.timestamp),
      key: r.key === null ? undefined : arena.put(r.key),
      keyKind: r.keyKind,
      value: r.value === null ? undefined : arena.put(r.value),
      valueKind: r.valueKind,
      firstHeader: first,
      headerCount: r.headers.length,
    });
  }
  return { data: arena.bytes(), records: out, headers };
}

/** The `transformation` export of a Transform class. */
export function exportTransform(cls) {
  const life = lifecycle(cls, "transform");
  return {
    metadata: life.metadata,
    configure: life.configure,
    transform(input) {
      try {
        const { outputs, origins, failures } = runTransform(life.configured(), decodeBatch(input));
        return {
          output: outputBatch(outputs),
          origins,
          failures: failures.map(([input, message]) => ({ input, message })),
        };
      } catch (e) {
        return {
          output: { data: new Uint8Array(), records: [], headers: [] },
          origins: [],
          failures: failAll(input.records.length, failureMessage(e)),
        };
      }
    },
  };
}

/** The `conversion` export of a Converter class. */
export function exportConverter(cls) {
  const life = lifecycle(cls, "converter");
  return {
    metadata: life.metadata,
    configure: life.configure,
    convert(part, input) {
      try {
        const arena = new Arena();
        const failures = [];
        const items = runConvert(life.configured(), decodeBatch(input), part).map((item, i) => {
          if (item === null) return { tag: "null" };
          if (item.failed !== undefined) {
            failures.push({ input: i, message: item.failed });
            return { tag: "failed" };
          }
          return { tag: "converted", val: [arena.put(item.bytes), item.kind] };
        });
        return { data: arena.bytes(), items, failures };
      } catch (e) {
        const n = input.records.length;
        return { data: new Uint8Array(), items: Array.from({ length: n }, () => ({ tag: "failed" })), failures: failAll(n, failureMessage(e)) };
      }
    },
  };
}

const toBytes = (b) => (typeof b === "string" ? new TextEncoder().encode(b) : b ?? new Uint8Array());

/** The `formatting` export of a Formatter class. */
export function exportFormatter(cls) {
  const life = lifecycle(cls, "formatter");
  const framed = (name) => () => {
    try {
      return toBytes(life.configured()[name]());
    } catch (e) {
      hostLog("error", `${name}() failed, writing none: ${failureMessage(e)}`);
      return new Uint8Array();
    }
  };
  return {
    metadata: life.metadata,
    configure: life.configure,
    info() {
      const f = cls.format ?? {};
      return {
        contentType: f.contentType ?? "application/octet-stream",
        extension: f.extension ?? ".bin",
        prefix: toBytes(f.prefix),
        separator: toBytes(f.separator ?? "\n"),
        suffix: toBytes(f.suffix),
      };
    },
    header: framed("header"),
    trailer: framed("trailer"),
    encode(input) {
      try {
        const arena = new Arena();
        const failures = [];
        const items = runEncode(life.configured(), decodeBatch(input)).map((item, i) => {
          if (ArrayBuffer.isView(item)) return arena.put(item);
          failures.push({ input: i, message: item.failed });
          return undefined;
        });
        return { data: arena.bytes(), items, failures };
      } catch (e) {
        const n = input.records.length;
        return { data: new Uint8Array(), items: new Array(n).fill(undefined), failures: failAll(n, failureMessage(e)) };
      }
    },
  };
}
