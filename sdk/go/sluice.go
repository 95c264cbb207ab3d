// Package sluice writes Sluice plugins in Go.
//
// A Sluice plugin is a WebAssembly component the host loads from its plugin
// directory: a converter (raw key or value bytes to typed bytes, like Kafka
// Connect's converters), a transform (keep, change, drop, split or fail
// records, like Connect's SMTs) or a formatter (records to an HTTP body or
// object contents). The host calls a plugin with whole batches in an arena
// layout; this package hides that and calls your code once per record,
// catching each record's error (and panic) on its own so one bad record never
// fails its neighbours.
//
// A transform:
//
//	package main
//
//	import sluice "sluice.dev/sdk"
//
//	type AddTopic struct{ field string }
//
//	func (p *AddTopic) Metadata() sluice.Metadata {
//		return sluice.Metadata{
//			Name: "add-topic", Version: "0.1.0",
//			Description: "Adds the record's topic to JSON object values",
//			Config: []sluice.ConfigKey{
//				sluice.Key("field", sluice.TypeString, "Field to set").WithDefault("topic"),
//			},
//		}
//	}
//
//	func (p *AddTopic) Configure(c sluice.Config) error {
//		p.field = c.String("field")
//		return nil
//	}
//
//	func (p *AddTopic) Transform(r sluice.Record) ([]sluice.Record, error) {
//		object, err := r.ValueJSONObject()
//		if err != nil {
//			return nil, err
//		}
//		object[p.field] = r.Topic
//		return sluice.KeepJSON(r, object)
//	}
//
//	func init() { sluice.ExportTransform(&AddTopic{}) }
//
//	func main() {}
//
// `scripts/sdk/build go transform DIR out.wasm` (or a project's `./build.sh`)
// generates the contract's bindings, builds the module with
// GOOS=wasip1 GOARCH=wasm -buildmode=c-shared and makes it a component.
// The same types run natively for unit tests: see RunTransform, RunConvert
// and RunEncode.
package sluice

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind is what a record's key or value holds.
type Kind uint8

const (
	// Binary is bytes of unknown structure (the state before any converter).
	Binary Kind = iota
	// Text is UTF-8 text.
	Text
	// JSON is one UTF-8 JSON document.
	JSON
)

func (k Kind) String() string {
	switch k {
	case Binary:
		return "binary"
	case Text:
		return "text"
	case JSON:
		return "json"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

func (k Kind) check() error {
	if k > JSON {
		return fmt.Errorf("value kind %d is not binary, text or json", uint8(k))
	}
	return nil
}

// Header is one Kafka header: a UTF-8 name and a value; a nil Value is null.
type Header struct {
	Name  string
	Value []byte
}

// Record is one Kafka record, as a plugin sees it and as a transform emits it.
// A nil Key or Value is null (a nil Value is a tombstone); an empty one is
// a non-nil empty slice. The slices of an input record point into the call's
// batch: they stay valid, but modify copies, not them.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	// Milliseconds since the Unix epoch, or nil.
	Timestamp *int64
	Key       []byte
	KeyKind   Kind
	Value     []byte
	ValueKind Kind
	// In order; names may repeat.
	Headers []Header
}

// IsTombstone is true when the value is null.
func (r Record) IsTombstone() bool { return r.Value == nil }

// HasHeader is true when a header called name is there (its value may be null).
func (r Record) HasHeader(name string) bool {
	for _, h := range r.Headers {
		if h.Name == name {
			return true
		}
	}
	return false
}

// Header is the value of the first header called name (nil when null) and
// whether there is one.
func (r Record) Header(name string) ([]byte, bool) {
	for _, h := range r.Headers {
		if h.Name == name {
			return h.Value, true
		}
	}
	return nil, false
}

// ValueText is the value as text; the error names the offset when it is
// null or not UTF-8.
func (r Record) ValueText() (string, error) {
	if r.Value == nil {
		return "", fmt.Errorf("offset %d: value is null", r.Offset)
	}
	if !utf8.Valid(r.Value) {
		return "", fmt.Errorf("offset %d: value is not UTF-8", r.Offset)
	}
	return string(r.Value), nil
}

// ValueJSON is the value parsed as one JSON document (objects as
// map[string]any, arrays as []any, numbers as json.Number so that big
// integers survive); the error names the offset and what is wrong.
func (r Record) ValueJSON() (any, error) {
	text, err := r.ValueText()
	if err != nil {
		return nil, err
	}
	v, err := ParseJSON([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("offset %d: value is not valid JSON: %v", r.Offset, err)
	}
	return v, nil
}

// ValueJSONObject is the value parsed as a JSON object; the error names the
// offset when it is null, not JSON or not an object.
func (r Record) ValueJSONObject() (map[string]any, error) {
	v, err := r.ValueJSON()
	if err != nil {
		return nil, err
	}
	object, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("offset %d: value is not a JSON object", r.Offset)
	}
	return object, nil
}

// WithValue is a copy with another value and value kind.
func (r Record) WithValue(value []byte, kind Kind) Record {
	r.Value = value
	r.ValueKind = kind
	return r
}

// WithText is a copy whose value is text (kind Text).
func (r Record) WithText(text string) Record {
	return r.WithValue([]byte(text), Text)
}

// WithJSON is a copy whose value is document encoded as compact JSON (kind JSON).
func (r Record) WithJSON(document any) (Record, error) {
	b, err := EncodeJSON(document)
	if err != nil {
		return r, fmt.Errorf("offset %d: cannot encode JSON: %v", r.Offset, err)
	}
	return r.WithValue(b, JSON), nil
}

// WithHeader is a copy with one more header (the input's headers are not modified).
func (r Record) WithHeader(name string, value []byte) Record {
	hs := make([]Header, len(r.Headers), len(r.Headers)+1)
	copy(hs, r.Headers)
	r.Headers = append(hs, Header{Name: name, Value: value})
	return r
}

// WithoutHeader is a copy without the headers called name.
func (r Record) WithoutHeader(name string) Record {
	hs := make([]Header, 0, len(r.Headers))
	for _, h := range r.Headers {
		if h.Name != name {
			hs = append(hs, h)
		}
	}
	r.Headers = hs
	return r
}

// ParseJSON parses exactly one JSON document, numbers as json.Number.
func ParseJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("extra data after the JSON document")
	}
	return v, nil
}

