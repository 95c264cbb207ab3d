/* {{name}}: a Sluice converter in C. It reads `key=value` pairs separated
 * by `&` (a form-encoded body) into a JSON object; bytes that are not UTF-8
 * fail the record. */
#include <string.h>

#include "sluice.h"

static const sluice_config_key keys[] = {
    {.name = "numbers", .type = SLUICE_CONFIG_BOOLEAN, .default_value = "false",
     .description = "Turn digit-only values into numbers"},
};

const sluice_plugin_info SLUICE_PLUGIN_INFO = {
    .name = "{{name}}",
    .version = "0.1.0",
    .description = "Form-encoded text (a=1&b=2) to a JSON object",
    .config = keys,
    .config_count = sizeof keys / sizeof keys[0],
};

static bool numbers;

const char *sluice_configure(const sluice_config *config) {
  numbers = sluice_config_bool(config, "numbers", false);
  return NULL;
}

static int hex(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
  return -1;
}

/* Form decoding: `+` is a space, `%XY` a byte. */
static void decode(const uint8_t *p, size_t len, sluice_buf *out) {
  sluice_buf_clear(out);
  for (size_t i = 0; i < len; i++) {
    if (p[i] == '+') {
      sluice_buf_putc(out, ' ');
    } else if (p[i] == '%' && i + 2 < len && hex(p[i + 1]) >= 0 && hex(p[i + 2]) >= 0) {
      sluice_buf_putc(out, (char)(hex(p[i + 1]) * 16 + hex(p[i + 2])));
      i += 2;
    } else {
      sluice_buf_putc(out, (char)p[i]);
    }
  }
}

static bool all_digits(sluice_bytes b) {
  if (b.len == 0) return false;
  for (size_t i = 0; i < b.len; i++)
    if (b.ptr[i] < '0' || b.ptr[i] > '9') return false;
  return true;
}

void sluice_convert(sluice_part part, const sluice_record *in, sluice_bytes data, sluice_out *out) {
  const char *what = part == SLUICE_KEY ? "key" : "value";
  if (!sluice_utf8_valid(data)) {
    sluice_fail(out, "offset %lld: %s is not UTF-8", (long long)in->offset, what);
    return;
  }
  sluice_buf json = {0}, key = {0}, value = {0};
  sluice_buf_putc(&json, '{');
  const uint8_t *p = data.ptr, *end = data.ptr + data.len;
  while (p < end) {
    const uint8_t *amp = memchr(p, '&', (size_t)(end - p));
    const uint8_t *pair_end = amp ? amp : end;
    if (pair_end > p) {
      const uint8_t *eq = memchr(p, '=', (size_t)(pair_end - p));
      const uint8_t *key_end = eq ? eq : pair_end;
      decode(p, (size_t)(key_end - p), &key);
      decode(eq ? eq + 1 : pair_end, eq ? (size_t)(pair_end - eq - 1) : 0, &value);
      if (!sluice_utf8_valid(sluice_buf_bytes(&key)) || !sluice_utf8_valid(sluice_buf_bytes(&value))) {
        sluice_fail(out, "offset %lld: %s is not UTF-8 once decoded", (long long)in->offset, what);
        goto done;
      }
      if (json.len > 1) sluice_buf_putc(&json, ',');
      sluice_buf_json_string(&json, sluice_buf_bytes(&key));
      sluice_buf_putc(&json, ':');
      if (numbers && all_digits(sluice_buf_bytes(&value)))
        sluice_buf_append(&json, value.ptr, value.len);
      else
        sluice_buf_json_string(&json, sluice_buf_bytes(&value));
    }
    p = amp ? amp + 1 : end;
  }
  sluice_buf_putc(&json, '}');
  sluice_converted(out, sluice_buf_bytes(&json), SLUICE_JSON);
done:
  sluice_buf_free(&json);
  sluice_buf_free(&key);
  sluice_buf_free(&value);
}
