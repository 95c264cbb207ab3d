//! Delays between retries, once for the whole host: exponential from a
//! first delay up to a cap, with jitter so that many tasks retrying the same
//! outage do not come back in step. The HTTP sink, the plugin-call retries
//! of `errors.retry.timeout`, the S3 sink and the worker's group joins all
//! take their delays from here.

use std::time::Duration;

/// How the delay of each attempt is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// Exactly the exponential delay.
    None,
    /// Half the delay fixed, half random ("equal jitter").
    Equal,
    /// The exponential delay until it passes the cap; past it, a random
    /// delay below the cap (Kafka Connect's `RetryWithToleranceOperator`).
    BelowCap,
}

/// Exponential backoff: `first`, doubled each attempt, at most `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub jitter: Jitter,
}

impl Backoff {
    /// A delay that never changes.
    pub fn fixed(delay: Duration) -> Self {
        Backoff {
            first: delay,
            max: delay,
            jitter: Jitter::None,
        }
    }

    /// The delay before retry `attempt` (1 for the first retry).
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .first
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        match self.jitter {
            Jitter::None => exp.min(self.max),
            Jitter::Equal => {
                let capped = exp.min(self.max);
                let half = capped / 2;
                half + Duration::from_millis(fastrand::u64(0..=half.as_millis() as u64))
            }
            Jitter::BelowCap if exp <= self.max => exp,
            Jitter::BelowCap => {
                Duration::from_millis(fastrand::u64(0..self.max.as_millis().max(1) as u64))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_with_their_jitter() {
        let ms = Duration::from_millis;
        let equal = Backoff {
            first: ms(100),
            max: ms(1000),
            jitter: Jitter::Equal,
        };
        for attempt in 1..=8 {
            let d = equal.delay(attempt);
            let full = (ms(100) * (1 << (attempt - 1))).min(ms(1000));
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
        let connect = Backoff {
            first: ms(300),
            max: ms(1000),
            jitter: Jitter::BelowCap,
        };
        assert_eq!(connect.delay(1), ms(300));
        assert_eq!(connect.delay(2), ms(600));
        assert!(connect.delay(3) < ms(1000));
        assert_eq!(Backoff::fixed(ms(5)).delay(9), ms(5));
        let none = Backoff {
            first: ms(500),
            max: ms(30_000),
            jitter: Jitter::None,
        };
        assert_eq!(none.delay(100), ms(30_000), "no overflow on many attempts");
    }
}
