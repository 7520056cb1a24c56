//! Graph calls for one command: token, the retry policy, one forced token refresh on a 401
//! `InvalidAuthenticationToken`, error bodies, and `@odata.nextLink` paging.

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

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::auth::TokenProvider;
use crate::cloud::Cloud;
use crate::env::Env;
use crate::error::Error;
use crate::http::{self, HttpRequest, HttpResponse};
use crate::model::Connection;
use crate::retry::{Idempotency, RetryPolicy};

/// Pages followed at most for one listing, whatever the item cap.
pub const MAX_PAGES: usize = 200;

pub struct Graph<'a> {
    env: &'a dyn Env,
    tokens: TokenProvider<'a>,
    policy: RetryPolicy,
    /// `https://graph.microsoft.com`
    origin: String,
    /// `https://graph.microsoft.com/v1.0`
    base: String,
    /// Mailbox names (`me`, `users/<upn>`) by their Graph ids, looked up to check nextLinks.
    mailbox_ids: RefCell<HashMap<String, String>>,
}

impl<'a> Graph<'a> {
    pub fn new(env: &'a dyn Env, conn: &'a Connection, policy: RetryPolicy) -> Self {
        let cloud = Cloud::of(conn.environment);
        let version = match conn.api_version.trim() {
            "" => "v1.0",
            v => v,
        };
        Graph {
            env,
            tokens: TokenProvider::new(env, conn, policy),
            policy,
            origin: cloud.graph_origin(),
            base: format!("{}/{}", cloud.graph_origin(), version),
            mailbox_ids: RefCell::default(),
        }
    }

    /// Whether requests go to Graph's beta endpoint (which has properties v1.0 lacks).
    pub fn is_beta(&self) -> bool {
        self.base.ends_with("/beta")
    }

