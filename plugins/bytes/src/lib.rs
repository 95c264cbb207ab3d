//! `bytes` converter: Kafka's `ByteArrayConverter`. Passes bytes through
//! (the host keeps its own: nothing is copied) with Kafka's optional
//! `bytes` schema.

use std::sync::Arc;

use sluice_sdk::schema::Schema;
use sluice_sdk::{
    Config, Converted, Converter, KeptBytes, Part, Plugin, PluginInfo, Record, ValueKind,
};

/// The converter and the schema it gives (`OPTIONAL_BYTES_SCHEMA`).
pub struct BytesConverter {
    schema: Arc<Schema>,
}

impl Plugin for BytesConverter {
    const INFO: PluginInfo = PluginInfo {
        name: "bytes",
        version: env!("CARGO_PKG_VERSION"),
        description: "Raw bytes passed through, as Kafka's ByteArrayConverter",
        config: &[],
    };

    fn configure(_config: &Config) -> Result<Self, String> {
        Ok(BytesConverter {
            schema: Arc::new(Schema::bytes().optional()),
        })
    }
}

impl Converter for BytesConverter {
    fn convert<'a>(
        &mut self,
        _part: Part,
        _record: &Record<'a>,
        input: Option<&'a [u8]>,
    ) -> Result<Option<Converted<'a>>, String> {
        Ok(input.map(|b| Converted::new(b, ValueKind::Binary).with_schema(&self.schema)))
    }

    fn null_schema(&mut self, _part: Part) -> Option<Arc<Schema>> {
        Some(self.schema.clone())
    }

    fn keeps_bytes(&mut self, _part: Part) -> Option<KeptBytes> {
        Some(KeptBytes {
            kind: ValueKind::Binary,
            schema: Some(self.schema.clone()),
            null_schema: Some(self.schema.clone()),
        })
    }
}

sluice_sdk::export_converter!(BytesConverter);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_sdk::testing;

    #[test]
    fn keeps_bytes_declares_what_convert_does() {
        let mut c: BytesConverter = sluice_sdk::configure(Vec::new()).unwrap();
        let mut with_key = Record::new("t", Some(&b"\x00\xffvalue"[..]));
        with_key.key = Some(b"k");
        let records = [
            with_key,
            Record::new("t", None),
            Record::new("t", Some(b"")),
        ];
        testing::check_keeps_bytes(&mut c, Part::Value, &records);
        testing::check_keeps_bytes(&mut c, Part::Key, &records);
    }
}
