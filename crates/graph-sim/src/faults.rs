//! Injected faults: matched against each incoming request before routing,
//! consumed in insertion order.

use std::time::Duration;

/// One injected fault.
#[derive(Clone, Debug)]
pub struct Fault {
    /// HTTP method to match (case-insensitive); `None` matches any.
    pub method: Option<String>,
    /// Substring of the raw (still percent-encoded) request path; a part
    /// after `?` must be in the raw query string (`/messages?skip=100` hits
    /// one page of a listing).
    pub path_contains: String,
    /// How many matching requests this fault answers.
    pub times: u32,
    pub kind: FaultKind,
}

impl Fault {
    /// A fault that fires once for any method.
    pub fn new(path_contains: impl Into<String>, kind: FaultKind) -> Self {
        Fault {
            method: None,
            path_contains: path_contains.into(),
            times: 1,
            kind,
        }
    }

    /// Restricts the fault to one HTTP method.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Matches only requests whose raw query contains `fragment`.
    pub fn query_contains(mut self, fragment: &str) -> Self {
        self.path_contains = format!("{}?{fragment}", self.path_contains);
        self
    }

    fn matches(&self, method: &str, raw_path: &str, raw_query: &str) -> bool {
        let (path, query) = self
            .path_contains
            .split_once('?')
            .unwrap_or((&self.path_contains, ""));
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && raw_path.contains(path)
            && raw_query.contains(query)
    }

    /// Fires `times` times instead of once.
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }
}

/// What a fault does to the matched request.
#[derive(Clone, Debug)]
pub enum FaultKind {
    /// Answer with this status and the real Graph (or AAD, on identity
    /// paths) error body: 429 TooManyRequests, 503 ServiceNotAvailable,
    /// 504 UnknownError, ...; `retry_after` becomes the Retry-After header.
    Status {
        status: u16,
        retry_after: Option<String>,
    },
    /// Wait, then answer normally.
    Delay(Duration),
    /// Close the connection without writing any response.
    ConnectionReset,
    /// Carry the request out, then close the connection without the response: the
    /// client cannot tell whether it happened (a lost answer to a send).
    LoseResponse,
    /// Answer normally but cut the JSON body in half (status 2xx kept).
    MalformedBody,
    /// 401 InvalidAuthenticationToken exactly as for an expired token.
    ExpiredToken,
    /// A hostile or broken server: this status, headers and body, whatever
    /// was asked (nothing is carried out).
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Carry the request out, then change its JSON answer before sending it
    /// (wrong types, odd dates, foreign nextLinks, duplicate batch ids...).
    Rewrite(fn(&mut serde_json::Value)),
    /// Carry the request out, send the head and half the body, then drop the
    /// connection: a response cut short.
    CutBody,
    /// Answer 200 with a body of this many bytes (past a client's cap).
    HugeBody(usize),
}

impl FaultKind {
    /// A [`FaultKind::Respond`] with a JSON body.
    pub fn json(status: u16, body: serde_json::Value) -> FaultKind {
        FaultKind::Respond {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }
}

/// Pending faults, first match wins.
#[derive(Default)]
pub(crate) struct FaultQueue {
    pending: Vec<Fault>,
}

impl FaultQueue {
    pub(crate) fn push(&mut self, fault: Fault) {
        if fault.times > 0 {
            self.pending.push(fault);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.pending.clear();
    }

    /// Consumes one firing of the first fault matching the request.
    pub(crate) fn take(
        &mut self,
        method: &str,
        raw_path: &str,
        raw_query: &str,
    ) -> Option<FaultKind> {
        let idx = self
            .pending
            .iter()
            .position(|f| f.matches(method, raw_path, raw_query))?;
        let fault = &mut self.pending[idx];
        fault.times -= 1;
        let kind = fault.kind.clone();
        if fault.times == 0 {
            self.pending.remove(idx);
        }
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_and_respond_are_queued_like_the_others() {
        let mut q = FaultQueue::default();
        q.push(Fault::new(
            "/token",
            FaultKind::json(200, serde_json::json!({"a": 1})),
        ));
        q.push(Fault::new(
            "/mailFolders",
            FaultKind::Rewrite(|v| v["value"] = serde_json::json!([42])),
        ));
        assert!(matches!(
            q.take("POST", "/t/oauth2/v2.0/token", ""),
            Some(FaultKind::Respond { status: 200, .. })
        ));
        let Some(FaultKind::Rewrite(f)) = q.take("GET", "/v1.0/me/mailFolders", "") else {
            panic!("the rewrite fault fires");
        };
        let mut v = serde_json::json!({"value": []});
        f(&mut v);
        assert_eq!(v["value"], serde_json::json!([42]));
    }

    #[test]
    fn first_match_wins_and_is_consumed() {
        let mut q = FaultQueue::default();
        q.push(Fault::new("/users", FaultKind::ConnectionReset).method("POST"));
        q.push(Fault::new("/users", FaultKind::MalformedBody).times(2));
        q.push(Fault::new("/messages", FaultKind::ExpiredToken).query_contains("%24skip=100"));
        assert!(matches!(
            q.take("GET", "/v1.0/users", ""),
            Some(FaultKind::MalformedBody)
        ));
        assert!(matches!(
            q.take("post", "/v1.0/users", ""),
            Some(FaultKind::ConnectionReset)
        ));
        assert!(matches!(
            q.take("GET", "/v1.0/users", ""),
            Some(FaultKind::MalformedBody)
        ));
        assert!(q.take("GET", "/v1.0/users", "").is_none());
        assert!(q.take("GET", "/v1.0/me/messages", "%24top=100").is_none());
        assert!(matches!(
            q.take("GET", "/v1.0/me/messages", "%24top=100&%24skip=100"),
            Some(FaultKind::ExpiredToken)
        ));
    }
}
