//! `tombstone-handler` transform: Confluent's `TombstoneHandler` SMT. A
//! record whose value is null (with or without a value schema) is dropped
//! with a warning (`behavior=warn`, the default), dropped with a debug line
//! (`ignore`), or failed (`fail`), which the connector's error handling
//! (`errors.tolerance`, the dead letter queue) then treats as Connect treats
//! the SMT's `DataException`. Every other record passes unchanged.

use sluice_sdk::{
    Config, ConfigKey, ConfigType, Emitter, Plugin, PluginInfo, Record, Transform, log,
};

/// What to do with a tombstone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behavior {
    Ignore,
    Warn,
    Fail,
}

/// The transform, configured.
pub struct TombstoneHandler {
    behavior: Behavior,
}

impl Plugin for TombstoneHandler {
    const INFO: PluginInfo = PluginInfo {
        name: "tombstone-handler",
        version: env!("CARGO_PKG_VERSION"),
        description: "Drops tombstones with a warning or a debug line, or fails them (Confluent's TombstoneHandler)",
        config: &[
            ConfigKey::connect_classes("io.confluent.connect.transforms.TombstoneHandler"),
            ConfigKey::optional(
                "behavior",
                ConfigType::String,
                Some("warn"),
                "warn: drop the tombstone and log a warning; ignore: drop it and log at debug level; fail: fail the record (errors.tolerance decides what follows)",
            ),
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let behavior = match config.get("behavior").unwrap_or("warn") {
            b if b.eq_ignore_ascii_case("warn") => Behavior::Warn,
            b if b.eq_ignore_ascii_case("ignore") => Behavior::Ignore,
            b if b.eq_ignore_ascii_case("fail") => Behavior::Fail,
            other => {
                return Err(format!(
                    "tombstone-handler: `behavior` {other:?} is not one of warn, ignore, fail"
                ));
            }
        };
        Ok(TombstoneHandler { behavior })
    }
}

impl Transform for TombstoneHandler {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        if !record.is_tombstone() {
            out.keep(record);
            return Ok(());
        }
        let at = format!(
            "{}-{} at offset {}",
            record.topic, record.partition, record.offset
        );
        match self.behavior {
            Behavior::Ignore => {
                log::debug(&format!("tombstone-handler: dropped the tombstone of {at}"))
            }
            Behavior::Warn => log::warn(&format!(
                "tombstone-handler: dropped the tombstone of {at} (behavior=warn; ignore drops tombstones without this line)"
            )),
            Behavior::Fail => {
                return Err(format!(
                    "tombstone-handler: a tombstone (null value) at {at}, and behavior=fail"
                ));
            }
        }
        Ok(())
    }
}

sluice_sdk::export_transform!(TombstoneHandler);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_sdk::testing::{self, Outcome};

    fn handler(cfg: &[(&str, &str)]) -> Result<TombstoneHandler, String> {
        sluice_sdk::configure(
            cfg.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn records() -> [Record<'static>; 3] {
        let mut tombstone = Record::new("orders", None);
        tombstone.partition = 2;
        tombstone.offset = 41;
        [
            Record::new("orders", Some(br#"{"id":1}"#)),
            tombstone,
            Record::new("orders", Some(b"")),
        ]
    }

    #[test]
    fn warn_and_ignore_drop_only_null_values() {
        for cfg in [
            &[][..],
            &[("behavior", "warn")],
            &[("behavior", "ignore")],
            &[("behavior", "IGNORE")],
        ] {
            let mut h = handler(cfg).unwrap();
            let out = testing::transform(&mut h, &records());
            assert!(matches!(out[0], Outcome::Kept(_)), "{cfg:?}: {out:?}");
            assert_eq!(out[1], Outcome::Dropped, "{cfg:?}");
            // An empty value is not a tombstone.
            assert!(matches!(out[2], Outcome::Kept(_)), "{cfg:?}: {out:?}");
        }
    }

    #[test]
    fn fail_fails_the_tombstone_naming_where_it_is() {
        let mut h = handler(&[("behavior", "fail")]).unwrap();
        let out = testing::transform(&mut h, &records());
        assert!(matches!(out[0], Outcome::Kept(_)));
        match &out[1] {
            Outcome::Failed(e) => assert!(e.contains("orders-2 at offset 41"), "{e}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(out[2], Outcome::Kept(_)));
    }

    #[test]
    fn an_unknown_behavior_is_refused_with_the_choices() {
        let e = handler(&[("behavior", "drop")]).err().unwrap();
        assert!(e.contains("warn, ignore, fail"), "{e}");
    }
}
