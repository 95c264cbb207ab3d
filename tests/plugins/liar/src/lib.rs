//! Test fixture: a transform whose metadata lies. It declares one key,
//! `threshold`, but its `configure` requires another, `mode`, that it never
//! declared: the host refuses `mode` as unknown, and without it the plugin
//! refuses to start. Either way the error must name the plugin.

use sluice_sdk::{Config, ConfigKey, ConfigType, Emitter, Plugin, PluginInfo, Record, Transform};

pub struct Liar;

impl Plugin for Liar {
    const INFO: PluginInfo = PluginInfo {
        name: "liar",
        version: "0.0.1",
        description: "Requires a config key it does not declare (test fixture)",
        config: &[ConfigKey::optional(
            "threshold",
            ConfigType::Integer,
            Some("10"),
            "Declared, and ignored",
        )],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        config.require("mode")?;
        Ok(Liar)
    }
}

impl Transform for Liar {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        out.keep(record);
        Ok(())
    }
}

sluice_sdk::export_transform!(Liar);
