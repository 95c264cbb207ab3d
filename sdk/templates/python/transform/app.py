"""{{name}}: a Sluice transform in Python. It adds the record's topic to JSON
object values, drops records that carry a `drop` header, and fails values
that are not JSON objects (the message names the offset)."""

import sluice_sdk as sluice


class Plugin(sluice.Transform):
    name = "{{name}}"
    version = "0.1.0"
    description = "Adds the topic to JSON object values"
    config_keys = [
        sluice.ConfigKey("field", default="topic", description="The field that gets the topic"),
    ]

    def configure(self, config):
        self.field = config.get_str("field")

    def transform(self, record):
        if record.has_header("drop"):
            return None  # dropped; return a list to split a record into several
        value = record.value_json()
        if not isinstance(value, dict):
            raise sluice.RecordError(f"offset {record.offset}: value is not a JSON object")
        value[self.field] = record.topic
        return record.with_json(value)


Transformation = sluice.export_transform(Plugin)
