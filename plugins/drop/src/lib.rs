//! `drop` transform: Kafka's `Filter` SMT with one of its predicates
//! (`TopicNameMatches`, `HasHeaderKey`, `RecordIsTombstone`): drops the
//! records that match, or with `negate` the ones that do not. Without a
//! predicate it drops every record, as Kafka's `Filter` does.

use regex::Regex;
use sluice_sdk::{Config, ConfigKey, ConfigType, Emitter, Plugin, PluginInfo, Record, Transform};

enum Predicate {
    /// No predicate: every record matches.
    Always,
    TopicNameMatches(Regex),
    HasHeaderKey(String),
    RecordIsTombstone,
}

/// The transform, configured.
pub struct Drop {
    predicate: Predicate,
    negate: bool,
}

impl Plugin for Drop {
    const INFO: PluginInfo = PluginInfo {
        name: "drop",
        version: env!("CARGO_PKG_VERSION"),
        description: "Drops records matching a predicate (Kafka's Filter SMT and its predicates)",
        config: &[
            ConfigKey::connect_classes("org.apache.kafka.connect.transforms.Filter"),
            ConfigKey::optional(
                "predicate",
                ConfigType::String,
                None,
                "TopicNameMatches, HasHeaderKey or RecordIsTombstone; without one, every record is dropped",
            ),
            ConfigKey::optional(
                "pattern",
                ConfigType::String,
                None,
                "TopicNameMatches: regex the whole topic name must match",
            ),
            ConfigKey::optional(
                "name",
                ConfigType::String,
                None,
                "HasHeaderKey: the header name",
            ),
            ConfigKey::optional(
                "negate",
                ConfigType::Boolean,
                Some("false"),
                "Drop the records that do NOT match",
            ),
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let predicate = match config.get("predicate").unwrap_or("") {
            // Kafka's Filter without a predicate drops everything; options
            // of a predicate without one are a mistake that would do the same.
            "" => {
                let set = |k: &str| match k {
                    "negate" => config.get_bool("negate"),
                    _ => config.get(k).is_some_and(|v| !v.is_empty()),
                };
                if let Some(k) = ["pattern", "name", "negate"].into_iter().find(|k| set(k)) {
                    return Err(format!(
                        "drop: `{k}` is set but `predicate` is not: name the predicate (TopicNameMatches, HasHeaderKey or RecordIsTombstone); without one every record is dropped"
                    ));
                }
                Predicate::Always
            }
            "TopicNameMatches" => {
                let pattern = config
                    .get("pattern")
                    .ok_or("drop: TopicNameMatches needs `pattern`")?;
                // Java's Matcher.matches(): the whole name must match.
                let re = Regex::new(&format!("^(?:{pattern})$"))
                    .map_err(|e| format!("drop: bad `pattern` {pattern:?}: {e}"))?;
                Predicate::TopicNameMatches(re)
            }
            "HasHeaderKey" => Predicate::HasHeaderKey(
                config
                    .get("name")
                    .ok_or("drop: HasHeaderKey needs `name`")?
                    .to_string(),
            ),
            "RecordIsTombstone" => Predicate::RecordIsTombstone,
            other => {
                return Err(format!(
                    "drop: unknown predicate {other:?}: use TopicNameMatches, HasHeaderKey or RecordIsTombstone"
                ));
            }
        };
        Ok(Drop {
            predicate,
            negate: config.get_bool("negate"),
        })
    }
}

impl Transform for Drop {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        let matches = match &self.predicate {
            Predicate::Always => true,
            Predicate::TopicNameMatches(re) => re.is_match(record.topic),
            Predicate::HasHeaderKey(name) => record.header(name).is_some(),
            Predicate::RecordIsTombstone => record.is_tombstone(),
        };
        if matches == self.negate {
            out.keep(record);
        }
        Ok(())
    }
}

sluice_sdk::export_transform!(Drop);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_sdk::Header;
    use sluice_sdk::testing::{self, Outcome};

    fn drop_with(cfg: &[(&str, &str)]) -> Drop {
        sluice_sdk::configure(
            cfg.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn topic_pattern_must_match_the_whole_name() {
        let mut d = drop_with(&[("predicate", "TopicNameMatches"), ("pattern", "test-.*")]);
        let out = testing::transform(
            &mut d,
            &[
                Record::new("test-a", Some(b"1")),
                Record::new("my-test-a", Some(b"2")),
            ],
        );
        assert_eq!(out[0], Outcome::Dropped);
        assert!(matches!(out[1], Outcome::Kept(_)));
    }

    #[test]
    fn header_and_tombstone_predicates_with_negate() {
        let headers = [Header {
            name: "skip",
            value: None,
        }];
        let with_header = Record {
            headers: &headers,
            ..Record::new("t", Some(b"1"))
        };
        let mut d = drop_with(&[("predicate", "HasHeaderKey"), ("name", "skip")]);
        let out = testing::transform(&mut d, &[with_header, Record::new("t", Some(b"2"))]);
        assert_eq!(out[0], Outcome::Dropped);
        assert!(matches!(out[1], Outcome::Kept(_)));
        let mut d = drop_with(&[("predicate", "RecordIsTombstone"), ("negate", "true")]);
        let out = testing::transform(
            &mut d,
            &[Record::new("t", None), Record::new("t", Some(b"x"))],
        );
        assert!(matches!(out[0], Outcome::Kept(_)));
        assert_eq!(out[1], Outcome::Dropped);
    }

    #[test]
    fn predicate_options_without_a_predicate_are_refused() {
        for (k, v) in [("pattern", "x.*"), ("name", "skip"), ("negate", "true")] {
            let err = sluice_sdk::configure::<Drop>(vec![(k.into(), v.into())])
                .err()
                .unwrap();
            assert!(err.contains("`predicate` is not"), "{err}");
        }
        assert!(
            sluice_sdk::configure::<Drop>(vec![]).is_ok(),
            "Kafka's Filter alone"
        );
    }

    #[test]
    fn unknown_predicate_names_the_valid_ones() {
        let err = sluice_sdk::configure::<Drop>(vec![("predicate".into(), "Nope".into())])
            .err()
            .unwrap();
        assert!(
            err.contains("TopicNameMatches, HasHeaderKey or RecordIsTombstone"),
            "{err}"
        );
    }
}
