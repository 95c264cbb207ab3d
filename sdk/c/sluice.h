/* Sluice's C SDK: write converters, transforms and formatters in C.
 *
 * A Sluice plugin is a WebAssembly component that the host calls with whole
 * batches of Kafka records in an arena layout (wit/plugin.wit). This SDK
 * hides that layout: you write one function that sees one record at a time,
 * and say what became of it (kept, changed, split, dropped, converted,
 * encoded or failed with a message). A failed record never fails its
 * neighbours.
 *
 * A plugin is one C file that includes this header, defines
 * `SLUICE_PLUGIN_INFO` (name, version, description, configuration keys) and
 * the function of its kind:
 *
 *   transform:  void sluice_transform(const sluice_record *in, sluice_out *out);
 *   converter:  void sluice_convert(sluice_part part, const sluice_record *in,
 *                                   sluice_bytes data, sluice_out *out);
 *   formatter:  void sluice_encode(const sluice_record *in, sluice_out *out);
 *
 * and optionally `sluice_configure` (and, for formatters, `sluice_format_header`
 * and `sluice_format_trailer`). `sluice.c` provides the contract's exports over them;
 * the build compiles it with -DSLUICE_WORLD_TRANSFORM (or _CONVERTER,
 * _FORMATTER) next to the bindings wit-bindgen generated for that world.
 *
 * Memory: everything a record points to belongs to the SDK and lives until
 * your function returns; everything you hand to `sluice_emit`,
 * `sluice_converted`, `sluice_write` or `sluice_fail` is copied at once, so
 * your own buffers can be freed (or reused) right after.
 *
 * JSON: `sluice_json_parse` validates a document completely and gives its
 * tokens (jsmn's, from Debian's libjsmn-dev); `sluice_buf_json_string`
 * writes a JSON string. See sdk/c/README.md for a complete example.
 */
#ifndef SLUICE_H
#define SLUICE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSMN_HEADER
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- bytes and records ------------------------------------------------ */

/* A view of bytes owned by someone else. `ptr == NULL` is null (a tombstone
 * value, a missing key, a header without a value); a present value always
 * has a non-NULL `ptr`, even when `len` is 0. */
typedef struct {
  const uint8_t *ptr;
  size_t len;
} sluice_bytes;

/* The null view. */
#define SLUICE_NULL ((sluice_bytes){NULL, 0})

/* A view of a NUL-terminated string (not copied). */
sluice_bytes sluice_str(const char *text);

/* True when `b` is null. */
static inline bool sluice_is_null(sluice_bytes b) { return b.ptr == NULL; }

/* True when `b` holds exactly the text `s`. */
bool sluice_bytes_eq(sluice_bytes b, const char *s);

/* True when `b` is valid UTF-8 (null is not). */
bool sluice_utf8_valid(sluice_bytes b);

/* What a record's key or value holds. */
typedef enum {
  SLUICE_BINARY = 0, /* bytes of unknown structure, before any converter */
  SLUICE_TEXT = 1,   /* UTF-8 text */
  SLUICE_JSON = 2,   /* one UTF-8 JSON document */
} sluice_kind;

/* One Kafka header: a UTF-8 name and a value that may be null. */
typedef struct {
  sluice_bytes name;
  sluice_bytes value;
} sluice_header;

/* One Kafka record, as a plugin sees it and as a transform emits it. */
typedef struct {
  sluice_bytes topic; /* UTF-8 */
  int32_t partition;
  int64_t offset;
  bool has_timestamp;
  int64_t timestamp; /* milliseconds since the Unix epoch, if has_timestamp */
  sluice_bytes key;
  sluice_kind key_kind;
  sluice_bytes value; /* null: a tombstone */
  sluice_kind value_kind;
  const sluice_header *headers;
  size_t header_count;
} sluice_record;

/* True when `r` has a header called `name` (its value may be null). */
bool sluice_has_header(const sluice_record *r, const char *name);

/* The value of the first header called `name` (null when there is none, or
 * when its value is null: use sluice_has_header to tell them apart). */
sluice_bytes sluice_header_value(const sluice_record *r, const char *name);

/* ---- growable byte buffers ------------------------------------------- */

/* A growable byte buffer; zero-initialise it (`sluice_buf b = {0};`) and
 * free it with sluice_buf_free. Appending never fails: running out of
 * memory traps the instance, which the host reports and replaces. */
typedef struct {
  uint8_t *ptr;
  size_t len;
  size_t cap;
} sluice_buf;

