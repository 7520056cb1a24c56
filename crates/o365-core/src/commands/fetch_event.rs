//! Fetch Event (reference §3.5, §7): the messages of one or more folders
//! received in a UTC window, oldest first, as events with the vendor
//! document's field mappings, enriched (item attachments, attached `.eml`
//! files, authentication verdicts), with a cursor for the next run.
//!
//! Oldest first because a scheduler runs this again and again: with a cap
//! per folder, newest-first would drop the older part of a busy window for
//! good, while oldest-first plus the cursor picks up exactly where the last
//! run stopped.

use super::execute;
use super::fetch::{self, FetchPlan};
use super::params::{MAIL_READ, email_address, immutable_ids, mailbox_rule};
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::input::Values;
use crate::mail::cursor::Cursor;
use crate::mail::folders::FolderRef;
use crate::mail::listing::Order;
use crate::mailbox::Mailbox;
use crate::model::{CommandResult, Connection};
use crate::spec::{CommandSpec, ParamType, param};

pub const LABEL: &str = SPEC.label;
const MAILBOX: &str = SPEC.label_of("email-address");
const FOLDERS: &str = SPEC.label_of("mail-folders");
const START: &str = SPEC.label_of("start-time");
const END: &str = SPEC.label_of("end-time");
const COUNT: &str = SPEC.label_of("number-of-events-fetched");
const FILTER: &str = SPEC.label_of("filter");
const SEARCH: &str = SPEC.label_of("search-condition");
const TOLERANCE: &str = SPEC.label_of("tolerance-scope");
/// A week, in minutes: more tolerance than that is a different window.
const MAX_TOLERANCE_MINUTES: u32 = 10_080;
const MAX_FOLDERS: usize = 50;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub email_address: Option<String>,
    pub mail_folders: Vec<String>,
    pub start_time: String,
    pub end_time: String,
    pub number_of_events_fetched: Option<u32>,
    pub filter: Option<String>,
    pub search_condition: Option<String>,
    pub tolerance_scope: Option<u32>,
    pub use_immutable_ids: bool,
    pub cursor: Option<String>,
}

impl Input {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<Input, Error> {
        Ok(Input {
            email_address: values.optional_text("email-address")?,
            mail_folders: values.list("mail-folders")?,
            start_time: values.text("start-time")?,
            end_time: values.text("end-time")?,
            number_of_events_fetched: values.optional_u32("number-of-events-fetched")?,
            filter: values.optional_text("filter")?,
            search_condition: values.optional_text("search-condition")?,
            tolerance_scope: values.optional_u32("tolerance-scope")?,
            use_immutable_ids: values.flag("use-immutable-ids")?,
            cursor: values.optional_text("cursor")?,
        })
    }
}

fn parse(conn: &Connection, input: &Input) -> Result<FetchPlan, Error> {
    let mailbox = Mailbox::resolve(conn, input.email_address.as_deref(), MAILBOX)?;
    let mut folders: Vec<FolderRef> = Vec::new();
    for f in &input.mail_folders {
        let folder = FolderRef::parse(FOLDERS, f)?;
        if !folders.contains(&folder) {
            folders.push(folder);
        }
    }
    if folders.is_empty() {
        return Err(Error::input(
            FOLDERS,
            "is required: give folder ids, well-known names (inbox) or display names (Inbox/Phishing).",
        ));
    }
    if folders.len() > MAX_FOLDERS {
        return Err(Error::input(
            FOLDERS,
            format!(
                "has {} folders; at most {MAX_FOLDERS} per run.",
                folders.len()
            ),
        ));
    }
    let start = fetch::utc(START, &input.start_time)?;
    let end = fetch::utc(END, &input.end_time)?;
    if start > end {
        return Err(Error::input(
            START,
            format!(
                "{} is after the End Time {}.",
                crate::time::iso(start),
                crate::time::iso(end)
            ),
        ));
    }
    let tolerance = input.tolerance_scope.unwrap_or(0);
    if tolerance > MAX_TOLERANCE_MINUTES {
        return Err(Error::input(
            TOLERANCE,
            format!("must be at most {MAX_TOLERANCE_MINUTES} minutes (a week); got {tolerance}."),
        ));
    }
    let limit = fetch::count(COUNT, input.number_of_events_fetched)?;
    let criteria = fetch::criteria(
        input.filter.as_deref(),
        input.search_condition.as_deref(),
        FILTER,
        SEARCH,
    )?;
    let cursor = match input
        .cursor
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(text) => Cursor::parse(text, mailbox.display())?,
        None => Cursor::new(mailbox.display()),
    };
    Ok(FetchPlan {
        label: LABEL,
        folder_label: FOLDERS,
        mailbox,
        folders: folders.into_iter().map(Some).collect(),
        after: Some(start - i64::from(tolerance) * 60),
        before: Some(end),
        criteria,
        order: Order::OldestFirst,
        limit,
        immutable: input.use_immutable_ids,
        cursor: Some(cursor),
        events: true,
    })
}

