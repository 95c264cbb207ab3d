/* Sluice's C SDK: the contract's exports (wit/plugin.wit) over the plugin's
 * per-record functions. Compiled with -DSLUICE_WORLD_TRANSFORM,
 * -DSLUICE_WORLD_CONVERTER or -DSLUICE_WORLD_FORMATTER next to the bindings
 * `wit-bindgen c` generated for that world. Everything returned to the host
 * is freshly allocated: the bindings' post-return functions free it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice_internal.h"

#if defined(SLUICE_WORLD_TRANSFORM)
#include "transform.h"
#define W(name) transform_##name
#define EXPORT(name) exports_sluice_plugin_transformation_##name
#define KIND SLUICE_PLUGIN_TYPES_PLUGIN_KIND_TRANSFORM
#elif defined(SLUICE_WORLD_CONVERTER)
#include "converter.h"
#define W(name) converter_##name
#define EXPORT(name) exports_sluice_plugin_conversion_##name
#define KIND SLUICE_PLUGIN_TYPES_PLUGIN_KIND_CONVERTER
#elif defined(SLUICE_WORLD_FORMATTER)
#include "formatter.h"
#define W(name) formatter_##name
#define EXPORT(name) exports_sluice_plugin_formatting_##name
#define KIND SLUICE_PLUGIN_TYPES_PLUGIN_KIND_FORMATTER
#else
#error "compile sluice.c with -DSLUICE_WORLD_TRANSFORM, -DSLUICE_WORLD_CONVERTER or -DSLUICE_WORLD_FORMATTER"
#endif

typedef sluice_plugin_types_span_t span_t;
typedef sluice_plugin_types_failure_t failure_t;

/* ---- small helpers --------------------------------------------------- */

static void *grow(void *ptr, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return ptr;
  size_t cap2 = *cap ? *cap * 2 : 16;
  while (cap2 < need) cap2 *= 2;
  void *p = realloc(ptr, cap2 * size);
  if (p == NULL) abort();
  *cap = cap2;
  return p;
}

static void string_dup(W(string_t) * s, const char *text) {
  size_t n = text ? strlen(text) : 0;
  s->len = n;
  s->ptr = NULL;
  if (n) {
    s->ptr = malloc(n);
    if (s->ptr == NULL) abort();
    memcpy(s->ptr, text, n);
  }
}

/* Hands a buffer's bytes to the host (NULL when empty) and resets it. */
static W(list_u8_t) take(sluice_buf *b) {
  W(list_u8_t) list = {b->len ? b->ptr : NULL, b->len};
  if (!b->len) free(b->ptr);
  *b = (sluice_buf){0};
  return list;
}

__attribute__((unused)) static span_t put(sluice_buf *arena, sluice_bytes b) {
  span_t s = {(uint32_t)arena->len, (uint32_t)b.len};
  sluice_buf_append(arena, b.ptr, b.len);
  return s;
}

/* ---- logging ---------------------------------------------------------- */

static void log_at(sluice_plugin_log_level_t level, const char *fmt, va_list args) {
  char line[1024];
  vsnprintf(line, sizeof line, fmt, args);
  W(string_t) message = {(uint8_t *)line, strlen(line)};
  sluice_plugin_log_log(level, &message);
}

#define LOG_FUNCTION(fn, level)         \
  void fn(const char *fmt, ...) {       \
    va_list args;                       \
    va_start(args, fmt);                \
    log_at(level, fmt, args);           \
    va_end(args);                       \
  }
LOG_FUNCTION(sluice_log_debug, SLUICE_PLUGIN_LOG_LEVEL_DEBUG)
LOG_FUNCTION(sluice_log_info, SLUICE_PLUGIN_LOG_LEVEL_INFO)
LOG_FUNCTION(sluice_log_warn, SLUICE_PLUGIN_LOG_LEVEL_WARN)
LOG_FUNCTION(sluice_log_error, SLUICE_PLUGIN_LOG_LEVEL_ERROR)

