//! Object keys from a template, as Aiven's S3 sink names its files
//! (`file.name.template`): `{{topic}}`, `{{partition}}`, `{{start_offset}}`
//! (either padded with `:padding=true`) and `{{timestamp:unit=yyyy|MM|dd|HH}}`
//! in a time zone, from the wall clock or the record. Records whose
//! rendered key differs only by its start offset share an object, so the
//! timestamp units group records the way Aiven's grouper does.

use chrono::{DateTime, Datelike, Timelike};
use chrono_tz::Tz;

/// Where a template's `{{timestamp}}` comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeSource {
    /// The time the record is written (Aiven's `wallclock`, the default).
    Wallclock,
    /// The Kafka record's timestamp (Aiven's `event`).
    Event,
}

/// A unit of `{{timestamp:unit=…}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Year,
    Month,
    Day,
    Hour,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Topic,
    Partition { padded: bool },
    StartOffset { padded: bool },
    Timestamp(Unit),
}

/// The characters standing for the start offset in a rendered group
/// (unpadded, padded): never in a topic name or a template's text.
const OFFSET: char = '\u{1}';
const OFFSET_PADDED: char = '\u{2}';

/// A parsed `file.name.template` with its time settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyTemplate {
    parts: Vec<Part>,
    pub timezone: Tz,
    pub source: TimeSource,
}

/// What is wrong with a template, worded for the user.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct TemplateError(String);

impl KeyTemplate {
    /// Parses `text`. Aiven's rules: variables are `{{ name }}` or
    /// `{{ name:param=value }}`; the template must hold `{{topic}}`,
    /// `{{partition}}` and `{{start_offset}}` (the set that names one file
    /// per topic-partition and start, which a rerun rewrites with the same
    /// records), plus any `{{timestamp}}` units.
    pub fn parse(text: &str, timezone: Tz, source: TimeSource) -> Result<Self, TemplateError> {
        let err = |m: String| Err(TemplateError(m));
        if text.trim().is_empty() {
            return err(
                "is empty: name the objects, e.g. \"{{topic}}-{{partition}}-{{start_offset}}.gz\""
                    .into(),
            );
        }
        if text.contains([OFFSET, OFFSET_PADDED]) {
            return err("holds a control character".into());
        }
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let Some(close) = rest[open..].find("}}") else {
                return err(format!("\"{}\" is not closed with }}}}", &rest[open..]));
            };
            let inner = rest[open + 2..open + close].trim();
            parts.push(variable(inner)?);
            rest = &rest[open + close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        let has = |f: fn(&Part) -> bool| parts.iter().any(f);
        let missing: Vec<&str> = [
            ("{{topic}}", has(|p| *p == Part::Topic)),
            (
                "{{partition}}",
                has(|p| matches!(p, Part::Partition { .. })),
            ),
            (
                "{{start_offset}}",
                has(|p| matches!(p, Part::StartOffset { .. })),
            ),
        ]
        .into_iter()
        .filter(|(_, present)| !present)
        .map(|(name, _)| name)
        .collect();
        if !missing.is_empty() {
            return err(format!(
                "lacks {}: Sluice names one object per topic, partition and start offset, so a rerun after a crash rewrites the same keys (Aiven's key-based templates are not implemented)",
                missing.join(", ")
            ));
        }
        if text.starts_with(".well-known/acme-challenge") {
            return err("may not start with .well-known/acme-challenge".into());
        }
        Ok(KeyTemplate {
            parts,
            timezone,
            source,
        })
    }

    /// Whether `{{timestamp}}` appears, so records need a time.
    pub fn uses_time(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Timestamp(_)))
    }

    /// The key of the object a record goes to, its start offset left as a
    /// placeholder: records with the same group share an object.
    /// `timestamp` is the record's time when [`Self::uses_time`].
    pub fn group(&self, topic: &str, partition: i32, timestamp: Option<i64>) -> String {
        let time = timestamp
            .and_then(DateTime::from_timestamp_millis)
            .map(|t| t.with_timezone(&self.timezone));
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Topic => out.push_str(topic),
                Part::Partition { padded: false } => out.push_str(&partition.to_string()),
                Part::Partition { padded: true } => out.push_str(&format!("{partition:010}")),
                Part::StartOffset { padded: false } => out.push(OFFSET),
                Part::StartOffset { padded: true } => out.push(OFFSET_PADDED),
                Part::Timestamp(unit) => match time {
                    Some(t) => out.push_str(&match unit {
                        Unit::Year => format!("{:04}", t.year()),
                        Unit::Month => format!("{:02}", t.month()),
                        Unit::Day => format!("{:02}", t.day()),
                        Unit::Hour => format!("{:02}", t.hour()),
                    }),
                    None => out.push_str("{{timestamp}}"),
                },
            }
        }
        out
    }

    /// The object key of `group` (from [`Self::group`]) starting at `start`.
    pub fn key(group: &str, start: i64) -> String {
        group
            .replace(OFFSET, &start.to_string())
            .replace(OFFSET_PADDED, &format!("{start:020}"))
    }
}

