//! Isolating the records that make a plugin call fail as a whole (a trap, a
//! memory-limit or deadline hit): the batch is retried once on a fresh
//! instance (and for `errors.retry.timeout` with backoff), then split in
//! halves until each failing call holds one record. Every other record gets
//! its normal result. An outage of something the host reaches for the
//! plugin (the schema registry) is no record's fault: the whole batch is
//! retried until it ends, and nothing after it is committed meanwhile.

use std::ops::Range;
use std::time::{Duration, Instant};

use crate::errors::ErrorPolicy;
use crate::plugin::CallError;

/// How long the splitting may take before the records not yet cleared are
/// failed with the last error: a plugin that loops on every record would
/// otherwise cost one deadline per record.
pub const ISOLATION_BUDGET: Duration = Duration::from_secs(60);

/// First delay between retries under `errors.retry.timeout`, as in Connect.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(300);

/// Calls `call` on the whole range `0..n` and returns one result per
/// index: the call's result for that index, or the error of the
/// single-record call that failed it.
pub async fn isolate<T, F, Fut>(
    policy: &ErrorPolicy,
    plugin: &str,
    n: usize,
    call: F,
) -> Vec<Result<T, CallError>>
where
    F: Fn(Range<usize>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, CallError>>,
{
    let error = match call(0..n).await {
        Ok(v) => return v.into_iter().map(Ok).collect(),
        Err(e) if e.is_outage() => match through_outage(policy, plugin, &call, n, e).await {
            Ok(v) => return v.into_iter().map(Ok).collect(),
            Err(e) => e,
        },
        Err(e) => e,
    };
    tracing::warn!(plugin, records = n, error = %error, "plugin call failed; retrying the batch on a fresh instance");
    let error = match retry(policy, &call, n).await {
        Ok(v) => return v.into_iter().map(Ok).collect(),
        Err(e) if e.is_outage() => match through_outage(policy, plugin, &call, n, e).await {
            Ok(v) => return v.into_iter().map(Ok).collect(),
            Err(e) => e,
        },
        Err(e) => e,
    };
    if n == 1 {
        return vec![Err(error)];
    }
    tracing::warn!(plugin, records = n, error = %error, "plugin call failed again; splitting the batch to find the records that cause it");
    let started = Instant::now();
    let mut results: Vec<Option<Result<T, CallError>>> = (0..n).map(|_| None).collect();
    let mut last_error = error;
    let mut pending = halves(0..n);
    let mut calls = 0usize;
    while let Some(range) = pending.pop() {
        if started.elapsed() > ISOLATION_BUDGET {
            tracing::error!(
                plugin,
                records = range.len(),
                "isolation budget spent; failing the records not yet cleared"
            );
            for i in range {
                results[i] = Some(Err(last_error.clone()));
            }
            continue;
        }
        calls += 1;
        let mut answer = call(range.clone()).await;
        if let Err(e) = &answer
            && e.is_outage()
        {
            let start = range.start;
            answer = through_outage(
                policy,
                plugin,
                &|r: Range<usize>| call(r.start + start..r.end + start),
                range.len(),
                e.clone(),
            )
            .await;
        }
        match answer {
            Ok(v) => {
                for (i, r) in range.zip(v) {
                    results[i] = Some(Ok(r));
                }
            }
            Err(e) if range.len() == 1 => {
                results[range.start] = Some(Err(e.clone()));
                last_error = e;
            }
            Err(e) => {
                pending.extend(halves(range));
                last_error = e;
            }
        }
    }
    tracing::info!(
        plugin,
        records = n,
        calls,
        failed = results.iter().filter(|r| matches!(r, Some(Err(_)))).count(),
        "isolation done"
    );
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(last_error.clone())))
        .collect()
}

/// The immediate retry, then retries with backoff until `errors.retry.timeout`.
async fn retry<T, F, Fut>(policy: &ErrorPolicy, call: &F, n: usize) -> Result<Vec<T>, CallError>
where
    F: Fn(Range<usize>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, CallError>>,
{
    let started = Instant::now();
    let backoff = crate::retry::Backoff {
        first: FIRST_RETRY_DELAY,
        max: policy.retry_delay_max,
        jitter: crate::retry::Jitter::BelowCap,
    };
    let mut attempt = 0;
    loop {
        let error = match call(0..n).await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_outage() => return Err(e),
            Err(e) => e,
        };
        let remaining = match policy.retry_timeout {
            None => Duration::MAX,
            Some(t) => t.saturating_sub(started.elapsed()),
        };
        if remaining.is_zero() {
            return Err(error);
        }
        attempt += 1;
        let delay = backoff.delay(attempt).min(remaining);
        tracing::warn!(error = %error, delay_ms = delay.as_millis() as u64, "retrying plugin call (errors.retry.timeout)");
        tokio::time::sleep(delay).await;
    }
}

