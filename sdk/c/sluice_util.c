/* Sluice's C SDK: the parts that do not touch the contract's bindings:
 * byte views, buffers, UTF-8, JSON validation over jsmn, configuration. */
/* jsmn's code: this file is its one translation unit, with the options
 * sluice.h declares its types with. */
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "sluice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- bytes -------------------------------------------------------------- */

sluice_bytes sluice_str(const char *text) {
  return (sluice_bytes){(const uint8_t *)text, strlen(text)};
}

bool sluice_bytes_eq(sluice_bytes b, const char *s) {
  size_t n = strlen(s);
  return b.ptr != NULL && b.len == n && memcmp(b.ptr, s, n) == 0;
}

bool sluice_utf8_valid(sluice_bytes b) {
  if (b.ptr == NULL) return false;
  const uint8_t *p = b.ptr, *end = b.ptr + b.len;
  while (p < end) {
    uint64_t word;
    if (end - p >= 8 && (memcpy(&word, p, 8), (word & 0x8080808080808080ull) == 0)) {
      p += 8; /* eight ASCII bytes at once */
      continue;
    }
    uint8_t c = *p;
    if (c < 0x80) {
      p++;
      continue;
    }
    size_t n;
    uint32_t min, cp;
    if ((c & 0xE0) == 0xC0) n = 1, min = 0x80, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) n = 2, min = 0x800, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) n = 3, min = 0x10000, cp = c & 0x07;
    else return false;
    if ((size_t)(end - p) <= n) return false;
    for (size_t i = 1; i <= n; i++) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += n + 1;
  }
  return true;
}

bool sluice_has_header(const sluice_record *r, const char *name) {
  for (size_t i = 0; i < r->header_count; i++)
    if (sluice_bytes_eq(r->headers[i].name, name)) return true;
  return false;
}

sluice_bytes sluice_header_value(const sluice_record *r, const char *name) {
  for (size_t i = 0; i < r->header_count; i++)
    if (sluice_bytes_eq(r->headers[i].name, name)) return r->headers[i].value;
  return SLUICE_NULL;
}

/* ---- buffers ------------------------------------------------------------ */

static void reserve(sluice_buf *b, size_t extra) {
  if (b->len + extra <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra) cap *= 2;
  uint8_t *p = realloc(b->ptr, cap);
  if (p == NULL) abort(); /* a trap: the host replaces the instance */
  b->ptr = p;
  b->cap = cap;
}

void sluice_buf_append(sluice_buf *b, const void *data, size_t len) {
  if (len == 0) return;
  reserve(b, len);
  memcpy(b->ptr + b->len, data, len);
  b->len += len;
}

void sluice_buf_puts(sluice_buf *b, const char *text) { sluice_buf_append(b, text, strlen(text)); }

void sluice_buf_putc(sluice_buf *b, char c) { sluice_buf_append(b, &c, 1); }

static void buf_vprintf(sluice_buf *b, const char *fmt, va_list args) {
  va_list again;
  va_copy(again, args);
  int n = vsnprintf(NULL, 0, fmt, args);
  if (n > 0) {
    reserve(b, (size_t)n + 1);
    vsnprintf((char *)b->ptr + b->len, (size_t)n + 1, fmt, again);
    b->len += (size_t)n;
  }
  va_end(again);
}

void sluice_buf_printf(sluice_buf *b, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  buf_vprintf(b, fmt, args);
  va_end(args);
}

void sluice_buf_json_string(sluice_buf *b, sluice_bytes text) {
  static const char hex[] = "0123456789abcdef";
  sluice_buf_putc(b, '"');
  size_t run = 0; /* bytes copied as they are, written in one go */
  for (size_t i = 0; i < text.len; i++) {
    uint8_t c = text.ptr[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    sluice_buf_append(b, text.ptr + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': sluice_buf_puts(b, "\\\""); break;
      case '\\': sluice_buf_puts(b, "\\\\"); break;
      case '\n': sluice_buf_puts(b, "\\n"); break;
      case '\r': sluice_buf_puts(b, "\\r"); break;
      case '\t': sluice_buf_puts(b, "\\t"); break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        sluice_buf_append(b, esc, 6);
      }
    }
  }
  if (text.len > run) sluice_buf_append(b, text.ptr + run, text.len - run);
  sluice_buf_putc(b, '"');
}

