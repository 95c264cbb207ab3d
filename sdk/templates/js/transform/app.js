// {{name}}: a Sluice transform in JavaScript. It adds the record's topic to
// JSON object values, drops records that carry a `drop` header, and fails
// values that are not JSON objects (the message names the offset).
import { RecordError, Transform } from "./sluice-sdk/index.js";
import { exportTransform } from "./sluice-sdk/export.js";

class Plugin extends Transform {
  static info = {
    name: "{{name}}",
    version: "0.1.0",
    description: "Adds the topic to JSON object values",
    config: [{ name: "field", type: "string", default: "topic", description: "The field that gets the topic" }],
  };

  configure(config) {
    this.field = config.getString("field");
  }

  transform(record) {
    if (record.hasHeader("drop")) return null; // dropped; return an array to split a record
    const value = record.valueJson();
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new RecordError(`offset ${record.offset}: value is not a JSON object`);
    }
    value[this.field] = record.topic;
    return record.withJson(value);
  }
}

export const transformation = exportTransform(Plugin);
