//! What both contract versions' export glue share: the configured plugin
//! of this instance, and the metadata export built from a plugin's INFO.

use std::any::Any;
use std::cell::RefCell;

use crate::plugin::{self, Plugin};

thread_local! {
    /// The configured plugin: one per instance, set by `configure`.
    static STATE: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

/// Configures `T` from the host's entries and keeps it for later calls.
pub(crate) fn configure_state<T: Plugin>(entries: Vec<(String, String)>) -> Result<(), String> {
    let p = plugin::configure::<T>(entries)?;
    STATE.with(|s| *s.borrow_mut() = Some(Box::new(p)));
    Ok(())
}

/// Runs `f` on the configured plugin.
pub(crate) fn with_state<T: Plugin, R>(f: impl FnOnce(&mut T) -> R) -> Result<R, String> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        match s.as_mut().and_then(|b| b.downcast_mut::<T>()) {
            Some(p) => Ok(f(p)),
            None => Err("the host called the plugin before `configure`".to_string()),
        }
    })
}

/// `fn metadata(info, kind)` and `fn fail_all(n, message)` for the wire
/// types of one contract version (`$wit`).
macro_rules! wire_helpers {
    ($wit:path) => {
        use $wit as wire_types;

        fn metadata(
            info: crate::config::PluginInfo,
            kind: wire_types::PluginKind,
        ) -> wire_types::PluginMetadata {
            use crate::config::ConfigType;
            use wire_types as w;
            w::PluginMetadata {
                name: info.name.into(),
                version: info.version.into(),
                kind,
                description: info.description.into(),
                config: info
                    .config
                    .iter()
                    .map(|k| w::ConfigKey {
                        name: k.name.into(),
                        value_type: match k.value_type {
                            ConfigType::String => w::ConfigType::String,
                            ConfigType::Integer => w::ConfigType::Integer,
                            ConfigType::Float => w::ConfigType::Float,
                            ConfigType::Boolean => w::ConfigType::Boolean,
                            ConfigType::List => w::ConfigType::List,
                        },
                        default_value: k.default.map(Into::into),
                        required: k.required,
                        description: k.description.into(),
                    })
                    .collect(),
            }
        }

        fn fail_all(n: usize, message: String) -> Vec<wire_types::Failure> {
            (0..n as u32)
                .map(|input| wire_types::Failure {
                    input,
                    message: message.clone(),
                })
                .collect()
        }
    };
}

pub(crate) use wire_helpers;
