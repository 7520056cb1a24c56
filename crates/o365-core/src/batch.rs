//! JSON batching (reference §4): up to 20 Graph requests per `$batch` POST, one outcome
//! per request, in the order given.
//!
//! - Items throttled inside a batch (429, or 503, which also means "not carried out") are
//!   sent again in a later batch, after the longest `Retry-After` among them; fresh items
//!   go first, so a throttled item delays only itself. Attempts and total waiting follow
//!   the connection's [`RetryPolicy`].
//! - `depends_on` keeps an item behind another: in the same batch Graph orders them
//!   (`dependsOn`); across batches the dependency has already finished. When it failed,
//!   its dependents fail without being sent (Graph's 424 Failed Dependency).
//! - A lost response to the batch itself is never resent for work that must not repeat:
//!   every item of that batch is then reported as "may have been carried out".

// Server answers reach this module: nothing here may panic or overflow on them.
// (Indexing is on serde_json values, whose reads never panic, and on this
// module's own vectors by their own indices.)
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::env::LogLevel;
use crate::error::Error;
use crate::graph::Graph;
use crate::http::HttpResponse;
use crate::retry::{Idempotency, RetryPolicy};

/// Graph's limit of requests in one batch.
pub const MAX_PER_BATCH: usize = 20;

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: &'static str,
    /// Below the version root, e.g. `users/a@b.example/messages/AAMk%3D/move`.
    pub url: String,
    pub body: Option<Value>,
    /// Index (in the list given to [`run`]) of an earlier request that must succeed first.
    pub depends_on: Option<usize>,
}

impl Request {
    fn new(method: &'static str, url: impl Into<String>, body: Option<Value>) -> Self {
        Request {
            method,
            url: url.into(),
            body,
            depends_on: None,
        }
    }

    pub fn get(url: impl Into<String>) -> Self {
        Request::new("GET", url, None)
    }

    pub fn post(url: impl Into<String>, body: Value) -> Self {
        Request::new("POST", url, Some(body))
    }

    pub fn patch(url: impl Into<String>, body: Value) -> Self {
        Request::new("PATCH", url, Some(body))
    }

    pub fn delete(url: impl Into<String>) -> Self {
        Request::new("DELETE", url, None)
    }

    /// Runs only after request `index` succeeded.
    pub fn after(mut self, index: usize) -> Self {
        self.depends_on = Some(index);
        self
    }
}

/// The response body of a successful item (`null` for 204), or its error.
pub type Outcome = Result<Value, Error>;

struct Run<'g, 'a> {
    graph: &'g Graph<'a>,
    requests: &'g [Request],
    policy: RetryPolicy,
    outcomes: Vec<Option<Outcome>>,
    attempts: Vec<u32>,
    /// Ready to send, in index order (a dependency always precedes its dependents).
    pending: BTreeSet<usize>,
    /// Throttled, with Graph's answer; sent again after `cool_wait`.
    cooling: BTreeMap<usize, Error>,
    cool_wait: Duration,
    waited: Duration,
}

/// Sends `requests` in batches of at most [`MAX_PER_BATCH`]; `what` names the work in
/// progress reports ("moved messages").
pub fn run(
    graph: &Graph,
    requests: &[Request],
    idempotency: Idempotency,
    what: &str,
) -> Vec<Outcome> {
    let mut run = Run {
        graph,
        requests,
        policy: graph.policy(),
        outcomes: vec![None; requests.len()],
        attempts: vec![0; requests.len()],
        pending: (0..requests.len()).collect(),
        cooling: BTreeMap::new(),
        cool_wait: Duration::ZERO,
        waited: Duration::ZERO,
    };
    loop {
        run.fail_orphans();
        let chunk = run.pick();
        if chunk.is_empty() {
            if run.cooling.is_empty() {
                break;
            }
            run.cool_down();
            continue;
        }
        run.send(&chunk, idempotency);
        let done = run.outcomes.iter().filter(|o| o.is_some()).count();
        graph
            .env()
            .progress(done as u32, requests.len() as u32, what);
    }
    run.outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(Error::Protocol("The request was never sent.".into()))))
        .collect()
}

