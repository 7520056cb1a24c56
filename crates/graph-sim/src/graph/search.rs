//! `$search` on messages: the KQL subset Outlook supports. Property
//! restrictions (`subject:`, `from:`, `to:`, `cc:`, `bcc:`, `participants:`,
//! `recipients:`, `body:`, `attachment:`, `hasAttachments:`, `importance:`,
//! `category:`), date ranges (`received>=2022-01-09`, `received<=...`,
//! `received:2022-01-09`, also `sent`), bare words and "quoted phrases"
//! (matched in from, subject and body), `AND`/`OR`/`NOT` and parentheses;
//! adjacent terms are ANDed. Matching is case-insensitive; a trailing `*`
//! is a prefix match, which substring matching already covers.

use serde_json::Value;

use crate::error::GraphError;
use crate::store::Message;
use crate::time;

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    Not,
    /// `prop` `op` `value`, or a bare value (prop empty).
    Term(String, String, String),
}

#[derive(Debug, PartialEq)]
pub(crate) enum Kql {
    And(Box<Kql>, Box<Kql>),
    Or(Box<Kql>, Box<Kql>),
    Not(Box<Kql>),
    Term(String, String, String),
}

const PROPERTIES: &[&str] = &[
    "subject",
    "from",
    "to",
    "cc",
    "bcc",
    "participants",
    "recipients",
    "body",
    "attachment",
    "attachments",
    "attachmentnames",
    "hasattachment",
    "hasattachments",
    "importance",
    "category",
    "received",
    "sent",
];

fn bad(why: String) -> GraphError {
    GraphError::new(400, "BadRequest", format!("Syntax error in $search: {why}"))
}

