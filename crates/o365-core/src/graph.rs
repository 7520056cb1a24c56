//! Graph calls for one command: token, the retry policy, one forced token refresh on a 401
//! `InvalidAuthenticationToken`, error bodies, and `@odata.nextLink` paging.

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
        }
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

    /// A GET whose body is not JSON (`$value`): the bytes and the content type.
    pub fn get_bytes(&self, path_and_query: &str) -> Result<(Vec<u8>, String), Error> {
        let response = self.send(
            HttpRequest::new("GET", self.url(path_and_query)),
            Idempotency::Idempotent,
        )?;
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

    /// Every item of a collection, following `@odata.nextLink` as given (never rebuilt),
    /// up to `max_items` and [`MAX_PAGES`]. A link to another origin is refused: it would
    /// carry the token somewhere else.
    pub fn get_all(&self, path_and_query: &str, max_items: usize) -> Result<Vec<Value>, Error> {
        let mut items = Vec::new();
        self.for_each_page(path_and_query, &[], |page, _| {
            items.extend(page.into_iter().take(max_items - items.len()));
            Ok(items.len() < max_items)
        })?;
        Ok(items)
    }

    /// Hands each page's items to `visit` (with whether another page follows),
    /// following `@odata.nextLink` as given while `visit` returns true, up to
    /// [`MAX_PAGES`]. `headers` go with every page (a `Prefer` must, or later
    /// pages would change id form).
    pub fn for_each_page(
        &self,
        path_and_query: &str,
        headers: &[(String, String)],
        mut visit: impl FnMut(Vec<Value>, bool) -> Result<bool, Error>,
    ) -> Result<(), Error> {
        let mut url = self.url(path_and_query);
        for _ in 0..MAX_PAGES {
            let response = self.send(self.get_request(&url, headers), Idempotency::Idempotent)?;
            let mut page = parse_json(&response)?;
            let next = page
                .get("@odata.nextLink")
                .and_then(Value::as_str)
                .map(str::to_string);
            let values = match page.get_mut("value").map(Value::take) {
                Some(Value::Array(values)) => values,
                _ => {
                    return Err(Error::Protocol(
                        "A Graph collection came back without a value array.".into(),
                    ));
                }
            };
            if !visit(values, next.is_some())? {
                return Ok(());
            }
            match next {
                None => return Ok(()),
                Some(next) => {
                    if http::origin(&next).as_deref() != Some(self.origin.as_str()) {
                        return Err(Error::Protocol(format!(
                            "Refusing to follow @odata.nextLink to {}: it is not {}.",
                            crate::retry::host_of(&next),
                            self.origin
                        )));
                    }
                    url = next;
                }
            }
        }
        Err(Error::Protocol(format!(
            "Stopped after {MAX_PAGES} pages of results; narrow the request."
        )))
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
                json!({"value":[1,2],"@odata.nextLink":"https://graph.microsoft.com/v1.0/me/mailFolders?%24skip=2"}),
            ),
            json_response(
                200,
                json!({"value":[3,4],"@odata.nextLink":"https://graph.microsoft.com/v1.0/me/mailFolders?%24skip=4"}),
            ),
        ]);
        let c = conn();
        let items = Graph::new(&env, &c, RetryPolicy::default())
            .get_all("me/mailFolders", 3)
            .unwrap();
        assert_eq!(items, vec![json!(1), json!(2), json!(3)]);
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
                json!({"value":[1],"@odata.nextLink":"https://evil.example/v1.0/x"}),
            ),
        ]);
        let c = conn();
        let err = Graph::new(&env, &c, RetryPolicy::default())
            .get_all("me/mailFolders", 10)
            .unwrap_err();
        assert!(err.to_string().contains("evil.example"), "{err}");
        assert_eq!(env.sent().len(), 2);
    }
}
