//! The one HTTP policy every call goes through: bounded retries on 429/503/504 that honour
//! `Retry-After` (seconds, possibly fractional), exponential backoff with jitter when the
//! header is absent, and a cap on the total time spent waiting.

// Server answers reach this module: nothing here may panic or overflow on them.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

use std::time::Duration;

use crate::env::{Env, LogLevel};
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, MAX_HEADER_BYTES, TransportError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Total time spent sleeping between attempts, at most.
    pub max_total_wait: Duration,
    /// First backoff when no Retry-After came; doubles per attempt.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// The command's overall deadline; None: only the retry budget bounds it.
    pub deadline: Option<Deadline>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            max_total_wait: Duration::from_secs(60),
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            deadline: None,
        }
    }
}

/// When a command must end, whatever the servers do: a slow or silent server
/// then ends it with a clear message instead of the host's wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// Unix seconds.
    pub at: u64,
    /// The whole allowance, for messages.
    pub total: Duration,
}

impl Deadline {
    pub fn starting_now(env: &dyn Env, total: Duration) -> Deadline {
        Deadline {
            at: env.now_unix_secs().saturating_add(total.as_secs()),
            total,
        }
    }

    /// Time left, zero once passed.
    pub fn remaining(&self, env: &dyn Env) -> Duration {
        Duration::from_secs(self.at.saturating_sub(env.now_unix_secs()))
    }

    pub fn passed(&self, env: &dyn Env) -> bool {
        self.remaining(env).is_zero()
    }

    pub fn error(&self, host: &str) -> Error {
        Error::Deadline(format!(
            "The command's {} s deadline passed while waiting for {host}; what was done before it is in the result. Try again later, or with less work per run.",
            self.total.as_secs()
        ))
    }
}

/// Whether a request may be sent again after it might have arrived (a reset or a 504).
/// POSTs that create or send things are not: a retry could do the work twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    Idempotent,
    NotIdempotent,
}

/// Statuses that mean "not now"; 429 and 503 say the request was not processed.
fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 503 | 504)
}

/// Longest wait a Retry-After is read as; anything longer is past every budget
/// anyway (and `Duration` cannot hold 1e20 s).
const MAX_RETRY_AFTER_SECS: f64 = 1e9;

/// `Retry-After` in seconds (Graph sends integers and sometimes fractions like `2.128`).
pub fn retry_after(response: &HttpResponse) -> Option<Duration> {
    let value = response.header("Retry-After")?.trim();
    let secs: f64 = value.parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(secs.min(MAX_RETRY_AFTER_SECS)).ok()
}

/// Header name and value as the transport will send them: within
/// [`MAX_HEADER_BYTES`] and free of line breaks, or the request is refused
/// here (never the value in the message: it may be a token).
fn check_headers(request: &HttpRequest) -> Result<(), Error> {
    for (name, value) in &request.headers {
        let size = name.len().saturating_add(value.len());
        if size > MAX_HEADER_BYTES {
            return Err(Error::Unsendable(format!(
                "The {name} header of the request to {} is {size} bytes, more than the {MAX_HEADER_BYTES} the transport sends; the request was not sent.",
                host_of(&request.url)
            )));
        }
        if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(Error::Unsendable(format!(
                "The {name} header of the request to {} holds a line break; the request was not sent.",
                host_of(&request.url)
            )));
        }
    }
    Ok(())
}