/// Retries the whole batch while the call meets an outage, with backoff up
/// to `errors.retry.delay.max.ms` and no time limit: the records wait, as
/// they wait for a sink that is down. Returns the first answer, or the
/// first error that is not an outage.
async fn through_outage<T, F, Fut>(
    policy: &ErrorPolicy,
    plugin: &str,
    call: &F,
    n: usize,
    first: CallError,
) -> Result<Vec<T>, CallError>
where
    F: Fn(Range<usize>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, CallError>>,
{
    let backoff = crate::retry::Backoff {
        first: FIRST_RETRY_DELAY,
        max: policy.retry_delay_max,
        jitter: crate::retry::Jitter::BelowCap,
    };
    let started = Instant::now();
    let mut error = first;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let delay = backoff.delay(attempt);
        tracing::warn!(
            plugin,
            records = n,
            error = %error,
            waited_s = started.elapsed().as_secs(),
            delay_ms = delay.as_millis() as u64,
            "outage: retrying the batch until it ends; nothing past it is committed"
        );
        tokio::time::sleep(delay).await;
        match call(0..n).await {
            Ok(v) => {
                tracing::info!(
                    plugin,
                    waited_s = started.elapsed().as_secs(),
                    "outage over"
                );
                return Ok(v);
            }
            Err(e) if e.is_outage() => error = e,
            Err(e) => return Err(e),
        }
    }
}

/// The two halves of `r`, the first on top of the stack (popped first).
fn halves(r: Range<usize>) -> Vec<Range<usize>> {
    let mid = r.start + r.len() / 2;
    vec![mid..r.end, r.start..mid]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trap() -> CallError {
        CallError::Trap {
            plugin: "p".into(),
            message: "boom".into(),
            detail: String::new(),
        }
    }

    /// A "plugin" that doubles numbers and traps on any batch holding a 0.
    async fn run(input: &[i32]) -> (Vec<Result<i32, CallError>>, usize) {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let out = isolate(
            &ErrorPolicy::default(),
            "p",
            input.len(),
            |r: Range<usize>| {
                calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let part = &input[r];
                let result = if part.contains(&0) {
                    Err(trap())
                } else {
                    Ok(part.iter().map(|x| x * 2).collect())
                };
                std::future::ready(result)
            },
        )
        .await;
        (out, calls.into_inner())
    }

    #[tokio::test]
    async fn an_outage_is_waited_out_for_the_whole_batch_never_split() {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let policy = ErrorPolicy {
            retry_delay_max: Duration::from_millis(5),
            ..ErrorPolicy::default()
        };
        let out = isolate(&policy, "p", 10, |r: Range<usize>| {
            let n = calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let result = if n < 5 {
                Err(CallError::Outage {
                    plugin: "p".into(),
                    message: "registry down".into(),
                })
            } else {
                Ok(r.map(|i| i as i32).collect::<Vec<_>>())
            };
            std::future::ready(result)
        })
        .await;
        assert_eq!(calls.into_inner(), 6, "five outages, then the answer");
        assert_eq!(
            out.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
            (0..10).collect::<Vec<_>>(),
            "the whole batch, never split into records"
        );
    }

    #[tokio::test]
    async fn only_the_poison_records_fail() {
        let input: Vec<i32> = (1..=100).map(|i| if i % 25 == 0 { 0 } else { i }).collect();
        let (out, calls) = run(&input).await;
        for (x, r) in input.iter().zip(&out) {
            match r {
                Ok(v) => assert_eq!(*v, x * 2),
                Err(_) => assert_eq!(*x, 0),
            }
        }
        assert_eq!(out.iter().filter(|r| r.is_err()).count(), 4);
        // Whole batch, its retry, then about 2 * log2(100) calls per poison record.
        assert!(calls < 2 + 4 * 2 * 8, "{calls} calls");
    }

    #[tokio::test]
    async fn a_clean_batch_is_one_call() {
        let (out, calls) = run(&[1, 2, 3]).await;
        assert_eq!(calls, 1);
        assert!(out.iter().all(Result::is_ok));
    }

    #[tokio::test]
    async fn a_failure_that_goes_away_is_retried_not_split() {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let out = isolate(&ErrorPolicy::default(), "p", 4, |r: Range<usize>| {
            std::future::ready(
                if calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0 {
                    Err(trap())
                } else {
                    Ok(r.collect::<Vec<_>>())
                },
            )
        })
        .await;
        assert_eq!(calls.into_inner(), 2);
        assert_eq!(
            out.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
    }
}