// EncodeJSON encodes v as compact JSON without HTML escaping (object keys
// come out sorted).
func EncodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Keep returns records unchanged or changed: a transform's "keep this",
// or with several records a split.
func Keep(records ...Record) ([]Record, error) {
	if records == nil {
		records = []Record{}
	}
	return records, nil
}

// KeepJSON keeps r with document as its JSON value.
func KeepJSON(r Record, document any) ([]Record, error) {
	out, err := r.WithJSON(document)
	if err != nil {
		return nil, err
	}
	return []Record{out}, nil
}

// Drop drops the record: a transform's "no output".
func Drop() ([]Record, error) { return nil, nil }

// ConfigType is the type of a configuration value; every value is passed as a string.
type ConfigType uint8

const (
	TypeString ConfigType = iota
	TypeInteger
	TypeFloat
	TypeBoolean
	// TypeList is a comma-separated list.
	TypeList
)

func (t ConfigType) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeInteger:
		return "integer"
	case TypeFloat:
		return "float"
	case TypeBoolean:
		return "boolean"
	case TypeList:
		return "list"
	}
	return fmt.Sprintf("config-type(%d)", uint8(t))
}

// ConfigKey is one configuration key a plugin accepts: the host checks
// values against it before the plugin starts, and `sluice plugins` lists it.
type ConfigKey struct {
	Name string
	Type ConfigType
	// The value used when the key is not given, as a string; nil for none.
	Default     *string
	Required    bool
	Description string
}

// Key declares an optional key without a default.
func Key(name string, t ConfigType, description string) ConfigKey {
	return ConfigKey{Name: name, Type: t, Description: description}
}

// WithDefault is k with a default value.
func (k ConfigKey) WithDefault(value string) ConfigKey {
	k.Default = &value
	return k
}

// AsRequired is k marked required.
func (k ConfigKey) AsRequired() ConfigKey {
	k.Required = true
	return k
}

// Metadata is what a plugin says about itself; read by the host at load time.
type Metadata struct {
	Name    string
	Version string
	// One line describing what the plugin does.
	Description string
	Config      []ConfigKey
}

// Config is the plugin's configuration: the manifest's values, with the
// declared defaults filled in. Typed getters return the zero value for a
// missing key (check Has) and an error naming the key for a malformed one.
type Config struct {
	values map[string]string
	order  []string
}

// NewConfig is the configuration of entries (name, value) with the defaults
// of keys filled in; later entries win.
func NewConfig(entries [][2]string, keys []ConfigKey) Config {
	c := Config{values: map[string]string{}}
	set := func(k, v string) {
		if _, ok := c.values[k]; !ok {
			c.order = append(c.order, k)
		}
		c.values[k] = v
	}
	for _, k := range keys {
		if k.Default != nil {
			set(k.Name, *k.Default)
		}
	}
	for _, e := range entries {
		set(e[0], e[1])
	}
	return c
}

// Names is the keys that have a value, defaults first, then the manifest's order.
func (c Config) Names() []string { return append([]string(nil), c.order...) }

// Has is true when name has a value (given or default).
func (c Config) Has(name string) bool { _, ok := c.values[name]; return ok }

// Lookup is the value of name and whether it has one.
func (c Config) Lookup(name string) (string, bool) { v, ok := c.values[name]; return v, ok }

// String is the value of name, "" when missing.
func (c Config) String(name string) string { return c.values[name] }

// Require is the value of name; an error when it is missing.
func (c Config) Require(name string) (string, error) {
	v, ok := c.values[name]
	if !ok {
		return "", fmt.Errorf("missing required key %q", name)
	}
	return v, nil
}

