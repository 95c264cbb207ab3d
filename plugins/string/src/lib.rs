//! `string` converter: Kafka's `StringConverter`. Bytes are UTF-8 text;
//! invalid sequences become U+FFFD. It never fails.

use sluice_sdk::{
    Config, ConfigKey, ConfigType, Converted, Converter, Part, Plugin, PluginInfo, Record,
    ValueKind,
};

/// The converter; it has no state.
pub struct StringConverter;

impl Plugin for StringConverter {
    const INFO: PluginInfo = PluginInfo {
        name: "string",
        version: env!("CARGO_PKG_VERSION"),
        description: "UTF-8 text, as Kafka's StringConverter (invalid bytes become U+FFFD)",
        config: &[ConfigKey::optional(
            "converter.encoding",
            ConfigType::String,
            Some("UTF-8"),
            "Character encoding; only UTF-8 is supported",
        )],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        match config
            .get("converter.encoding")
            .map(|e| e.replace('-', "").to_ascii_uppercase())
        {
            Some(e) if e == "UTF8" => Ok(StringConverter),
            other => Err(format!(
                "converter.encoding {other:?} is not supported: only UTF-8 is"
            )),
        }
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
            let bytes = match String::from_utf8_lossy(bytes) {
                std::borrow::Cow::Borrowed(_) => std::borrow::Cow::Borrowed(bytes),
                std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.into_bytes()),
            };
            Converted {
                bytes,
                kind: ValueKind::Text,
            }
        }))
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

    #[test]
    fn other_encodings_are_refused() {
        let err = sluice_sdk::configure::<StringConverter>(vec![(
            "converter.encoding".into(),
            "latin1".into(),
        )]);
        assert!(err.err().unwrap().contains("only UTF-8"));
    }
}