sluice_bytes sluice_buf_bytes(const sluice_buf *b) {
  return (sluice_bytes){b->ptr ? b->ptr : (const uint8_t *)"", b->len};
}

void sluice_buf_clear(sluice_buf *b) { b->len = 0; }

void sluice_buf_free(sluice_buf *b) {
  free(b->ptr);
  *b = (sluice_buf){0};
}

const char *sluice_message(const char *fmt, ...) {
  static sluice_buf message;
  sluice_buf_clear(&message);
  va_list args;
  va_start(args, fmt);
  buf_vprintf(&message, fmt, args);
  va_end(args);
  sluice_buf_putc(&message, '\0');
  return (const char *)message.ptr;
}

/* ---- JSON --------------------------------------------------------------- */
/* jsmn tokenizes; it leaves to its caller the checks a validator needs:
 * what stands between tokens (commas, colons, nothing else), that keys are
 * strings with one value, the grammar of numbers and literals, control
 * characters in strings, and a single top-level value. */

static bool is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* True when text[from, to) is whitespace around at most one `sep` (none when sep is 0). */
static bool gap_is(const uint8_t *text, int from, int to, char sep) {
  bool seen = sep == 0;
  for (int i = from; i < to; i++) {
    if (is_ws(text[i])) continue;
    if (!seen && text[i] == (uint8_t)sep) {
      seen = true;
      continue;
    }
    return false;
  }
  return seen;
}

static int raw_start(const jsmntok_t *t) { return t->type == JSMN_STRING ? t->start - 1 : t->start; }
static int raw_end(const jsmntok_t *t) { return t->type == JSMN_STRING ? t->end + 1 : t->end; }

static bool valid_primitive(const uint8_t *p, int len) {
  if ((len == 4 && memcmp(p, "true", 4) == 0) || (len == 4 && memcmp(p, "null", 4) == 0) ||
      (len == 5 && memcmp(p, "false", 5) == 0))
    return true;
  int i = 0;
  if (i < len && p[i] == '-') i++;
  if (i >= len) return false;
  if (p[i] == '0') i++;
  else if (p[i] >= '1' && p[i] <= '9')
    while (i < len && p[i] >= '0' && p[i] <= '9') i++;
  else return false;
  if (i < len && p[i] == '.') {
    i++;
    int digits = i;
    while (i < len && p[i] >= '0' && p[i] <= '9') i++;
    if (i == digits) return false;
  }
  if (i < len && (p[i] == 'e' || p[i] == 'E')) {
    i++;
    if (i < len && (p[i] == '+' || p[i] == '-')) i++;
    int digits = i;
    while (i < len && p[i] >= '0' && p[i] <= '9') i++;
    if (i == digits) return false;
  }
  return i == len;
}

static int hex4(const uint8_t *p);

/* jsmn (strict) checked each escape's form; this checks control characters
 * and that \u escapes pair surrogates, as serde_json does. */
static bool valid_string(const uint8_t *p, int len) {
  for (int i = 0; i < len; i++) {
    if (p[i] < 0x20) return false;
    if (p[i] != '\\') continue;
    if (p[i + 1] != 'u') {
      i++;
      continue;
    }
    int cp = hex4(p + i + 2);
    i += 5;
    if (cp >= 0xDC00 && cp < 0xE000) return false;
    if (cp >= 0xD800 && cp < 0xDC00) {
      if (i + 6 >= len || p[i + 1] != '\\' || p[i + 2] != 'u') return false;
      int low = hex4(p + i + 3);
      if (low < 0xDC00 || low >= 0xE000) return false;
      i += 6;
    }
  }
  return true;
}

