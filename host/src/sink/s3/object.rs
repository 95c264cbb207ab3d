//! One object being written: its bytes buffered up to `s3.part.size`
//! (gzip-compressed as they come if asked), then sent as parts of a
//! multipart upload; a small object goes up in one request when it closes.
//! Memory is bounded by the part size, and nothing is visible in the
//! bucket before the object is finished.

use std::io::Write;

use aws_sdk_s3::types::CompletedPart;
use bytes::Bytes;
use flate2::write::GzEncoder;

use super::config::Compression;
use super::store::{Store, StoreError};

enum Buffer {
    Plain(Vec<u8>),
    Gzip(GzEncoder<Vec<u8>>),
}

struct Multipart {
    upload_id: String,
    parts: Vec<CompletedPart>,
}

/// An open object.
pub struct ObjectWriter {
    store: Store,
    pub key: String,
    /// Kafka offset of the first record written to it.
    pub start_offset: i64,
    /// Uncompressed bytes written.
    pub written: u64,
    buffer: Option<Buffer>,
    part_size: usize,
    multipart: Option<Multipart>,
}

impl ObjectWriter {
    pub fn new(
        store: Store,
        key: String,
        start_offset: i64,
        compression: Compression,
        part_size: u64,
    ) -> Self {
        let buffer = match compression {
            Compression::None => Buffer::Plain(Vec::new()),
            Compression::Gzip { level } => {
                Buffer::Gzip(GzEncoder::new(Vec::new(), flate2::Compression::new(level)))
            }
        };
        ObjectWriter {
            store,
            key,
            start_offset,
            written: 0,
            buffer: Some(buffer),
            part_size: part_size as usize,
            multipart: None,
        }
    }

    /// Appends `bytes`; sends a part once a part's worth is buffered.
    pub async fn append(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.written += bytes.len() as u64;
        let part_size = self.part_size;
        let buffered = match self.buffer.as_mut().expect("open") {
            Buffer::Plain(v) => {
                grow_within(v, bytes.len(), part_size);
                v.extend_from_slice(bytes);
                v.len()
            }
            Buffer::Gzip(g) => {
                // Compressed output is at most about the input's size.
                grow_within(g.get_mut(), bytes.len(), part_size);
                g.write_all(bytes).expect("writing to memory");
                g.get_ref().len()
            }
        };
        if buffered >= self.part_size {
            let part = match self.buffer.as_mut().expect("open") {
                Buffer::Plain(v) => std::mem::take(v),
                Buffer::Gzip(g) => std::mem::take(g.get_mut()),
            };
            self.send_part(Bytes::from(part)).await?;
        }
        Ok(())
    }

    async fn send_part(&mut self, part: Bytes) -> Result<(), StoreError> {
        if self.multipart.is_none() {
            let upload_id = self.store.start_multipart(&self.key).await?;
            self.multipart = Some(Multipart {
                upload_id,
                parts: Vec::new(),
            });
        }
        let m = self.multipart.as_mut().expect("started");
        let number = m.parts.len() as i32 + 1;
        let done = self
            .store
            .upload_part(&self.key, &m.upload_id, number, part)
            .await?;
        m.parts.push(done);
        Ok(())
    }

    /// Sends what is buffered and makes the object visible.
    pub async fn finish(mut self) -> Result<(), StoreError> {
        let rest = match self.buffer.take().expect("open") {
            Buffer::Plain(v) => v,
            Buffer::Gzip(g) => g.finish().expect("writing to memory"),
        };
        if self.multipart.is_none() {
            return self.store.put(&self.key, Bytes::from(rest)).await;
        }
        if !rest.is_empty() {
            self.send_part(Bytes::from(rest)).await?;
        }
        let m = self.multipart.take().expect("started");
        let result = self
            .store
            .complete_multipart(&self.key, &m.upload_id, m.parts)
            .await;
        if result.is_err() {
            self.multipart = Some(Multipart {
                upload_id: m.upload_id,
                parts: Vec::new(),
            });
        }
        result
    }
}

/// Room left past the part size for the append that fills a part, so that
/// append does not move the whole part to a larger buffer.
const PART_HEADROOM: usize = 64 << 10;

/// Makes room for `more` bytes in `buffer`: doubling while that stays
/// within `part_size` and its headroom (a part is sent once it is full),
/// then only as much as is needed, so a buffer never grows to twice the
/// part size.
fn grow_within(buffer: &mut Vec<u8>, more: usize, part_size: usize) {
    let needed = buffer.len() + more;
    if needed <= buffer.capacity() {
        return;
    }
    let doubled = (buffer.capacity() * 2)
        .max(PART_HEADROOM)
        .min(part_size + PART_HEADROOM);
    buffer.reserve_exact(doubled.max(needed) - buffer.len());
}

impl Drop for ObjectWriter {
    /// An object dropped unfinished (partition revoked, shutdown, failure)
    /// never becomes visible; its uploaded parts are aborted in the background.
    fn drop(&mut self) {
        if let Some(m) = self.multipart.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            let (store, key) = (self.store.clone(), std::mem::take(&mut self.key));
            rt.spawn(async move { store.abort_multipart(&key, &m.upload_id).await });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::grow_within;

    #[test]
    fn a_buffer_doubles_up_to_the_part_size_and_no_further() {
        let part = 5 << 20;
        let mut v = Vec::new();
        let chunk = vec![0u8; 1000];
        let mut peak = 0;
        while v.len() < part {
            grow_within(&mut v, chunk.len(), part);
            v.extend_from_slice(&chunk);
            peak = peak.max(v.capacity());
        }
        assert!(
            peak <= part + super::PART_HEADROOM,
            "capacity {peak} for a {part}-byte part"
        );
        // Small objects still start small.
        let mut small = Vec::new();
        grow_within(&mut small, 10, part);
        assert!(small.capacity() <= 64 << 10);
    }
}