/* ---- metadata and configuration --------------------------------------- */

void EXPORT(metadata)(sluice_plugin_types_plugin_metadata_t *ret) {
  const sluice_plugin_info *info = &SLUICE_PLUGIN_INFO;
  string_dup(&ret->name, info->name);
  string_dup(&ret->version, info->version);
  string_dup(&ret->description, info->description);
  ret->kind = KIND;
  ret->config.len = info->config_count;
  ret->config.ptr = NULL;
  if (info->config_count) {
    ret->config.ptr = calloc(info->config_count, sizeof *ret->config.ptr);
    if (ret->config.ptr == NULL) abort();
  }
  for (size_t i = 0; i < info->config_count; i++) {
    const sluice_config_key *k = &info->config[i];
    sluice_plugin_types_config_key_t *out = &ret->config.ptr[i];
    string_dup(&out->name, k->name);
    out->value_type = (sluice_plugin_types_config_type_t)k->type;
    out->default_value.is_some = k->default_value != NULL;
    if (k->default_value) string_dup(&out->default_value.val, k->default_value);
    out->required = k->required;
    string_dup(&out->description, k->description);
  }
}

static struct sluice_config config;

static char *dup_n(const uint8_t *p, size_t n) {
  char *s = malloc(n + 1);
  if (s == NULL) abort();
  memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

__attribute__((weak)) const char *sluice_configure(const sluice_config *c) {
  (void)c;
  return NULL;
}

bool EXPORT(configure)(sluice_plugin_types_config_t *given, W(string_t) * err) {
  config.count = given->len;
  config.names = calloc(given->len + 1, sizeof(char *));
  config.values = calloc(given->len + 1, sizeof(char *));
  if (config.names == NULL || config.values == NULL) abort();
  for (size_t i = 0; i < given->len; i++) {
    config.names[i] = dup_n(given->ptr[i].f0.ptr, given->ptr[i].f0.len);
    config.values[i] = dup_n(given->ptr[i].f1.ptr, given->ptr[i].f1.len);
  }
  sluice_plugin_types_config_free(given);
  const char *refused = sluice_configure(&config);
  if (refused == NULL) return true;
  string_dup(err, refused);
  return false;
}

/* ---- the input batch -------------------------------------------------- */

static sluice_header *headers;
static size_t headers_cap;

static sluice_bytes view(const sluice_plugin_types_batch_t *b, span_t s) {
  /* A present value is never NULL, even when empty. */
  if (s.len == 0 || b->data.ptr == NULL) return (sluice_bytes){(const uint8_t *)"", 0};
  return (sluice_bytes){b->data.ptr + s.start, s.len};
}

static sluice_bytes option(const sluice_plugin_types_batch_t *b, sluice_plugin_types_option_span_t o) {
  return o.is_some ? view(b, o.val) : SLUICE_NULL;
}

/* Record `i` of the batch; its headers stay valid until the next call. */
static sluice_record record_at(const sluice_plugin_types_batch_t *b, size_t i) {
  const sluice_plugin_types_record_t *r = &b->records.ptr[i];
  headers = grow(headers, &headers_cap, r->header_count, sizeof *headers);
  for (uint32_t h = 0; h < r->header_count; h++) {
    const sluice_plugin_types_header_t *in = &b->headers.ptr[r->first_header + h];
    headers[h] = (sluice_header){view(b, in->name), option(b, in->value)};
  }
  return (sluice_record){
      .topic = view(b, r->topic),
      .partition = r->partition,
      .offset = r->offset,
      .has_timestamp = r->timestamp.is_some,
      .timestamp = r->timestamp.val,
      .key = option(b, r->key),
      .key_kind = (sluice_kind)r->key_kind,
      .value = option(b, r->value),
      .value_kind = (sluice_kind)r->value_kind,
      .headers = headers,
      .header_count = r->header_count,
  };
}

/* ---- outcomes --------------------------------------------------------- */

struct sluice_out {
  sluice_buf data; /* the reply's arena */
  size_t data_mark; /* where this record's bytes start */
  bool failed;
  sluice_buf message;
  /* converters: what the part became */
  bool converted;
  span_t span;
  sluice_kind kind;
  /* transforms: output records, their headers and origins */
  sluice_plugin_types_record_t *records;
  size_t record_count, records_cap, records_mark;
  sluice_plugin_types_header_t *headers;
  size_t header_count, headers_cap, headers_mark;
};

static void begin_record(sluice_out *out) {
  out->data_mark = out->data.len;
  out->records_mark = out->record_count;
  out->headers_mark = out->header_count;
  out->failed = false;
  out->converted = false;
  sluice_buf_clear(&out->message);
}

static sluice_bytes message_of(sluice_out *out) {
  return sluice_buf_bytes(&out->message);
}

void sluice_fail(sluice_out *out, const char *fmt, ...) {
  sluice_buf_clear(&out->message);
  char first[512];
  va_list args;
  va_start(args, fmt);
  int n = vsnprintf(first, sizeof first, fmt, args);
  va_end(args);
  if (n >= (int)sizeof first) {
    char *whole = malloc((size_t)n + 1);
    if (whole == NULL) abort();
    va_start(args, fmt);
    vsnprintf(whole, (size_t)n + 1, fmt, args);
    va_end(args);
    sluice_buf_puts(&out->message, whole);
    free(whole);
  } else if (n > 0) {
    sluice_buf_puts(&out->message, first);
  }
  if (out->message.len == 0) sluice_buf_puts(&out->message, "failed");
  out->failed = true;
  /* Whatever was produced for this record is discarded. */
  out->data.len = out->data_mark;
  out->record_count = out->records_mark;
  out->header_count = out->headers_mark;
  out->converted = false;
}

static failure_t *failures;
static size_t failure_count, failures_cap;

static void add_failure(uint32_t input, sluice_bytes message) {
  failures = grow(failures, &failures_cap, failure_count + 1, sizeof *failures);
  failure_t *f = &failures[failure_count++];
  f->input = input;
  f->message.len = message.len;
  f->message.ptr = malloc(message.len ? message.len : 1);
  if (f->message.ptr == NULL) abort();
  memcpy(f->message.ptr, message.ptr, message.len);
}

/* Hands the failures to the host (they are freed by post-return). */
static void take_failures(failure_t **ptr, size_t *len) {
  *ptr = failure_count ? failures : NULL;
  *len = failure_count;
  if (!failure_count) free(failures);
  failures = NULL;
  failure_count = failures_cap = 0;
}

static void free_out(sluice_out *out) {
  sluice_buf_free(&out->data);
  sluice_buf_free(&out->message);
  free(out->records);
  free(out->headers);
}

/* ---- transform -------------------------------------------------------- */

#ifdef SLUICE_WORLD_TRANSFORM
void sluice_emit(sluice_out *out, const sluice_record *r) {
  if (out->failed) return;
  out->records = grow(out->records, &out->records_cap, out->record_count + 1, sizeof *out->records);
  out->headers = grow(out->headers, &out->headers_cap, out->header_count + r->header_count, sizeof *out->headers);
  sluice_plugin_types_record_t *o = &out->records[out->record_count++];
  o->topic = put(&out->data, r->topic);
  o->partition = r->partition;
  o->offset = r->offset;
  o->timestamp.is_some = r->has_timestamp;
  o->timestamp.val = r->timestamp;
  o->key.is_some = !sluice_is_null(r->key);
  if (o->key.is_some) o->key.val = put(&out->data, r->key);
  o->key_kind = (sluice_plugin_types_value_kind_t)r->key_kind;
  o->value.is_some = !sluice_is_null(r->value);
  if (o->value.is_some) o->value.val = put(&out->data, r->value);
  o->value_kind = (sluice_plugin_types_value_kind_t)r->value_kind;
  o->first_header = (uint32_t)out->header_count;
  o->header_count = (uint32_t)r->header_count;
  for (size_t h = 0; h < r->header_count; h++) {
    sluice_plugin_types_header_t *oh = &out->headers[out->header_count++];
    oh->name = put(&out->data, r->headers[h].name);
    oh->value.is_some = !sluice_is_null(r->headers[h].value);
    if (oh->value.is_some) oh->value.val = put(&out->data, r->headers[h].value);
  }
}

void EXPORT(transform)(sluice_plugin_types_batch_t *input, EXPORT(transformed_t) * ret) {
  sluice_out out = {0};
  uint32_t *origins = NULL;
  size_t origins_cap = 0;
  for (size_t i = 0; i < input->records.len; i++) {
    sluice_record record = record_at(input, i);
    begin_record(&out);
    sluice_transform(&record, &out);
    if (out.failed) {
      add_failure((uint32_t)i, message_of(&out));
      continue;
    }
    origins = grow(origins, &origins_cap, out.record_count, sizeof *origins);
    for (size_t r = out.records_mark; r < out.record_count; r++) origins[r] = (uint32_t)i;
  }
  sluice_plugin_types_batch_free(input);
  W(list_u8_t) data = take(&out.data);
  ret->output.data.ptr = data.ptr;
  ret->output.data.len = data.len;
  ret->output.records.ptr = out.record_count ? out.records : NULL;
  ret->output.records.len = out.record_count;
  if (!out.record_count) free(out.records);
  ret->output.headers.ptr = out.header_count ? out.headers : NULL;
  ret->output.headers.len = out.header_count;
  if (!out.header_count) free(out.headers);
  ret->origins.ptr = out.record_count ? origins : NULL;
  ret->origins.len = out.record_count;
  if (!out.record_count) free(origins);
  take_failures(&ret->failures.ptr, &ret->failures.len);
  out.records = NULL;
  out.headers = NULL;
  free_out(&out);
}
#else
void sluice_emit(sluice_out *out, const sluice_record *r) {
  (void)r;
  sluice_fail(out, "sluice_emit is for transforms; this plugin is not one");
}
#endif

/* ---- converter -------------------------------------------------------- */

#ifdef SLUICE_WORLD_CONVERTER
void sluice_converted(sluice_out *out, sluice_bytes data, sluice_kind kind) {
  if (out->failed) return;
  if (kind != SLUICE_BINARY && kind != SLUICE_TEXT && kind != SLUICE_JSON) {
    sluice_fail(out, "sluice_converted: kind %d is not SLUICE_BINARY, SLUICE_TEXT or SLUICE_JSON", (int)kind);
    return;
  }
  if (sluice_is_null(data)) { /* null: the part becomes null */
    out->converted = false;
    return;
  }
  out->data.len = out->data_mark; /* a second call replaces the first */
  out->span = put(&out->data, data);
  out->kind = kind;
  out->converted = true;
}

void EXPORT(convert)(EXPORT(part_t) part, sluice_plugin_types_batch_t *input, EXPORT(conversions_t) * ret) {
  sluice_out out = {0};
  size_t n = input->records.len;
  EXPORT(conversion_t) *items = n ? calloc(n, sizeof *items) : NULL;
  if (n && items == NULL) abort();
  for (size_t i = 0; i < n; i++) {
    sluice_record record = record_at(input, i);
    sluice_bytes data = part == EXPORTS_SLUICE_PLUGIN_CONVERSION_PART_KEY ? record.key : record.value;
    begin_record(&out);
    if (!sluice_is_null(data))
      sluice_convert(part == EXPORTS_SLUICE_PLUGIN_CONVERSION_PART_KEY ? SLUICE_KEY : SLUICE_VALUE, &record, data, &out);
    if (out.failed) {
      items[i].tag = EXPORTS_SLUICE_PLUGIN_CONVERSION_CONVERSION_FAILED;
      add_failure((uint32_t)i, message_of(&out));
    } else if (out.converted) {
      items[i].tag = EXPORTS_SLUICE_PLUGIN_CONVERSION_CONVERSION_CONVERTED;
      items[i].val.converted.f0 = out.span;
      items[i].val.converted.f1 = (sluice_plugin_types_value_kind_t)out.kind;
    } else {
      items[i].tag = EXPORTS_SLUICE_PLUGIN_CONVERSION_CONVERSION_NULL;
    }
  }
  sluice_plugin_types_batch_free(input);
  W(list_u8_t) data = take(&out.data);
  ret->data.ptr = data.ptr;
  ret->data.len = data.len;
  ret->items.ptr = items;
  ret->items.len = n;
  take_failures(&ret->failures.ptr, &ret->failures.len);
  free_out(&out);
}
#else
void sluice_converted(sluice_out *out, sluice_bytes data, sluice_kind kind) {
  (void)data, (void)kind;
  sluice_fail(out, "sluice_converted is for converters; this plugin is not one");
}
#endif

/* ---- formatter -------------------------------------------------------- */

#ifdef SLUICE_WORLD_FORMATTER
void sluice_write(sluice_out *out, sluice_bytes data) {
  if (out->failed || sluice_is_null(data)) return;
  sluice_buf_append(&out->data, data.ptr, data.len);
}

static W(list_u8_t) bytes_of(const char *text) {
  sluice_buf b = {0};
  if (text) sluice_buf_puts(&b, text);
  return take(&b);
}

__attribute__((weak)) void sluice_format_header(sluice_buf *out) { (void)out; }
__attribute__((weak)) void sluice_format_trailer(sluice_buf *out) { (void)out; }

void EXPORT(info)(EXPORT(format_info_t) * ret) {
  const sluice_plugin_info *info = &SLUICE_PLUGIN_INFO;
  string_dup(&ret->content_type, info->content_type ? info->content_type : "application/octet-stream");
  string_dup(&ret->extension, info->extension ? info->extension : ".bin");
  ret->prefix = bytes_of(info->prefix);
  ret->separator = bytes_of(info->separator);
  ret->suffix = bytes_of(info->suffix);
}

void EXPORT(header)(W(list_u8_t) * ret) {
  sluice_buf b = {0};
  sluice_format_header(&b);
  *ret = take(&b);
}

void EXPORT(trailer)(W(list_u8_t) * ret) {
  sluice_buf b = {0};
  sluice_format_trailer(&b);
  *ret = take(&b);
}

void EXPORT(encode)(sluice_plugin_types_batch_t *input, EXPORT(encoded_t) * ret) {
  sluice_out out = {0};
  size_t n = input->records.len;
  EXPORT(option_span_t) *items = n ? calloc(n, sizeof *items) : NULL;
  if (n && items == NULL) abort();
  for (size_t i = 0; i < n; i++) {
    sluice_record record = record_at(input, i);
    begin_record(&out);
    sluice_encode(&record, &out);
    if (out.failed) {
      items[i].is_some = false;
      add_failure((uint32_t)i, message_of(&out));
    } else {
      items[i].is_some = true;
      items[i].val = (span_t){(uint32_t)out.data_mark, (uint32_t)(out.data.len - out.data_mark)};
    }
  }
  sluice_plugin_types_batch_free(input);
  W(list_u8_t) data = take(&out.data);
  ret->data.ptr = data.ptr;
  ret->data.len = data.len;
  ret->items.ptr = items;
  ret->items.len = n;
  take_failures(&ret->failures.ptr, &ret->failures.len);
  free_out(&out);
}
#else
void sluice_write(sluice_out *out, sluice_bytes data) {
  (void)data;
  sluice_fail(out, "sluice_write is for formatters; this plugin is not one");
}
#endif
