// Copied by the build next to the bindings wit-bindgen generates for the
// plugin's world (in every export_* package, as sluice_common.go): the
// conversions between the generated types and the SDK's arena types.

package GLUE_PACKAGE

import (
	witTypes "go.bytecodealliance.org/pkg/wit/types"
	"sluice.dev/bindings/sluice_plugin_log"
	"sluice.dev/bindings/sluice_plugin_types"
	sluice "sluice.dev/sdk"
)

func init() {
	sluice.SetLogSink(func(level sluice.Level, message string) {
		sluice_plugin_log.Log(sluice_plugin_log.Level(level), message)
	})
}

func metadata(kind sluice_plugin_types.PluginKind, want string) sluice_plugin_types.PluginMetadata {
	defer sluice.CallEnd()
	sluice.CallStart()
	md := sluice.HandleMetadata(want)
	keys := make([]sluice_plugin_types.ConfigKey, len(md.Config))
	for i, k := range md.Config {
		def := witTypes.None[string]()
		if k.Default != nil {
			def = witTypes.Some(*k.Default)
		}
		keys[i] = sluice_plugin_types.ConfigKey{
			Name:         k.Name,
			ValueType:    sluice_plugin_types.ConfigType(k.Type),
			DefaultValue: def,
			Required:     k.Required,
			Description:  k.Description,
		}
	}
	return sluice_plugin_types.PluginMetadata{
		Name:        md.Name,
		Version:     md.Version,
		Kind:        kind,
		Description: md.Description,
		Config:      keys,
	}
}

func configure(config []witTypes.Tuple2[string, string], want string) witTypes.Result[witTypes.Unit, string] {
	defer sluice.CallEnd()
	sluice.CallStart()
	entries := make([][2]string, len(config))
	for i, e := range config {
		// The strings point into the call's argument buffer: copy them.
		entries[i] = [2]string{string([]byte(e.F0)), string([]byte(e.F1))}
	}
	if err := sluice.HandleConfigure(want, entries); err != nil {
		return witTypes.Err[witTypes.Unit, string](err.Error())
	}
	return witTypes.Ok[witTypes.Unit, string](witTypes.Unit{})
}

func span(s sluice_plugin_types.Span) sluice.Span { return sluice.Span{Start: s.Start, Len: s.Len} }

func witSpan(s sluice.Span) sluice_plugin_types.Span {
	return sluice_plugin_types.Span{Start: s.Start, Len: s.Len}
}

func fromWit(b sluice_plugin_types.Batch) sluice.RawBatch {
	out := sluice.RawBatch{
		Data:    b.Data,
		Records: make([]sluice.RawRecord, len(b.Records)),
		Headers: make([]sluice.RawHeader, len(b.Headers)),
	}
	for i, r := range b.Records {
		raw := sluice.RawRecord{
			Topic:       span(r.Topic),
			Partition:   r.Partition,
			Offset:      r.Offset,
			KeyKind:     sluice.Kind(r.KeyKind),
			ValueKind:   sluice.Kind(r.ValueKind),
			FirstHeader: r.FirstHeader,
			HeaderCount: r.HeaderCount,
		}
		if r.Timestamp.IsSome() {
			raw.Timestamp, raw.HasTimestamp = r.Timestamp.Some(), true
		}
		if r.Key.IsSome() {
			raw.Key, raw.HasKey = span(r.Key.Some()), true
		}
		if r.Value.IsSome() {
			raw.Value, raw.HasValue = span(r.Value.Some()), true
		}
		out.Records[i] = raw
	}
	for i, h := range b.Headers {
		raw := sluice.RawHeader{Name: span(h.Name)}
		if h.Value.IsSome() {
			raw.Value, raw.HasValue = span(h.Value.Some()), true
		}
		out.Headers[i] = raw
	}
	return out
}

func toWit(b sluice.RawBatch) sluice_plugin_types.Batch {
	out := sluice_plugin_types.Batch{
		Data:    b.Data,
		Records: make([]sluice_plugin_types.Record, len(b.Records)),
		Headers: make([]sluice_plugin_types.Header, len(b.Headers)),
	}
	for i, r := range b.Records {
		rec := sluice_plugin_types.Record{
			Topic:       witSpan(r.Topic),
			Partition:   r.Partition,
			Offset:      r.Offset,
			Timestamp:   witTypes.None[int64](),
			Key:         witTypes.None[sluice_plugin_types.Span](),
			KeyKind:     sluice_plugin_types.ValueKind(r.KeyKind),
			Value:       witTypes.None[sluice_plugin_types.Span](),
			ValueKind:   sluice_plugin_types.ValueKind(r.ValueKind),
			FirstHeader: r.FirstHeader,
			HeaderCount: r.HeaderCount,
		}
		if r.HasTimestamp {
			rec.Timestamp = witTypes.Some(r.Timestamp)
		}
		if r.HasKey {
			rec.Key = witTypes.Some(witSpan(r.Key))
		}
		if r.HasValue {
			rec.Value = witTypes.Some(witSpan(r.Value))
		}
		out.Records[i] = rec
	}
	for i, h := range b.Headers {
		hd := sluice_plugin_types.Header{Name: witSpan(h.Name), Value: witTypes.None[sluice_plugin_types.Span]()}
		if h.HasValue {
			hd.Value = witTypes.Some(witSpan(h.Value))
		}
		out.Headers[i] = hd
	}
	return out
}

func failures(fs []sluice.Failure) []sluice_plugin_types.Failure {
	out := make([]sluice_plugin_types.Failure, len(fs))
	for i, f := range fs {
		out[i] = sluice_plugin_types.Failure{Input: uint32(f.Input), Message: f.Message}
	}
	return out
}
