//! Where a guest's request may go: a pure check of one request against the connection's
//! egress policy, returning the route or the reason it is refused. The transport
//! (`http_hook.rs`) sends what passes; this module does no I/O, so every rule is tested
//! by asserting the denial it returns.

use crate::redact::Redactor;

/// What an invocation's connection may reach.
#[derive(Debug, Clone, Default)]
pub struct EgressPolicy {
    /// The cloud's login host: only the connection's own tenant path on it.
    pub login_host: String,
    /// The connection's tenant as the guest puts it in token URLs.
    pub tenant: String,
    /// The cloud's Graph host.
    pub graph_host: String,
    /// Pre-authenticated upload hosts: never a token anywhere in the request.
    pub upload_hosts: Vec<String>,
    /// Hosts the operator blocks outright (`RuntimeConfig::deny_hosts`).
    pub denied_hosts: Vec<String>,
    /// Host -> base URL to send its requests to instead (simulator, proxy).
    pub routes: Vec<(String, String)>,
}

/// Which of the policy's hosts a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind {
    Login,
    Graph,
    Upload,
}

/// A request that passed: the kind of host, and the base URL it is routed to, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub kind: HostKind,
    pub routed_to: Option<String>,
}

/// Why a request is refused; the text goes to the HTTP log after "denied: ".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    NotHttps,
    OtherPort(u16),
    /// Not one of the connection's cloud hosts (another cloud, loopback, metadata IPs...).
    OtherHost(String),
    BlockedHost(String),
    /// The login host, but not under the connection's own tenant.
    OtherTenant(String),
    /// The login host, the tenant's path, but not its token endpoint.
    OtherLoginPath(String),
    /// A token or secret in a request to a pre-authenticated upload host.
    TokenToUploadHost(&'static str),
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Denial::NotHttps => write!(f, "only https is allowed"),
            Denial::OtherPort(p) => write!(f, "only port 443 is allowed, not {p}"),
            Denial::OtherHost(h) => write!(f, "'{h}' is not one of the connection's cloud hosts"),
            Denial::BlockedHost(h) => write!(f, "'{h}' is blocked by the operator"),
            Denial::OtherTenant(t) => write!(
                f,
                "the login host is allowed only under the connection's own tenant, not '{t}'"
            ),
            Denial::OtherLoginPath(p) => write!(
                f,
                "on the login host only the tenant's token endpoint is allowed, not '{p}'"
            ),
            Denial::TokenToUploadHost(place) => write!(
                f,
                "a credential in the {place} of a request to an upload host (its URL is its own credential)"
            ),
        }
    }
}

impl EgressPolicy {
    /// Checks the request line and headers. A request body to an upload host is checked
    /// as it streams (`body_has_secret`).
    pub fn check(
        &self,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        redactor: &Redactor,
    ) -> Result<Route, Denial> {
        if uri.scheme_str() != Some("https") {
            return Err(Denial::NotHttps);
        }
        if let Some(port) = uri.port_u16()
            && port != 443
        {
            return Err(Denial::OtherPort(port));
        }
        let host = uri.host().unwrap_or("").to_ascii_lowercase();
        if self
            .denied_hosts
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&host))
        {
            return Err(Denial::BlockedHost(host));
        }
        let kind = if host == self.login_host {
            HostKind::Login
        } else if host == self.graph_host {
            HostKind::Graph
        } else if self.upload_hosts.contains(&host) {
            HostKind::Upload
        } else {
            return Err(Denial::OtherHost(host));
        };
        match kind {
            HostKind::Login => self.check_login_path(uri.path())?,
            HostKind::Upload => self.check_upload(uri, headers, redactor)?,
            HostKind::Graph => {}
        }
        let routed_to = self
            .routes
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(&host))
            .map(|(_, base)| base.clone());
        Ok(Route { kind, routed_to })
    }

    /// The one endpoint the guest needs there: `/{tenant}/oauth2/v2.0/token`, read segment
    /// by segment after percent-decoding, so no dot segment or encoded slash can lead a
    /// server that normalizes paths to another tenant.
    fn check_login_path(&self, path: &str) -> Result<(), Denial> {
        let segments: Vec<String> = path
            .strip_prefix('/')
            .unwrap_or(path)
            .split('/')
            .map(percent_decoded)
            .collect();
        let tenant = segments.first().cloned().unwrap_or_default();
        let rest: Vec<&str> = segments.iter().skip(1).map(String::as_str).collect();
        let clean = |s: &String| !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\']);
        if !segments.iter().all(clean) {
            return Err(Denial::OtherTenant(segments.join("/")));
        }
        if self.tenant.is_empty() || !tenant.eq_ignore_ascii_case(self.tenant.trim()) {
            return Err(Denial::OtherTenant(tenant));
        }
        if rest != ["oauth2", "v2.0", "token"] {
            return Err(Denial::OtherLoginPath(path.to_string()));
        }
        Ok(())
    }

    fn check_upload(
        &self,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        redactor: &Redactor,
    ) -> Result<(), Denial> {
        if headers.contains_key(http::header::AUTHORIZATION) {
            return Err(Denial::TokenToUploadHost("Authorization header"));
        }
        if headers
            .values()
            .any(|v| redactor.has_secret(v.as_bytes()) || looks_like_bearer(v.as_bytes()))
        {
            return Err(Denial::TokenToUploadHost("headers"));
        }
        let query = uri.query().unwrap_or("");
        if redactor.has_secret(query.as_bytes())
            || redactor.has_secret(percent_decoded(query).as_bytes())
        {
            return Err(Denial::TokenToUploadHost("query"));
        }
        Ok(())
    }
}

