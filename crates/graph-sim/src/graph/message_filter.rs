//! The `$filter` subset the write commands need on message lists: `eq` comparisons of
//! string properties (`internetMessageId`, `subject`, `conversationId`,
//! `from/emailAddress/address`, `sender/emailAddress/address`) joined by `and`. String
//! comparisons ignore case, as Exchange's do. Anything else is refused, so a client
//! never mistakes an ignored clause for a filtered answer.

use std::borrow::Cow;

use serde_json::Value;

use crate::error::GraphError;
use crate::store::Message;

const PROPERTIES: &[&str] = &[
    "internetMessageId",
    "subject",
    "conversationId",
    "from/emailAddress/address",
    "sender/emailAddress/address",
];

pub(crate) struct Filter {
    /// (property path, literal)
    clauses: Vec<(&'static str, String)>,
}

fn unsupported(raw: &str) -> GraphError {
    GraphError::new(
        400,
        "ErrorInvalidUrlQueryFilter",
        format!(
            "The $filter '{raw}' is not supported by graph-sim on messages (only eq on internetMessageId, subject, conversationId, from/emailAddress/address, sender/emailAddress/address, joined by and)."
        ),
    )
}

/// Splits on ` and ` outside string literals.
fn clauses(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_str = false;
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        if c == '\'' {
            in_str = !in_str;
        }
        if !in_str && rest.len() >= 5 && rest[..5].eq_ignore_ascii_case(" and ") {
            out.push(std::mem::take(&mut cur));
            rest = &rest[5..];
            continue;
        }
        cur.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out.push(cur);
    out
}

impl Filter {
    pub(crate) fn parse(raw: Option<&str>) -> Result<Option<Filter>, GraphError> {
        let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
            return Ok(None);
        };
        let mut parsed = Vec::new();
        for clause in clauses(raw) {
            let clause = clause
                .trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .trim();
            let (prop, literal) = clause.split_once(" eq ").ok_or_else(|| unsupported(raw))?;
            let prop = PROPERTIES
                .iter()
                .find(|p| p.eq_ignore_ascii_case(prop.trim()))
                .ok_or_else(|| unsupported(raw))?;
            let literal = literal.trim();
            let inner = literal
                .strip_prefix('\'')
                .and_then(|l| l.strip_suffix('\''))
                .ok_or_else(|| unsupported(raw))?;
            parsed.push((*prop, inner.replace("''", "'")));
        }
        Ok(Some(Filter { clauses: parsed }))
    }

    fn value<'m>(m: &'m Message, path: &str) -> Option<Cow<'m, Value>> {
        let mut parts = path.split('/');
        let first = m.prop(parts.next()?)?;
        let mut v: Value = first.into_owned();
        for p in parts {
            v = v.get(p)?.clone();
        }
        Some(Cow::Owned(v))
    }

    pub(crate) fn matches(&self, m: &Message) -> bool {
        self.clauses.iter().all(|(prop, literal)| {
            Self::value(m, prop)
                .and_then(|v| v.as_str().map(|s| s.eq_ignore_ascii_case(literal)))
                .unwrap_or(false)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn and_outside_literals_splits_clauses() {
        let f = Filter::parse(Some(
            "subject eq 'Cats and dogs' and from/emailAddress/address eq 'o''brien@x.example'",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            f.clauses,
            vec![
                ("subject", "Cats and dogs".to_string()),
                ("from/emailAddress/address", "o'brien@x.example".to_string())
            ]
        );
        assert!(Filter::parse(Some("receivedDateTime ge 2025-01-01T00:00:00Z")).is_err());
        assert!(Filter::parse(None).unwrap().is_none());
    }
}
