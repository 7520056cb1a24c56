//! What a message's internet headers say about where it came from: the
//! verdicts of `Authentication-Results` (spf, dkim, dmarc, compauth, with
//! their details), `Received-SPF`, and the sending IP, taken from the
//! verdict comment or else from the first public hop of the Received chain.
//! Received headers are parsed by mail-parser, the same parser the
//! attached `.eml` files go through.

use std::net::IpAddr;

use mail_parser::{Host, MessageParser, Received};
use serde_json::{Map, Value, json};

/// One Received hop: the sending host, its IP and the receiving host.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hop {
    pub from: Option<String>,
    pub ip: Option<IpAddr>,
    pub by: Option<String>,
}

/// A hop from mail-parser's Received. `from [192.0.2.1]` names the sender
/// by address only: that address is the hop's IP.
pub fn hop(r: &Received<'_>) -> Hop {
    let from = r.from().or(r.helo());
    let literal = match from {
        Some(Host::IpAddr(ip)) => Some(*ip),
        _ => None,
    };
    Hop {
        from: from.map(|h| h.to_string()),
        ip: r.from_ip().or(literal),
        by: r.by().map(|h| h.to_string()),
    }
}

/// Parses one Received header value.
pub fn received(value: &str) -> Hop {
    let raw = format!("Received: {value}\r\n\r\n");
    MessageParser::new()
        .parse_headers(raw.as_bytes())
        .as_ref()
        .and_then(|m| m.received().map(hop))
        .unwrap_or_default()
}

/// Private, loopback, link-local, documentation-free internal ranges, and
/// Microsoft's internal IPv6 relays (2603:10xx::/32 hops inside Exchange
/// Online): not a sender's address.
pub fn is_internal(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified()
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2603 && (s[1] & 0xff00) == 0x1000)
        }
    }
}

/// The IPs and domains of a Received chain, top (newest) first, as the
/// vendor document's `received_ip` / `received_domain` lists.
pub fn chain_summary(hops: &[Hop]) -> (Vec<String>, Vec<String>) {
    let mut ips = Vec::new();
    let mut domains = Vec::new();
    for hop in hops {
        if let Some(ip) = hop.ip {
            let ip = ip.to_string();
            if !ips.contains(&ip) {
                ips.push(ip);
            }
        }
        if let Some(from) = &hop.from {
            let host = from.trim_matches(['[', ']']).to_ascii_lowercase();
            if host.parse::<IpAddr>().is_err() && host.contains('.') && !domains.contains(&host) {
                domains.push(host);
            }
        }
    }
    (ips, domains)
}

/// One `method=result` clause of Authentication-Results.
struct Verdict {
    method: String,
    result: String,
    props: Vec<(String, String)>,
    /// Parenthesised text (`sender IP is ...` lives there).
    comment: String,
}

/// The clauses of one Authentication-Results value.
fn parse_results(value: &str) -> Vec<Verdict> {
    let mut out = Vec::new();
    for (i, clause) in value.split(';').enumerate() {
        let clause = clause.trim();
        // The first clause may be the authserv-id (`mx.google.com`).
        if clause.is_empty() || (i == 0 && !clause.contains('=')) {
            continue;
        }
        let mut comment = String::new();
        let mut plain = String::new();
        let mut depth = 0;
        for c in clause.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ if depth > 0 => comment.push(c),
                _ => plain.push(c),
            }
        }
        let mut words = plain.split_whitespace();
        let Some((method, result)) = words.next().and_then(|w| w.split_once('=')) else {
            continue;
        };
        let props = words
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        out.push(Verdict {
            method: method.to_ascii_lowercase(),
            result: result.to_ascii_lowercase(),
            props,
            comment,
        });
    }
    out
}

