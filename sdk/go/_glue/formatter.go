// Copied by the build into the bindings' export_sluice_plugin_formatting
// package: the `formatting` exports, over the SDK.

package export_sluice_plugin_formatting

import (
	witTypes "go.bytecodealliance.org/pkg/wit/types"
	"sluice.dev/bindings/sluice_plugin_formatting"
	"sluice.dev/bindings/sluice_plugin_types"
	sluice "sluice.dev/sdk"
)

func Metadata() sluice_plugin_types.PluginMetadata {
	return metadata(sluice_plugin_types.PluginKindFormatter, "formatter")
}

func Configure(config []witTypes.Tuple2[string, string]) witTypes.Result[witTypes.Unit, string] {
	return configure(config, "formatter")
}

func Info() sluice_plugin_formatting.FormatInfo {
	defer sluice.CallEnd()
	sluice.CallStart()
	info := sluice.HandleInfo()
	return sluice_plugin_formatting.FormatInfo{
		ContentType: info.ContentType,
		Extension:   info.Extension,
		Prefix:      nonNil(info.Prefix),
		Separator:   nonNil(info.Separator),
		Suffix:      nonNil(info.Suffix),
	}
}

func Header() []uint8 {
	defer sluice.CallEnd()
	sluice.CallStart()
	return sluice.HandleHeader()
}

func Trailer() []uint8 {
	defer sluice.CallEnd()
	sluice.CallStart()
	return sluice.HandleTrailer()
}

func Encode(input sluice_plugin_types.Batch) sluice_plugin_formatting.Encoded {
	defer sluice.CallEnd()
	sluice.CallStart()
	data, items, fails := sluice.HandleEncode(fromWit(input))
	out := make([]witTypes.Option[sluice_plugin_types.Span], len(items))
	for i, it := range items {
		if it.Failed {
			out[i] = witTypes.None[sluice_plugin_types.Span]()
		} else {
			out[i] = witTypes.Some(witSpan(it.Span))
		}
	}
	return sluice_plugin_formatting.Encoded{Data: data, Items: out, Failures: failures(fails)}
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
