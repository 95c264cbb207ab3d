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

impl FormatInfo {
    /// `header ++ prefix ++ item1 ++ separator ++ item2 … ++ suffix ++ trailer`.
    pub fn frame<'a>(
        &self,
        header: &[u8],
        items: impl IntoIterator<Item = &'a [u8]>,
        trailer: &[u8],
    ) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(header);
        body.extend_from_slice(&self.prefix);
        for (i, item) in items.into_iter().enumerate() {
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