impl Run<'_, '_> {
    fn dependency(&self, i: usize) -> Option<usize> {
        self.requests[i].depends_on.filter(|&d| d < i)
    }

    /// Dependents of a failed request fail without being sent.
    fn fail_orphans(&mut self) {
        for i in self.pending.clone() {
            let Some(d) = self.dependency(i) else {
                continue;
            };
            if let Some(Err(e)) = &self.outcomes[d] {
                let e = dependency_failed(e);
                self.pending.remove(&i);
                self.outcomes[i] = Some(Err(e));
            }
        }
    }

    /// Up to 20 pending items whose dependency is done or in the same batch.
    fn pick(&self) -> Vec<usize> {
        let mut chunk = Vec::new();
        for &i in &self.pending {
            if chunk.len() == MAX_PER_BATCH {
                break;
            }
            let ready = match self.dependency(i) {
                None => true,
                Some(d) => matches!(self.outcomes[d], Some(Ok(_))) || chunk.contains(&d),
            };
            if ready {
                chunk.push(i);
            }
        }
        chunk
    }

    /// Waits for the throttled items' longest Retry-After, or gives up on them when
    /// that would pass the retry budget.
    fn cool_down(&mut self) {
        let wait = self.cool_wait;
        let cooling = std::mem::take(&mut self.cooling);
        self.cool_wait = Duration::ZERO;
        let past_budget = self.waited.saturating_add(wait) > self.policy.max_total_wait;
        let past_deadline = self
            .policy
            .deadline
            .filter(|d| wait >= d.remaining(self.graph.env()));
        if past_budget || past_deadline.is_some() {
            let bound = match past_deadline {
                Some(d) if !past_budget => {
                    format!("the command's {} s deadline", d.total.as_secs())
                }
                _ => format!(
                    "the {} s retry budget",
                    self.policy.max_total_wait.as_secs()
                ),
            };
            for (i, e) in cooling {
                self.outcomes[i] = Some(Err(Error::Throttled {
                    status: e.status_code(),
                    message: format!(
                        "{} Not retried: waiting {:.1} s more would pass {bound}. Try again later.",
                        e.user_message(),
                        wait.as_secs_f64(),
                    ),
                }));
            }
            return;
        }
        self.graph.env().log(
            LogLevel::Warn,
            &format!(
                "{} batched request(s) throttled; retrying in {:.1} s",
                cooling.len(),
                wait.as_secs_f64()
            ),
        );
        crate::retry::wait_with_progress(self.graph.env(), wait, "throttled $batch items");
        self.waited = self.waited.saturating_add(wait);
        self.pending.extend(cooling.into_keys());
    }

