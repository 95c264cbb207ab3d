//! `string` converter: Kafka's `StringConverter`. Bytes are text in
//! `converter.encoding` (UTF-8 by default), turned into UTF-8; malformed
//! sequences become U+FFFD, as Java's decoders make them. It never fails.

use std::borrow::Cow;
use std::sync::Arc;

use sluice_sdk::schema::Schema;

use sluice_sdk::{
    Config, ConfigKey, ConfigType, Converted, Converter, Part, Plugin, PluginInfo, Record,
    ValueKind,
};

/// The character encodings every Java runtime has (`StandardCharsets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Utf8,
    /// Byte order from a byte order mark (removed), big-endian without one.
    Utf16,
    Utf16Be,
    Utf16Le,
    Latin1,
    Ascii,
}

impl Encoding {
    /// Java's charset names and the common aliases, in any case.
    fn from_name(name: &str) -> Option<Encoding> {
        let n: String = name
            .chars()
            .filter(|c| !matches!(c, '-' | '_'))
            .flat_map(char::to_uppercase)
            .collect();
        Some(match n.as_str() {
            "UTF8" => Encoding::Utf8,
            "UTF16" => Encoding::Utf16,
            "UTF16BE" | "UNICODEBIGUNMARKED" => Encoding::Utf16Be,
            "UTF16LE" | "UNICODELITTLEUNMARKED" => Encoding::Utf16Le,
            "ISO88591" | "LATIN1" | "L1" | "88591" | "ISOLATIN1" | "CP819" | "IBM819" => {
                Encoding::Latin1
            }
            "USASCII" | "ASCII" | "ISO646US" => Encoding::Ascii,
            _ => return None,
        })
    }

    fn decode<'a>(self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let owned = |s: String| Cow::Owned(s.into_bytes());
        match self {
            Encoding::Utf8 => match String::from_utf8_lossy(bytes) {
                Cow::Borrowed(_) => Cow::Borrowed(bytes),
                Cow::Owned(s) => owned(s),
            },
            Encoding::Ascii if bytes.is_ascii() => Cow::Borrowed(bytes),
            Encoding::Ascii => owned(
                bytes
                    .iter()
                    .map(|&b| if b.is_ascii() { b as char } else { '\u{FFFD}' })
                    .collect(),
            ),
            Encoding::Latin1 if bytes.is_ascii() => Cow::Borrowed(bytes),
            Encoding::Latin1 => owned(bytes.iter().map(|&b| b as char).collect()),
            Encoding::Utf16 => match bytes {
                [0xFE, 0xFF, rest @ ..] => owned(utf16(rest, u16::from_be_bytes)),
                [0xFF, 0xFE, rest @ ..] => owned(utf16(rest, u16::from_le_bytes)),
                _ => owned(utf16(bytes, u16::from_be_bytes)),
            },
            Encoding::Utf16Be => owned(utf16(bytes, u16::from_be_bytes)),
            Encoding::Utf16Le => owned(utf16(bytes, u16::from_le_bytes)),
        }
    }
}

/// UTF-16 code units in `bytes`, decoded as Java's UTF-16 decoder does
/// with replacement: a high surrogate followed by anything but a low one
/// is one malformed sequence of four bytes (both units become a single
/// U+FFFD), a lone low surrogate, a high one at the end and an odd last
/// byte each become U+FFFD.
fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let mut units = bytes.chunks_exact(2);
    let mut odd = !units.remainder().is_empty();
    let mut units = units.by_ref().map(|c| unit([c[0], c[1]]));
    let mut s = String::with_capacity(bytes.len());
    while let Some(u) = units.next() {
        let c = match u {
            0xD800..=0xDBFF => match units.next() {
                Some(low @ 0xDC00..=0xDFFF) => char::decode_utf16([u, low])
                    .next()
                    .and_then(Result::ok)
                    .unwrap_or(char::REPLACEMENT_CHARACTER),
                // A high surrogate cut off at the end, with the odd byte
                // after it, is one malformed sequence to Java.
                None => {
                    odd = false;
                    char::REPLACEMENT_CHARACTER
                }
                _ => char::REPLACEMENT_CHARACTER,
            },
            0xDC00..=0xDFFF => char::REPLACEMENT_CHARACTER,
            other => char::from_u32(other.into()).unwrap_or(char::REPLACEMENT_CHARACTER),
        };
        s.push(c);
    }
    if odd {
        s.push(char::REPLACEMENT_CHARACTER);
    }
    s
}

