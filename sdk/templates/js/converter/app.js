// {{name}}: a Sluice converter in JavaScript. It reads `key=value` pairs
// separated by `&` (a form-encoded body) into a JSON object; bytes that are
// not UTF-8 fail the record.
import { Converter, JSON_KIND, RecordError } from "./sluice-sdk/index.js";
import { exportConverter } from "./sluice-sdk/export.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

class Plugin extends Converter {
  static info = {
    name: "{{name}}",
    version: "0.1.0",
    description: "Form-encoded text (a=1&b=2) to a JSON object",
    config: [{ name: "numbers", type: "boolean", default: "false", description: "Turn digit-only values into numbers" }],
  };

  configure(config) {
    this.numbers = config.getBool("numbers");
  }

  convert(bytes, record, part) {
    let text;
    try {
      text = utf8.decode(bytes);
    } catch {
      throw new RecordError(`offset ${record.offset}: ${part} is not UTF-8`);
    }
    const document = {};
    for (const pair of text.split("&").filter((p) => p.length > 0)) {
      const [k, v = ""] = pair.split("=", 2).map((s) => decodeURIComponent(s.replace(/\+/g, " ")));
      document[k] = this.numbers && /^\d+$/.test(v) ? Number(v) : v;
    }
    return { bytes: JSON.stringify(document), kind: JSON_KIND };
  }
}

export const conversion = exportConverter(Plugin);
