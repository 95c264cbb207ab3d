/* {{name}}: a Sluice transform in C. It adds the record's topic to JSON
 * object values, drops records that carry a `drop` header, and fails values
 * that are not JSON objects (the message names the offset). */
#include <stdlib.h>

#include "sluice.h"

static const sluice_config_key keys[] = {
    {.name = "field", .type = SLUICE_CONFIG_STRING, .default_value = "topic",
     .description = "The field that gets the topic"},
};

const sluice_plugin_info SLUICE_PLUGIN_INFO = {
    .name = "{{name}}",
    .version = "0.1.0",
    .description = "Adds the topic to JSON object values",
    .config = keys,
    .config_count = sizeof keys / sizeof keys[0],
};

static const char *field;

const char *sluice_configure(const sluice_config *config) {
  field = sluice_config_get(config, "field");
  return NULL;
}

void sluice_transform(const sluice_record *in, sluice_out *out) {
  if (sluice_has_header(in, "drop")) return; /* dropped: emit nothing (emit twice to split) */
  sluice_json doc;
  const char *why;
  if (!sluice_json_parse(&doc, in->value, &why)) {
    sluice_fail(out, "offset %lld: value is %s", (long long)in->offset, why);
    return;
  }
  if (doc.tokens[0].type != JSMN_OBJECT) {
    sluice_fail(out, "offset %lld: value is not a JSON object", (long long)in->offset);
    sluice_json_free(&doc);
    return;
  }
  /* The members, without the one we set, then the field itself. */
  sluice_buf value = {0};
  sluice_buf_putc(&value, '{');
  for (int key = 1; key < doc.count; key = sluice_json_skip(&doc, key + 1)) {
    if (sluice_json_string_eq(&doc, key, field)) continue;
    sluice_bytes k = sluice_json_raw(&doc, key), v = sluice_json_raw(&doc, key + 1);
    sluice_buf_append(&value, k.ptr, k.len);
    sluice_buf_putc(&value, ':');
    sluice_buf_append(&value, v.ptr, v.len);
    sluice_buf_putc(&value, ',');
  }
  sluice_buf_json_string(&value, sluice_str(field));
  sluice_buf_putc(&value, ':');
  sluice_buf_json_string(&value, in->topic);
  sluice_buf_putc(&value, '}');
  sluice_record changed = *in;
  changed.value = sluice_buf_bytes(&value);
  changed.value_kind = SLUICE_JSON;
  sluice_emit(out, &changed);
  sluice_buf_free(&value);
  sluice_json_free(&doc);
}