void sluice_buf_append(sluice_buf *b, const void *data, size_t len);
void sluice_buf_puts(sluice_buf *b, const char *text);
void sluice_buf_putc(sluice_buf *b, char c);
void sluice_buf_printf(sluice_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends `text` (UTF-8) as a JSON string, quotes included. */
void sluice_buf_json_string(sluice_buf *b, sluice_bytes text);
/* A view of the buffer's bytes (non-null, even when empty). */
sluice_bytes sluice_buf_bytes(const sluice_buf *b);
void sluice_buf_clear(sluice_buf *b);
void sluice_buf_free(sluice_buf *b);

/* ---- JSON ------------------------------------------------------------- */

/* A parsed JSON document: jsmn's tokens in document order (token 0 is the
 * top-level value), each with its type, start, end, size (children: members
 * of an object count once, values of an array once, a key has one) and
 * parent index. */
typedef struct {
  sluice_bytes text;
  jsmntok_t *tokens;
  int count;
} sluice_json;

/* Parses and fully validates `text` as one JSON document (UTF-8, strict
 * syntax, nothing after it). Returns true, or false with `error` (if not
 * NULL) set to a reason that reads after "is": "null", "not valid JSON",
 * "not valid JSON: it ends early", "not valid JSON: not UTF-8". Free a
 * parsed document with sluice_json_free. */
bool sluice_json_parse(sluice_json *doc, sluice_bytes text, const char **error);
void sluice_json_free(sluice_json *doc);

/* The index of the token after token `i` and everything inside it (its
 * next sibling, or the end): walks an object's members or an array's
 * values. */
int sluice_json_skip(const sluice_json *doc, int i);

/* The exact text of token `i` (strings with their quotes). */
sluice_bytes sluice_json_raw(const sluice_json *doc, int i);

/* True when token `i` is a string whose decoded text is `s`. */
bool sluice_json_string_eq(const sluice_json *doc, int i, const char *s);

/* ---- configuration --------------------------------------------------- */

typedef enum {
  SLUICE_CONFIG_STRING = 0,
  SLUICE_CONFIG_INTEGER = 1,
  SLUICE_CONFIG_FLOAT = 2,
  SLUICE_CONFIG_BOOLEAN = 3,
  SLUICE_CONFIG_LIST = 4, /* a comma-separated list */
} sluice_config_type;

/* One configuration key the plugin accepts. The host checks the manifest's
 * values against these (unknown keys, missing required keys, values of the
 * wrong type) before the plugin sees them, and `sluice plugins` lists them. */
typedef struct {
  const char *name;
  sluice_config_type type;
  const char *default_value; /* NULL: none */
  bool required;
  const char *description;
} sluice_config_key;

/* What a plugin says about itself. */
typedef struct {
  const char *name;
  const char *version;
  const char *description; /* one line */
  const sluice_config_key *config;
  size_t config_count;
  /* Formatters only: how encoded records are put together,
   * header + prefix + rec1 + separator + rec2 ... + suffix + trailer. */
  const char *content_type; /* NULL: application/octet-stream */
  const char *extension;    /* with its dot; NULL: .bin */
  const char *prefix;       /* NULL: none */
  const char *separator;    /* NULL: none */
  const char *suffix;       /* NULL: none */
} sluice_plugin_info;

/* Every plugin defines this one value:
 *   const sluice_plugin_info SLUICE_PLUGIN_INFO = { .name = "x", ... };  */
extern const sluice_plugin_info SLUICE_PLUGIN_INFO;

/* The configuration: the manifest's values with declared defaults filled in. */
typedef struct sluice_config sluice_config;

/* The value of `name`, or NULL when it is not set and has no default. The
 * string lives as long as the instance. */
const char *sluice_config_get(const sluice_config *c, const char *name);
/* Typed reads; `fallback` when the key is not set (values were checked
 * against their declared types by the host). */
int64_t sluice_config_int(const sluice_config *c, const char *name, int64_t fallback);
double sluice_config_float(const sluice_config *c, const char *name, double fallback);
bool sluice_config_bool(const sluice_config *c, const char *name, bool fallback);
/* A comma list: the number of trimmed, non-empty items, each written into
 * `items[i]` (up to `max`) as a view into the configuration. */
size_t sluice_config_list(const sluice_config *c, const char *name, sluice_bytes *items, size_t max);

/* Called once per instance, before any record. Return NULL to accept the
 * configuration, or a message refusing it (shown to the user as is; a
 * string literal or one from sluice_message). Optional: without it every
 * configuration is accepted. */
const char *sluice_configure(const sluice_config *config);

/* A message in a buffer the SDK owns (until the next call), printf-style. */
const char *sluice_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- what happened to a record ---------------------------------------- */

/* Where a plugin says what became of the record it was given. */
typedef struct sluice_out sluice_out;

/* Transforms: outputs `record` (copied); call it once to keep or change the
 * record, several times to split it, never to drop it. Its offset is
 * ignored: the host tracks every output by the input it came from. */
void sluice_emit(sluice_out *out, const sluice_record *record);

/* Converters: the part is now `data`, holding `kind`. Not calling it (and
 * not failing) makes the part null. */
void sluice_converted(sluice_out *out, sluice_bytes data, sluice_kind kind);

/* Formatters: appends bytes to this record's encoding. */
void sluice_write(sluice_out *out, sluice_bytes data);

/* Any kind: fails the record with a message (printf-style), which reaches
 * the log and the dead letter queue as is; what was emitted, converted or
 * written for it is discarded. Name the offset so users can find it. */
void sluice_fail(sluice_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- the function of each kind ---------------------------------------- */

typedef enum { SLUICE_KEY = 0, SLUICE_VALUE = 1 } sluice_part;

void sluice_transform(const sluice_record *in, sluice_out *out);
/* Called only for parts that are not null (a null part stays null). */
void sluice_convert(sluice_part part, const sluice_record *in, sluice_bytes data, sluice_out *out);
void sluice_encode(const sluice_record *in, sluice_out *out);
/* Formatters, optional: bytes that open and close a body or object. */
void sluice_format_header(sluice_buf *out);
void sluice_format_trailer(sluice_buf *out);

/* ---- logging ---------------------------------------------------------- */

/* Lines in the host's log, tagged with the plugin's name (printf-style). */
void sluice_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sluice_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sluice_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sluice_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#ifdef __cplusplus
}
#endif
#endif /* SLUICE_H */