    pub fn tokens(&self) -> &TokenProvider<'a> {
        &self.tokens
    }

    pub fn env(&self) -> &'a dyn Env {
        self.env
    }

    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// Absolute URL of a path below the version root (`me/mailFolders`).
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}/{}", self.base, path_and_query.trim_start_matches('/'))
    }

    /// Sends a request with a bearer token; on 401 InvalidAuthenticationToken gets a new
    /// token once and repeats. Error statuses become [`Error::Graph`].
    pub fn send(
        &self,
        request: HttpRequest,
        idempotency: Idempotency,
    ) -> Result<HttpResponse, Error> {
        let token = self.tokens.access_token()?;
        let response = self.send_with(&request, &token, idempotency)?;
        let response = if response.status == 401 && is_invalid_token(&response) {
            let fresh = self.tokens.renew_refused()?;
            let again = self.send_with(&request, &fresh, idempotency)?;
            if again.status == 401 {
                // Refused twice: do not hand this token to the next invocation either.
                self.tokens.forget();
            }
            again
        } else {
            response
        };
        if response.is_success() {
            Ok(response)
        } else {
            Err(Error::from_graph_response(&response))
        }
    }

    fn send_with(
        &self,
        request: &HttpRequest,
        token: &str,
        idempotency: Idempotency,
    ) -> Result<HttpResponse, Error> {
        let mut request = request.clone();
        request
            .headers
            .push(("Authorization".into(), format!("Bearer {token}")));
        self.policy.send(self.env, &request, idempotency)
    }

    pub fn get_json(&self, path_and_query: &str) -> Result<Value, Error> {
        self.get_json_with(path_and_query, &[])
    }

    /// A GET with extra headers (`Prefer`), parsed as JSON.
    pub fn get_json_with(
        &self,
        path_and_query: &str,
        headers: &[(String, String)],
    ) -> Result<Value, Error> {
        let response = self.send(
            self.get_request(&self.url(path_and_query), headers),
            Idempotency::Idempotent,
        )?;
        parse_json(&response)
    }

    /// A GET whose body is not JSON (`$value`): the bytes and the content type. The
    /// body is capped at `max_bytes`, counted as it arrives (never the declared size).
    pub fn get_bytes(
        &self,
        path_and_query: &str,
        max_bytes: u64,
    ) -> Result<(Vec<u8>, String), Error> {
        let response = self.send(
            HttpRequest::new("GET", self.url(path_and_query)).max_response_bytes(max_bytes),
            Idempotency::Idempotent,
        )?;
        // A transport that ignored the cap still does not get past it.
        let arrived = u64::try_from(response.body.len()).unwrap_or(u64::MAX);
        if arrived > max_bytes {
            return Err(Error::TooLarge {
                limit: max_bytes,
                message: format!(
                    "The response from {} is larger than the {} cap.",
                    crate::retry::host_of(&self.origin),
                    crate::retry::bytes_text(max_bytes)
                ),
            });
        }
        let content_type = response
            .header("Content-Type")
            .unwrap_or("application/octet-stream")
            .to_string();
        Ok((response.body, content_type))
    }

    fn get_request(&self, url: &str, headers: &[(String, String)]) -> HttpRequest {
        let mut request = HttpRequest::new("GET", url);
        request.headers.extend(headers.iter().cloned());
        request
    }

    pub fn post_json(
        &self,
        path: &str,
        body: &Value,
        idempotency: Idempotency,
    ) -> Result<Value, Error> {
        let response = self.send(
            HttpRequest::new("POST", self.url(path)).json_body(body),
            idempotency,
        )?;
        parse_json(&response)
    }

    /// Every item of a collection, following `@odata.nextLink` (see
    /// [`Graph::for_each_page`]), up to `max_items` and [`MAX_PAGES`]. Any stop
    /// is an error; [`Graph::get_all_partial`] keeps the pages read before it.
    pub fn get_all(&self, path_and_query: &str, max_items: usize) -> Result<Vec<Value>, Error> {
        let listed = self.get_all_partial(path_and_query, max_items)?;
        match listed.stopped {
            Some(e) => Err(e),
            None => Ok(listed.items),
        }
    }

    /// [`Graph::get_all`], but a stop after the first page keeps the items read
    /// so far beside the reason (a failure on the first page is the error).
    pub fn get_all_partial(&self, path_and_query: &str, max_items: usize) -> Result<Listed, Error> {
        let mut items = Vec::new();
        let mut pages = 0usize;
        let walked = self.for_each_page(path_and_query, &[], |page, _| {
            pages = pages.saturating_add(1);
            let room = max_items.saturating_sub(items.len());
            items.extend(page.into_iter().take(room));
            Ok(items.len() < max_items)
        });
        match walked {
            Ok(()) => Ok(Listed {
                items,
                stopped: None,
            }),
            Err(e) if pages > 0 => Ok(Listed {
                items,
                stopped: Some(e),
            }),
            Err(e) => Err(e),
        }
    }

    /// Hands each page's items (objects, every one) to `visit` (with whether
    /// another page follows), following `@odata.nextLink` as given while `visit`
    /// returns true, up to [`MAX_PAGES`]. `headers` go with every page (a `Prefer`
    /// must, or later pages would change id form). A nextLink must continue this
    /// request: same origin, version, path and mailbox, no fragment, no query
    /// options the request did not have, the same `$filter` / `$search`; and it
    /// must not lead back to a page already read.
    pub fn for_each_page(
        &self,
        path_and_query: &str,
        headers: &[(String, String)],
        mut visit: impl FnMut(Vec<Value>, bool) -> Result<bool, Error>,
    ) -> Result<(), Error> {
        let first = self.url(path_and_query);
        let mut url = first.clone();
        let mut visited = HashSet::new();
        // Pages by their decoded path and query: a loop may re-encode the link.
        let canonical = |u: &str| format!("{:?}", (http::origin(u), split_target(u)));
        for page_no in 1..=MAX_PAGES {
            visited.insert(canonical(&url));
            let response = self.send(self.get_request(&url, headers), Idempotency::Idempotent)?;
            let (values, next) = collection_page(parse_json(&response)?, page_no)?;
            if !visit(values, next.is_some())? {
                return Ok(());
            }
            let Some(next) = next else {
                return Ok(());
            };
            if visited.contains(&canonical(&next)) {
                return Err(Error::Protocol(format!(
                    "Graph's @odata.nextLink after page {page_no} leads back to a page already read (a paging loop); stopped there."
                )));
            }
            self.check_next_link(&first, &next)?;
            url = next;
        }
        Err(Error::Protocol(format!(
            "Stopped after {MAX_PAGES} pages of results; narrow the request."
        )))
    }

    /// Refuses a nextLink that does not continue `first` (see [`Graph::for_each_page`]).
    fn check_next_link(&self, first: &str, next: &str) -> Result<(), Error> {
        let refuse = |why: String| {
            Err(Error::Protocol(format!(
                "Refusing to follow @odata.nextLink: {why}. The pages read before it are kept."
            )))
        };
        let next_origin = http::origin(next).unwrap_or_else(|| "(no origin)".to_string());
        if next_origin != self.origin {
            return refuse(format!("it leads to {next_origin}, not {}", self.origin));
        }
        if next.contains('#') {
            return refuse("it carries a fragment (#...)".to_string());
        }
        let (first_path, first_query) = split_target(first);
        let (next_path, next_query) = split_target(next);
        let (first_box, first_rest) = mailbox_and_rest(&first_path);
        let (next_box, next_rest) = mailbox_and_rest(&next_path);
        if first_rest != next_rest {
            return refuse(format!(
                "its path /{} is not the request's /{}",
                next_rest.join("/"),
                first_rest.join("/")
            ));
        }
        if first_box != next_box && !self.same_mailbox(first_box.as_deref(), next_box.as_deref()) {
            return refuse(format!(
                "it names mailbox '{}', not the requested '{}'",
                next_box.as_deref().unwrap_or("(none)"),
                first_box.as_deref().unwrap_or("(none)")
            ));
        }
        for (key, value) in &next_query {
            let original = first_query.iter().find(|(k, _)| k == key);
            match original {
                None if !PAGING_KEYS.contains(&key.as_str()) => {
                    return refuse(format!("it adds the query option {key}"));
                }
                Some((_, v)) if KEPT_KEYS.contains(&key.as_str()) && v.trim() != value.trim() => {
                    return refuse(format!("it changes {key}"));
                }
                _ => {}
            }
        }
        for key in KEPT_KEYS {
            let had = first_query.iter().any(|(k, _)| k == key);
            if had && !next_query.iter().any(|(k, _)| k == key) {
                return refuse(format!("it drops {key}"));
            }
        }
        Ok(())
    }

    /// A GET of an absolute URL (a delta link), parsed as JSON.
    pub fn get_json_url(&self, url: &str, headers: &[(String, String)]) -> Result<Value, Error> {
        let response = self.send(self.get_request(url, headers), Idempotency::Idempotent)?;
        parse_json(&response)
    }

    /// Refuses a delta link that is not a round of delta on a folder's messages
    /// of `mailbox_path` (`me`, `users/<x>`) on this cloud's Graph: another
    /// origin, API version, mailbox or resource, a fragment, or (for links Graph
    /// gave, `from_graph`) query options other than its state tokens.
    pub fn check_delta_link(
        &self,
        mailbox_path: &str,
        link: &str,
        from_graph: bool,
    ) -> Result<(), Error> {
        let refuse = |why: String| Err(Error::Protocol(format!("Refusing the delta link: {why}.")));
        let origin = http::origin(link).unwrap_or_else(|| "(no origin)".to_string());
        if !link.starts_with(&format!("{}/", self.base)) || origin != self.origin {
            return refuse(format!("it is not on {}", self.base));
        }
        if link.contains('#') {
            return refuse("it carries a fragment (#...)".to_string());
        }
        let (path, query) = split_target(link);
        let (mailbox, rest) = mailbox_and_rest(&path);
        // The same decoding for the wanted mailbox as for the link's.
        let (ours, _) = split_target(&format!("https://host/version/{mailbox_path}/x"));
        let (wanted, _) = mailbox_and_rest(&ours);
        let same = mailbox.as_deref() == wanted.as_deref()
            || self.same_mailbox(mailbox.as_deref(), wanted.as_deref());
        if !same {
            return refuse(format!(
                "it names mailbox '{}', not '{}'",
                mailbox.as_deref().unwrap_or("(none)"),
                mailbox_path
            ));
        }
        let shape_ok = matches!(rest.as_slice(),
            [_, folders, _, messages, delta]
                if folders == "mailfolders" && messages == "messages" && delta == "delta");
        if !shape_ok {
            return refuse(format!(
                "its path /{} is not a folder's messages/delta",
                rest.join("/")
            ));
        }
        if from_graph
            && let Some((key, _)) = query
                .iter()
                .find(|(k, _)| k != "$skiptoken" && k != "$deltatoken")
        {
            return refuse(format!("it adds the query option {key}"));
        }
        Ok(())
    }

    /// Whether two mailbox names (`me`, `users/<upn or id>`) are one mailbox: Graph
    /// writes nextLinks with the mailbox's id where the request had its address, so
    /// both are looked up (once each) when they differ.
    fn same_mailbox(&self, a: Option<&str>, b: Option<&str>) -> bool {
        let (Some(a), Some(b)) = (a, b) else {
            return false;
        };
        match (self.mailbox_id(a), self.mailbox_id(b)) {
            (Some(x), Some(y)) => x.eq_ignore_ascii_case(&y),
            _ => false,
        }
    }

    fn mailbox_id(&self, mailbox: &str) -> Option<String> {
        if let Some(id) = self.mailbox_ids.borrow().get(mailbox) {
            return Some(id.clone());
        }
        // The signed-in user's object id is in the token: no lookup (and no
        // User.Read permission) needed for the common case.
        let from_token = (mailbox == "me")
            .then(|| self.tokens.access_token().ok())
            .flatten()
            .and_then(|t| crate::auth::jwt::claims(&t))
            .and_then(|c| c.get("oid")?.as_str().map(str::to_ascii_lowercase));
        if let Some(id) = from_token {
            self.mailbox_ids
                .borrow_mut()
                .insert(mailbox.to_string(), id.clone());
            return Some(id);
        }
        let path = match mailbox {
            "me" => "me?$select=id".to_string(),
            other => format!(
                "users/{}?$select=id",
                http::segment(other.trim_start_matches("users/"))
            ),
        };
        let id = self
            .get_json(&path)
            .ok()?
            .get("id")?
            .as_str()?
            .to_ascii_lowercase();
        self.mailbox_ids
            .borrow_mut()
            .insert(mailbox.to_string(), id.clone());
        Some(id)
    }
}