fn lex(text: &str) -> Result<Vec<Tok>, GraphError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let read_value = |i: &mut usize| -> Result<String, GraphError> {
        if chars.get(*i) == Some(&'"') {
            let start = *i + 1;
            let end = chars[start..]
                .iter()
                .position(|c| *c == '"')
                .ok_or_else(|| bad("unterminated phrase".into()))?;
            *i = start + end + 1;
            Ok(chars[start..start + end].iter().collect())
        } else {
            // A word; a quoted part inside it (`subject:"two words"`) may hold spaces.
            let start = *i;
            let mut quoted = false;
            while *i < chars.len()
                && (quoted || (!chars[*i].is_whitespace() && !matches!(chars[*i], '(' | ')')))
            {
                quoted ^= chars[*i] == '"';
                *i += 1;
            }
            Ok(chars[start..*i].iter().collect())
        }
    };
    while i < chars.len() {
        match chars[i] {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' => {
                out.push(Tok::Close);
                i += 1;
            }
            _ => {
                let start = i;
                let word = read_value(&mut i)?;
                let quoted = chars[start] == '"';
                let tok = match word.as_str() {
                    _ if quoted => Tok::Term(String::new(), ":".into(), word),
                    w if w.eq_ignore_ascii_case("and") => Tok::And,
                    w if w.eq_ignore_ascii_case("or") => Tok::Or,
                    w if w.eq_ignore_ascii_case("not") => Tok::Not,
                    w => match w.find([':', '<', '>', '=']) {
                        Some(at) if PROPERTIES.contains(&w[..at].to_ascii_lowercase().as_str()) => {
                            let prop = w[..at].to_ascii_lowercase();
                            let rest = &w[at..];
                            let op_len = rest
                                .chars()
                                .take_while(|c| matches!(c, ':' | '<' | '>' | '='))
                                .count();
                            let op = rest[..op_len].to_string();
                            let mut value = rest[op_len..].to_string();
                            if value.starts_with('"') {
                                value = value.trim_matches('"').to_string();
                            }
                            if !matches!(op.as_str(), ":" | "=" | ">=" | "<=" | ">" | "<") {
                                return Err(bad(format!("unknown operator '{op}'")));
                            }
                            Tok::Term(prop, op, value)
                        }
                        _ => Tok::Term(String::new(), ":".into(), w.to_string()),
                    },
                };
                out.push(tok);
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn or(&mut self) -> Result<Kql, GraphError> {
        let mut left = self.and()?;
        while self.toks.get(self.pos) == Some(&Tok::Or) {
            self.pos += 1;
            left = Kql::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Kql, GraphError> {
        let mut left = self.unary()?;
        loop {
            match self.toks.get(self.pos) {
                Some(Tok::And) => self.pos += 1,
                // Adjacent terms are ANDed.
                Some(Tok::Term(..) | Tok::Open | Tok::Not) => {}
                _ => return Ok(left),
            }
            left = Kql::And(Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Kql, GraphError> {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Not) => {
                self.pos += 1;
                Ok(Kql::Not(Box::new(self.unary()?)))
            }
            Some(Tok::Open) => {
                self.pos += 1;
                let e = self.or()?;
                if self.toks.get(self.pos) != Some(&Tok::Close) {
                    return Err(bad("expected ')'".into()));
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::Term(p, op, v)) => {
                self.pos += 1;
                Ok(Kql::Term(p, op, v))
            }
            _ => Err(bad("expected a search term".into())),
        }
    }
}

/// Parses a `$search` value; the surrounding double quotes Graph asks for
/// are optional.
pub(crate) fn parse(raw: &str) -> Result<Kql, GraphError> {
    let t = raw.trim();
    let t = t
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(t);
    if t.trim().is_empty() {
        return Err(bad("the search string is empty".into()));
    }
    // Inner phrases may use escaped quotes: `\"two words\"`.
    let t = t.replace("\\\"", "\"");
    let mut p = Parser {
        toks: lex(&t)?,
        pos: 0,
    };
    let e = p.or()?;
    if p.pos < p.toks.len() {
        return Err(bad("unexpected text after the expression".into()));
    }
    Ok(e)
}

/// A KQL date: `2022-01-09`, `01/09/2022`, or a full ISO date-time.
/// Returns the start and end (exclusive) of what it names, Unix seconds.
fn date_range(value: &str) -> Option<(i64, i64)> {
    if let Some((m, rest)) = value.split_once('/') {
        let (d, y) = rest.split_once('/')?;
        let iso = format!("{y:0>4}-{m:0>2}-{d:0>2}");
        let start = time::parse_iso(&iso)?;
        return Some((start, start + 86_400));
    }
    let start = time::parse_iso(value)?;
    Some(if value.len() <= 10 {
        (start, start + 86_400)
    } else {
        (start, start + 1)
    })
}

fn text_of(m: &Message, prop: &str) -> String {
    let props = &m.item.props;
    let addresses = |keys: &[&str]| -> String {
        let mut out = String::new();
        for k in keys {
            let list = match props.get(*k) {
                Some(Value::Array(l)) => l.clone(),
                Some(v @ Value::Object(_)) => vec![v.clone()],
                _ => Vec::new(),
            };
            for r in list {
                for f in ["name", "address"] {
                    out.push_str(r["emailAddress"][f].as_str().unwrap_or(""));
                    out.push(' ');
                }
            }
        }
        out
    };
    let s = |k: &str| {
        props
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match prop {
        "subject" => s("subject"),
        "from" => addresses(&["from", "sender"]),
        "to" => addresses(&["toRecipients"]),
        "cc" => addresses(&["ccRecipients"]),
        "bcc" => addresses(&["bccRecipients"]),
        "recipients" => addresses(&["toRecipients", "ccRecipients", "bccRecipients"]),
        "participants" => addresses(&["from", "toRecipients", "ccRecipients", "bccRecipients"]),
        "body" => props["body"]["content"].as_str().unwrap_or("").to_string(),
        "attachment" | "attachments" | "attachmentnames" => m
            .item
            .attachments
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        "importance" => s("importance"),
        "category" => props["categories"].to_string(),
        _ => [
            s("subject"),
            addresses(&["from"]),
            props["body"]["content"].as_str().unwrap_or("").to_string(),
        ]
        .join(" "),
    }
}

fn term(m: &Message, prop: &str, op: &str, value: &str) -> bool {
    match prop {
        "received" | "sent" => {
            let at = if prop == "received" {
                Some(m.received)
            } else {
                m.item.props["sentDateTime"]
                    .as_str()
                    .and_then(time::parse_iso)
            };
            let (Some(at), Some((start, end))) = (at, date_range(value)) else {
                return false;
            };
            match op {
                ">=" => at >= start,
                ">" => at >= end,
                "<=" => at < end,
                "<" => at < start,
                _ => at >= start && at < end,
            }
        }
        "hasattachment" | "hasattachments" => {
            value.eq_ignore_ascii_case(&m.item.has_attachments().to_string())
        }
        _ => {
            let needle = value.trim_end_matches('*').to_lowercase();
            text_of(m, prop).to_lowercase().contains(&needle)
        }
    }
}

pub(crate) fn matches(q: &Kql, m: &Message) -> bool {
    match q {
        Kql::And(a, b) => matches(a, m) && matches(b, m),
        Kql::Or(a, b) => matches(a, m) || matches(b, m),
        Kql::Not(a) => !matches(a, m),
        Kql::Term(p, op, v) => term(m, p, op, v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Message;
    use crate::store::message::Item;
    use serde_json::json;

    fn msg() -> Message {
        let item = Item::from_json(
            &json!({
                "subject": "Invoice overdue",
                "receivedDateTime": "2022-01-09T10:00:00Z",
                "from": {"emailAddress": {"name": "Billing", "address": "billing@fabrikam.example"}},
                "body": {"contentType": "html", "content": "<p>Please pay the excitement fee</p>"},
                "attachments": [{"@odata.type": "#microsoft.graph.fileAttachment", "name": "invoice.pdf", "contentBytes": ""}]
            }),
            "s",
            "2022-01-01T00:00:00Z",
        )
        .unwrap();
        Message {
            rest_id: "r".into(),
            immutable_id: "i".into(),
            folder_id: "f".into(),
            moves: 0,
            received: time::parse_iso("2022-01-09T10:00:00Z").unwrap(),
            item,
            arrived: 1,
            changed: 1,
        }
    }

    fn check(q: &str) -> bool {
        matches(
            &parse(q).unwrap_or_else(|e| panic!("{q}: {}", e.message)),
            &msg(),
        )
    }

    #[test]
    fn kql_terms_dates_and_logic() {
        assert!(check("\"subject:invoice\""));
        assert!(check("body:excitement"));
        assert!(check("body:test or subject:invoice"));
        assert!(!check("body:test AND subject:invoice"));
        assert!(check("from:billing@fabrikam.example"));
        assert!(check("invoice"));
        assert!(check("\"invoice overdue\""));
        assert!(check("subject:\"invoice overdue\""));
        assert!(check("received>=2022-01-09 AND received<=2022-01-09"));
        assert!(check("received:01/09/2022"));
        assert!(!check("received>=2022-01-10"));
        assert!(check(
            "received>=2022-01-09T09:00:00Z received<=2022-01-09T11:00:00Z"
        ));
        assert!(check("hasAttachments:true attachment:invoice"));
        assert!(check("NOT subject:hello (from:billing OR from:nobody)"));
        // An unknown property is plain text, as in Outlook.
        assert!(!check("nope:x"));
        assert!(parse("\"\"").is_err());
        assert!(parse("(subject:x").is_err());
    }
}
