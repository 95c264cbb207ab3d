// TypeScript declarations of export.js: the component's exports over a
// plugin class. export.js imports the host's `sluice:plugin/log@0.1.0`, so
// it only loads inside a component (componentize-js); keep plugin classes in
// a module of their own to test them in Node (see README.md).
//
//   import { exportTransform } from "./sluice-sdk/export.js";
//   export const transformation = exportTransform(MyTransform);
//
// The export objects follow the contract (wit/plugin.wit) in the shapes
// componentize-js uses; the SDK fills them, plugins never call them.

import type {
  ConverterPlugin,
  FormatterClass,
  FormatterPlugin,
  Part,
  PluginClass,
  RawBatch,
  Span,
  TransformPlugin,
  ValueKind,
} from "./index.js";

/** A configuration key as the contract describes it. */
export interface ContractConfigKey {
  name: string;
  valueType: "string" | "integer" | "float" | "boolean" | "list";
  defaultValue?: string;
  required: boolean;
  description: string;
}

/** What a plugin says about itself (from its class's `static info`). */
export interface PluginMetadata {
  name: string;
  version: string;
  kind: "converter" | "transform" | "formatter";
  description: string;
  config: ContractConfigKey[];
}

/** A record the plugin failed, by its index in the input batch. */
export interface Failure {
  input: number;
  message: string;
}

/** The exports every kind shares. `configure` throws the message (a string) to refuse a configuration. */
export interface LifecycleExport {
  metadata(): PluginMetadata;
  configure(config: Array<[string, string]>): void;
}

/** The contract's `transformation` interface. */
export interface TransformationExport extends LifecycleExport {
  transform(input: RawBatch): { output: RawBatch; origins: number[]; failures: Failure[] };
}

/** One converted part: `converted` (bytes at a span of `data`, and their kind), `null`, or `failed`. */
export type ConversionItem = { tag: "converted"; val: [Span, ValueKind] } | { tag: "null" } | { tag: "failed" };

/** The contract's `conversion` interface. */
export interface ConversionExport extends LifecycleExport {
  convert(part: Part, input: RawBatch): { data: Uint8Array; items: ConversionItem[]; failures: Failure[] };
}

/** The contract's `formatting` interface. */
export interface FormattingExport extends LifecycleExport {
  info(): { contentType: string; extension: string; prefix: Uint8Array; separator: Uint8Array; suffix: Uint8Array };
  header(): Uint8Array;
  trailer(): Uint8Array;
  encode(input: RawBatch): { data: Uint8Array; items: Array<Span | undefined>; failures: Failure[] };
}

/**
 * The `transformation` export of a transform class (usually a `Transform`
 * subclass): `export const transformation = exportTransform(MyTransform);`.
 * The class is instantiated and configured once per plugin instance; a
 * record whose `transform` throws fails alone.
 */
export function exportTransform(cls: PluginClass<TransformPlugin>): TransformationExport;

/** The `conversion` export of a converter class: `export const conversion = exportConverter(MyConverter);`. */
export function exportConverter(cls: PluginClass<ConverterPlugin>): ConversionExport;

/** The `formatting` export of a formatter class: `export const formatting = exportFormatter(MyFormatter);`. */
export function exportFormatter(cls: FormatterClass<FormatterPlugin>): FormattingExport;
