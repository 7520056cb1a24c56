//! Listing messages of a folder (or a whole mailbox) within a time window,
//! by `$filter` or by `$search`, paging until the wanted number is reached.
//!
//! Graph refuses `$filter` and `$orderby` next to `$search`, so with a
//! search the window goes into the KQL (`received>=` / `received<=`, whole
//! days) and is then applied exactly here, and the order is made here too.

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

use std::collections::HashSet;

use serde_json::Value;

use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::http::{self, segment};
use crate::mailbox::Mailbox;
use crate::time;

/// Messages per page. Large pages with bodies and attachments make Graph
/// answer 504, and each page is held in guest memory while it is read.
pub const PAGE_SIZE: usize = 100;
/// `$search` never returns more than this many messages.
pub const SEARCH_CAP: usize = 1000;

/// Every property the fetch commands and their field mappings read.
/// `internetMessageHeaders` must be named: Graph leaves it out otherwise.
pub const SELECT: &str = "id,createdDateTime,lastModifiedDateTime,receivedDateTime,sentDateTime,subject,body,bodyPreview,importance,internetMessageId,internetMessageHeaders,from,sender,toRecipients,ccRecipients,bccRecipients,replyTo,hasAttachments,parentFolderId,conversationId,webLink,isRead,categories,flag,inferenceClassification";

/// The user's own criteria.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Criteria {
    None,
    /// An OData `$filter` expression, ANDed with the window.
    Filter(String),
    /// A KQL `$search` expression.
    Search(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    OldestFirst,
    NewestFirst,
}

pub struct Listing<'a> {
    pub mailbox: &'a Mailbox,
    /// A folder id or well-known name; None lists the whole mailbox.
    pub folder: Option<&'a str>,
    /// receivedDateTime at or after, at or before (Unix seconds).
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub criteria: &'a Criteria,
    pub order: Order,
    pub limit: usize,
    /// Ids already delivered (a cursor's); skipped, and not counted.
    pub seen: &'a HashSet<String>,
    /// Other deliveries to skip the same way (a delta cursor's remembered ids).
    pub delivered: Option<&'a dyn Fn(&str) -> bool>,
    pub expand_attachments: bool,
    /// Request headers for every page (`Prefer: IdType="ImmutableId"`).
    pub headers: &'a [(String, String)],
}

/// What a listing found.
pub struct Fetched {
    pub messages: Vec<Value>,
    /// More messages matched than `limit`.
    pub more: bool,
    /// Messages not delivered because the server's answer did not fit the
    /// request (no id, no date, a date outside the window): id, date, reason.
    pub rejected: Vec<Value>,
    /// Why paging stopped early, when it did after the first page; the
    /// messages read before it are kept.
    pub stopped: Option<Error>,
}

/// Rejected messages listed at most (the count goes on).
const MAX_REJECTED_LISTED: usize = 100;

fn received(m: &Value) -> i64 {
    m["receivedDateTime"]
        .as_str()
        .and_then(time::parse_utc)
        .unwrap_or(0)
}

/// What to do with one message of a page.
enum Verdict {
    Take,
    /// Already delivered (the cursor's), or outside the exact window of a search.
    Skip,
    Reject(String),
}

/// At most 64 characters of a server's text, for messages.
fn clip(text: &str) -> String {
    text.chars().take(64).collect()
}

/// A `$search` value: the expression in double quotes, inner quotes escaped.
fn quoted_kql(kql: &str) -> String {
    format!("\"{}\"", kql.replace('"', "\\\""))
}

