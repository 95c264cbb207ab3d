// {{name}}: a Sluice formatter in JavaScript. It writes CSV: a header line,
// then one `topic,partition,offset,value` line per record.
import { Formatter } from "./sluice-sdk/index.js";
import { exportFormatter } from "./sluice-sdk/export.js";

const quote = (field, delimiter) => {
  const s = String(field);
  return /["\r\n]/.test(s) || s.includes(delimiter) ? `"${s.replace(/"/g, '""')}"` : s;
};

class Plugin extends Formatter {
  static info = {
    name: "{{name}}",
    version: "0.1.0",
    description: "Records as CSV lines (topic, partition, offset, value)",
    config: [{ name: "delimiter", type: "string", default: ",", description: "The field delimiter" }],
  };
  // Each encoded line ends with its own newline.
  static format = { contentType: "text/csv", extension: ".csv", separator: "" };

  configure(config) {
    this.delimiter = config.getString("delimiter");
    if (this.delimiter.length !== 1) throw new Error("delimiter: one character, please");
  }

  line(fields) {
    return fields.map((f) => quote(f, this.delimiter)).join(this.delimiter) + "\n";
  }

  header() {
    return this.line(["topic", "partition", "offset", "value"]);
  }

  encode(record) {
    const value = record.value === null ? "" : record.valueText();
    return this.line([record.topic, record.partition, record.offset, value]);
  }
}

export const formatting = exportFormatter(Plugin);
