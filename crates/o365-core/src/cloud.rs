//! The Microsoft 365 clouds and their hosts (reference §1.1).

use crate::model::Environment;

/// Where one cloud's identity platform and Graph live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cloud {
    pub login_host: &'static str,
    pub graph_host: &'static str,
    /// Hosts of the pre-authenticated upload URLs that `createUploadSession` hands out;
    /// empty where Graph offers no upload sessions for mail (GCC High, DoD).
    pub upload_hosts: &'static [&'static str],
}

impl Cloud {
    pub fn of(environment: Environment) -> Cloud {
        match environment {
            Environment::CommercialGcc => Cloud {
                login_host: "login.microsoftonline.com",
                graph_host: "graph.microsoft.com",
                upload_hosts: &["outlook.office.com", "outlook.office365.com"],
            },
            Environment::GccHigh => Cloud {
                login_host: "login.microsoftonline.us",
                graph_host: "graph.microsoft.us",
                upload_hosts: &[],
            },
            Environment::Dod => Cloud {
                login_host: "login.microsoftonline.us",
                graph_host: "dod-graph.microsoft.us",
                upload_hosts: &[],
            },
            Environment::China => Cloud {
                login_host: "login.chinacloudapi.cn",
                graph_host: "microsoftgraph.chinacloudapi.cn",
                upload_hosts: &["partner.outlook.cn"],
            },
        }
    }

    pub fn login_base(&self) -> String {
        format!("https://{}", self.login_host)
    }

    pub fn graph_origin(&self) -> String {
        format!("https://{}", self.graph_host)
    }

    /// The only scope the client-credentials grant accepts.
    pub fn app_only_scope(&self) -> String {
        format!("https://{}/.default", self.graph_host)
    }

    /// Rewrites Graph URLs in a delegated scope list to this cloud's Graph host, so the
    /// vendor default (`https://graph.microsoft.com/mail.ReadWrite`) works in GCC High too.
    pub fn normalize_scope(&self, scope: &str) -> String {
        scope
            .split_whitespace()
            .map(|s| match graph_scope_suffix(s) {
                Some(name) => format!("https://{}/{}", self.graph_host, name),
                None => s.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

const GRAPH_HOSTS: [&str; 4] = [
    "graph.microsoft.com",
    "graph.microsoft.us",
    "dod-graph.microsoft.us",
    "microsoftgraph.chinacloudapi.cn",
];

/// `https://graph.microsoft.com/Mail.Read` -> `Mail.Read`; other scopes -> None.
fn graph_scope_suffix(scope: &str) -> Option<&str> {
    let rest = scope.strip_prefix("https://")?;
    let (host, name) = rest.split_once('/')?;
    GRAPH_HOSTS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(host))
        .then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dod_shares_login_host_with_gcc_high_but_not_graph() {
        let high = Cloud::of(Environment::GccHigh);
        let dod = Cloud::of(Environment::Dod);
        assert_eq!(high.login_host, dod.login_host);
        assert_ne!(high.graph_host, dod.graph_host);
        assert_eq!(
            dod.app_only_scope(),
            "https://dod-graph.microsoft.us/.default"
        );
    }

    #[test]
    fn scope_is_moved_to_the_cloud_graph_host() {
        let high = Cloud::of(Environment::GccHigh);
        assert_eq!(
            high.normalize_scope(
                "offline_access https://graph.microsoft.com/mail.ReadWrite  Mail.Send"
            ),
            "offline_access https://graph.microsoft.us/mail.ReadWrite Mail.Send"
        );
    }
}