impl Listing<'_> {
    fn collection(&self) -> String {
        match self.folder {
            Some(f) => format!(
                "{}/mailFolders/{}/messages",
                self.mailbox.path(),
                segment(f)
            ),
            None => format!("{}/messages", self.mailbox.path()),
        }
    }

    fn within(&self, t: i64) -> bool {
        self.after.is_none_or(|a| t >= a) && self.before.is_none_or(|b| t <= b)
    }

    /// Graph was asked for the window (`strict`, the `$filter` path) or only
    /// for whole days around it (`$search`): outside it, a message is a server
    /// fault to report in the first case and expected in the second. A
    /// message without an id or a readable receivedDateTime is never taken.
    fn verdict(&self, m: &Value, strict: bool) -> Verdict {
        let Some(id) = m
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        else {
            return Verdict::Reject("has no id".into());
        };
        if self.seen.contains(id) || self.delivered.is_some_and(|d| d(id)) {
            return Verdict::Skip;
        }
        let Some(raw) = m.get("receivedDateTime").and_then(Value::as_str) else {
            return Verdict::Reject("has no receivedDateTime".into());
        };
        let Some(t) = time::parse_utc(raw) else {
            return Verdict::Reject(format!("receivedDateTime '{}' is not a date", clip(raw)));
        };
        match (self.within(t), strict) {
            (true, _) => Verdict::Take,
            (false, false) => Verdict::Skip,
            (false, true) => Verdict::Reject(format!(
                "receivedDateTime {} is outside the requested window",
                time::iso(t)
            )),
        }
    }

    fn common(&self, top: usize) -> Vec<(&'static str, String)> {
        let mut q = vec![("$top", top.to_string()), ("$select", SELECT.to_string())];
        if self.expand_attachments {
            q.push(("$expand", "attachments".to_string()));
        }
        q
    }

    /// The `$filter` path: window first (Graph wants the `$orderby`
    /// property first in `$filter`), then the user's expression.
    fn filter_query(&self, user: Option<&str>) -> String {
        let mut parts = Vec::new();
        if let Some(a) = self.after {
            parts.push(format!("receivedDateTime ge {}", time::iso(a)));
        }
        if let Some(b) = self.before {
            parts.push(format!("receivedDateTime le {}", time::iso(b)));
        }
        let windowed = !parts.is_empty();
        if let Some(u) = user {
            parts.push(if windowed {
                format!("({u})")
            } else {
                u.to_string()
            });
        }
        let top = self
            .limit
            .saturating_add(self.seen.len())
            .clamp(1, PAGE_SIZE);
        let mut q = Vec::new();
        if !parts.is_empty() {
            q.push(("$filter", parts.join(" and ")));
        }
        // Without the window in front, an $orderby would break Graph's
        // InefficientFilter rule; Graph's own order is newest first then.
        if windowed || user.is_none() {
            let dir = match self.order {
                Order::OldestFirst => "asc",
                Order::NewestFirst => "desc",
            };
            q.push(("$orderby", format!("receivedDateTime {dir}")));
        }
        q.extend(self.common(top));
        format!("{}{}", self.collection(), http::query(&q))
    }

    fn search_query(&self, kql: &str) -> String {
        let mut terms = vec![format!("({kql})")];
        if let Some(a) = self.after {
            terms.push(format!("received>={}", time::date(a)));
        }
        if let Some(b) = self.before {
            terms.push(format!("received<={}", time::date(b)));
        }
        let mut q = vec![("$search", quoted_kql(&terms.join(" AND ")))];
        q.extend(self.common(PAGE_SIZE));
        format!("{}{}", self.collection(), http::query(&q))
    }

    pub fn fetch(&self, graph: &Graph, env: &dyn Env, what: &str) -> Result<Fetched, Error> {
        match self.criteria {
            Criteria::Search(kql) => self.fetch_search(graph, env, kql, what),
            Criteria::Filter(f) => self.fetch_filtered(graph, env, Some(f), what),
            Criteria::None => self.fetch_filtered(graph, env, None, what),
        }
    }

    fn fetch_filtered(
        &self,
        graph: &Graph,
        env: &dyn Env,
        user: Option<&str>,
        what: &str,
    ) -> Result<Fetched, Error> {
        let mut messages = Vec::new();
        let mut rejected = Vec::new();
        let mut more = false;
        let mut pages = 0usize;
        let walked =
            graph.for_each_page(&self.filter_query(user), self.headers, |page, has_next| {
                pages = pages.saturating_add(1);
                let mut page = page.into_iter();
                while messages.len() < self.limit {
                    let Some(m) = page.next() else { break };
                    match self.verdict(&m, true) {
                        Verdict::Take => messages.push(m),
                        Verdict::Skip => {}
                        Verdict::Reject(reason) => reject(&mut rejected, &m, reason),
                    }
                }
                env.progress(count_u32(messages.len()), count_u32(self.limit), what);
                if messages.len() >= self.limit {
                    more = page.next().is_some() || has_next;
                    return Ok(false);
                }
                Ok(true)
            });
        let stopped = stopped_after_first_page(walked, pages)?;
        Ok(Fetched {
            messages,
            more,
            rejected,
            stopped,
        })
    }

    fn fetch_search(
        &self,
        graph: &Graph,
        env: &dyn Env,
        kql: &str,
        what: &str,
    ) -> Result<Fetched, Error> {
        // Search results come by sent date; collect them all (Graph stops at
        // 1000), keep the exact window, and order by received time here.
        let mut messages = Vec::new();
        let mut rejected = Vec::new();
        let mut pages = 0usize;
        let walked = graph.for_each_page(&self.search_query(kql), self.headers, |page, _| {
            pages = pages.saturating_add(1);
            for m in page {
                match self.verdict(&m, false) {
                    Verdict::Take => messages.push(m),
                    Verdict::Skip => {}
                    Verdict::Reject(reason) => reject(&mut rejected, &m, reason),
                }
            }
            env.progress(count_u32(messages.len()), 0, what);
            Ok(messages.len() < SEARCH_CAP)
        });
        let stopped = stopped_after_first_page(walked, pages)?;
        messages.sort_by_key(received);
        if self.order == Order::NewestFirst {
            messages.reverse();
        }
        let more = messages.len() > self.limit;
        messages.truncate(self.limit);
        Ok(Fetched {
            messages,
            more,
            rejected,
            stopped,
        })
    }
}