/* Checks the structure jsmn found; `cursor` has one slot per token. */
static bool valid_structure(const uint8_t *text, int text_len, const jsmntok_t *t, int n, int *cursor) {
  int top = 0;
  for (int i = 0; i < n; i++) {
    const jsmntok_t *tok = &t[i];
    int p = tok->parent;
    if (tok->start < 0 || tok->end < tok->start) return false;
    if (tok->type == JSMN_PRIMITIVE && !valid_primitive(text + tok->start, tok->end - tok->start)) return false;
    if (tok->type == JSMN_STRING && !valid_string(text + tok->start, tok->end - tok->start)) return false;
    bool is_key = p >= 0 && t[p].type == JSMN_OBJECT;
    if (is_key ? (tok->type != JSMN_STRING || tok->size != 1)
               : (tok->type == JSMN_STRING || tok->type == JSMN_PRIMITIVE) && tok->size != 0)
      return false;
    if (p < 0) {
      if (i != 0 || !gap_is(text, 0, raw_start(tok), 0)) return false;
      top = raw_end(tok);
    } else {
      const jsmntok_t *parent = &t[p];
      char sep;
      if (parent->type == JSMN_STRING) sep = ':';
      else if (parent->type == JSMN_PRIMITIVE) return false;
      else sep = cursor[p] == parent->start + 1 ? 0 : ',';
      if (!gap_is(text, cursor[p], raw_start(tok), sep)) return false;
      cursor[p] = raw_end(tok);
      if (parent->type == JSMN_STRING) cursor[parent->parent] = raw_end(tok);
    }
    cursor[i] = tok->type == JSMN_OBJECT || tok->type == JSMN_ARRAY ? tok->start + 1 : raw_end(tok);
  }
  for (int i = 0; i < n; i++) {
    if (t[i].type != JSMN_OBJECT && t[i].type != JSMN_ARRAY) continue;
    char close = t[i].type == JSMN_OBJECT ? '}' : ']';
    if (text[t[i].end - 1] != (uint8_t)close || !gap_is(text, cursor[i], t[i].end - 1, 0)) return false;
  }
  return n > 0 && gap_is(text, top, text_len, 0);
}

/* Runs jsmn over js[0, len) into doc->tokens, growing the array as needed. */
static int tokenize(sluice_json *doc, const char *js, size_t len) {
  size_t cap = len / 8 + 16;
  for (;;) {
    jsmntok_t *tokens = realloc(doc->tokens, sizeof(jsmntok_t) * cap);
    if (tokens == NULL) abort();
    doc->tokens = tokens;
    jsmn_parser parser;
    jsmn_init(&parser);
    int n = jsmn_parse(&parser, js, len, doc->tokens, (unsigned)cap);
    if (n != JSMN_ERROR_NOMEM) return n;
    cap *= 2;
  }
}

bool sluice_json_parse(sluice_json *doc, sluice_bytes text, const char **error) {
  *doc = (sluice_json){text, NULL, 0};
  const char *why = NULL;
  char *spaced = NULL;
  if (text.ptr == NULL) why = "null";
  else if (text.len > INT32_MAX / 2) why = "too large to parse";
  else if (!sluice_utf8_valid(text)) why = "not valid JSON: not UTF-8";
  if (why == NULL) {
    const char *js = (const char *)text.ptr;
    size_t len = text.len;
    doc->count = tokenize(doc, js, len);
    if (doc->count == JSMN_ERROR_PART) {
      /* Strict jsmn wants a delimiter after a number or literal, so a
       * document that is only one (`42`) "ends early": parse it followed
       * by a space. */
      spaced = malloc(len + 1);
      if (spaced == NULL) abort();
      memcpy(spaced, js, len);
      spaced[len] = ' ';
      js = spaced;
      len++;
      doc->count = tokenize(doc, js, len);
    }
    if (doc->count == JSMN_ERROR_PART || doc->count == 0) {
      why = "not valid JSON: it ends early";
    } else if (doc->count < 0) {
      why = "not valid JSON";
    } else {
      int *cursor = malloc(sizeof(int) * (size_t)doc->count);
      if (cursor == NULL) abort();
      if (!valid_structure((const uint8_t *)js, (int)len, doc->tokens, doc->count, cursor)) why = "not valid JSON";
      free(cursor);
    }
  }
  free(spaced);
  if (why != NULL) {
    sluice_json_free(doc);
    if (error) *error = why;
    return false;
  }
  return true;
}

void sluice_json_free(sluice_json *doc) {
  free(doc->tokens);
  doc->tokens = NULL;
  doc->count = 0;
}

int sluice_json_skip(const sluice_json *doc, int i) {
  int end = doc->tokens[i].end;
  int j = i + 1;
  while (j < doc->count && doc->tokens[j].start < end) j++;
  return j;
}

sluice_bytes sluice_json_raw(const sluice_json *doc, int i) {
  const jsmntok_t *t = &doc->tokens[i];
  return (sluice_bytes){doc->text.ptr + raw_start(t), (size_t)(raw_end(t) - raw_start(t))};
}

