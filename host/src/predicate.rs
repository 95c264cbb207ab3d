//! Kafka Connect's transform predicates (`TopicNameMatches`,
//! `HasHeaderKey`, `RecordIsTombstone`) with `negate`, evaluated by the
//! host: a record a transform's predicate does not select passes that
//! transform unchanged, without a plugin call.

use regex::Regex;

use crate::record::Record;

/// A predicate, checked.
#[derive(Clone, Debug)]
pub enum Predicate {
    /// The whole topic name matches (Java's `Matcher.matches()`).
    TopicNameMatches {
        /// The pattern as given, for messages.
        pattern: String,
        /// The pattern anchored at both ends.
        regex: Regex,
    },
    /// The record has a header of this name (its value may be null).
    HasHeaderKey(String),
    /// The value is null.
    RecordIsTombstone,
}

/// The predicates there are: short names and Kafka's classes.
pub const PREDICATES: [(&str, &str); 3] = [
    (
        "TopicNameMatches",
        "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
    ),
    (
        "HasHeaderKey",
        "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
    ),
    (
        "RecordIsTombstone",
        "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
    ),
];

impl Predicate {
    /// The predicate called `kind` (a short name or Kafka's class) with its
    /// option: `pattern` for TopicNameMatches, `name` for HasHeaderKey. The
    /// error names what to change, in the words of the option it concerns.
    pub fn new(
        kind: &str,
        pattern: Option<&str>,
        name: Option<&str>,
    ) -> Result<Self, (&'static str, String)> {
        let short = PREDICATES
            .iter()
            .find(|(s, class)| kind == *s || kind == *class)
            .map(|(s, _)| *s)
            .ok_or_else(|| {
                (
                    "type",
                    format!(
                        "{kind:?} is not a predicate; use one of {}",
                        PREDICATES.map(|(s, _)| s).join(", ")
                    ),
                )
            })?;
        let unused = |option: &'static str, set: bool| -> Result<(), (&'static str, String)> {
            if set {
                return Err((option, format!("not an option of {short}")));
            }
            Ok(())
        };
        match short {
            "TopicNameMatches" => {
                unused("name", name.is_some())?;
                let pattern = pattern.ok_or((
                    "pattern",
                    "required by TopicNameMatches: a regex the whole topic name must match"
                        .to_string(),
                ))?;
                if pattern.is_empty() {
                    return Err(("pattern", "must not be empty".into()));
                }
                let regex = Regex::new(&format!("^(?:{pattern})$"))
                    .map_err(|e| ("pattern", format!("{pattern:?} is not a valid regex: {e}")))?;
                Ok(Predicate::TopicNameMatches {
                    pattern: pattern.to_string(),
                    regex,
                })
            }
            "HasHeaderKey" => {
                unused("pattern", pattern.is_some())?;
                let name = name.ok_or((
                    "name",
                    "required by HasHeaderKey: the header's name".to_string(),
                ))?;
                if name.is_empty() {
                    return Err(("name", "must not be empty".into()));
                }
                Ok(Predicate::HasHeaderKey(name.to_string()))
            }
            _ => {
                unused("pattern", pattern.is_some())?;
                unused("name", name.is_some())?;
                Ok(Predicate::RecordIsTombstone)
            }
        }
    }

    /// Whether `record` matches.
    pub fn matches(&self, record: &Record) -> bool {
        match self {
            Predicate::TopicNameMatches { regex, .. } => regex.is_match(&record.topic),
            Predicate::HasHeaderKey(name) => record.headers.iter().any(|h| &h.name == name),
            Predicate::RecordIsTombstone => record.value.is_none(),
        }
    }
}

/// Which records a transform applies to: those its predicate matches, or
/// with `negate` those it does not (Connect's `TransformationStage`).
#[derive(Clone, Debug)]
pub struct Selector {
    pub predicate: Predicate,
    pub negate: bool,
}

impl Selector {
    /// Whether the transform applies to `record`.
    pub fn selects(&self, record: &Record) -> bool {
        self.predicate.matches(record) != self.negate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Header;

    #[test]
    fn predicates_select_as_connect_does() {
        let mut r = Record::new("orders-eu", Some(bytes::Bytes::from_static(b"x")));
        let topic = Predicate::new("TopicNameMatches", Some("orders-.*"), None).unwrap();
        assert!(topic.matches(&r));
        let part = Predicate::new("TopicNameMatches", Some("orders"), None).unwrap();
        assert!(!part.matches(&r), "the whole name must match");
        let header = Predicate::new(PREDICATES[1].1, None, Some("trace")).unwrap();
        assert!(!header.matches(&r));
        r.headers.push(Header {
            name: "trace".into(),
            value: None,
        });
        assert!(header.matches(&r), "a null header counts");
        let tomb = Predicate::new("RecordIsTombstone", None, None).unwrap();
        assert!(!tomb.matches(&r));
        let negated = Selector {
            predicate: tomb,
            negate: true,
        };
        assert!(negated.selects(&r));
    }

    #[test]
    fn a_bad_predicate_names_its_option() {
        assert_eq!(Predicate::new("Nope", None, None).unwrap_err().0, "type");
        assert_eq!(
            Predicate::new("TopicNameMatches", None, None)
                .unwrap_err()
                .0,
            "pattern"
        );
        assert_eq!(
            Predicate::new("TopicNameMatches", Some("("), None)
                .unwrap_err()
                .0,
            "pattern"
        );
        assert_eq!(
            Predicate::new("HasHeaderKey", Some("x"), Some("n"))
                .unwrap_err()
                .0,
            "pattern"
        );
        assert_eq!(
            Predicate::new("RecordIsTombstone", None, Some("n"))
                .unwrap_err()
                .0,
            "name"
        );
    }
}
