//! Every request the guest makes passes here: the allowlist (the connection's cloud login
//! and Graph hosts, https only), routing to a simulator or proxy, and the HTTP log.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::http_log::{Exchange, HttpLog};
use crate::redact::Redactor;

/// A response body larger than this is refused (the guest has its own, smaller cap).
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

pub struct Outbound {
    /// Lower-case host names this invocation may reach.
    pub allowed_hosts: Vec<String>,
    /// Of those, the upload hosts: their URLs are pre-authenticated, so a bearer token
    /// sent there would only leak it.
    pub token_free_hosts: Vec<String>,
    /// Host -> base URL (`http://127.0.0.1:8765`) to send its requests to instead.
    pub routes: Arc<Vec<(String, String)>>,
    pub log: Option<Arc<HttpLog>>,
    pub redactor: Redactor,
    /// Hosts refused during this invocation, for the caller to report.
    pub denied: Arc<Mutex<Vec<String>>>,
}

impl Outbound {
    pub fn allows(&self, uri: &http::Uri) -> bool {
        let host = uri.host().unwrap_or("").to_ascii_lowercase();
        uri.scheme_str() == Some("https")
            && matches!(uri.port_u16(), None | Some(443))
            && self.allowed_hosts.contains(&host)
    }

    fn route_for(&self, host: &str) -> Option<String> {
        self.routes
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(host))
            .map(|(_, base)| base.clone())
    }
}

fn header_list(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn full(bytes: Bytes) -> WasiBody {
    Full::new(bytes)
        .map_err(|e: Infallible| match e {})
        .boxed_unsync()
}

/// The same path and query on another base URL.
fn rerouted(uri: &http::Uri, base: &str) -> Result<http::Uri, HttpError> {
    let base: http::Uri = base.parse().map_err(|_| HttpError::ConfigurationError)?;
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    http::Uri::builder()
        .scheme(base.scheme_str().unwrap_or("http"))
        .authority(base.authority().map(|a| a.as_str()).unwrap_or(""))
        .path_and_query(path)
        .build()
        .map_err(|_| HttpError::HttpRequestUriInvalid)
}

impl WasiHttpHooks for Outbound {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _request_error: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        let original_url = request.uri().to_string();
        let host = request.uri().host().unwrap_or("").to_ascii_lowercase();
        if self.token_free_hosts.contains(&host)
            && request.headers().contains_key(http::header::AUTHORIZATION)
        {
            self.denied.lock().unwrap().push(host);
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        if !self.allows(request.uri()) {
            let host = request.uri().host().unwrap_or("").to_string();
            self.denied.lock().unwrap().push(host);
            if let Some(log) = &self.log {
                log.write(
                    &Exchange {
                        method: request.method().as_str(),
                        url: &original_url,
                        routed_to: None,
                        request_headers: &header_list(request.headers()),
                        request_body: &[],
                        status: None,
                        response_headers: &[],
                        response_body: &[],
                        duration_ms: 0.0,
                        error: Some("denied: not one of the connection's cloud hosts".into()),
                    },
                    &self.redactor,
                );
            }
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        let host = request.uri().host().unwrap_or("").to_string();
        let route = self.route_for(&host);
        let log = self.log.clone();
        let redactor = self.redactor.clone();
        Box::new(async move {
            let started = Instant::now();
            let (mut parts, body) = request.into_parts();
            let request_body = body.collect().await?.to_bytes();
            let routed_to = match &route {
                Some(base) => {
                    parts.uri = rerouted(&parts.uri, base)?;
                    parts.headers.insert(
                        "x-forwarded-host",
                        http::HeaderValue::from_str(&host)
                            .map_err(|_| HttpError::HttpRequestUriInvalid)?,
                    );
                    Some(parts.uri.to_string())
                }
                None => None,
            };
            let method = parts.method.to_string();
            let request_headers = header_list(&parts.headers);
            let write_log = |status: Option<u16>,
                             headers: &[(String, String)],
                             body: &[u8],
                             error: Option<String>| {
                if let Some(log) = &log {
                    log.write(
                        &Exchange {
                            method: &method,
                            url: &original_url,
                            routed_to: routed_to.as_deref(),
                            request_headers: &request_headers,
                            request_body: &request_body,
                            status,
                            response_headers: headers,
                            response_body: body,
                            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
                            error,
                        },
                        &redactor,
                    );
                }
            };
            let request = http::Request::from_parts(parts, full(request_body.clone()));
            let (response, io) =
                match wasmtime_wasi_http::default_send_request(request, options).await {
                    Ok(ok) => ok,
                    Err(e) => {
                        write_log(None, &[], &[], Some(format!("{e:?}")));
                        return Err(e);
                    }
                };
            // The connection task drives the body; let it run while we read.
            tokio::spawn(io);
            let (parts, body) = response.into_parts();
            let body = match Limited::new(body, MAX_RESPONSE_BYTES).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) => {
                    write_log(
                        Some(parts.status.as_u16()),
                        &header_list(&parts.headers),
                        &[],
                        Some(e.to_string()),
                    );
                    return Err(HttpError::HttpResponseBodySize(None));
                }
            };
            write_log(
                Some(parts.status.as_u16()),
                &header_list(&parts.headers),
                &body,
                None,
            );
            let response = http::Response::from_parts(parts, full(body));
            Ok((
                response,
                Box::new(async { Ok(()) }) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbound() -> Outbound {
        Outbound {
            allowed_hosts: vec![
                "login.microsoftonline.com".into(),
                "graph.microsoft.com".into(),
            ],
            token_free_hosts: vec!["outlook.office.com".into()],
            routes: Arc::new(Vec::new()),
            log: None,
            redactor: Redactor::default(),
            denied: Arc::default(),
        }
    }

    #[test]
    fn only_the_cloud_hosts_over_https_pass() {
        let o = outbound();
        let ok = |u: &str| o.allows(&u.parse().unwrap());
        assert!(ok("https://graph.microsoft.com/v1.0/me"));
        assert!(ok(
            "https://Login.MicrosoftOnline.com:443/t/oauth2/v2.0/token"
        ));
        assert!(!ok("http://graph.microsoft.com/v1.0/me"), "plain http");
        assert!(
            !ok("https://graph.microsoft.com:8443/v1.0/me"),
            "other port"
        );
        assert!(!ok("https://localhost/v1.0/me"));
        assert!(!ok("https://127.0.0.1/"));
        assert!(!ok("https://169.254.169.254/metadata/instance"));
        assert!(!ok("https://graph.microsoft.us/v1.0/me"), "another cloud");
        assert!(!ok("https://graph.microsoft.com.evil.example/"));
    }

    #[test]
    fn routes_keep_path_and_query() {
        let uri: http::Uri = "https://graph.microsoft.com/v1.0/me/mailFolders?%24top=1"
            .parse()
            .unwrap();
        assert_eq!(
            rerouted(&uri, "http://127.0.0.1:8765").unwrap().to_string(),
            "http://127.0.0.1:8765/v1.0/me/mailFolders?%24top=1"
        );
    }
}
