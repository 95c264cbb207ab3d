//! A formatter plugin's declared framing, as the host's [`FormatInfo`].

pub use crate::format::FormatInfo;

impl From<super::native::wire::FormatInfo> for FormatInfo {
    fn from(info: super::native::wire::FormatInfo) -> Self {
        FormatInfo {
            content_type: info.content_type,
            extension: info.extension,
            prefix: info.prefix.into(),
            separator: info.separator.into(),
            suffix: info.suffix.into(),
        }
    }
}