/// What a listing read, and why it stopped early when it did.
#[derive(Debug)]
pub struct Listed {
    pub items: Vec<Value>,
    pub stopped: Option<Error>,
}

/// Query options a nextLink may add: Graph's paging state.
const PAGING_KEYS: [&str; 2] = ["$skip", "$skiptoken"];
/// Query options a nextLink must keep unchanged: they decide which items come.
const KEPT_KEYS: [&str; 2] = ["$filter", "$search"];

/// A page's items and its nextLink, checked: an object with a `value` array of
/// objects, and a nextLink that is a string when present.
fn collection_page(page: Value, page_no: usize) -> Result<(Vec<Value>, Option<String>), Error> {
    let Value::Object(mut page) = page else {
        return Err(Error::Protocol(format!(
            "Page {page_no} of a Graph collection is not a JSON object."
        )));
    };
    let next = match page.remove("@odata.nextLink") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            return Err(Error::Protocol(format!(
                "Page {page_no} of a Graph collection has an @odata.nextLink that is not a string."
            )));
        }
    };
    let values = match page.remove("value") {
        Some(Value::Array(values)) => values,
        _ => {
            return Err(Error::Protocol(
                "A Graph collection came back without a value array.".into(),
            ));
        }
    };
    if let Some((i, bad)) = values.iter().enumerate().find(|(_, v)| !v.is_object()) {
        return Err(Error::Protocol(format!(
            "Item {} of page {page_no} of a Graph collection is {}, not an object.",
            i.saturating_add(1),
            json_kind(bad)
        )));
    }
    Ok((values, next))
}

