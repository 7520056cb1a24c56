//! The one HTTP policy every call goes through: bounded retries on 429/503/504 that honour
//! `Retry-After` (seconds, possibly fractional), exponential backoff with jitter when the
//! header is absent, and a cap on the total time spent waiting.

use std::time::Duration;

use crate::env::{Env, LogLevel};
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, TransportError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Total time spent sleeping between attempts, at most.
    pub max_total_wait: Duration,
    /// First backoff when no Retry-After came; doubles per attempt.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            max_total_wait: Duration::from_secs(60),
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
        }
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

/// `Retry-After` in seconds (Graph sends integers and sometimes fractions like `2.128`).
pub fn retry_after(response: &HttpResponse) -> Option<Duration> {
    let value = response.header("Retry-After")?.trim();
    let secs: f64 = value.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

impl RetryPolicy {
    /// Backoff for the given retry (0-based) with "equal jitter": half fixed, half random,
    /// so clients that failed together do not come back together.
    pub fn backoff(&self, retry: u32, random: u8) -> Duration {
        let exp = self
            .base_backoff
            .saturating_mul(1u32 << retry.min(16))
            .min(self.max_backoff);
        let half = exp / 2;
        half + half.mul_f64(f64::from(random) / 255.0)
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
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        loop {
            let wait = match env.send(request) {
                Ok(response) if !is_retryable_status(response.status) => return Ok(response),
                Ok(response) => {
                    // A 504 may hide a request that was processed.
                    if response.status == 504 && idempotency == Idempotency::NotIdempotent {
                        return Ok(response);
                    }
                    let wait = retry_after(&response)
                        .unwrap_or_else(|| self.backoff(attempt - 1, random_byte(env)));
                    if let Some(reason) = self.give_up(attempt, waited, wait) {
                        return Err(Error::Throttled {
                            status: response.status,
                            message: format!(
                                "{} answered HTTP {} {} times; {reason}. Try again later or lower the request rate.",
                                host_of(&request.url),
                                response.status,
                                attempt
                            ),
                        });
                    }
                    env.log(
                        LogLevel::Warn,
                        &format!(
                            "HTTP {} from {}; retrying in {:.1} s (attempt {} of {})",
                            response.status,
                            host_of(&request.url),
                            wait.as_secs_f64(),
                            attempt + 1,
                            self.max_attempts
                        ),
                    );
                    wait
                }
                Err(TransportError::Denied(message)) => return Err(Error::Denied(message)),
                Err(TransportError::Network(message)) => {
                    let wait = self.backoff(attempt - 1, random_byte(env));
                    if idempotency == Idempotency::NotIdempotent {
                        return Err(Error::Network(format!(
                            "No response from {} ({message}). The request was not repeated because it may have been carried out; check before running it again.",
                            host_of(&request.url)
                        )));
                    }
                    if let Some(reason) = self.give_up(attempt, waited, wait) {
                        return Err(Error::Network(format!(
                            "No response from {} after {attempt} attempts ({message}); {reason}.",
                            host_of(&request.url)
                        )));
                    }
                    env.log(
                        LogLevel::Warn,
                        &format!(
                            "no response from {} ({message}); retrying",
                            host_of(&request.url)
                        ),
                    );
                    wait
                }
            };
            env.sleep(wait);
            waited += wait;
            attempt += 1;
        }
    }

    fn give_up(&self, attempt: u32, waited: Duration, next_wait: Duration) -> Option<String> {
        if attempt >= self.max_attempts {
            return Some(format!("gave up after {} attempts", self.max_attempts));
        }
        if waited + next_wait > self.max_total_wait {
            return Some(format!(
                "waiting {:.1} s more would pass the {} s retry budget",
                next_wait.as_secs_f64(),
                self.max_total_wait.as_secs()
            ));
        }
        None
    }
}

fn random_byte(env: &dyn Env) -> u8 {
    env.random_bytes(1).first().copied().unwrap_or(128)
}

/// Host of a URL for messages (never the query, which may hold ids).
pub fn host_of(url: &str) -> &str {
    url.split_once("://")
        .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or(rest))
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
}
