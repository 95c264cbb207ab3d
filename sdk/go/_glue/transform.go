// Copied by the build into the bindings' export_sluice_plugin_transformation
// package: the `transformation` exports, over the SDK.

package export_sluice_plugin_transformation

import (
	witTypes "go.bytecodealliance.org/pkg/wit/types"
	"sluice.dev/bindings/sluice_plugin_transformation"
	"sluice.dev/bindings/sluice_plugin_types"
	sluice "sluice.dev/sdk"
)

func Metadata() sluice_plugin_types.PluginMetadata {
	return metadata(sluice_plugin_types.PluginKindTransform, "transform")
}

func Configure(config []witTypes.Tuple2[string, string]) witTypes.Result[witTypes.Unit, string] {
	return configure(config, "transform")
}

func Transform(input sluice_plugin_types.Batch) sluice_plugin_transformation.Transformed {
	defer sluice.CallEnd()
	sluice.CallStart()
	out, origins, fails := sluice.HandleTransform(fromWit(input))
	return sluice_plugin_transformation.Transformed{
		Output:   toWit(out),
		Origins:  origins,
		Failures: failures(fails),
	}
}
