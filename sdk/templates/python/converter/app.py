"""{{name}}: a Sluice converter in Python. It reads `key=value` pairs
separated by `&` (a form-encoded body) into a JSON object; bytes that are not
UTF-8 fail the record."""

import json
from urllib.parse import parse_qsl

import sluice_sdk as sluice


class Plugin(sluice.Converter):
    name = "{{name}}"
    version = "0.1.0"
    description = "Form-encoded text (a=1&b=2) to a JSON object"
    config_keys = [
        sluice.ConfigKey("numbers", "boolean", default="false", description="Turn digit-only values into numbers"),
    ]

    def configure(self, config):
        self.numbers = config.get_bool("numbers")

    def convert(self, data, record, part):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise sluice.RecordError(f"offset {record.offset}: {part} is not UTF-8") from None
        pairs = parse_qsl(text, keep_blank_values=True)
        document = {k: int(v) if self.numbers and v.isdigit() else v for k, v in pairs}
        return json.dumps(document, separators=(",", ":")).encode("utf-8"), sluice.JSON


Conversion = sluice.export_converter(Plugin)
