//! Parsing of OAuth `scope` strings: OIDC scopes, Graph permissions as
//! short names or full URLs (`https://graph.microsoft.com/Mail.Read`,
//! case-insensitive), and `/.default`.

use crate::permissions;

/// Scopes that are about the sign-in itself, not a resource.
const OIDC: &[&str] = &["openid", "profile", "email", "offline_access"];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scopes {
    /// OIDC scopes, lowercase.
    pub oidc: Vec<String>,
    /// Graph permission names, canonical casing, no duplicates.
    pub names: Vec<String>,
    /// Resources named by URL scopes (`https://host`, lowercase), in order.
    pub resources: Vec<String>,
    /// True when `<resource>/.default` was requested.
    pub default: bool,
}

impl Scopes {
    pub(crate) fn parse(raw: &str) -> Scopes {
        let mut out = Scopes::default();
        for item in raw.split_whitespace() {
            let lower = item.to_ascii_lowercase();
            if OIDC.contains(&lower.as_str()) {
                push_unique(&mut out.oidc, lower);
                continue;
            }
            let name = match split_resource(item) {
                Some((resource, name)) => {
                    push_unique(&mut out.resources, resource);
                    name
                }
                None => item.to_string(),
            };
            if name == ".default" {
                out.default = true;
            } else if !name.is_empty() {
                push_unique(&mut out.names, permissions::canonical(&name));
            }
        }
        out
    }

    pub(crate) fn offline(&self) -> bool {
        self.oidc.iter().any(|s| s == "offline_access")
    }

    pub(crate) fn openid(&self) -> bool {
        self.oidc.iter().any(|s| s == "openid")
    }

    /// The `scope` value of a token response: granted permissions as URLs on
    /// `resource`, then the OIDC scopes other than offline_access.
    pub(crate) fn response_string(&self, resource: &str) -> String {
        let mut parts: Vec<String> = self
            .names
            .iter()
            .map(|n| format!("{resource}/{n}"))
            .collect();
        parts.extend(
            self.oidc
                .iter()
                .filter(|s| s.as_str() != "offline_access")
                .cloned(),
        );
        parts.join(" ")
    }
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.iter().any(|v| v.eq_ignore_ascii_case(&value)) {
        list.push(value);
    }
}

/// `https://Graph.Microsoft.com/Mail.Read` -> (`https://graph.microsoft.com`, `Mail.Read`).
fn split_resource(item: &str) -> Option<(String, String)> {
    let lower = item.to_ascii_lowercase();
    let scheme_len = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else {
        return None;
    };
    let rest = &item[scheme_len..];
    let slash = rest.find('/')?;
    let host = rest[..slash].to_ascii_lowercase();
    let name = rest[slash + 1..].trim_start_matches('/');
    Some((format!("{}{host}", &lower[..scheme_len]), name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mixed_scopes() {
        let s = Scopes::parse(
            "offline_access https://Graph.Microsoft.com/mail.readwrite Mail.Send openid Mail.Send",
        );
        assert_eq!(s.oidc, vec!["offline_access", "openid"]);
        assert_eq!(s.names, vec!["Mail.ReadWrite", "Mail.Send"]);
        assert_eq!(s.resources, vec!["https://graph.microsoft.com"]);
        assert!(s.offline() && !s.default);
        assert_eq!(
            s.response_string("https://graph.microsoft.com"),
            "https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/Mail.Send openid"
        );
        let d = Scopes::parse("https://graph.microsoft.us/.default");
        assert!(d.default && d.names.is_empty());
        assert_eq!(d.resources, vec!["https://graph.microsoft.us"]);
    }
}
