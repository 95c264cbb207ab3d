//! {{name}}: a Sluice converter. It reads `key=value` pairs separated by `&`
//! (a form-encoded body) into a JSON object; bytes that are not UTF-8 fail
//! the record.

use std::borrow::Cow;

use sluice_sdk::{Config, ConfigKey, ConfigType, Converted, Converter, Part, Plugin, PluginInfo, Record, ValueKind};

pub struct FormToJson {
    numbers: bool,
}

impl Plugin for FormToJson {
    const INFO: PluginInfo = PluginInfo {
        name: "{{name}}",
        version: "0.1.0",
        description: "Form-encoded text (a=1&b=2) to a JSON object",
        config: &[ConfigKey::optional("numbers", ConfigType::Boolean, Some("false"), "Turn digit-only values into numbers")],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        Ok(FormToJson { numbers: config.get_bool("numbers") })
    }
}

impl Converter for FormToJson {
    fn convert<'a>(
        &mut self,
        _part: Part,
        record: &Record<'a>,
        input: Option<&'a [u8]>,
    ) -> Result<Option<Converted<'a>>, String> {
        let Some(bytes) = input else { return Ok(None) };
        let text = std::str::from_utf8(bytes).map_err(|_| format!("offset {}: not UTF-8", record.offset))?;
        let mut document = serde_json::Map::new();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let value = match v.parse::<u64>() {
                Ok(n) if self.numbers => n.into(),
                _ => v.replace('+', " ").into(),
            };
            document.insert(k.to_string(), value);
        }
        let json = serde_json::to_vec(&document).map_err(|e| e.to_string())?;
        Ok(Some(Converted::new(Cow::Owned(json), ValueKind::Json)))
    }
}

sluice_sdk::export_converter!(FormToJson);