fn header_values<'a>(headers: &'a [(String, String)], name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Structured verdicts from headers given as (name, value) pairs in message
/// order. Fields that no header states are left out.
pub fn authentication(headers: &[(String, String)]) -> Value {
    let mut out = Map::new();
    let mut put = |k: &str, v: &str| {
        if !v.is_empty() && !out.contains_key(k) {
            out.insert(k.to_string(), json!(v));
        }
    };
    // The first (topmost) Authentication-Results is the receiving
    // organisation's own verdict.
    if let Some(value) = header_values(headers, "Authentication-Results").next() {
        for Verdict {
            method,
            result,
            props,
            comment,
        } in parse_results(value)
        {
            let prop = |k: &str| {
                props
                    .iter()
                    .find(|(p, _)| p == k)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("")
            };
            match method.as_str() {
                "spf" => {
                    put("spf", &result);
                    put("smtpMailFrom", prop("smtp.mailfrom"));
                    if let Some(ip) = comment.split("sender IP is").nth(1) {
                        put("senderIp", ip.split_whitespace().next().unwrap_or(""));
                    }
                }
                "dkim" => {
                    put("dkim", &result);
                    put("dkimDomain", prop("header.d"));
                }
                "dmarc" => {
                    put("dmarc", &result);
                    put("dmarcAction", prop("action"));
                    put("headerFrom", prop("header.from"));
                }
                "compauth" => {
                    put("compauth", &result);
                    put("compauthReason", prop("reason"));
                }
                "arc" => put("arc", &result),
                _ => {}
            }
        }
        put("authenticationResults", value);
    }
    if let Some(value) = header_values(headers, "Received-SPF").next() {
        let verdict = value
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        put("spf", &verdict);
        put("receivedSpf", value);
        // "designates 203.0.113.7 as permitted sender" or "client-ip=203.0.113.7"
        let ip = value
            .split(|c: char| c.is_whitespace() || c == ';' || c == '=')
            .find(|w| w.parse::<IpAddr>().is_ok())
            .unwrap_or("");
        put("senderIp", ip);
    }
    let hops: Vec<Hop> = header_values(headers, "Received").map(received).collect();
    let first_public = hops.iter().filter_map(|h| h.ip).find(|ip| !is_internal(ip));
    if let Some(ip) = first_public {
        put("senderIp", &ip.to_string());
    }
    for name in ["X-Originating-IP", "X-Sender-IP"] {
        if let Some(v) = header_values(headers, name).next() {
            put("originatingIp", v.trim_matches(['[', ']', ' ']));
        }
    }
    let (ips, domains) = chain_summary(&hops);
    out.insert("receivedIps".into(), json!(ips));
    out.insert("receivedDomains".into(), json!(domains));
    Value::Object(out)
}

/// Graph's `internetMessageHeaders` as (name, value) pairs.
pub fn from_graph(message: &Value) -> Vec<(String, String)> {
    message["internetMessageHeaders"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|h| {
                    (
                        h["name"].as_str().unwrap_or("").to_string(),
                        h["value"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn exchange_online_verdicts() {
        let v = authentication(&h(&[
            (
                "Received",
                "from DM6PR11MB4185.namprd11.prod.outlook.com (2603:10b6:5:1d1::23) by PH0PR11MB4998.namprd11.prod.outlook.com with HTTPS; Sat, 01 Mar 2025 10:14:58 +0000",
            ),
            (
                "Received",
                "from mail.fabrikam-payments.example (203.0.113.7) by BN8NAM11FT066.mail.protection.outlook.com (10.13.177.138) with Microsoft SMTP Server; Sat, 01 Mar 2025 10:14:56 +0000",
            ),
            (
                "Authentication-Results",
                "spf=fail (sender IP is 203.0.113.7) smtp.mailfrom=fabrikam-payments.example; dkim=none (message not signed) header.d=none;dmarc=fail action=quarantine header.from=fabrikam-payments.example;compauth=fail reason=000",
            ),
        ]));
        assert_eq!(v["spf"], "fail");
        assert_eq!(v["dkim"], "none");
        assert_eq!(v["dmarc"], "fail");
        assert_eq!(v["dmarcAction"], "quarantine");
        assert_eq!(v["compauth"], "fail");
        assert_eq!(v["compauthReason"], "000");
        assert_eq!(v["smtpMailFrom"], "fabrikam-payments.example");
        assert_eq!(v["headerFrom"], "fabrikam-payments.example");
        assert_eq!(v["senderIp"], "203.0.113.7");
        assert_eq!(
            v["receivedIps"],
            json!(["2603:10b6:5:1d1::23", "203.0.113.7"])
        );
        assert_eq!(
            v["receivedDomains"],
            json!([
                "dm6pr11mb4185.namprd11.prod.outlook.com",
                "mail.fabrikam-payments.example"
            ])
        );
    }

    #[test]
    fn other_receivers_and_fallbacks() {
        let v = authentication(&h(&[
            (
                "authentication-results",
                "mx.google.com; dkim=pass header.i=@proxforge.de header.d=proxforge.de; spf=pass (google.com: domain of x designates 159.195.48.175 as permitted sender) smtp.mailfrom=x@proxforge.de",
            ),
            (
                "Received",
                "from mail.proxdocs.de ([159.195.48.175]) by mx-ha.gmx.net with ESMTPS; Fri, 13 Feb 2026 22:40:20 +0100",
            ),
        ]));
        assert_eq!(v["dkim"], "pass");
        assert_eq!(v["dkimDomain"], "proxforge.de");
        assert_eq!(v["spf"], "pass");
        assert_eq!(v["senderIp"], "159.195.48.175");
        assert!(v.get("dmarc").is_none());

        let v = authentication(&h(&[
            (
                "Received-SPF",
                "Fail (protection.outlook.com: domain of x.example does not designate 198.51.100.23 as permitted sender)",
            ),
            (
                "Received",
                "from [10.1.1.1] (Unknown [10.1.1.1]) by relay.example with ESMTPA",
            ),
        ]));
        assert_eq!(v["spf"], "fail");
        assert_eq!(v["senderIp"], "198.51.100.23");
        assert_eq!(v["receivedIps"], json!(["10.1.1.1"]));
    }
}
