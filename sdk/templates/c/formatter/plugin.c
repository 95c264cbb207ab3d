/* {{name}}: a Sluice formatter in C. It writes CSV: a header line, then one
 * `topic,partition,offset,value` line per record. */
#include <stdio.h>
#include <string.h>

#include "sluice.h"

static const sluice_config_key keys[] = {
    {.name = "delimiter", .type = SLUICE_CONFIG_STRING, .default_value = ",",
     .description = "The field delimiter"},
};

const sluice_plugin_info SLUICE_PLUGIN_INFO = {
    .name = "{{name}}",
    .version = "0.1.0",
    .description = "Records as CSV lines (topic, partition, offset, value)",
    .config = keys,
    .config_count = sizeof keys / sizeof keys[0],
    .content_type = "text/csv",
    .extension = ".csv",
    .separator = "", /* each encoded line ends with its own newline */
};

static char delimiter;

const char *sluice_configure(const sluice_config *config) {
  const char *d = sluice_config_get(config, "delimiter");
  if (strlen(d) != 1) return "delimiter: one character, please";
  delimiter = d[0];
  return NULL;
}

/* One field, quoted when it holds the delimiter, a quote or a line break. */
static void field(sluice_buf *line, sluice_bytes text, bool first) {
  if (!first) sluice_buf_putc(line, delimiter);
  bool quote = false;
  for (size_t i = 0; i < text.len && !quote; i++) {
    uint8_t c = text.ptr[i];
    quote = c == (uint8_t)delimiter || c == '"' || c == '\n' || c == '\r';
  }
  if (!quote) {
    sluice_buf_append(line, text.ptr, text.len);
    return;
  }
  sluice_buf_putc(line, '"');
  for (size_t i = 0; i < text.len; i++) {
    if (text.ptr[i] == '"') sluice_buf_putc(line, '"');
    sluice_buf_putc(line, (char)text.ptr[i]);
  }
  sluice_buf_putc(line, '"');
}

void sluice_format_header(sluice_buf *out) {
  const char *names[] = {"topic", "partition", "offset", "value"};
  for (int i = 0; i < 4; i++) field(out, sluice_str(names[i]), i == 0);
  sluice_buf_putc(out, '\n');
}

void sluice_encode(const sluice_record *in, sluice_out *out) {
  sluice_bytes value = sluice_is_null(in->value) ? sluice_str("") : in->value;
  if (!sluice_utf8_valid(value)) {
    sluice_fail(out, "offset %lld: value is not UTF-8", (long long)in->offset);
    return;
  }
  char partition[16], offset[24];
  snprintf(partition, sizeof partition, "%d", (int)in->partition);
  snprintf(offset, sizeof offset, "%lld", (long long)in->offset);
  sluice_buf line = {0};
  field(&line, in->topic, true);
  field(&line, sluice_str(partition), false);
  field(&line, sluice_str(offset), false);
  field(&line, value, false);
  sluice_buf_putc(&line, '\n');
  sluice_write(out, sluice_buf_bytes(&line));
  sluice_buf_free(&line);
}