static int hex4(const uint8_t *p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    uint8_t c = p[i];
    v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return v;
}

/* Writes code point `cp` as UTF-8 into `out`; returns its length. */
static int utf8_encode(uint32_t cp, uint8_t *out) {
  if (cp < 0x80) return out[0] = (uint8_t)cp, 1;
  if (cp < 0x800) return out[0] = 0xC0 | (cp >> 6), out[1] = 0x80 | (cp & 0x3F), 2;
  if (cp < 0x10000)
    return out[0] = 0xE0 | (cp >> 12), out[1] = 0x80 | ((cp >> 6) & 0x3F), out[2] = 0x80 | (cp & 0x3F), 3;
  out[0] = 0xF0 | (cp >> 18), out[1] = 0x80 | ((cp >> 12) & 0x3F);
  out[2] = 0x80 | ((cp >> 6) & 0x3F), out[3] = 0x80 | (cp & 0x3F);
  return 4;
}

bool sluice_json_string_eq(const sluice_json *doc, int i, const char *s) {
  const jsmntok_t *t = &doc->tokens[i];
  if (t->type != JSMN_STRING) return false;
  const uint8_t *p = doc->text.ptr + t->start, *end = doc->text.ptr + t->end;
  const uint8_t *want = (const uint8_t *)s;
  size_t want_len = strlen(s), at = 0;
  while (p < end) {
    uint8_t decoded[4];
    int n = 1;
    if (*p != '\\') {
      decoded[0] = *p++;
    } else {
      uint8_t e = p[1];
      p += 2;
      switch (e) {
        case 'b': decoded[0] = '\b'; break;
        case 'f': decoded[0] = '\f'; break;
        case 'n': decoded[0] = '\n'; break;
        case 'r': decoded[0] = '\r'; break;
        case 't': decoded[0] = '\t'; break;
        case 'u': {
          uint32_t cp = (uint32_t)hex4(p);
          p += 4;
          if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
            uint32_t low = (uint32_t)hex4(p + 2);
            if (low >= 0xDC00 && low < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              p += 6;
            }
          }
          n = utf8_encode(cp, decoded);
          break;
        }
        default: decoded[0] = e; /* \" \\ \/ */
      }
    }
    if (at + (size_t)n > want_len || memcmp(want + at, decoded, (size_t)n) != 0) return false;
    at += (size_t)n;
  }
  return at == want_len;
}

/* ---- configuration ---------------------------------------------------- */

#include "sluice_internal.h"

const char *sluice_config_get(const sluice_config *c, const char *name) {
  for (size_t i = 0; i < c->count; i++)
    if (strcmp(c->names[i], name) == 0) return c->values[i];
  const sluice_plugin_info *info = &SLUICE_PLUGIN_INFO;
  for (size_t i = 0; i < info->config_count; i++)
    if (strcmp(info->config[i].name, name) == 0) return info->config[i].default_value;
  return NULL;
}

int64_t sluice_config_int(const sluice_config *c, const char *name, int64_t fallback) {
  const char *v = sluice_config_get(c, name);
  return v ? strtoll(v, NULL, 10) : fallback;
}

double sluice_config_float(const sluice_config *c, const char *name, double fallback) {
  const char *v = sluice_config_get(c, name);
  return v ? strtod(v, NULL) : fallback;
}

bool sluice_config_bool(const sluice_config *c, const char *name, bool fallback) {
  const char *v = sluice_config_get(c, name);
  if (v == NULL) return fallback;
  while (is_ws((uint8_t)*v)) v++;
  return strncasecmp(v, "true", 4) == 0;
}

size_t sluice_config_list(const sluice_config *c, const char *name, sluice_bytes *items, size_t max) {
  const char *v = sluice_config_get(c, name);
  size_t count = 0;
  while (v != NULL && *v) {
    const char *end = strchr(v, ',');
    if (end == NULL) end = v + strlen(v);
    const char *a = v, *b = end;
    while (a < b && is_ws((uint8_t)*a)) a++;
    while (b > a && is_ws((uint8_t)b[-1])) b--;
    if (b > a) {
      if (count < max) items[count] = (sluice_bytes){(const uint8_t *)a, (size_t)(b - a)};
      count++;
    }
    v = *end ? end + 1 : end;
  }
  return count;
}
