//! Which Graph hosts belong to which login host (reference §1.1). The host
//! under test forwards the original host in `x-forwarded-host`.

/// Every Graph host of every cloud; the first is the commercial default.
pub(crate) const GRAPH_HOSTS: &[&str] = &[
    "graph.microsoft.com",
    "graph.microsoft.us",
    "dod-graph.microsoft.us",
    "microsoftgraph.chinacloudapi.cn",
];

/// Graph hosts a token requested at `login_host` may target. With no
/// forwarded host (a client talking to the sim directly) any cloud goes.
pub(crate) fn graph_hosts_for_login(login_host: Option<&str>) -> &'static [&'static str] {
    match login_host {
        Some("login.microsoftonline.com") => &GRAPH_HOSTS[0..1],
        Some("login.microsoftonline.us") | Some("login-us.microsoftonline.com") => {
            &GRAPH_HOSTS[1..3]
        }
        Some("login.chinacloudapi.cn") | Some("login.partner.microsoftonline.cn") => {
            &GRAPH_HOSTS[3..4]
        }
        _ => GRAPH_HOSTS,
    }
}

/// Audiences a Graph request may carry: the forwarded Graph host, or any
/// Graph host when the client talks to the sim directly.
pub(crate) fn accepted_audiences(graph_host: Option<&str>) -> Vec<String> {
    match graph_host {
        Some(h) => vec![format!("https://{h}")],
        None => GRAPH_HOSTS.iter().map(|h| format!("https://{h}")).collect(),
    }
}
