//! Values that came from config providers (`${env:…}`, `${file:…}`,
//! `${directory:…}`) are secrets: this registry keeps them, so that what
//! Sluice prints (log lines, REST API errors) names the reference instead of
//! the value wherever one slips into a message. Sluice's own messages avoid
//! printing option values in the first place; this is the net under them.

use std::borrow::Cow;
use std::sync::RwLock;

/// Values shorter than this are not scrubbed from every line (`true`,
/// `9092` would garble unrelated text); Sluice's messages about a
/// connector's own options scrub every value (see [`Redactor`]).
const MIN_GLOBAL_LEN: usize = 6;

/// Most values remembered: a bound on memory and on the scrubbing cost.
const MAX_SECRETS: usize = 4096;

/// The secrets of this process, each with the reference it came from.
static SECRETS: RwLock<Vec<(String, String)>> = RwLock::new(Vec::new());

/// Remembers that `value` came from `reference` (e.g. `${env:TOKEN}`).
pub fn register(value: &str, reference: &str) {
    if value.len() < MIN_GLOBAL_LEN {
        return;
    }
    let mut s = SECRETS.write().unwrap_or_else(|p| p.into_inner());
    if s.len() < MAX_SECRETS && !s.iter().any(|(v, _)| v == value) {
        s.push((value.to_string(), reference.to_string()));
        // Longest first, so a secret containing another is replaced whole.
        s.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
    }
}

/// `text` with every registered secret replaced by its reference.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let s = SECRETS.read().unwrap_or_else(|p| p.into_inner());
    if s.is_empty() || !s.iter().any(|(v, _)| text.contains(v.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for (value, reference) in s.iter() {
        if out.contains(value.as_str()) {
            out = out.replace(value.as_str(), reference);
        }
    }
    Cow::Owned(out)
}

/// The secrets one connector's config resolved to, for its own messages:
/// every value, however short, as a whole word or quoted.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<(String, String)>,
}

impl Redactor {
    /// Notes that `value` came from `reference`; registers it globally too.
    pub fn add(&mut self, value: &str, reference: &str) {
        if value.is_empty() {
            return;
        }
        register(value, reference);
        if !self.secrets.iter().any(|(v, _)| v == value) {
            self.secrets
                .push((value.to_string(), reference.to_string()));
            self.secrets
                .sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        }
    }

    /// `message` with each of this connector's secrets replaced by its
    /// reference: long ones anywhere, short ones where they stand alone.
    pub fn redact(&self, message: &str) -> String {
        let mut out = message.to_string();
        for (value, reference) in &self.secrets {
            if value.len() >= MIN_GLOBAL_LEN {
                out = out.replace(value.as_str(), reference);
            } else {
                out = replace_words(&out, value, reference);
            }
        }
        out
    }
}

/// What a hidden value reads as.
pub const HIDDEN: &str = "[hidden]";

/// `url` as it may be shown: user info and every query value hidden
/// (`https://[hidden]@host/p?token=[hidden]`). Text that is not a URL with
/// either comes back as is.
pub fn scrub_url(url: &str) -> Cow<'_, str> {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return Cow::Borrowed(url);
    };
    let has_userinfo = !parsed.username().is_empty() || parsed.password().is_some();
    if !has_userinfo && parsed.query().is_none() {
        return Cow::Borrowed(url);
    }
    if has_userinfo {
        let _ = parsed.set_password(None);
        let _ = parsed.set_username(HIDDEN);
    }
    if parsed.query().is_some() {
        let pairs: Vec<String> = parsed
            .query_pairs()
            .map(|(k, _)| format!("{k}={HIDDEN}"))
            .collect();
        parsed.set_query(Some(&pairs.join("&")));
    }
    // The URL crate percent-encodes the brackets; show them as written.
    Cow::Owned(parsed.to_string().replace("%5Bhidden%5D", HIDDEN))
}

/// Replaces `word` where neither neighbour is alphanumeric.
fn replace_words(text: &str, word: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut before: Option<char> = None;
    while let Some(i) = rest.find(word) {
        let prev = rest[..i].chars().next_back().or(before);
        let next = rest[i + word.len()..].chars().next();
        let alone =
            !prev.is_some_and(char::is_alphanumeric) && !next.is_some_and(char::is_alphanumeric);
        out.push_str(&rest[..i]);
        out.push_str(if alone { with } else { word });
        before = word.chars().next_back();
        rest = &rest[i + word.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connectors_messages_name_the_reference_not_the_value() {
        let mut r = Redactor::default();
        r.add("hunter2-long-secret", "${env:PASSWORD}");
        r.add("42", "${env:SIZE}");
        let m = r.redact("\"hunter2-long-secret\" is not a number; 42 is; 420 and x42 stay");
        assert_eq!(
            m,
            "\"${env:PASSWORD}\" is not a number; ${env:SIZE} is; 420 and x42 stay"
        );
        assert_eq!(scrub("log: hunter2-long-secret!"), "log: ${env:PASSWORD}!");
        assert_eq!(scrub("42 is short"), "42 is short");
    }

    #[test]
    fn urls_lose_their_credentials_and_query_values() {
        assert_eq!(
            scrub_url("https://user:pa55@api.example.com/in?token=abc&x=1"),
            "https://[hidden]@api.example.com/in?token=[hidden]&x=[hidden]"
        );
        assert_eq!(
            scrub_url("http://h:8080/a/${topic}"),
            "http://h:8080/a/${topic}"
        );
        assert_eq!(scrub_url("not a url"), "not a url");
    }
}
