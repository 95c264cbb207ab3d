//! Reading an HTTP answer's body within a bound: a server (a sink's
//! endpoint, a token endpoint, a schema registry) cannot make the host read
//! or hold more than it means to keep.

/// What was read of a body.
#[derive(Debug, Default)]
pub struct Bounded {
    /// Its first bytes, at most the `keep` asked for.
    pub bytes: Vec<u8>,
    /// Whether `bytes` is the whole body.
    pub complete: bool,
}

impl Bounded {
    /// The first `max_chars` characters of what was kept, as text (bytes that
    /// are not UTF-8 become U+FFFD, and a character cut at the end of what
    /// was kept is dropped).
    pub fn text(&self, max_chars: usize) -> String {
        let bytes = match std::str::from_utf8(&self.bytes) {
            Err(e) if !self.complete && e.error_len().is_none() => &self.bytes[..e.valid_up_to()],
            _ => &self.bytes[..],
        };
        String::from_utf8_lossy(bytes)
            .chars()
            .take(max_chars)
            .collect()
    }
}

/// Reads `response`'s body, keeping its first `keep` bytes. It reads on
/// without keeping up to `drain` bytes in all, so that an ordinary answer is
/// read to its end and its connection can carry the next request; past
/// `drain` the rest is never read, and dropping the answer closes its
/// connection.
pub async fn read(
    mut response: reqwest::Response,
    keep: usize,
    drain: usize,
) -> Result<Bounded, reqwest::Error> {
    let mut kept = Bounded::default();
    let mut seen = 0usize;
    while let Some(chunk) = response.chunk().await? {
        seen = seen.saturating_add(chunk.len());
        let room = keep.saturating_sub(kept.bytes.len()).min(chunk.len());
        kept.bytes.extend_from_slice(&chunk[..room]);
        if seen > drain {
            return Ok(kept);
        }
    }
    kept.complete = seen <= keep;
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_cut_at_the_end_of_what_was_kept_is_dropped() {
        let cut = Bounded {
            bytes: "añ".as_bytes()[..2].to_vec(),
            complete: false,
        };
        assert_eq!(cut.text(10), "a");
        let whole = Bounded {
            bytes: b"a\xff".to_vec(),
            complete: true,
        };
        assert_eq!(whole.text(10), "a\u{fffd}");
        let long = Bounded {
            bytes: "ñññ".as_bytes().to_vec(),
            complete: true,
        };
        assert_eq!(long.text(2), "ññ");
    }
}