    fn send(&mut self, chunk: &[usize], idempotency: Idempotency) {
        for i in chunk {
            self.pending.remove(i);
        }
        let body =
            json!({"requests": chunk.iter().map(|&i| self.item(i, chunk)).collect::<Vec<_>>()});
        let answers = self
            .graph
            .post_json("$batch", &body, idempotency)
            .and_then(|v| answers_by_id(&v, chunk));
        let answers = match answers {
            Ok(a) => a,
            Err(e) => {
                let fatal = is_fatal(&e);
                for &i in chunk {
                    self.outcomes[i] = Some(Err(lost(&e, idempotency)));
                }
                if fatal {
                    // The next batch would fail the same way: stop here.
                    for i in std::mem::take(&mut self.pending)
                        .into_iter()
                        .chain(std::mem::take(&mut self.cooling).into_keys())
                    {
                        self.outcomes[i] = Some(Err(e.clone()));
                    }
                }
                return;
            }
        };
        if !answers.unknown.is_empty() {
            self.graph.env().log(
                LogLevel::Warn,
                &format!(
                    "the $batch answer has answers to requests it did not carry (ids {}); ignored",
                    answers.unknown.join(", ")
                ),
            );
        }
        let responses = answers.items;
        let may_have = match idempotency {
            Idempotency::NotIdempotent => {
                " It may have been carried out; check before running it again."
            }
            Idempotency::Idempotent => "",
        };
        let mut failed_dependency = Vec::new();
        for &i in chunk {
            if answers.duplicates.contains(&i) {
                self.outcomes[i] = Some(Err(Error::Protocol(format!(
                    "The $batch response answers this request more than once, so its outcome is unknown.{may_have}"
                ))));
                continue;
            }
            let Some(item) = responses.get(&i) else {
                self.outcomes[i] = Some(Err(Error::Protocol(format!(
                    "The $batch response has no answer for this request.{may_have}"
                ))));
                continue;
            };
            if item.status == 0 {
                self.outcomes[i] = Some(Err(Error::Protocol(format!(
                    "The $batch response's answer to this request has no valid status.{may_have}"
                ))));
                continue;
            }
            self.attempts[i] = self.attempts[i].saturating_add(1);
            match item.status {
                200..=299 => self.outcomes[i] = Some(Ok(item.body.clone())),
                424 => failed_dependency.push(i),
                429 | 503 => self.throttled(i, item),
                504 if idempotency == Idempotency::Idempotent => self.throttled(i, item),
                _ => self.outcomes[i] = Some(Err(item.error())),
            }
        }
        // Last, because a dependency's fate is known only once the whole batch is read.
        for i in failed_dependency {
            let d = self.dependency(i);
            match d {
                Some(d) if self.cooling.contains_key(&d) => {
                    // Not run because its dependency was throttled: goes again with it.
                    self.attempts[i] = self.attempts[i].saturating_sub(1);
                    self.cooling.insert(i, responses[&i].error());
                }
                Some(d) if matches!(self.outcomes[d], Some(Err(_))) => {
                    let Some(Err(e)) = &self.outcomes[d] else {
                        unreachable!()
                    };
                    self.outcomes[i] = Some(Err(dependency_failed(e)));
                }
                _ => self.outcomes[i] = Some(Err(responses[&i].error())),
            }
        }
    }

    fn throttled(&mut self, i: usize, item: &Item) {
        if self.attempts[i] >= self.policy.max_attempts {
            self.outcomes[i] = Some(Err(Error::Throttled {
                status: item.status,
                message: format!(
                    "{} Graph answered HTTP {} to this request inside $batch {} times; gave up after {} attempts. Try again later.",
                    item.error().user_message(),
                    item.status,
                    self.attempts[i],
                    self.policy.max_attempts
                ),
            }));
            return;
        }
        let random = self
            .graph
            .env()
            .random_bytes(1)
            .first()
            .copied()
            .unwrap_or(128);
        let wait = item.retry_after().unwrap_or_else(|| {
            self.policy
                .backoff(self.attempts[i].saturating_sub(1), random)
        });
        self.cool_wait = self.cool_wait.max(wait);
        self.cooling.insert(i, item.error());
    }

    fn item(&self, i: usize, chunk: &[usize]) -> Value {
        let r = &self.requests[i];
        let mut item = json!({
            "id": id_of(i),
            "method": r.method,
            "url": format!("/{}", r.url.trim_start_matches('/')),
        });
        if let Some(body) = &r.body {
            item["body"] = body.clone();
            item["headers"] = json!({"Content-Type": "application/json"});
        }
        if let Some(d) = self.dependency(i).filter(|d| chunk.contains(d)) {
            item["dependsOn"] = json!([id_of(d)]);
        }
        item
    }
}

fn id_of(i: usize) -> String {
    i.saturating_add(1).to_string()
}

/// One answer inside the batch response.
struct Item {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Item {
    fn as_response(&self) -> HttpResponse {
        HttpResponse {
            status: self.status,
            headers: self.headers.clone(),
            body: if self.body.is_null() {
                Vec::new()
            } else {
                self.body.to_string().into_bytes()
            },
        }
    }

