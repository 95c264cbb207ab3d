/* The conformance suite's reference transform in C (see ../README.md). */
#include <string.h>

#include "sluice.h"

static const sluice_config_key keys[] = {
    {.name = "fields", .type = SLUICE_CONFIG_LIST, .required = true,
     .description = "Top-level fields to replace"},
    {.name = "replacement", .type = SLUICE_CONFIG_STRING, .default_value = "****",
     .description = "What replaces them"},
    /* The Kafka Connect class this transform stands in for. */
    {.name = "connect.class", .type = SLUICE_CONFIG_LIST,
     .default_value = "com.example.transforms.MaskFields$Value",
     .description = "The Kafka Connect class this plugin runs as"},
};

const sluice_plugin_info SLUICE_PLUGIN_INFO = {
    .name = "mask-fields",
    .version = "0.1.0",
    .description = "Replaces top-level fields of JSON object values (conformance reference)",
    .config = keys,
    .config_count = sizeof keys / sizeof keys[0],
};

#define MAX_FIELDS 64
static char fields[MAX_FIELDS][256];
static size_t field_count;
static sluice_buf replacement; /* as a JSON string */

const char *sluice_configure(const sluice_config *config) {
  sluice_bytes items[MAX_FIELDS];
  field_count = sluice_config_list(config, "fields", items, MAX_FIELDS);
  if (field_count > MAX_FIELDS) return sluice_message("fields: at most %d, please", MAX_FIELDS);
  for (size_t i = 0; i < field_count; i++) {
    if (items[i].len >= sizeof fields[i]) return "fields: a field name is over 255 bytes";
    memcpy(fields[i], items[i].ptr, items[i].len);
    fields[i][items[i].len] = '\0';
  }
  sluice_buf_json_string(&replacement, sluice_str(sluice_config_get(config, "replacement")));
  return NULL;
}

static bool masked(const sluice_json *doc, int key) {
  for (size_t i = 0; i < field_count; i++)
    if (sluice_json_string_eq(doc, key, fields[i])) return true;
  return false;
}

void sluice_transform(const sluice_record *in, sluice_out *out) {
  if (sluice_has_header(in, "skip")) return;
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
  /* Spliced from the input's own text: untouched members keep their bytes. */
  sluice_buf value = {0};
  sluice_buf_putc(&value, '{');
  for (int key = 1; key < doc.count; key = sluice_json_skip(&doc, key + 1)) {
    if (key > 1) sluice_buf_putc(&value, ',');
    sluice_bytes k = sluice_json_raw(&doc, key);
    sluice_buf_append(&value, k.ptr, k.len);
    sluice_buf_putc(&value, ':');
    sluice_bytes v = masked(&doc, key) ? sluice_buf_bytes(&replacement) : sluice_json_raw(&doc, key + 1);
    sluice_buf_append(&value, v.ptr, v.len);
  }
  sluice_buf_putc(&value, '}');
  sluice_record changed = *in;
  changed.value = sluice_buf_bytes(&value);
  changed.value_kind = SLUICE_JSON;
  sluice_emit(out, &changed);
  sluice_buf_free(&value);
  sluice_json_free(&doc);
}