/// The converter, configured.
pub struct StringConverter {
    encoding: Encoding,
    /// Kafka's `OPTIONAL_STRING_SCHEMA`, given to every value.
    schema: Arc<Schema>,
}

impl Plugin for StringConverter {
    const INFO: PluginInfo = PluginInfo {
        name: "string",
        version: env!("CARGO_PKG_VERSION"),
        description: "Text, as Kafka's StringConverter (malformed bytes become U+FFFD)",
        config: &[ConfigKey::optional(
            "converter.encoding",
            ConfigType::String,
            Some("UTF-8"),
            "Character encoding: UTF-8, UTF-16 (byte order mark, else big-endian), UTF-16BE, UTF-16LE, ISO-8859-1 or US-ASCII",
        )],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let name = config.get("converter.encoding").unwrap_or("UTF-8");
        let encoding = Encoding::from_name(name).ok_or_else(|| {
            format!(
                "string: converter.encoding {name:?} is not supported: use UTF-8, UTF-16, UTF-16BE, UTF-16LE, ISO-8859-1 or US-ASCII"
            )
        })?;
        Ok(StringConverter {
            encoding,
            schema: Arc::new(Schema::string().optional()),
        })
    }
}

impl Converter for StringConverter {
    fn convert<'a>(
        &mut self,
        _part: Part,
        _record: &Record<'a>,
        input: Option<&'a [u8]>,
    ) -> Result<Option<Converted<'a>>, String> {
        Ok(input.map(|bytes| {
            Converted::new(self.encoding.decode(bytes), ValueKind::Text).with_schema(&self.schema)
        }))
    }

    fn null_schema(&mut self, _part: Part) -> Option<Arc<Schema>> {
        Some(self.schema.clone())
    }
}

sluice_sdk::export_converter!(StringConverter);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_becomes_replacement_characters_never_an_error() {
        let mut c = sluice_sdk::configure::<StringConverter>(vec![]).unwrap();
        let out = sluice_sdk::testing::convert(
            &mut c,
            &[
                Record::new("t", Some(b"h\xffi")),
                Record::new("t", Some("é".as_bytes())),
                Record::new("t", None),
            ],
        );
        assert_eq!(
            out[0],
            Ok(Some(("h\u{FFFD}i".as_bytes().to_vec(), ValueKind::Text)))
        );
        assert_eq!(out[1], Ok(Some(("é".as_bytes().to_vec(), ValueKind::Text))));
        assert_eq!(out[2], Ok(None));
    }

    fn decode(encoding: &str, bytes: &[u8]) -> String {
        let mut c = sluice_sdk::configure::<StringConverter>(vec![(
            "converter.encoding".into(),
            encoding.into(),
        )])
        .unwrap();
        let out = sluice_sdk::testing::convert(&mut c, &[Record::new("t", Some(bytes))]);
        let (bytes, kind) = out[0].clone().unwrap().unwrap();
        assert_eq!(kind, ValueKind::Text);
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn java_standard_charsets_decode_with_replacements() {
        assert_eq!(decode("latin1", b"caf\xe9"), "café");
        assert_eq!(decode("ISO-8859-1", b"\x80"), "\u{80}");
        assert_eq!(decode("US-ASCII", b"a\xe9"), "a\u{FFFD}");
        assert_eq!(decode("UTF-16", b"\xff\xfeh\x00"), "h");
        assert_eq!(decode("UTF-16", b"\x00h"), "h");
        assert_eq!(decode("utf-16le", b"h\x00i"), "h\u{FFFD}");
        // Java takes a high surrogate and the unit after it as one malformed sequence.
        assert_eq!(decode("UTF-16BE", b"\xd8\x00\x00a"), "\u{FFFD}");
        assert_eq!(decode("UTF-16BE", b"\xd8\x3d\xde\x00"), "\u{1F600}");
        assert_eq!(decode("UTF-16BE", b"\xdc\x00\x00a"), "\u{FFFD}a");
        assert_eq!(decode("UTF-16BE", b"\xd8\x00\x00"), "\u{FFFD}");
    }

    #[test]
    fn other_encodings_are_refused_with_the_supported_ones() {
        let err = sluice_sdk::configure::<StringConverter>(vec![(
            "converter.encoding".into(),
            "Shift_JIS".into(),
        )]);
        assert!(err.err().unwrap().contains("use UTF-8, UTF-16"));
    }
}
