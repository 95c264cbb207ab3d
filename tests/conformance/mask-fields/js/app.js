// The conformance suite's reference transform in JavaScript (see ../README.md).
import { RecordError, Transform } from "./sluice-sdk/index.js";
import { exportTransform } from "./sluice-sdk/export.js";

class MaskFields extends Transform {
  static info = {
    name: "mask-fields",
    version: "0.1.0",
    description: "Replaces top-level fields of JSON object values (conformance reference)",
    config: [
      { name: "fields", type: "list", required: true, description: "Top-level fields to replace" },
      { name: "replacement", type: "string", default: "****", description: "What replaces them" },
      // The Kafka Connect class this transform stands in for.
      {
        name: "connect.class",
        type: "list",
        default: "com.example.transforms.MaskFields$Value",
        description: "The Kafka Connect class this plugin runs as",
      },
    ],
  };

  configure(config) {
    this.fields = config.getList("fields");
    this.replacement = config.getString("replacement");
  }

  transform(record) {
    if (record.hasHeader("skip")) return null;
    const value = record.valueJson();
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new RecordError(`offset ${record.offset}: value is not a JSON object`);
    }
    for (const f of this.fields) {
      if (Object.hasOwn(value, f)) value[f] = this.replacement;
    }
    return record.withJson(value);
  }
}

export const transformation = exportTransform(MaskFields);
