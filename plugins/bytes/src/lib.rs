//! `bytes` converter: Kafka's `ByteArrayConverter`. Passes bytes through.

use sluice_sdk::{Config, Converted, Converter, Part, Plugin, PluginInfo, Record, ValueKind};

/// The converter; it has no state.
pub struct BytesConverter;

impl Plugin for BytesConverter {
    const INFO: PluginInfo = PluginInfo {
        name: "bytes",
        version: env!("CARGO_PKG_VERSION"),
        description: "Raw bytes passed through, as Kafka's ByteArrayConverter",
        config: &[],
    };

    fn configure(_config: &Config) -> Result<Self, String> {
        Ok(BytesConverter)
    }
}

impl Converter for BytesConverter {
    fn convert<'a>(
        &mut self,
        _part: Part,
        _record: &Record<'a>,
        input: Option<&'a [u8]>,
    ) -> Result<Option<Converted<'a>>, String> {
        Ok(input.map(|b| Converted {
            bytes: b.into(),
            kind: ValueKind::Binary,
        }))
    }
}

sluice_sdk::export_converter!(BytesConverter);