/// "a number", "a string", ... for messages about values that do not fit.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A Graph object where one is expected (a message, a folder), or an error
/// naming `what` and what came instead.
pub fn expect_object(v: Value, what: &str) -> Result<Value, Error> {
    if v.is_object() {
        Ok(v)
    } else {
        Err(Error::Protocol(format!(
            "Graph answered with {} where {what} object was expected.",
            json_kind(&v)
        )))
    }
}

/// Decoded, lower-cased path segments below the origin (`name('key')` becomes
/// `name`, `key`) and the decoded query pairs of an absolute URL.
fn split_target(url: &str) -> (Vec<String>, Vec<(String, String)>) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split('#').next().unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = path.split_once('/').map_or("", |(_, p)| p);
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .to_string()
    };
    let mut segments = Vec::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        let seg = decode(seg).to_lowercase();
        match seg.split_once("('") {
            Some((name, key)) if key.ends_with("')") => {
                segments.push(name.to_string());
                let key = key.trim_end_matches("')").replace("''", "'");
                segments.push(key);
            }
            _ => segments.push(seg),
        }
    }
    // Form decoding on both sides: Graph writes spaces as %20, others as `+`.
    let query = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned()))
        .collect();
    (segments, query)
}

/// The mailbox part (`me`, `users/<x>`) of version-rooted segments, and the
/// segments with the mailbox part taken out (the version kept).
fn mailbox_and_rest(segments: &[String]) -> (Option<String>, Vec<String>) {
    match segments {
        [version, me, rest @ ..] if me == "me" => {
            let mut kept = vec![version.clone()];
            kept.extend(rest.iter().cloned());
            (Some("me".to_string()), kept)
        }
        [version, users, who, rest @ ..] if users == "users" => {
            let mut kept = vec![version.clone()];
            kept.extend(rest.iter().cloned());
            (Some(format!("users/{who}")), kept)
        }
        other => (None, other.to_vec()),
    }
}

