// The conformance suite's reference transform in Go (see ../README.md).
package main

import (
	"fmt"

	sluice "sluice.dev/sdk"
)

type MaskFields struct {
	fields      []string
	replacement string
}

func (p *MaskFields) Metadata() sluice.Metadata {
	return sluice.Metadata{
		Name:        "mask-fields",
		Version:     "0.1.0",
		Description: "Replaces top-level fields of JSON object values (conformance reference)",
		Config: []sluice.ConfigKey{
			sluice.Key("fields", sluice.TypeList, "Top-level fields to replace").AsRequired(),
			sluice.Key("replacement", sluice.TypeString, "What replaces them").WithDefault("****"),
			// The Kafka Connect class this transform stands in for.
			sluice.Key("connect.class", sluice.TypeList, "The Kafka Connect class this plugin runs as").
				WithDefault("com.example.transforms.MaskFields$Value"),
		},
	}
}

func (p *MaskFields) Configure(config sluice.Config) error {
	p.fields = config.List("fields")
	p.replacement = config.String("replacement")
	return nil
}

func (p *MaskFields) Transform(record sluice.Record) ([]sluice.Record, error) {
	if record.HasHeader("skip") {
		return sluice.Drop()
	}
	value, err := record.ValueJSON()
	if err != nil {
		return nil, err
	}
	object, ok := value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("offset %d: value is not a JSON object", record.Offset)
	}
	for _, f := range p.fields {
		if _, present := object[f]; present {
			object[f] = p.replacement
		}
	}
	return sluice.KeepJSON(record, object)
}

func init() { sluice.ExportTransform(&MaskFields{}) }

func main() {}
