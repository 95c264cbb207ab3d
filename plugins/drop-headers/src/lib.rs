//! `drop-headers` transform: Kafka's `DropHeaders`. Removes every header
//! whose name is in `headers`.

use sluice_sdk::smt;
use sluice_sdk::{Config, ConfigKey, ConfigType, Emitter, Plugin, PluginInfo, Record, Transform};

/// The transform, configured.
pub struct DropHeaders {
    headers: Vec<String>,
}

impl Plugin for DropHeaders {
    const INFO: PluginInfo = PluginInfo {
        name: "drop-headers",
        version: env!("CARGO_PKG_VERSION"),
        description: "Removes headers by name (Kafka's DropHeaders)",
        config: &[
            ConfigKey::connect_classes("org.apache.kafka.connect.transforms.DropHeaders"),
            ConfigKey::required(
                "headers",
                ConfigType::List,
                "The names of the headers to remove",
            ),
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let headers = smt::non_empty_list(config, "headers")?;
        Ok(DropHeaders { headers })
    }
}

impl Transform for DropHeaders {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        if !record
            .headers
            .iter()
            .any(|h| self.headers.iter().any(|n| n == h.name))
        {
            out.keep(record);
            return Ok(());
        }
        let mut changed = record.to_out();
        changed
            .headers
            .retain(|(name, _)| !self.headers.iter().any(|n| n == name));
        out.emit(&changed);
        Ok(())
    }
}

sluice_sdk::export_transform!(DropHeaders);
