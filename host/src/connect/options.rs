//! A connector config being translated: options are taken as they are
//! used, so what is left at the end is what nothing used.

use std::collections::BTreeMap;

/// The options of one connector config not used yet.
#[derive(Debug, Clone)]
pub struct Options {
    left: BTreeMap<String, String>,
}

impl Options {
    pub fn new(config: &BTreeMap<String, String>) -> Self {
        Options {
            left: config.clone(),
        }
    }

    /// Takes `key`'s value.
    pub fn take(&mut self, key: &str) -> Option<String> {
        self.left.remove(key)
    }

    /// Takes every option starting with `prefix`, as (rest of the key, value).
    pub fn take_prefixed(&mut self, prefix: &str) -> Vec<(String, String)> {
        let keys: Vec<String> = self
            .left
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect();
        keys.into_iter()
            .filter_map(|k| {
                let v = self.left.remove(&k)?;
                Some((k[prefix.len()..].to_string(), v))
            })
            .collect()
    }

    /// Puts back an option taken too early, so that what is said of options
    /// nothing used says it of this one too.
    pub fn put_back(&mut self, key: &str, value: String) {
        self.left.insert(key.to_string(), value);
    }

    /// The options nothing took.
    pub fn remaining(self) -> BTreeMap<String, String> {
        self.left
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taken_options_are_gone_and_prefixes_strip() {
        let config: BTreeMap<String, String> = [
            ("a", "1"),
            ("transforms.x.type", "T"),
            ("transforms.x.field", "f"),
            ("transforms.y.type", "U"),
            ("z", "2"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mut o = Options::new(&config);
        assert_eq!(o.take("a").as_deref(), Some("1"));
        assert_eq!(o.take("a"), None);
        assert_eq!(
            o.take_prefixed("transforms.x."),
            vec![
                ("field".to_string(), "f".to_string()),
                ("type".to_string(), "T".to_string())
            ]
        );
        let left: Vec<String> = o.remaining().into_keys().collect();
        assert_eq!(left, ["transforms.y.type", "z"]);
    }
}
