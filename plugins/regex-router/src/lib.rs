//! `regex-router` transform: Kafka's `RegexRouter`. When the whole topic
//! name matches `regex`, the topic becomes the first match replaced by
//! `replacement`, in Java's replacement syntax (`$1`, `${name}`, `\$` for a
//! dollar sign). Offsets are still committed on the partition a record was
//! consumed from: only where the record goes changes.

use regex::Regex;
use sluice_sdk::{Config, ConfigKey, ConfigType, Emitter, Plugin, PluginInfo, Record, Transform};

/// The transform, configured.
pub struct RegexRouter {
    /// The regex anchored at both ends: Java's `Matcher.matches()`.
    whole: Regex,
    /// The regex as given, for `replaceFirst`.
    regex: Regex,
    /// The replacement in the regex crate's syntax.
    replacement: String,
}

impl Plugin for RegexRouter {
    const INFO: PluginInfo = PluginInfo {
        name: "regex-router",
        version: env!("CARGO_PKG_VERSION"),
        description: "Renames the topic with a regex and replacement (Kafka's RegexRouter)",
        config: &[
            ConfigKey::connect_classes("org.apache.kafka.connect.transforms.RegexRouter"),
            ConfigKey::required(
                "regex",
                ConfigType::String,
                "Regular expression to use for matching",
            ),
            ConfigKey::required(
                "replacement",
                ConfigType::String,
                "Replacement string ($1 names a group)",
            ),
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let pattern = config.require("regex")?;
        let bad = |e: regex::Error| format!("Invalid value {pattern} for configuration regex: {e}");
        let regex = Regex::new(pattern).map_err(bad)?;
        let whole = Regex::new(&format!("^(?:{pattern})$")).map_err(bad)?;
        let replacement = java_replacement(config.require("replacement")?, &regex)?;
        Ok(RegexRouter {
            whole,
            regex,
            replacement,
        })
    }
}

/// Java's `Matcher.replaceFirst` syntax in the regex crate's: `$12` takes
/// as many digits as name an existing group, `${name}` a named group, a
/// backslash makes the next character literal.
pub fn java_replacement(text: &str, regex: &Regex) -> Result<String, String> {
    let groups = regex.captures_len() - 1;
    let bad = |why: &str| format!("Invalid value {text} for configuration replacement: {why}");
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(next) => out.push(next),
                None => return Err(bad("character to be escaped is missing")),
            },
            '$' => match chars.peek() {
                Some('{') => {
                    chars.next();
                    let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    if regex.capture_names().flatten().all(|n| n != name) {
                        return Err(bad(&format!("No group with name {{{name}}}")));
                    }
                    out.push_str(&format!("${{{name}}}"));
                }
                Some(d) if d.is_ascii_digit() => {
                    let mut n = d.to_digit(10).unwrap_or(0) as usize;
                    chars.next();
                    if n > groups {
                        return Err(bad(&format!("No group {n}")));
                    }
                    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                        let longer = n * 10 + d as usize;
                        if longer > groups {
                            break;
                        }
                        n = longer;
                        chars.next();
                    }
                    out.push_str(&format!("${{{n}}}"));
                }
                _ => return Err(bad("Illegal group reference")),
            },
            _ => out.push(c),
        }
    }
    Ok(out)
}

impl Transform for RegexRouter {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        if !self.whole.is_match(record.topic) {
            out.keep(record);
            return Ok(());
        }
        let topic = self
            .regex
            .replacen(record.topic, 1, self.replacement.as_str());
        let mut changed = record.to_out();
        changed.topic = topic.into_owned().into();
        out.emit(&changed);
        Ok(())
    }
}

sluice_sdk::export_transform!(RegexRouter);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javas_replacement_syntax_is_translated() {
        let re = Regex::new("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(?<word>x)?").unwrap();
        let t = |s: &str| java_replacement(s, &re);
        assert_eq!(t("$1-x").unwrap(), "${1}-x");
        assert_eq!(t("$12").unwrap(), "${12}");
        assert_eq!(t("${word}").unwrap(), "${word}");
        assert_eq!(t("\\$1").unwrap(), "$$1");
        assert!(t("$").is_err());
        assert!(t("${nope}").is_err());
        let small = Regex::new("(a)").unwrap();
        assert_eq!(java_replacement("$12", &small).unwrap(), "${1}2");
        assert!(java_replacement("$2", &small).is_err());
    }
}
