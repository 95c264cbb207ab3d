"""{{name}}: a Sluice formatter in Python. It writes CSV: a header line, then
one `topic,partition,offset,value` line per record."""

import csv
import io

import sluice_sdk as sluice


class Plugin(sluice.Formatter):
    name = "{{name}}"
    version = "0.1.0"
    description = "Records as CSV lines (topic, partition, offset, value)"
    content_type = "text/csv"
    extension = ".csv"
    separator = b""  # each encoded line ends with its own newline
    config_keys = [
        sluice.ConfigKey("delimiter", default=",", description="The field delimiter"),
    ]

    def configure(self, config):
        self.delimiter = config.get_str("delimiter")
        if len(self.delimiter) != 1:
            raise ValueError("delimiter: one character, please")

    def _line(self, fields):
        out = io.StringIO()
        csv.writer(out, delimiter=self.delimiter, lineterminator="\n").writerow(fields)
        return out.getvalue().encode("utf-8")

    def header(self):
        return self._line(["topic", "partition", "offset", "value"])

    def encode(self, record):
        value = "" if record.value is None else record.value_text()
        return self._line([record.topic, record.partition, record.offset, value])


Formatting = sluice.export_formatter(Plugin)
