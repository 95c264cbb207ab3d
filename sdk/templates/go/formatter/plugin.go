// {{name}}: a Sluice formatter in Go. It writes CSV: a header line, then one
// `topic,partition,offset,value` line per record.
package main

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	sluice "sluice.dev/sdk"
)

type Plugin struct {
	sluice.FormatterDefaults // prefix, suffix and trailer: none
	delimiter                string
}

func (p *Plugin) Metadata() sluice.Metadata {
	return sluice.Metadata{
		Name:        "{{name}}",
		Version:     "0.1.0",
		Description: "Records as CSV lines (topic, partition, offset, value)",
		Config: []sluice.ConfigKey{
			sluice.Key("delimiter", sluice.TypeString, "The field delimiter").WithDefault(","),
		},
	}
}

func (p *Plugin) Configure(config sluice.Config) error {
	p.delimiter = config.String("delimiter")
	if utf8.RuneCountInString(p.delimiter) != 1 {
		return errors.New("delimiter: one character, please")
	}
	return nil
}

func (p *Plugin) ContentType() string { return "text/csv" }
func (p *Plugin) Extension() string   { return ".csv" }

// Each encoded line ends with its own newline.
func (p *Plugin) Separator() []byte { return nil }

func (p *Plugin) Header() []byte {
	return p.line("topic", "partition", "offset", "value")
}

func (p *Plugin) Encode(record sluice.Record) ([]byte, error) {
	value := ""
	if record.Value != nil {
		var err error
		if value, err = record.ValueText(); err != nil {
			return nil, err
		}
	}
	partition := strconv.FormatInt(int64(record.Partition), 10)
	offset := strconv.FormatInt(record.Offset, 10)
	return p.line(record.Topic, partition, offset, value), nil
}

// line is one CSV line, quoted like Python's csv module does by default:
// a field with the delimiter, a quote or a line break is quoted, its
// quotes doubled.
func (p *Plugin) line(fields ...string) []byte {
	var out strings.Builder
	for i, f := range fields {
		if i > 0 {
			out.WriteString(p.delimiter)
		}
		if strings.Contains(f, p.delimiter) || strings.ContainsAny(f, "\"\n\r") {
			out.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
		} else {
			out.WriteString(f)
		}
	}
	out.WriteString("\n")
	return []byte(out.String())
}

func init() { sluice.ExportFormatter(&Plugin{}) }

// Unused: the component's entry points are the contract's exports.
func main() {}