/// One `{{…}}` variable.
fn variable(inner: &str) -> Result<Part, TemplateError> {
    let (name, param) = match inner.split_once(':') {
        Some((n, p)) => (n.trim(), Some(p.trim())),
        None => (inner, None),
    };
    let param = match param {
        None => None,
        Some(p) => match p.split_once('=') {
            Some((k, v)) => Some((k.trim(), v.trim())),
            None => {
                return Err(TemplateError(format!(
                    "{{{{{inner}}}}}: a parameter is written name=value, e.g. {{{{{name}:padding=true}}}}"
                )));
            }
        },
    };
    let padding = |param: Option<(&str, &str)>| match param {
        None => Ok(false),
        Some(("padding", v)) if v == "true" || v == "false" => Ok(v == "true"),
        Some((k, v)) => Err(TemplateError(format!(
            "{{{{{inner}}}}}: {name} takes padding=true or padding=false, not {k}={v}"
        ))),
    };
    Ok(match name {
        "topic" if param.is_none() => Part::Topic,
        "topic" => {
            return Err(TemplateError(format!(
                "{{{{{inner}}}}}: topic takes no parameter"
            )));
        }
        "partition" => Part::Partition {
            padded: padding(param)?,
        },
        "start_offset" => Part::StartOffset {
            padded: padding(param)?,
        },
        "timestamp" => Part::Timestamp(match param {
            Some(("unit", "yyyy")) => Unit::Year,
            Some(("unit", "MM")) => Unit::Month,
            Some(("unit", "dd")) => Unit::Day,
            Some(("unit", "HH")) => Unit::Hour,
            _ => {
                return Err(TemplateError(format!(
                    "{{{{{inner}}}}}: timestamp needs unit=yyyy, unit=MM, unit=dd or unit=HH"
                )));
            }
        }),
        "key" => {
            return Err(TemplateError(
                "{{key}}: Aiven's key-based files (one object per record key, overwritten) are not implemented; use {{topic}}, {{partition}} and {{start_offset}}".into(),
            ));
        }
        other => {
            return Err(TemplateError(format!(
                "{{{{{other}}}}} is not a variable: use topic, partition, start_offset or timestamp"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<KeyTemplate, TemplateError> {
        KeyTemplate::parse(t, Tz::UTC, TimeSource::Wallclock)
    }

    #[test]
    fn keys_render_as_aivens() {
        let t = parse("{{topic}}-{{partition}}-{{start_offset}}.gz").unwrap();
        assert!(!t.uses_time());
        let g = t.group("students", 3, None);
        assert_eq!(KeyTemplate::key(&g, 42), "students-3-42.gz");
        let t =
            parse("dir1/dir2/{{ topic }}-{{partition:padding=true}}-{{start_offset:padding=true}}")
                .unwrap();
        assert_eq!(
            KeyTemplate::key(&t.group("t", 7, None), 42),
            "dir1/dir2/t-0000000007-00000000000000000042"
        );
    }

    #[test]
    fn timestamps_group_records_in_the_time_zone() {
        // 2022-04-18T23:30:00Z
        let ts = Some(1_650_324_600_000);
        let text = "/{{topic}}/{{timestamp:unit=yyyy}}-{{timestamp:unit=MM}}-{{timestamp:unit=dd}}/{{timestamp:unit=HH}}/{{partition:padding=true}}-{{start_offset:padding=true}}.json";
        let utc = parse(text).unwrap();
        assert!(utc.uses_time());
        assert_eq!(
            KeyTemplate::key(&utc.group("users", 0, ts), 5),
            "/users/2022-04-18/23/0000000000-00000000000000000005.json"
        );
        let berlin =
            KeyTemplate::parse(text, chrono_tz::Europe::Berlin, TimeSource::Event).unwrap();
        assert_eq!(
            KeyTemplate::key(&berlin.group("users", 0, ts), 5),
            "/users/2022-04-19/01/0000000000-00000000000000000005.json"
        );
        // An hour later is another group.
        assert_ne!(
            utc.group("users", 0, ts),
            utc.group("users", 0, ts.map(|t| t + 3_600_000))
        );
    }

    #[test]
    fn templates_that_would_not_name_one_file_per_start_are_refused() {
        for (text, says) in [
            ("{{topic}}-{{partition}}", "lacks {{start_offset}}"),
            ("{{key}}", "key-based"),
            (
                "{{topic}}-{{partition}}-{{start_offset}}-{{tpoic}}",
                "not a variable",
            ),
            (
                "{{topic}}-{{partition:padding=yes}}-{{start_offset}}",
                "padding=true",
            ),
            (
                "{{topic}}-{{partition}}-{{start_offset}}-{{timestamp}}",
                "unit=yyyy",
            ),
            ("{{topic}}-{{partition}}-{{start_offset", "not closed"),
            ("", "empty"),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
