//! One failed record: the stage that failed it, the class that stands for
//! that stage, and the error, in the terms Kafka Connect's dead letter queue
//! headers use.

use crate::plugin::{CallError, ConfiguredPlugin};

/// Where in the chain a record failed: Connect's `ErrorReporter` stages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    KeyConverter,
    ValueConverter,
    Transformation,
    /// The sink: formatting or delivering the record.
    TaskPut,
}

impl Stage {
    /// The name in `__connect.errors.stage`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::Transformation => "TRANSFORMATION",
            Stage::TaskPut => "TASK_PUT",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a record failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub stage: Stage,
    /// `__connect.errors.class.name`: the Connect class the failing plugin
    /// stands in for, else the plugin's `name@version`.
    pub class_name: String,
    /// The plugin or sink that failed it, for messages.
    pub component: String,
    /// `__connect.errors.exception.class.name`.
    pub exception_class: &'static str,
    pub message: String,
    /// `__connect.errors.exception.stacktrace`: the message with every detail
    /// there is (for a trap, the WebAssembly backtrace).
    pub detail: String,
}

/// Connect's converters and transforms throw this for bad data.
const DATA_EXCEPTION: &str = "org.apache.kafka.connect.errors.DataException";

impl Failure {
    /// `plugin` reported the record as failed with `message`.
    pub fn rejected(stage: Stage, plugin: &ConfiguredPlugin, message: String) -> Failure {
        Failure {
            stage,
            class_name: class_name(plugin),
            component: format!("plugin `{}`", plugin.name()),
            exception_class: DATA_EXCEPTION,
            detail: message.clone(),
            message,
        }
    }

    /// A call into `plugin` failed as a whole, and this record was isolated as its cause.
    pub fn call(stage: Stage, plugin: &ConfiguredPlugin, error: &CallError) -> Failure {
        let exception_class = match error {
            CallError::Trap { .. } => "sluice.plugin.Trap",
            CallError::MemoryLimit { .. } => "sluice.plugin.MemoryLimitExceeded",
            CallError::Deadline { .. } => "sluice.plugin.CpuDeadlineExceeded",
            CallError::Timeout { .. } => "sluice.plugin.Timeout",
            CallError::BadReply { .. } => "sluice.plugin.MalformedReply",
            CallError::Sandbox { .. } | CallError::WrongKind { .. } => "sluice.plugin.Error",
            CallError::Outage { .. } => "sluice.plugin.Outage",
        };
        Failure {
            stage,
            class_name: class_name(plugin),
            component: format!("plugin `{}`", plugin.name()),
            exception_class,
            message: error.to_string(),
            detail: error.detail(),
        }
    }

    /// The sink could not deliver the record (the message cut as a plugin's
    /// is: it may quote a URL made from a record's key, or a field's value).
    pub fn sink(sink: &str, exception_class: &'static str, message: String) -> Failure {
        let message = crate::plugin::bounded(message);
        Failure {
            stage: Stage::TaskPut,
            // What Connect writes for records a sink task reports.
            class_name: "org.apache.kafka.connect.sink.SinkTask".to_string(),
            component: format!("{sink} sink"),
            exception_class,
            detail: message.clone(),
            message,
        }
    }
}

/// The Connect class a plugin stands in for, so dead letter tooling written
/// for Connect keeps working: the class its `connect.class` key names (the
/// class a connector named), else a first-party converter's or transform's
/// class (matched by name: the first-party names are taken); other plugins
/// are `name@version`.
pub fn class_name(plugin: &ConfiguredPlugin) -> String {
    let m = plugin.metadata();
    let declared = plugin
        .config()
        .iter()
        .rev()
        .find(|(k, _)| k == crate::plugin::CONNECT_CLASS_KEY)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty() && !v.contains(','));
    if let Some(class) = declared {
        return class.to_string();
    }
    let connect = match m.name.as_str() {
        "json" => Some("org.apache.kafka.connect.json.JsonConverter"),
        "string" => Some("org.apache.kafka.connect.storage.StringConverter"),
        "bytes" => Some("org.apache.kafka.connect.converters.ByteArrayConverter"),
        "insert-field" => Some("org.apache.kafka.connect.transforms.InsertField$Value"),
        "drop" => Some("org.apache.kafka.connect.transforms.Filter"),
        _ => None,
    };
    match connect {
        Some(class) => class.to_string(),
        None => format!("{}@{}", m.name, m.version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sinks_failure_message_is_cut_as_a_plugins_is() {
        let f = Failure::sink("http", "java.io.IOException", "é".repeat(1 << 20));
        assert!(
            f.message.len() <= 4096 + "… (cut)".len(),
            "{}",
            f.message.len()
        );
        assert!(f.message.ends_with("… (cut)"));
        assert_eq!(f.detail, f.message);
    }
}
