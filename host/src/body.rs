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
        let bytes = if self.complete {
            &self.bytes[..]
        } else {
            &self.bytes[..self.bytes.len() - cut_character(&self.bytes)]
        };
        String::from_utf8_lossy(bytes)
            .chars()
            .take(max_chars)
            .collect()
    }
}

/// How many bytes at the end of `bytes` begin a UTF-8 character that does
/// not end there (a body cut in the middle of one).
fn cut_character(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let b = bytes[bytes.len() - back];
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte: look further back
        }
        let needed = match b {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        return if needed > back { back } else { 0 };
    }
    0
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
        // An earlier bad byte does not keep a cut last character.
        let both = Bounded {
            bytes: b"\xffa\xc3".to_vec(),
            complete: false,
        };
        assert_eq!(both.text(10), "\u{fffd}a");
    }

    fn answer(body: Vec<u8>) -> reqwest::Response {
        reqwest::Response::from(axum::http::Response::new(body))
    }

    #[tokio::test]
    async fn a_body_is_kept_to_its_bound_and_read_to_the_drain_bound() {
        let short = read(answer(b"ok".to_vec()), 10, 100).await.unwrap();
        assert_eq!((short.bytes.as_slice(), short.complete), (&b"ok"[..], true));
        // Longer than kept, within the drain: read to its end, the start kept.
        let drained = read(answer(vec![b'x'; 50]), 10, 100).await.unwrap();
        assert_eq!((drained.bytes.len(), drained.complete), (10, false));
        // Past the drain bound: the start kept, the rest left unread.
        let cut = read(answer(vec![b'x'; 1000]), 10, 100).await.unwrap();
        assert_eq!((cut.bytes.len(), cut.complete), (10, false));
        let whole = read(answer(vec![b'x'; 100]), 100, 100).await.unwrap();
        assert_eq!((whole.bytes.len(), whole.complete), (100, true));
    }
}
