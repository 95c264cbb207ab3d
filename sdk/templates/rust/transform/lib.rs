//! {{name}}: a Sluice transform. It adds the record's topic to JSON object
//! values, drops records that carry a `drop` header, and fails values that
//! are not JSON objects (the message names the offset).

use sluice_sdk::{Config, ConfigKey, ConfigType, Emitter, Plugin, PluginInfo, Record, Transform};

pub struct AddTopic {
    field: String,
}

impl Plugin for AddTopic {
    const INFO: PluginInfo = PluginInfo {
        name: "{{name}}",
        version: "0.1.0",
        description: "Adds the topic to JSON object values",
        config: &[ConfigKey::optional("field", ConfigType::String, Some("topic"), "The field that gets the topic")],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        Ok(AddTopic { field: config.require("field")?.to_string() })
    }
}

impl Transform for AddTopic {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        if record.header("drop").is_some() {
            return Ok(()); // dropped: emit nothing (emit several to split a record)
        }
        let mut value = record.value_json()?;
        let object = value
            .as_object_mut()
            .ok_or_else(|| format!("offset {}: value is not a JSON object", record.offset))?;
        object.insert(self.field.clone(), record.topic.into());
        let mut changed = record.to_out();
        changed.set_json(&value);
        out.emit(&changed);
        Ok(())
    }
}

sluice_sdk::export_transform!(AddTopic);