/// A byte count for messages: "48 MiB", "1 MiB", "512 bytes".
pub fn bytes_text(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Waits up to this long in one sleep; longer waits report progress between.
const WAIT_SLICE: Duration = Duration::from_secs(10);

/// Sleeps `wait`, saying every [`WAIT_SLICE`] how long is left, so a long
/// Retry-After does not look like a hang.
pub fn wait_with_progress(env: &dyn Env, wait: Duration, why: &str) {
    if wait <= WAIT_SLICE {
        env.sleep(wait);
        return;
    }
    let total = wait.as_secs();
    let mut slept = Duration::ZERO;
    while slept < wait {
        let step = wait.saturating_sub(slept).min(WAIT_SLICE);
        env.sleep(step);
        slept = slept.saturating_add(step);
        env.progress(
            u32::try_from(slept.as_secs()).unwrap_or(u32::MAX),
            u32::try_from(total).unwrap_or(u32::MAX),
            &format!("waiting {} s of {total} s: {why}", slept.as_secs()),
        );
    }
}

impl RetryPolicy {
    pub fn with_deadline(mut self, deadline: Deadline) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Backoff for the given retry (0-based) with "equal jitter": half fixed, half random,
    /// so clients that failed together do not come back together.
    pub fn backoff(&self, retry: u32, random: u8) -> Duration {
        let exp = self
            .base_backoff
            .saturating_mul(1u32 << retry.min(16))
            .min(self.max_backoff);
        let half = exp.checked_div(2).unwrap_or_default();
        half.saturating_add(half.mul_f64(f64::from(random) / 255.0))
    }

    /// The deadline's error once it has passed.
    pub fn check_deadline(&self, env: &dyn Env, host: &str) -> Result<(), Error> {
        match self.deadline {
            Some(d) if d.passed(env) => Err(d.error(host)),
            _ => Ok(()),
        }
    }

    /// Sends `request`, retrying as the policy allows. A 4xx/5xx that is not retried (or
    /// whose retries ran out) comes back as a response for the caller to interpret, except
    /// throttling, which becomes [`Error::Throttled`].
    pub fn send(
        &self,
        env: &dyn Env,
        request: &HttpRequest,
        idempotency: Idempotency,
    ) -> Result<HttpResponse, Error> {
        check_headers(request)?;
        let host = host_of(&request.url);
        let mut waited = Duration::ZERO;
        let mut attempt: u32 = 1;
        loop {
            self.check_deadline(env, host)?;
            let mut bounded = request.clone();
            if let Some(d) = self.deadline {
                let left = d.remaining(env);
                bounded.timeout = Some(request.timeout.map_or(left, |t| t.min(left)));
            }
            let wait = match env.send(&bounded) {
                Ok(response) if !(200..=599).contains(&response.status) => {
                    return Err(Error::Protocol(format!(
                        "{host} answered with status {}, which no final HTTP answer has; not retried.",
                        response.status
                    )));
                }
                Ok(response) if !is_retryable_status(response.status) => return Ok(response),
                Ok(response) => {
                    // A 504 may hide a request that was processed.
                    if response.status == 504 && idempotency == Idempotency::NotIdempotent {
                        return Ok(response);
                    }
                    let wait = retry_after(&response).unwrap_or_else(|| {
                        self.backoff(attempt.saturating_sub(1), random_byte(env))
                    });
                    if let Some(reason) = self.give_up(env, attempt, waited, wait) {
                        return Err(Error::Throttled {
                            status: response.status,
                            message: format!(
                                "{host} answered HTTP {} {attempt} times; {reason}. Try again later or lower the request rate.",
                                response.status,
                            ),
                        });
                    }
                    env.log(
                        LogLevel::Warn,
                        &format!(
                            "HTTP {} from {host}; retrying in {:.1} s (attempt {} of {})",
                            response.status,
                            wait.as_secs_f64(),
                            attempt.saturating_add(1),
                            self.max_attempts
                        ),
                    );
                    wait
                }
                Err(TransportError::Denied(message)) => return Err(Error::Denied(message)),
                Err(TransportError::InvalidRequest(message)) => {
                    return Err(Error::Unsendable(format!(
                        "The request to {host} could not be sent as built ({message}); it was not sent, and sending it again would not help."
                    )));
                }
                Err(TransportError::TooLarge { limit }) => {
                    return Err(Error::TooLarge {
                        limit,
                        message: format!(
                            "The response from {host} is larger than the {} cap; reading stopped there and it was not fetched again.",
                            bytes_text(limit)
                        ),
                    });
                }
                Err(TransportError::Protocol(message)) => {
                    return Err(Error::Protocol(format!(
                        "{host} answered with a response that breaks HTTP ({message}); not retried."
                    )));
                }
                Err(TransportError::Network(message)) => {
                    self.transport_wait(env, idempotency, attempt, waited, host, &message, false)?
                }
                Err(TransportError::CutShort(message)) => {
                    self.transport_wait(env, idempotency, attempt, waited, host, &message, true)?
                }
            };
            wait_with_progress(env, wait, &format!("retrying {host}"));
            waited = waited.saturating_add(wait);
            attempt = attempt.saturating_add(1);
        }
    }

    /// After no response (or a response cut short): the wait before sending
    /// again, or the error when it must not or cannot be sent again.
    #[allow(clippy::too_many_arguments)]
    fn transport_wait(
        &self,
        env: &dyn Env,
        idempotency: Idempotency,
        attempt: u32,
        waited: Duration,
        host: &str,
        message: &str,
        cut_short: bool,
    ) -> Result<Duration, Error> {
        if let Some(d) = self.deadline
            && d.passed(env)
        {
            return Err(d.error(host));
        }
        let what = if cut_short {
            format!("The response from {host} was cut short")
        } else {
            format!("No response from {host}")
        };
        if idempotency == Idempotency::NotIdempotent {
            return Err(Error::Network(format!(
                "{what} ({message}). The request was not repeated because it may have been carried out; check before running it again."
            )));
        }
        let wait = self.backoff(attempt.saturating_sub(1), random_byte(env));
        if let Some(reason) = self.give_up(env, attempt, waited, wait) {
            return Err(Error::Network(format!(
                "{what} after {attempt} attempts ({message}); {reason}."
            )));
        }
        env.log(
            LogLevel::Warn,
            &format!("{} ({message}); retrying", what.to_lowercase()),
        );
        Ok(wait)
    }

    fn give_up(
        &self,
        env: &dyn Env,
        attempt: u32,
        waited: Duration,
        next_wait: Duration,
    ) -> Option<String> {
        if attempt >= self.max_attempts {
            return Some(format!("gave up after {} attempts", self.max_attempts));
        }
        if waited.saturating_add(next_wait) > self.max_total_wait {
            return Some(format!(
                "waiting {:.1} s more would pass the {} s retry budget",
                next_wait.as_secs_f64(),
                self.max_total_wait.as_secs()
            ));
        }
        if let Some(d) = self.deadline
            && next_wait >= d.remaining(env)
        {
            return Some(format!(
                "waiting {:.1} s more would pass the command's {} s deadline",
                next_wait.as_secs_f64(),
                d.total.as_secs()
            ));
        }
        None
    }
}

fn random_byte(env: &dyn Env) -> u8 {
    env.random_bytes(1).first().copied().unwrap_or(128)
}

/// Host of a URL for messages (never the path or query, which may hold ids).
pub fn host_of(url: &str) -> &str {
    url.split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(rest))
        .unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeEnv;

    fn resp(status: u16, retry_after: Option<&str>) -> HttpResponse {
        HttpResponse {
            status,
            headers: retry_after
                .map(|v| vec![("Retry-After".to_string(), v.to_string())])
                .unwrap_or_default(),
            body: Vec::new(),
        }
    }

    fn get_me(env: &FakeEnv) -> Result<HttpResponse, Error> {
        let request = HttpRequest::new("GET", "https://graph.microsoft.com/v1.0/me");
        RetryPolicy::default().send(env, &request, Idempotency::Idempotent)
    }

    #[test]
    fn fractional_retry_after_is_read() {
        assert_eq!(
            retry_after(&resp(429, Some("2.128"))),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(retry_after(&resp(429, Some("soon"))), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(0, 0), Duration::from_millis(250));
        assert_eq!(p.backoff(0, 255), Duration::from_millis(500));
        assert_eq!(p.backoff(10, 255), Duration::from_secs(8));
    }

    #[test]
    fn retry_after_is_honoured_then_success() {
        let env = FakeEnv::new(vec![
            Ok(resp(429, Some("3"))),
            Ok(resp(503, Some("1.5"))),
            Ok(resp(200, None)),
        ]);
        let r = get_me(&env).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(
            env.slept(),
            vec![Duration::from_secs(3), Duration::from_millis(1500)]
        );
    }

    #[test]
    fn gives_up_at_the_attempt_bound() {
        let env = FakeEnv::new(vec![Ok(resp(429, Some("0"))); 10]);
        let err = get_me(&env).unwrap_err();
        assert_eq!(env.sent().len(), 5);
        assert!(
            matches!(err, Error::Throttled { status: 429, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn gives_up_when_retry_after_exceeds_budget() {
        let env = FakeEnv::new(vec![Ok(resp(429, Some("120")))]);
        let err = get_me(&env).unwrap_err();
        assert!(err.to_string().contains("retry budget"), "{err}");
        assert!(env.slept().is_empty());
    }

    #[test]
    fn non_idempotent_request_is_not_repeated_after_reset() {
        let env = FakeEnv::new(vec![
            Err(TransportError::Network("reset".into())),
            Ok(resp(201, None)),
        ]);
        let err = RetryPolicy::default()
            .send(
                &env,
                &HttpRequest::new("POST", "https://graph.microsoft.com/v1.0/me/sendMail"),
                Idempotency::NotIdempotent,
            )
            .unwrap_err();
        assert_eq!(env.sent().len(), 1);
        assert!(matches!(err, Error::Network(_)));
    }

    #[test]
    fn idempotent_request_is_repeated_after_reset() {
        let env = FakeEnv::new(vec![
            Err(TransportError::Network("reset".into())),
            Ok(resp(200, None)),
        ]);
        let r = get_me(&env).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(env.sent().len(), 2);
    }

    #[test]
    fn a_retry_after_past_what_a_duration_holds_gives_up_without_panic() {
        for huge in ["1e20", "18446744073709551616", "1e308"] {
            let env = FakeEnv::new(vec![Ok(resp(429, Some(huge)))]);
            let err = get_me(&env).unwrap_err();
            assert!(err.to_string().contains("retry budget"), "{huge}: {err}");
            assert!(env.slept().is_empty());
        }
    }

    fn get_me_failing(failure: TransportError, n: usize) -> (FakeEnv, Error) {
        let env = FakeEnv::new(vec![Err(failure); n]);
        let err = get_me(&env).unwrap_err();
        (env, err)
    }

    #[test]
    fn a_body_over_the_cap_is_fetched_once_and_names_the_cap() {
        let (env, err) = get_me_failing(
            TransportError::TooLarge {
                limit: 48 * 1024 * 1024,
            },
            5,
        );
        assert_eq!(env.sent().len(), 1);
        assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
        assert!(err.to_string().contains("the 48 MiB cap"), "{err}");
    }

    #[test]
    fn a_request_we_built_wrong_is_not_retried() {
        let (env, err) = get_me_failing(TransportError::InvalidRequest("invalid host".into()), 5);
        assert_eq!(env.sent().len(), 1);
        assert!(matches!(err, Error::Unsendable(_)), "{err:?}");
        assert!(err.to_string().contains("would not help"), "{err}");
    }

    #[test]
    fn a_protocol_error_is_named_and_not_retried() {
        let (env, err) = get_me_failing(TransportError::Protocol("HttpProtocolError".into()), 5);
        assert_eq!(env.sent().len(), 1);
        assert!(err.to_string().contains("breaks HTTP"), "{err}");
    }

    #[test]
    fn a_cut_body_says_so_and_differs_from_no_response() {
        let (env, err) = get_me_failing(TransportError::CutShort("reset".into()), 5);
        assert_eq!(env.sent().len(), 5);
        assert!(
            err.to_string().contains("was cut short after 5 attempts"),
            "{err}"
        );
        let (_, err) = get_me_failing(TransportError::Network("refused".into()), 5);
        assert!(err.to_string().starts_with("No response from"), "{err}");
    }

    #[test]
    fn an_oversized_or_broken_header_is_refused_before_sending() {
        let env = FakeEnv::new(vec![]);
        let big = HttpRequest::new("GET", "https://graph.microsoft.com/v1.0/me")
            .header("Authorization", "x".repeat(200 * 1024));
        let err = RetryPolicy::default()
            .send(&env, &big, Idempotency::Idempotent)
            .unwrap_err();
        assert!(matches!(err, Error::Unsendable(_)), "{err:?}");
        assert!(err.to_string().contains("Authorization header"), "{err}");
        let split = HttpRequest::new("GET", "https://graph.microsoft.com/v1.0/me")
            .header("Authorization", "Bearer a\r\nX-Evil: 1");
        let err = RetryPolicy::default()
            .send(&env, &split, Idempotency::Idempotent)
            .unwrap_err();
        assert!(err.to_string().contains("line break"), "{err}");
        assert!(env.sent().is_empty());
    }

    #[test]
    fn the_deadline_bounds_requests_and_waits() {
        let env = FakeEnv::new(vec![
            Ok(resp(503, Some("20"))),
            Ok(resp(503, Some("20"))),
            Ok(resp(200, None)),
        ]);
        let policy = RetryPolicy::default()
            .with_deadline(Deadline::starting_now(&env, Duration::from_secs(30)));
        let request = HttpRequest::new("GET", "https://graph.microsoft.com/v1.0/me");
        let err = policy
            .send(&env, &request, Idempotency::Idempotent)
            .unwrap_err();
        assert!(
            err.to_string().contains("the command's 30 s deadline"),
            "{err}"
        );
        let sent = env.sent();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0].timeout, Some(Duration::from_secs(30)));
        assert_eq!(sent[1].timeout, Some(Duration::from_secs(10)));
        // Once passed, nothing more is sent.
        env.now.set(env.now.get() + 60);
        let err = policy
            .send(&env, &request, Idempotency::Idempotent)
            .unwrap_err();
        assert!(matches!(err, Error::Deadline(_)), "{err:?}");
        assert_eq!(env.sent().len(), 2);
    }

    #[test]
    fn a_long_wait_reports_progress() {
        let env = FakeEnv::new(vec![Ok(resp(429, Some("25"))), Ok(resp(200, None))]);
        assert_eq!(get_me(&env).unwrap().status, 200);
        assert_eq!(
            env.slept(),
            vec![
                Duration::from_secs(10),
                Duration::from_secs(10),
                Duration::from_secs(5)
            ]
        );
        let progress = env.progress.borrow();
        assert_eq!(progress.len(), 3);
        assert!(progress[0].contains("waiting 10 s of 25 s"), "{progress:?}");
    }

    #[test]
    fn a_status_no_http_answer_has_is_a_protocol_error() {
        for status in [0, 99, 103, 600, 19532] {
            let env = FakeEnv::new(vec![Ok(resp(status, None))]);
            let err = get_me(&env).unwrap_err();
            assert!(matches!(err, Error::Protocol(_)), "{status}: {err:?}");
            assert_eq!(err.status_code(), 502);
        }
    }
}
