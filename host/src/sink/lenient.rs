//! Numbers and booleans that may also be written as strings, as every value
//! of a Kafka Connect config is (`"batch.max.size": "500"`), so a Connect
//! config copied into a manifest, or translated from connector JSON, keeps
//! its values as they are.

use std::fmt::Display;
use std::str::FromStr;

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, Error};

/// Deserializes an optional `T` from its TOML type or from a string that
/// parses as one (`"500"`, `"true"`); for `#[serde(default, deserialize_with)]`.
pub fn opt<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + FromStr,
    T::Err: Display,
{
    match toml::Value::deserialize(deserializer)? {
        toml::Value::String(s) => s.trim().parse::<T>().map(Some).map_err(|e| {
            D::Error::custom(format!(
                "{s:?} is not a valid {}: {e}",
                std::any::type_name::<T>()
            ))
        }),
        other => other.try_into::<T>().map(Some).map_err(D::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct T {
        #[serde(default, deserialize_with = "opt")]
        n: Option<u64>,
        #[serde(default, deserialize_with = "opt")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "opt")]
        i: Option<i64>,
    }

    #[test]
    fn typed_values_and_strings_both_parse() {
        let t: T = toml::from_str("n = 500\nb = true\ni = -1").unwrap();
        assert_eq!((t.n, t.b, t.i), (Some(500), Some(true), Some(-1)));
        let t: T = toml::from_str("n = \"500\"\nb = \"false\"\ni = \" -1 \"").unwrap();
        assert_eq!((t.n, t.b, t.i), (Some(500), Some(false), Some(-1)));
        let t: T = toml::from_str("").unwrap();
        assert_eq!((t.n, t.b, t.i), (None, None, None));
    }

    #[test]
    fn bad_values_are_refused_with_the_value_and_line() {
        let e = toml::from_str::<T>("\nn = \"lots\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"lots\" is not a valid u64"), "{e}");
        assert!(e.contains("line 2"), "{e}");
        let e = toml::from_str::<T>("n = -3").unwrap_err().to_string();
        assert!(e.contains("n"), "{e}");
        let e = toml::from_str::<T>("b = \"yes\"").unwrap_err().to_string();
        assert!(e.contains("\"yes\" is not a valid bool"), "{e}");
    }
}
