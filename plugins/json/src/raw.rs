//! Reading parts of a JSON document without copying them: an object's
//! entries and an array's elements as raw slices, for the schema reader.
//! Duplicate object keys keep every entry; [`last`] answers as Jackson's
//! tree does (the last one wins).

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// The JSON type of a raw value, from its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonType {
    Null,
    True,
    False,
    Number,
    String,
    Array,
    Object,
}

impl JsonType {
    /// Jackson's `JsonNodeType` name, as Kafka's messages show it.
    pub fn jackson_name(self) -> &'static str {
        match self {
            JsonType::Null => "NULL",
            JsonType::True | JsonType::False => "BOOLEAN",
            JsonType::Number => "NUMBER",
            JsonType::String => "STRING",
            JsonType::Array => "ARRAY",
            JsonType::Object => "OBJECT",
        }
    }
}

/// The type of `raw` (which serde_json has already checked is JSON).
pub fn json_type(raw: &RawValue) -> JsonType {
    match raw.get().trim_start().as_bytes().first() {
        Some(b'n') | None => JsonType::Null,
        Some(b't') => JsonType::True,
        Some(b'f') => JsonType::False,
        Some(b'"') => JsonType::String,
        Some(b'[') => JsonType::Array,
        Some(b'{') => JsonType::Object,
        Some(_) => JsonType::Number,
    }
}

/// An object's entries in order, duplicates included.
pub type Entries<'a> = Vec<(Cow<'a, str>, &'a RawValue)>;

/// The entries of `raw` if it is an object.
pub fn object(raw: &RawValue) -> Result<Option<Entries<'_>>, String> {
    if json_type(raw) != JsonType::Object {
        return Ok(None);
    }
    serde_json::from_str::<ObjectEntries<'_>>(raw.get())
        .map(|o| Some(o.0))
        .map_err(|e| e.to_string())
}

/// The elements of `raw` if it is an array.
pub fn array(raw: &RawValue) -> Result<Option<Vec<&RawValue>>, String> {
    if json_type(raw) != JsonType::Array {
        return Ok(None);
    }
    serde_json::from_str(raw.get())
        .map(Some)
        .map_err(|e| e.to_string())
}

/// The text of `raw` if it is a string.
pub fn string(raw: &RawValue) -> Result<Option<Cow<'_, str>>, String> {
    if json_type(raw) != JsonType::String {
        return Ok(None);
    }
    serde_json::from_str::<CowStr<'_>>(raw.get())
        .map(|s| Some(s.0))
        .map_err(|e| e.to_string())
}

/// The value of the last entry called `name`.
pub fn last<'a>(entries: &[(Cow<'a, str>, &'a RawValue)], name: &str) -> Option<&'a RawValue> {
    entries
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| *v)
}

/// A string that borrows from the input when it has no escapes.
pub struct CowStr<'a>(pub Cow<'a, str>);

impl<'de> Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

struct ObjectEntries<'a>(Entries<'a>);

impl<'de> ObjectEntries<'de> {
    fn visit<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(4));
        while let Some(key) = map.next_key::<CowStr<'de>>()? {
            entries.push((key.0, map.next_value::<&'de RawValue>()?));
        }
        Ok(ObjectEntries(entries))
    }
}

impl<'de> Deserialize<'de> for ObjectEntries<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ObjectEntries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                ObjectEntries::visit(map)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
                Err(serde::de::Error::custom("expected an object"))
            }
        }
        d.deserialize_map(V)
    }
}

/// A whole document read in one pass: its top-level entries if it is an
/// object, `None` for any other JSON value. Reading the document and then
/// its entries scanned it twice; this is the envelope's hot path.
pub struct TopLevel<'a>(pub Option<Entries<'a>>);

impl<'de> Deserialize<'de> for TopLevel<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TopLevel<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                ObjectEntries::visit(map).map(|o| TopLevel(Some(o.0)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TopLevel(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(TopLevel(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(TopLevel(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(TopLevel(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(TopLevel(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(TopLevel(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(TopLevel(None))
            }
        }
        d.deserialize_any(V)
    }
}
