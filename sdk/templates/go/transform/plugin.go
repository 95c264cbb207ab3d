// {{name}}: a Sluice transform in Go. It adds the record's topic to JSON
// object values, drops records that carry a `drop` header, and fails values
// that are not JSON objects (the message names the offset).
package main

import (
	"fmt"

	sluice "sluice.dev/sdk"
)

type Plugin struct {
	field string
}

func (p *Plugin) Metadata() sluice.Metadata {
	return sluice.Metadata{
		Name:        "{{name}}",
		Version:     "0.1.0",
		Description: "Adds the topic to JSON object values",
		Config: []sluice.ConfigKey{
			sluice.Key("field", sluice.TypeString, "The field that gets the topic").WithDefault("topic"),
		},
	}
}

func (p *Plugin) Configure(config sluice.Config) error {
	p.field = config.String("field")
	return nil
}

func (p *Plugin) Transform(record sluice.Record) ([]sluice.Record, error) {
	if record.HasHeader("drop") {
		return sluice.Drop() // dropped; return sluice.Keep(a, b) to split a record into several
	}
	value, err := record.ValueJSON()
	if err != nil {
		return nil, err
	}
	object, ok := value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("offset %d: value is not a JSON object", record.Offset)
	}
	object[p.field] = record.Topic
	return sluice.KeepJSON(record, object)
}

func init() { sluice.ExportTransform(&Plugin{}) }

// Unused: the component's entry points are the contract's exports.
func main() {}
