//! A formatter's framing, and assembling a body or an object from
//! encoded records: what a formatter plugin declares and a sink applies.

use bytes::Bytes;

/// How a formatter's encoded records are put together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatInfo {
    pub content_type: String,
    /// With its dot, e.g. `.json`.
    pub extension: String,
    pub prefix: Bytes,
    pub separator: Bytes,
    pub suffix: Bytes,
}

/// The most bytes a formatter may declare for its prefix, its separator and
/// its suffix each. The separator is written between every two records: a
/// larger one would let a plugin multiply every body by its size.
pub const MAX_FRAMING_BYTES: usize = 64 << 10;

/// The longest content type or file extension a formatter may declare.
pub const MAX_LABEL_BYTES: usize = 255;

impl FormatInfo {
    /// Refuses what the host will not apply: framing past
    /// [`MAX_FRAMING_BYTES`], a content type or extension past
    /// [`MAX_LABEL_BYTES`].
    pub fn check(&self) -> Result<(), String> {
        for (what, len, max) in [
            ("prefix", self.prefix.len(), MAX_FRAMING_BYTES),
            ("separator", self.separator.len(), MAX_FRAMING_BYTES),
            ("suffix", self.suffix.len(), MAX_FRAMING_BYTES),
            ("content type", self.content_type.len(), MAX_LABEL_BYTES),
            ("extension", self.extension.len(), MAX_LABEL_BYTES),
        ] {
            if len > max {
                return Err(format!(
                    "format-info: a {what} of {len} bytes; the host takes at most {max}"
                ));
            }
        }
        Ok(())
    }

    /// `header ++ prefix ++ item1 ++ separator ++ item2 … ++ suffix ++ trailer`.
    pub fn frame<'a>(
        &self,
        header: &[u8],
        items: impl IntoIterator<Item = &'a [u8], IntoIter: Clone>,
        trailer: &[u8],
    ) -> Vec<u8> {
        let items = items.into_iter();
        // Sized once: growing by doubling would copy a large body several times.
        let (count, bytes) = items
            .clone()
            .fold((0usize, 0usize), |(n, b), item| (n + 1, b + item.len()));
        let mut body = Vec::with_capacity(
            header.len()
                + self.prefix.len()
                + bytes
                + self.separator.len() * count.saturating_sub(1)
                + self.suffix.len()
                + trailer.len(),
        );
        body.extend_from_slice(header);
        body.extend_from_slice(&self.prefix);
        for (i, item) in items.enumerate() {
            if i > 0 {
                body.extend_from_slice(&self.separator);
            }
            body.extend_from_slice(item);
        }
        body.extend_from_slice(&self.suffix);
        body.extend_from_slice(trailer);
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(separator: usize, extension: usize) -> FormatInfo {
        FormatInfo {
            content_type: "application/json".into(),
            extension: ".".repeat(extension),
            prefix: Bytes::from_static(b"["),
            separator: Bytes::from(vec![b','; separator]),
            suffix: Bytes::from_static(b"]"),
        }
    }

    #[test]
    fn framing_a_plugin_declares_is_bounded() {
        assert_eq!(info(1, 5).check(), Ok(()));
        assert_eq!(info(MAX_FRAMING_BYTES, MAX_LABEL_BYTES).check(), Ok(()));
        let big = info(64 << 20, 5).check().unwrap_err();
        assert!(big.contains("separator of 67108864 bytes"), "{big}");
        let long = info(1, 300).check().unwrap_err();
        assert!(long.contains("extension of 300 bytes"), "{long}");
    }
}
