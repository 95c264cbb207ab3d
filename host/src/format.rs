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