fn is_invalid_token(response: &HttpResponse) -> bool {
    Error::from_graph_response(response).code() == Some("InvalidAuthenticationToken")
}

fn parse_json(response: &HttpResponse) -> Result<Value, Error> {
    if response.body.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&response.body).map_err(|e| {
        Error::Protocol(format!(
            "Graph answered HTTP {} with a body that is not valid JSON ({e}).",
            response.status
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClientCredentials, Environment, Grant};
    use crate::testing::{FakeEnv, json_response};
    use serde_json::json;

    fn conn() -> Connection {
        Connection {
            environment: Environment::CommercialGcc,
            tenant_id: "contoso.example".into(),
            grant: Grant::ClientCredentials(ClientCredentials {
                client_id: "app".into(),
                client_secret: "secret".into(),
            }),
            api_version: "v1.0".into(),
        }
    }

    fn token(n: u32) -> Result<HttpResponse, crate::http::TransportError> {
        json_response(
            200,
            json!({"access_token": format!("at-{n}"), "expires_in": 3600}),
        )
    }

    #[test]
    fn delta_links_must_be_a_folder_round_of_the_mailbox() {
        let env = FakeEnv::new(vec![]);
        let c = conn();
        let g = Graph::new(&env, &c, RetryPolicy::default());
        let base = "https://graph.microsoft.com/v1.0/users/alex%40contoso.example/mailFolders/AAMk%3D/messages/delta";
        let mbx = "users/alex%40contoso.example";
        assert!(
            g.check_delta_link(mbx, &format!("{base}?$deltatoken=x"), true)
                .is_ok()
        );
        assert!(
            g.check_delta_link(mbx, &format!("{base}?changeType=created&$select=id"), false)
                .is_ok()
        );
        for (link, from_graph, why) in [
            (format!("{base}?changeType=created"), true, "adds the query option changetype"),
            ("https://evil.example/v1.0/users/alex%40contoso.example/mailFolders/x/messages/delta".to_string(), false, "not on"),
            ("https://graph.microsoft.com/v1.0evil/users/alex%40contoso.example/mailFolders/x/messages/delta".to_string(), false, "not on"),
            (format!("{base}#frag"), false, "fragment"),
            ("https://graph.microsoft.com/v1.0/users/alex%40contoso.example/messages".to_string(), false, "not a folder's messages/delta"),
        ] {
            let e = g.check_delta_link(mbx, &link, from_graph).unwrap_err().to_string();
            assert!(e.contains(why), "{link}: {e}");
        }
        assert!(env.sent().is_empty(), "no lookups for these");
    }

    #[test]
    fn refreshes_once_on_invalid_token() {
        let env = FakeEnv::new(vec![
            token(1),
            json_response(
                401,
                json!({"error":{"code":"InvalidAuthenticationToken","message":"expired"}}),
            ),
            token(2),
            json_response(200, json!({"id":"x"})),
        ]);
        let c = conn();
        let g = Graph::new(&env, &c, RetryPolicy::default());
        assert_eq!(g.get_json("me").unwrap(), json!({"id":"x"}));
        let sent = env.sent();
        assert_eq!(sent.len(), 4);
        assert!(
            sent[3]
                .headers
                .contains(&("Authorization".into(), "Bearer at-2".into()))
        );
    }

    #[test]
    fn second_401_is_reported_not_looped() {
        let unauthorized = || {
            json_response(
                401,
                json!({"error":{"code":"InvalidAuthenticationToken","message":"bad aud"}}),
            )
        };
        let env = FakeEnv::new(vec![token(1), unauthorized(), token(2), unauthorized()]);
        let c = conn();
        let err = Graph::new(&env, &c, RetryPolicy::default())
            .get_json("me")
            .unwrap_err();
        assert_eq!(err.status_code(), 401);
        assert_eq!(env.sent().len(), 4);
        assert!(
            env.tokens.borrow().is_empty(),
            "a token refused twice is not kept"
        );
    }

    #[test]
    fn pages_are_followed_and_capped() {
        let env = FakeEnv::new(vec![
            token(1),
            json_response(
                200,
                json!({"value":[{"n":1},{"n":2}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/me/mailFolders?%24skip=2"}),
            ),
            json_response(
                200,
                json!({"value":[{"n":3},{"n":4}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/me/mailFolders?%24skip=4"}),
            ),
        ]);
        let c = conn();
        let items = Graph::new(&env, &c, RetryPolicy::default())
            .get_all("me/mailFolders", 3)
            .unwrap();
        assert_eq!(items, vec![json!({"n":1}), json!({"n":2}), json!({"n":3})]);
        assert_eq!(
            env.sent()[2].url,
            "https://graph.microsoft.com/v1.0/me/mailFolders?%24skip=2"
        );
    }

    #[test]
    fn next_link_to_another_host_is_refused() {
        let env = FakeEnv::new(vec![
            token(1),
            json_response(
                200,
                json!({"value":[{"n":1}],"@odata.nextLink":"https://evil.example/v1.0/x"}),
            ),
        ]);
        let c = conn();
        let err = Graph::new(&env, &c, RetryPolicy::default())
            .get_all("me/mailFolders", 10)
            .unwrap_err();
        assert!(err.to_string().contains("evil.example"), "{err}");
        assert_eq!(env.sent().len(), 2);
    }

    fn page(
        values: Value,
        next: Option<&str>,
    ) -> Result<HttpResponse, crate::http::TransportError> {
        let mut body = json!({"value": values});
        if let Some(n) = next {
            body["@odata.nextLink"] = json!(n);
        }
        json_response(200, body)
    }

    fn list_partial(env: &FakeEnv, path: &str) -> Listed {
        let c = conn();
        Graph::new(env, &c, RetryPolicy::default())
            .get_all_partial(path, 100)
            .unwrap()
    }

    #[test]
    fn a_next_link_into_another_mailbox_stops_with_the_pages_so_far() {
        let env = FakeEnv::new(vec![
            token(1),
            page(
                json!([{"id": "f1"}]),
                Some(
                    "https://graph.microsoft.com/v1.0/users/adele@t.example/mailFolders?%24skip=1",
                ),
            ),
            json_response(200, json!({"id": "ID-ALEX"})),
            json_response(200, json!({"id": "ID-ADELE"})),
        ]);
        let listed = list_partial(&env, "users/alex@t.example/mailFolders?$top=100");
        assert_eq!(listed.items, vec![json!({"id": "f1"})]);
        let e = listed.stopped.unwrap().to_string();
        assert!(e.contains("names mailbox 'users/adele@t.example'"), "{e}");
        assert_eq!(env.sent().len(), 4, "no page of the other mailbox was read");
    }

    #[test]
    fn a_next_link_naming_the_same_mailbox_by_id_is_followed() {
        let env = FakeEnv::new(vec![
            token(1),
            page(
                json!([{"id": "f1"}]),
                Some(
                    "https://graph.microsoft.com/v1.0/users/5E1C-GUID/mailFolders?%24top=100&%24skip=1",
                ),
            ),
            json_response(200, json!({"id": "5e1c-guid"})),
            json_response(200, json!({"id": "5e1c-guid"})),
            page(json!([{"id": "f2"}]), None),
        ]);
        let listed = list_partial(&env, "users/alex@t.example/mailFolders?$top=100");
        assert!(listed.stopped.is_none(), "{:?}", listed.stopped);
        assert_eq!(listed.items.len(), 2);
    }

    #[test]
    fn next_links_that_do_not_continue_the_request_are_refused() {
        let cases = [
            (
                "https://graph.microsoft.com/v1.0/me/messages?%24skip=1",
                "its path",
            ),
            (
                "https://graph.microsoft.com/v1.0/me/mailFolders?%24skip=1#@evil.example",
                "fragment",
            ),
            (
                "http://graph.microsoft.com/v1.0/me/mailFolders?%24skip=1",
                "http://graph.microsoft.com",
            ),
            (
                "https://graph.microsoft.com/beta/me/mailFolders?%24skip=1",
                "its path",
            ),
            (
                "https://graph.microsoft.com/v1.0/me/mailFolders?includeHiddenFolders=true",
                "adds the query option",
            ),
            (
                "https://graph.microsoft.com/v1.0/me/mailFolders?%24top=100",
                "leads back",
            ),
        ];
        for (next, expected) in cases {
            let env = FakeEnv::new(vec![token(1), page(json!([{"id": "f1"}]), Some(next))]);
            let listed = list_partial(&env, "me/mailFolders?$top=100");
            let e = listed.stopped.map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(expected), "{next}: {e}");
            assert_eq!(listed.items.len(), 1, "{next}");
            assert_eq!(env.sent().len(), 2, "{next}: refused without a request");
        }
    }

    #[test]
    fn a_filter_must_survive_paging() {
        let env = FakeEnv::new(vec![
            token(1),
            page(
                json!([{"id": "m1"}]),
                Some(
                    "https://graph.microsoft.com/v1.0/me/messages?%24filter=isRead%20eq%20true&%24skip=1",
                ),
            ),
        ]);
        let listed = list_partial(&env, "me/messages?$filter=isRead%20eq%20false");
        let e = listed.stopped.unwrap().to_string();
        assert!(e.contains("changes $filter"), "{e}");
    }

    #[test]
    fn items_that_are_not_objects_are_named_not_indexed() {
        let env = FakeEnv::new(vec![
            token(1),
            page(json!([{"id": "f1"}, 42, "inbox", null]), None),
        ]);
        let c = conn();
        let err = Graph::new(&env, &c, RetryPolicy::default())
            .get_all("me/mailFolders", 10)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("Item 2 of page 1 of a Graph collection is a number"),
            "{err}"
        );
        for body in [json!([1, 2]), json!("x"), json!({"value": {"a": 1}})] {
            let env = FakeEnv::new(vec![token(1), json_response(200, body.clone())]);
            let err = Graph::new(&env, &c, RetryPolicy::default())
                .get_all("me/mailFolders", 10)
                .unwrap_err();
            assert!(matches!(err, Error::Protocol(_)), "{body}: {err:?}");
        }
    }

    #[test]
    fn bytes_past_the_cap_are_refused_even_if_the_transport_passed_them() {
        let env = FakeEnv::new(vec![
            token(1),
            Ok(HttpResponse {
                status: 200,
                headers: vec![],
                body: vec![0; 2048],
            }),
        ]);
        let c = conn();
        let err = Graph::new(&env, &c, RetryPolicy::default())
            .get_bytes("me/messages/m/$value", 1024)
            .unwrap_err();
        assert!(err.to_string().contains("the 1024 bytes cap"), "{err}");
        assert_eq!(env.sent()[1].max_response_bytes, Some(1024));
    }

    #[test]
    fn a_me_listing_may_continue_under_the_signed_in_users_id() {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"oid":"5E1C-OID","scp":"Mail.Read"}"#);
        let jwt = format!("eyJhbGciOiJub25lIn0.{payload}.sig");
        let env = FakeEnv::new(vec![
            json_response(200, json!({"access_token": jwt, "expires_in": 3600})),
            page(
                json!([{"id": "f1"}]),
                Some("https://graph.microsoft.com/v1.0/users/5e1c-oid/mailFolders?%24skip=1"),
            ),
            json_response(200, json!({"id": "5e1c-oid"})),
            page(json!([{"id": "f2"}]), None),
        ]);
        let listed = list_partial(&env, "me/mailFolders?$top=100");
        assert!(listed.stopped.is_none(), "{:?}", listed.stopped);
        assert_eq!(listed.items.len(), 2);
        assert!(
            !env.sent().iter().any(|r| r.url.contains("/me?")),
            "no lookup of /me"
        );
    }
}