pub fn fetch_event(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(
        env,
        conn,
        LABEL,
        |c| parse(c, input),
        |g: &Graph, plan| fetch::run(g, env, plan),
    )
}

/// What Fetch Event declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "fetch-event",
    label: "Fetch Event",
    description: "Returns emails of the given folders received between Start Time and End Time (UTC) as events, oldest first, with the vendor document's field mappings, enrichment of attached items and .eml files, authentication verdicts, and a cursor for the next run.",
    deprecated: false,
    run: |env, conn, v| Ok(fetch_event(env, conn, &Input::read(v)?)),
    parameters: &[
        email_address(mailbox_rule!("The email address from which to fetch events.")),
        param("mail-folders", "Mail Folders", ParamType::TextList, true)
            .example("[\"inbox\", \"Inbox/Phishing\"]")
            .describe("The folders to fetch from: folder ids, well-known names (inbox, junkemail, ...), display names (Phishing) or paths of display names (Inbox/Phishing; a leading '/' forces a path)."),
        param("start-time", "Start Time", ParamType::DateTime, true)
            .example("2022-01-09 00:00")
            .describe("The start of the window, UTC: 2022-01-09 00:00 or ISO 8601 (2022-01-09T00:00:00Z)."),
        param("end-time", "End Time", ParamType::DateTime, true)
            .example("2023-01-06 00:00")
            .describe("The end of the window, UTC, same formats."),
        param("number-of-events-fetched", "Number of Event(s) Fetched", ParamType::Integer, false)
            .default("10")
            .example("10")
            .describe("The maximum number of emails per folder, 1 to 1000; pages are followed until that many. With several folders the total is the sum."),
        param("filter", "Filter", ParamType::Text, false)
            .example("hasAttachments eq true and contains(subject, 'test')")
            .describe("An OData $filter expression, combined with the time window. Leave empty when Search Condition is given."),
        param("search-condition", "Search Condition", ParamType::Text, false)
            .example("body:test or subject:test")
            .describe("A KQL $search expression. Graph refuses $filter with $search, so the time window goes into the KQL by day and is then applied exactly. Leave empty when Filter is given."),
        param("tolerance-scope", "Tolerance Scope", ParamType::Integer, false)
            .default("0")
            .example("10")
            .describe("Minutes subtracted from Start Time so late-indexed emails are not lost: emails are fetched between Start Time - Tolerance Scope and End Time."),
        immutable_ids(),
        param("cursor", "Cursor", ParamType::Json, false)
            .example("{\"version\": 2, \"mailbox\": \"me\", \"folders\": {\"inbox\": {\"delta\": {\"link\": \"https://graph.microsoft.com/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=...\", \"page\": [], \"floor\": \"2025-03-01T00:00:00Z\", \"delivered\": [], \"forgotten\": null, \"backlog\": null}}}}")
            .describe("The 'cursor' of the previous run's context data, unchanged. Without Filter and Search each folder then follows Graph's delta query: every email that came into the folder since the previous run (moved-in older ones too) is delivered once, and Start Time and End Time apply to the first run only. With Filter or Search each folder starts at the newest email the previous run delivered. No email is skipped or duplicated between scheduled runs."),
    ],
    permissions: MAIL_READ,
};