    fn error(&self) -> Error {
        Error::from_graph_response(&self.as_response())
    }

    fn retry_after(&self) -> Option<Duration> {
        crate::retry::retry_after(&self.as_response())
    }
}

/// The batch response, read against what was asked.
struct Answers {
    /// By request index; answers may come in any order.
    items: HashMap<usize, Item>,
    /// Requests answered more than once: their outcome is unknown.
    duplicates: HashSet<usize>,
    /// Ids that name no request of this batch (clipped, for the log).
    unknown: Vec<String>,
}

fn answers_by_id(v: &Value, chunk: &[usize]) -> Result<Answers, Error> {
    let items = v
        .get("responses")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::Protocol("The $batch response has no responses array.".into()))?;
    let mut answers = Answers {
        items: HashMap::new(),
        duplicates: HashSet::new(),
        unknown: Vec::new(),
    };
    for item in items {
        let raw_id = item.get("id");
        let index = raw_id
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1))
            .filter(|i| chunk.contains(i));
        let Some(index) = index else {
            let shown = raw_id.map_or_else(|| "(none)".to_string(), Value::to_string);
            answers.unknown.push(shown.chars().take(40).collect());
            continue;
        };
        let headers = item
            .get("headers")
            .and_then(Value::as_object)
            .map(|m: &Map<String, Value>| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let answer = Item {
            status: item
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .filter(|s| (100..=599).contains(s))
                .unwrap_or(0),
            headers,
            body: item.get("body").cloned().unwrap_or(Value::Null),
        };
        if answers.items.insert(index, answer).is_some() {
            answers.duplicates.insert(index);
        }
    }
    Ok(answers)
}

fn dependency_failed(e: &Error) -> Error {
    Error::Graph {
        status: 424,
        code: "FailedDependency".into(),
        message: format!(
            "Not carried out: the request it depends on failed ({}).",
            e.user_message()
        ),
        hint: None,
    }
}

/// A failure of the batch request itself, as each of its items sees it. Graph
/// may have carried out the batch when the answer to it is lost or unusable.
fn lost(e: &Error, idempotency: Idempotency) -> Error {
    match e {
        Error::Protocol(m) | Error::TooLarge { message: m, .. }
            if idempotency == Idempotency::NotIdempotent =>
        {
            Error::Protocol(format!(
                "{m} This item was part of that $batch and may have been carried out; check before running it again."
            ))
        }
        Error::Network(m) if idempotency == Idempotency::NotIdempotent => Error::Network(format!(
            "{m} This item was part of that $batch and may have been carried out."
        )),
        Error::Graph { status: 504, .. } if idempotency == Idempotency::NotIdempotent => {
            Error::Network(
                "Graph answered the $batch with 504 Gateway Timeout; this item may have been carried out. Check before running it again.".into(),
            )
        }
        other => other.clone(),
    }
}