pub(crate) fn reject(rejected: &mut Vec<Value>, m: &Value, reason: String) {
    if rejected.len() < MAX_REJECTED_LISTED {
        rejected.push(serde_json::json!({
            "id": m.get("id").and_then(Value::as_str).map(clip),
            "receivedDateTime": m.get("receivedDateTime").and_then(Value::as_str).map(clip),
            "reason": reason,
        }));
    }
}

fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A failure on the first page is the listing's error; a later one stops it
/// with the pages read so far.
fn stopped_after_first_page(
    walked: Result<(), Error>,
    pages: usize,
) -> Result<Option<Error>, Error> {
    match walked {
        Ok(()) => Ok(None),
        Err(e) if pages > 0 => Ok(Some(e)),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing<'a>(criteria: &'a Criteria, seen: &'a HashSet<String>) -> Listing<'a> {
        static ME: Mailbox = Mailbox::Me;
        Listing {
            mailbox: &ME,
            folder: Some("inbox"),
            after: Some(1_641_686_400),
            before: Some(1_641_772_800),
            criteria,
            order: Order::OldestFirst,
            limit: 5,
            seen,
            delivered: None,
            expand_attachments: true,
            headers: &[],
        }
    }

    #[test]
    fn filter_puts_the_window_first() {
        let seen = HashSet::from(["a".to_string()]);
        let c = Criteria::Filter("hasAttachments eq true".into());
        let url = listing(&c, &seen).filter_query(Some("hasAttachments eq true"));
        let decoded = percent_encoding::percent_decode_str(&url)
            .decode_utf8_lossy()
            .to_string();
        assert!(decoded.starts_with("me/mailFolders/inbox/messages?$filter=receivedDateTime ge 2022-01-09T00:00:00Z and receivedDateTime le 2022-01-10T00:00:00Z and (hasAttachments eq true)&$orderby=receivedDateTime asc&$top=6&$select=id,"), "{decoded}");
        assert!(decoded.contains("internetMessageHeaders"));
        assert!(decoded.ends_with("&$expand=attachments"));
    }

    #[test]
    fn search_carries_the_window_as_kql() {
        let seen = HashSet::new();
        let c = Criteria::Search("subject:\"pay now\" OR body:test".into());
        let url = listing(&c, &seen).search_query("subject:\"pay now\" OR body:test");
        let decoded = percent_encoding::percent_decode_str(&url)
            .decode_utf8_lossy()
            .to_string();
        assert!(decoded.contains("$search=\"(subject:\\\"pay now\\\" OR body:test) AND received>=2022-01-09 AND received<=2022-01-10\""), "{decoded}");
        assert!(!decoded.contains("$filter") && !decoded.contains("$orderby"));
    }
}
