// Copied by the build into the bindings' export_sluice_plugin_conversion
// package: the `conversion` exports, over the SDK.

package export_sluice_plugin_conversion

import (
	witTypes "go.bytecodealliance.org/pkg/wit/types"
	"sluice.dev/bindings/sluice_plugin_conversion"
	"sluice.dev/bindings/sluice_plugin_types"
	sluice "sluice.dev/sdk"
)

func Metadata() sluice_plugin_types.PluginMetadata {
	return metadata(sluice_plugin_types.PluginKindConverter, "converter")
}

func Configure(config []witTypes.Tuple2[string, string]) witTypes.Result[witTypes.Unit, string] {
	return configure(config, "converter")
}

func Convert(part sluice_plugin_conversion.Part, input sluice_plugin_types.Batch) sluice_plugin_conversion.Conversions {
	defer sluice.CallEnd()
	sluice.CallStart()
	which := sluice.PartValue
	if part == sluice_plugin_conversion.PartKey {
		which = sluice.PartKey
	}
	data, items, fails := sluice.HandleConvert(which, fromWit(input))
	out := make([]sluice_plugin_conversion.Conversion, len(items))
	for i, it := range items {
		switch {
		case it.Failed:
			out[i] = sluice_plugin_conversion.MakeConversionFailed()
		case it.Null:
			out[i] = sluice_plugin_conversion.MakeConversionNull()
		default:
			out[i] = sluice_plugin_conversion.MakeConversionConverted(
				witTypes.Tuple2[sluice_plugin_types.Span, sluice_plugin_types.ValueKind]{
					F0: witSpan(it.Span), F1: sluice_plugin_types.ValueKind(it.Kind),
				})
		}
	}
	return sluice_plugin_conversion.Conversions{Data: data, Items: out, Failures: failures(fails)}
}