/// Errors that every later batch would hit too.
fn is_fatal(e: &Error) -> bool {
    matches!(
        e,
        Error::Token { .. }
            | Error::Denied(_)
            | Error::Graph {
                status: 401 | 403,
                ..
            }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeEnv, app_connection, json_response};

    fn token() -> Result<HttpResponse, crate::http::TransportError> {
        json_response(200, json!({"access_token": "at", "expires_in": 3600}))
    }

    fn sent_batch(env: &FakeEnv, n: usize) -> Value {
        serde_json::from_slice(&env.sent()[n].body).unwrap()
    }

    fn moves(n: usize) -> Vec<Request> {
        (0..n)
            .map(|i| {
                Request::post(
                    format!("users/a@b.example/messages/m{i}/move"),
                    json!({"destinationId": "junkemail"}),
                )
            })
            .collect()
    }

    fn ok(id: usize) -> Value {
        json!({"id": id.to_string(), "status": 201, "headers": {"Content-Type": "application/json"}, "body": {"id": format!("new{}", id - 1)}})
    }

    #[test]
    fn twenty_per_batch_and_one_outcome_each() {
        let first: Vec<Value> = (1..=20).rev().map(ok).collect(); // any order
        let second: Vec<Value> = (21..=25).map(ok).collect();
        let env = FakeEnv::new(vec![
            token(),
            json_response(200, json!({"responses": first})),
            json_response(200, json!({"responses": second})),
        ]);
        let c = app_connection();
        let g = Graph::new(&env, &c, RetryPolicy::default());
        let out = run(&g, &moves(25), Idempotency::NotIdempotent, "moved");
        assert_eq!(out.len(), 25);
        for (i, o) in out.iter().enumerate() {
            assert_eq!(o.as_ref().unwrap()["id"], format!("new{i}"));
        }
        let b = sent_batch(&env, 1);
        assert_eq!(b["requests"].as_array().unwrap().len(), 20);
        assert_eq!(
            b["requests"][0]["url"],
            "/users/a@b.example/messages/m0/move"
        );
        assert_eq!(
            b["requests"][0]["headers"]["Content-Type"],
            "application/json"
        );
        assert_eq!(env.sent()[1].url, "https://graph.microsoft.com/v1.0/$batch");
        assert_eq!(sent_batch(&env, 2)["requests"].as_array().unwrap().len(), 5);
    }

    #[test]
    fn throttled_items_go_again_after_the_longest_retry_after() {
        let env = FakeEnv::new(vec![
            token(),
            json_response(
                200,
                json!({"responses": [
                    ok(1),
                    {"id": "2", "status": 429, "headers": {"Retry-After": "2"}, "body": {"error": {"code": "ApplicationThrottled", "message": "x"}}},
                    {"id": "3", "status": 429, "headers": {"retry-after": "7"}, "body": {"error": {"code": "ApplicationThrottled", "message": "x"}}},
                    {"id": "4", "status": 404, "body": {"error": {"code": "ErrorItemNotFound", "message": "gone"}}},
                ]}),
            ),
            json_response(200, json!({"responses": [ok(2), ok(3)]})),
        ]);
        let c = app_connection();
        let g = Graph::new(&env, &c, RetryPolicy::default());
        let out = run(&g, &moves(4), Idempotency::NotIdempotent, "moved");
        assert_eq!(env.slept(), vec![Duration::from_secs(7)]);
        let retried = sent_batch(&env, 2);
        let ids: Vec<&str> = retried["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec!["2", "3"]);
        assert_eq!(out[1].as_ref().unwrap()["id"], "new1");
        assert_eq!(out[2].as_ref().unwrap()["id"], "new2");
        let e = out[3].as_ref().unwrap_err();
        assert_eq!(
            (e.status_code(), e.code()),
            (404, Some("ErrorItemNotFound"))
        );
    }

    #[test]
    fn fresh_items_are_not_held_back_by_throttled_ones() {
        let mut first: Vec<Value> = (2..=20).map(ok).collect();
        first.push(json!({"id": "1", "status": 429, "headers": {"Retry-After": "1"}, "body": {}}));
        let env = FakeEnv::new(vec![
            token(),
            json_response(200, json!({"responses": first})),
            json_response(200, json!({"responses": [ok(21)]})),
            json_response(200, json!({"responses": [ok(1)]})),
        ]);
        let c = app_connection();
        let g = Graph::new(&env, &c, RetryPolicy::default());
        let out = run(&g, &moves(21), Idempotency::NotIdempotent, "moved");
        assert!(out.iter().all(Result::is_ok));
        // Item 21 went out before the wait; item 1 after it.
        assert_eq!(sent_batch(&env, 2)["requests"][0]["id"], "21");
        assert_eq!(sent_batch(&env, 3)["requests"][0]["id"], "1");
        assert_eq!(env.slept(), vec![Duration::from_secs(1)]);
    }

    #[test]
    fn throttling_that_outlasts_the_budget_fails_the_item_without_waiting() {
        let env = FakeEnv::new(vec![
            token(),
            json_response(
                200,
                json!({"responses": [ok(1), {"id": "2", "status": 429, "headers": {"Retry-After": "900"}, "body": {}}]}),
            ),
        ]);
        let c = app_connection();
        let g = Graph::new(&env, &c, RetryPolicy::default());
        let out = run(&g, &moves(2), Idempotency::NotIdempotent, "moved");
        assert!(out[0].is_ok());
        let e = out[1].as_ref().unwrap_err();
        assert_eq!(e.status_code(), 429);
        assert!(e.to_string().contains("retry budget"), "{e}");
        assert!(env.slept().is_empty());
    }

    #[test]
    fn dependents_of_a_failed_request_get_424_and_follow_a_throttled_one() {
        // 0 <- 1 ; 2 <- 3. Item 0 fails, item 2 is throttled once.
        let reqs = vec![
            Request::post("me/messages", json!({})),
            Request::post("me/messages/x/send", json!({})).after(0),
            Request::post("me/messages", json!({})),
            Request::post("me/messages/y/send", json!({})).after(2),
        ];
        let env = FakeEnv::new(vec![
            token(),
            json_response(
                200,
                json!({"responses": [
                    {"id": "1", "status": 400, "body": {"error": {"code": "ErrorInvalidRecipients", "message": "bad"}}},
                    {"id": "2", "status": 424, "body": {"error": {"code": "FailedDependency", "message": "dep"}}},
                    {"id": "3", "status": 429, "headers": {"Retry-After": "1"}, "body": {}},
                    {"id": "4", "status": 424, "body": {"error": {"code": "FailedDependency", "message": "dep"}}},
                ]}),
            ),
            json_response(
                200,
                json!({"responses": [ok(3), {"id": "4", "status": 202, "body": null}]}),
            ),
        ]);
        let c = app_connection();
        let g = Graph::new(&env, &c, RetryPolicy::default());
        let out = run(&g, &reqs, Idempotency::NotIdempotent, "sent");
        let first = sent_batch(&env, 1);
        assert_eq!(first["requests"][1]["dependsOn"], json!(["1"]));
        assert_eq!(first["requests"][3]["dependsOn"], json!(["3"]));
        assert_eq!(
            out[0].as_ref().unwrap_err().code(),
            Some("ErrorInvalidRecipients")
        );
        let e = out[1].as_ref().unwrap_err();
        assert_eq!(e.status_code(), 424);
        assert!(e.user_message().contains("ErrorInvalidRecipients"), "{e}");
        assert!(out[2].is_ok() && out[3].is_ok());
        let retried = sent_batch(&env, 2);
        assert_eq!(retried["requests"][1]["dependsOn"], json!(["3"]));
    }

    #[test]
    fn dependency_in_an_earlier_batch_is_not_named_again() {
        let mut reqs = moves(20);
        reqs.push(Request::delete("me/messages/z").after(0));
        reqs.push(Request::delete("me/messages/w").after(1));
        let mut first: Vec<Value> = (2..=20).map(ok).collect();
        first.push(json!({"id": "1", "status": 404, "body": {"error": {"code": "ErrorItemNotFound", "message": "no"}}}));
        let env = FakeEnv::new(vec![
            token(),
            json_response(200, json!({"responses": first})),
            json_response(200, json!({"responses": [{"id": "22", "status": 204}]})),
        ]);
        let c = app_connection();
        let g = Graph::new(&env, &c, RetryPolicy::default());
        let out = run(&g, &reqs, Idempotency::NotIdempotent, "x");
        let second = sent_batch(&env, 2);
        assert_eq!(second["requests"].as_array().unwrap().len(), 1);
        assert!(second["requests"][0].get("dependsOn").is_none());
        assert_eq!(out[20].as_ref().unwrap_err().status_code(), 424);
        assert_eq!(out[21].as_ref().unwrap(), &Value::Null);
    }

    #[test]
    fn a_lost_batch_response_is_not_resent_for_moves() {
        let env = FakeEnv::new(vec![
            token(),
            Err(crate::http::TransportError::Network("reset".into())),
        ]);
        let c = app_connection();
        let g = Graph::new(&env, &c, RetryPolicy::default());
        let out = run(&g, &moves(3), Idempotency::NotIdempotent, "moved");
        assert_eq!(env.sent().len(), 2);
        for o in &out {
            let e = o.as_ref().unwrap_err();
            assert!(e.to_string().contains("may have been carried out"), "{e}");
        }
    }

    #[test]
    fn a_refused_batch_stops_the_rest() {
        let env = FakeEnv::new(vec![
            token(),
            json_response(
                403,
                json!({"error": {"code": "ErrorAccessDenied", "message": "Access is denied."}}),
            ),
        ]);
        let c = app_connection();
        let g = Graph::new(&env, &c, RetryPolicy::default());
        let out = run(&g, &moves(45), Idempotency::NotIdempotent, "moved");
        assert_eq!(env.sent().len(), 2, "no second batch after a 403");
        assert!(
            out.iter()
                .all(|o| o.as_ref().unwrap_err().status_code() == 403)
        );
    }

    fn run_moves(
        answer: Result<HttpResponse, crate::http::TransportError>,
        n: usize,
    ) -> Vec<Outcome> {
        let env = FakeEnv::new(vec![token(), answer]);
        let c = app_connection();
        let g = Graph::new(&env, &c, RetryPolicy::default());
        let out = run(&g, &moves(n), Idempotency::NotIdempotent, "moved");
        assert_eq!(env.sent().len(), 2, "nothing is sent again");
        out
    }

    fn may_have_been_carried_out(o: &Outcome) -> bool {
        o.as_ref()
            .is_err_and(|e| e.to_string().contains("may have been carried out"))
    }

    #[test]
    fn duplicate_and_missing_answers_are_reported_as_possibly_done() {
        let out = run_moves(
            json_response(
                200,
                json!({"responses": [
                    ok(1),
                    {"id": "2", "status": 404, "body": {"error": {"code": "ErrorItemNotFound", "message": "gone"}}},
                    ok(2),
                    {"id": "99", "status": 201, "body": {}},
                    {"id": "4", "status": "201", "body": {}},
                ]}),
            ),
            4,
        );
        assert!(out[0].is_ok());
        assert!(
            may_have_been_carried_out(&out[1]),
            "duplicate: {:?}",
            out[1]
        );
        assert!(may_have_been_carried_out(&out[2]), "missing: {:?}", out[2]);
        assert!(
            may_have_been_carried_out(&out[3]),
            "no valid status: {:?}",
            out[3]
        );
    }

    #[test]
    fn an_unusable_batch_answer_is_reported_as_possibly_done() {
        let not_json = Ok(HttpResponse {
            status: 200,
            headers: vec![],
            body: b"<html>oops</html>".to_vec(),
        });
        for answer in [
            json_response(200, json!({"responses": {"1": ok(1)}})),
            json_response(200, json!([ok(1)])),
            not_json,
        ] {
            let out = run_moves(answer, 2);
            assert!(out.iter().all(may_have_been_carried_out), "{out:?}");
        }
    }

    #[test]
    fn a_huge_retry_after_inside_a_batch_keeps_the_other_outcomes() {
        let out = run_moves(
            json_response(
                200,
                json!({"responses": [ok(1), {"id": "2", "status": 429, "headers": {"Retry-After": "1e20"}, "body": {}}]}),
            ),
            2,
        );
        assert_eq!(out[0].as_ref().unwrap()["id"], "new0");
        let e = out[1].as_ref().unwrap_err();
        assert!(e.to_string().contains("retry budget"), "{e}");
    }
}
