"""The conformance suite's reference transform in Python (see ../README.md)."""

import sluice_sdk as sluice


class MaskFields(sluice.Transform):
    name = "mask-fields"
    version = "0.1.0"
    description = "Replaces top-level fields of JSON object values (conformance reference)"
    config_keys = [
        sluice.ConfigKey("fields", "list", required=True, description="Top-level fields to replace"),
        sluice.ConfigKey("replacement", default="****", description="What replaces them"),
        # The Kafka Connect class this transform stands in for.
        sluice.ConfigKey("connect.class", "list", default="com.example.transforms.MaskFields$Value",
                         description="The Kafka Connect class this plugin runs as"),
    ]

    def configure(self, config):
        self.fields = config.get_list("fields")
        self.replacement = config.get_str("replacement")

    def transform(self, record):
        if record.has_header("skip"):
            return None
        value = record.value_json()
        if not isinstance(value, dict):
            raise sluice.RecordError(f"offset {record.offset}: value is not a JSON object")
        for f in self.fields:
            if f in value:
                value[f] = self.replacement
        return record.with_json(value)


Transformation = sluice.export_transform(MaskFields)