// Int is the value of name as an integer (0 when missing).
func (c Config) Int(name string) (int64, error) {
	v, ok := c.values[name]
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not an integer", name, v)
	}
	return n, nil
}

// Float is the value of name as a number (0 when missing).
func (c Config) Float(name string) (float64, error) {
	v, ok := c.values[name]
	if !ok {
		return 0, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a number", name, v)
	}
	return f, nil
}

// Bool is the value of name, "true" or "false" in any case (false when missing).
func (c Config) Bool(name string) (bool, error) {
	v, ok := c.values[name]
	if !ok {
		return false, nil
	}
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%s: %q is not true or false", name, v)
}

// List is a comma-separated value as its trimmed, non-empty items (nil when missing).
func (c Config) List(name string) []string {
	v, ok := c.values[name]
	if !ok {
		return nil
	}
	items := []string{}
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// Plugin is what every plugin has: its metadata, and Configure, called
// once per instance before any record. An error refuses the configuration;
// its message reaches the user as it is.
type Plugin interface {
	Metadata() Metadata
	Configure(config Config) error
}

// Transform keeps, changes, drops, splits or fails records.
type Transform interface {
	Plugin
	// Transform returns the record (changed or not: Keep(r)), several
	// records (a split: Keep(a, b)), none (Drop()), or an error that fails
	// the record with its message.
	Transform(record Record) ([]Record, error)
}

// Part is which part of the records a converter works on.
type Part uint8

const (
	PartKey Part = iota
	PartValue
)

func (p Part) String() string {
	if p == PartKey {
		return "key"
	}
	return "value"
}

// Converter turns a record's raw key or value bytes into typed bytes.
type Converter interface {
	Plugin
	// Convert gets the part's bytes (never null: a null part stays null
	// without a call). It returns the new bytes and their kind, nil bytes
	// for null, or an error that fails the record.
	Convert(data []byte, record Record, part Part) ([]byte, Kind, error)
}

// Formatter encodes records into an HTTP body or an object's contents:
// Header() + Prefix() + rec1 + Separator() + rec2 ... + Suffix() + Trailer().
// Embed FormatterDefaults for the methods you do not need.
type Formatter interface {
	Plugin
	// For example "application/json".
	ContentType() string
	// The file extension of objects, with its dot, for example ".json".
	Extension() string
	Prefix() []byte
	Separator() []byte
	Suffix() []byte
	// Bytes that open a body or object (a CSV header line); usually empty.
	Header() []byte
	// Bytes that close a body or object; usually empty.
	Trailer() []byte
	// Encode is the bytes of one record; an error fails the record.
	Encode(record Record) ([]byte, error)
}

// FormatterDefaults gives a Formatter that embeds it binary content, the
// extension ".bin", a "\n" separator and no prefix, suffix, header or trailer.
type FormatterDefaults struct{}

func (FormatterDefaults) ContentType() string { return "application/octet-stream" }
func (FormatterDefaults) Extension() string   { return ".bin" }
func (FormatterDefaults) Prefix() []byte      { return nil }
func (FormatterDefaults) Separator() []byte   { return []byte("\n") }
func (FormatterDefaults) Suffix() []byte      { return nil }
func (FormatterDefaults) Header() []byte      { return nil }
func (FormatterDefaults) Trailer() []byte     { return nil }

// Level is a log level.
type Level uint8

const (
	LevelTrace Level = iota
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
)

func (l Level) String() string {
	return [...]string{"trace", "debug", "info", "warn", "error"}[min(int(l), 4)]
}

// logSink is the contract's `log` import inside a component (set by the
// bindings glue); outside one (unit tests) lines go to standard error.
var logSink = func(level Level, message string) {
	fmt.Fprintf(stderr, "[%s] %s\n", level, message)
}

// Logger writes into the host's log, tagged with the plugin's name.
type Logger struct{}

// Log is the plugin's logger: sluice.Log.Info("..."), sluice.Log.Warnf("%d", n).
var Log Logger

func (Logger) Trace(message string)              { logSink(LevelTrace, message) }
func (Logger) Debug(message string)              { logSink(LevelDebug, message) }
func (Logger) Info(message string)               { logSink(LevelInfo, message) }
func (Logger) Warn(message string)               { logSink(LevelWarn, message) }
func (Logger) Error(message string)              { logSink(LevelError, message) }
func (Logger) Tracef(format string, args ...any) { logSink(LevelTrace, fmt.Sprintf(format, args...)) }
func (Logger) Debugf(format string, args ...any) { logSink(LevelDebug, fmt.Sprintf(format, args...)) }
func (Logger) Infof(format string, args ...any)  { logSink(LevelInfo, fmt.Sprintf(format, args...)) }
func (Logger) Warnf(format string, args ...any)  { logSink(LevelWarn, fmt.Sprintf(format, args...)) }
func (Logger) Errorf(format string, args ...any) { logSink(LevelError, fmt.Sprintf(format, args...)) }
