//! `timestamp-router` transform: Kafka's `TimestampRouter`. The topic
//! becomes `topic.format` with `${topic}` and `${timestamp}` replaced, the
//! timestamp written with `timestamp.format` (Java's `SimpleDateFormat`, in
//! UTC). A record without a timestamp fails. Offsets are still committed on
//! the partition a record was consumed from.

use sluice_sdk::java_date::DateFormat;
use sluice_sdk::{Config, ConfigKey, ConfigType, Emitter, Plugin, PluginInfo, Record, Transform};

/// The transform, configured.
pub struct TimestampRouter {
    topic_format: String,
    timestamp_format: DateFormat,
}

impl Plugin for TimestampRouter {
    const INFO: PluginInfo = PluginInfo {
        name: "timestamp-router",
        version: env!("CARGO_PKG_VERSION"),
        description: "Renames the topic after the original topic and the record's timestamp (Kafka's TimestampRouter)",
        config: &[
            ConfigKey::connect_classes("org.apache.kafka.connect.transforms.TimestampRouter"),
            ConfigKey::optional(
                "topic.format",
                ConfigType::String,
                Some("${topic}-${timestamp}"),
                "The new topic, with ${topic} and ${timestamp} as placeholders",
            ),
            ConfigKey::optional(
                "timestamp.format",
                ConfigType::String,
                Some("yyyyMMdd"),
                "How ${timestamp} is written: a java.text.SimpleDateFormat pattern, in UTC",
            ),
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let pattern = config.require("timestamp.format")?;
        Ok(TimestampRouter {
            topic_format: config.require("topic.format")?.to_string(),
            timestamp_format: DateFormat::new(pattern).map_err(|e| {
                format!("Invalid value {pattern} for configuration timestamp.format: {e}")
            })?,
        })
    }
}

impl Transform for TimestampRouter {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        let timestamp = record.timestamp.ok_or_else(|| {
            format!(
                "Timestamp missing on record: topic {} partition {} offset {}",
                record.topic, record.partition, record.offset
            )
        })?;
        let topic = self
            .topic_format
            .replace("${topic}", record.topic)
            .replace("${timestamp}", &self.timestamp_format.format(timestamp));
        let mut changed = record.to_out();
        changed.topic = topic.into();
        out.emit(&changed);
        Ok(())
    }
}

sluice_sdk::export_transform!(TimestampRouter);