fn looks_like_bearer(value: &[u8]) -> bool {
    value.len() > 7 && value[..7].eq_ignore_ascii_case(b"bearer ")
}

fn percent_decoded(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> EgressPolicy {
        EgressPolicy {
            login_host: "login.microsoftonline.com".into(),
            tenant: "contoso.example".into(),
            graph_host: "graph.microsoft.com".into(),
            upload_hosts: vec!["outlook.office.com".into()],
            denied_hosts: vec![],
            routes: vec![("graph.microsoft.com".into(), "http://127.0.0.1:1".into())],
        }
    }

    fn check(url: &str, headers: &[(&str, &str)]) -> Result<Route, Denial> {
        let mut map = http::HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        let redactor = Redactor::new(["the-access-token".to_string()]);
        policy().check(&url.parse().unwrap(), &map, &redactor)
    }

    #[test]
    fn the_connections_hosts_pass_and_are_routed() {
        assert_eq!(
            check("https://graph.microsoft.com/v1.0/me", &[]),
            Ok(Route {
                kind: HostKind::Graph,
                routed_to: Some("http://127.0.0.1:1".into())
            })
        );
        assert_eq!(
            check(
                "https://Login.MicrosoftOnline.com:443/Contoso.Example/oauth2/v2.0/token",
                &[]
            )
            .map(|r| r.kind),
            Ok(HostKind::Login)
        );
    }

    #[test]
    fn everything_else_is_refused_with_its_reason() {
        assert_eq!(
            check("http://graph.microsoft.com/v1.0/me", &[]),
            Err(Denial::NotHttps)
        );
        assert_eq!(
            check("https://graph.microsoft.com:8443/v1.0/me", &[]),
            Err(Denial::OtherPort(8443))
        );
        for host in [
            "localhost",
            "127.0.0.1",
            "169.254.169.254",
            "graph.microsoft.us",
            "graph.microsoft.com.evil.example",
        ] {
            assert_eq!(
                check(&format!("https://{host}/x"), &[]),
                Err(Denial::OtherHost(host.into()))
            );
        }
    }

    #[test]
    fn the_login_host_only_under_the_connections_tenant() {
        assert_eq!(
            check(
                "https://login.microsoftonline.com/fabrikam.example/oauth2/v2.0/token",
                &[]
            ),
            Err(Denial::OtherTenant("fabrikam.example".into()))
        );
        assert_eq!(
            check(
                "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                &[]
            ),
            Err(Denial::OtherTenant("common".into()))
        );
        assert_eq!(
            check(
                "https://login.microsoftonline.com/contoso%2Eexample/oauth2/v2.0/token",
                &[]
            )
            .map(|r| r.kind),
            Ok(HostKind::Login),
            "percent-encoding does not hide the tenant"
        );
        for path in [
            "/contoso.example/../fabrikam.example/oauth2/v2.0/token",
            "/contoso.example/%2E%2E/fabrikam.example/oauth2/v2.0/token",
            "/contoso.example/oauth2/v2.0/token/..%2F..%2Ffabrikam.example",
            "/contoso.example//oauth2/v2.0/token",
        ] {
            let url = format!("https://login.microsoftonline.com{path}");
            assert!(
                matches!(check(&url, &[]), Err(Denial::OtherTenant(_))),
                "{path}"
            );
        }
        assert_eq!(
            check(
                "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/authorize",
                &[]
            ),
            Err(Denial::OtherLoginPath(
                "/contoso.example/oauth2/v2.0/authorize".into()
            ))
        );
    }

    #[test]
    fn upload_hosts_never_get_a_token() {
        let url = "https://outlook.office.com/api/v2.0/Users('x')/Messages('y')/AttachmentSessions('z')?authtoken=url-credential";
        assert_eq!(check(url, &[]).map(|r| r.kind), Ok(HostKind::Upload));
        assert_eq!(
            check(url, &[("authorization", "Bearer x")]),
            Err(Denial::TokenToUploadHost("Authorization header"))
        );
        assert_eq!(
            check(url, &[("x-token", "the-access-token")]),
            Err(Denial::TokenToUploadHost("headers"))
        );
        assert_eq!(
            check(url, &[("x-auth", "bearer abc")]),
            Err(Denial::TokenToUploadHost("headers"))
        );
        assert_eq!(
            check(&format!("{url}&t=the%2Daccess-token"), &[]),
            Err(Denial::TokenToUploadHost("query"))
        );
    }

    #[test]
    fn an_operator_block_wins() {
        let mut p = policy();
        p.denied_hosts = vec!["Graph.Microsoft.com".into()];
        let r = p.check(
            &"https://graph.microsoft.com/v1.0/me".parse().unwrap(),
            &http::HeaderMap::new(),
            &Redactor::default(),
        );
        assert_eq!(r, Err(Denial::BlockedHost("graph.microsoft.com".into())));
    }
}
