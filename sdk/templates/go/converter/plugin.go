// {{name}}: a Sluice converter in Go. It reads `key=value` pairs separated by
// `&` (a form-encoded body) into a JSON object; bytes that are not UTF-8
// fail the record.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	sluice "sluice.dev/sdk"
)

type Plugin struct {
	numbers bool
}

func (p *Plugin) Metadata() sluice.Metadata {
	return sluice.Metadata{
		Name:        "{{name}}",
		Version:     "0.1.0",
		Description: "Form-encoded text (a=1&b=2) to a JSON object",
		Config: []sluice.ConfigKey{
			sluice.Key("numbers", sluice.TypeBoolean, "Turn digit-only values into numbers").WithDefault("false"),
		},
	}
}

func (p *Plugin) Configure(config sluice.Config) error {
	var err error
	p.numbers, err = config.Bool("numbers")
	return err
}

func (p *Plugin) Convert(data []byte, record sluice.Record, part sluice.Part) ([]byte, sluice.Kind, error) {
	if !utf8.Valid(data) {
		return nil, 0, fmt.Errorf("offset %d: %s is not UTF-8", record.Offset, part)
	}
	var keys []string // in order of first appearance; a repeated key keeps its last value
	values := map[string]string{}
	for _, pair := range strings.Split(string(data), "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, v = decode(k), decode(v)
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, 0, fmt.Errorf("offset %d: %s is not UTF-8 once decoded", record.Offset, part)
		}
		if _, seen := values[k]; !seen {
			keys = append(keys, k)
		}
		values[k] = v
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			out.WriteByte(',')
		}
		name, _ := json.Marshal(k)
		out.Write(name)
		out.WriteByte(':')
		if v := values[k]; p.numbers && digits(v) {
			out.WriteString(strings.TrimLeft(v[:len(v)-1], "0") + v[len(v)-1:])
		} else {
			text, _ := json.Marshal(v)
			out.Write(text)
		}
	}
	out.WriteByte('}')
	return out.Bytes(), sluice.JSON, nil
}

// decode undoes form encoding (`+` is a space, `%XY` a byte); text with a
// malformed escape is kept as it is, with its `+` as spaces.
func decode(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return strings.ReplaceAll(s, "+", " ")
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func init() { sluice.ExportConverter(&Plugin{}) }

// Unused: the component's entry points are the contract's exports.
func main() {}
