//! The conformance suite's reference transform in Rust: replaces the listed
//! top-level fields of JSON object values, drops records with a `skip`
//! header, fails every other value naming its offset
//! (tests/conformance/mask-fields/README.md).

use sluice_sdk::{Config, ConfigKey, ConfigType, Emitter, Plugin, PluginInfo, Record, Transform};

pub struct MaskFields {
    fields: Vec<String>,
    replacement: String,
}

impl Plugin for MaskFields {
    const INFO: PluginInfo = PluginInfo {
        name: "mask-fields",
        version: "0.1.0",
        description: "Replaces top-level fields of JSON object values (conformance reference)",
        config: &[
            ConfigKey::required("fields", ConfigType::List, "Top-level fields to replace"),
            ConfigKey::optional(
                "replacement",
                ConfigType::String,
                Some("****"),
                "What replaces them",
            ),
            ConfigKey::connect_classes("com.example.transforms.MaskFields$Value"),
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        Ok(MaskFields {
            fields: config
                .get_list("fields")
                .into_iter()
                .map(String::from)
                .collect(),
            replacement: config.require("replacement")?.to_string(),
        })
    }
}

impl Transform for MaskFields {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        if record.header("skip").is_some() {
            return Ok(());
        }
        let mut value = record.value_json()?;
        let object = value
            .as_object_mut()
            .ok_or_else(|| format!("offset {}: value is not a JSON object", record.offset))?;
        for field in &self.fields {
            if let Some(v) = object.get_mut(field) {
                *v = self.replacement.clone().into();
            }
        }
        let mut changed = record.to_out();
        changed.set_json(&value);
        out.emit(&changed);
        Ok(())
    }
}

sluice_sdk::export_transform!(MaskFields);
