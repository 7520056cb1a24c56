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
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::input::Values;
use crate::mail::cursor::Cursor;
use crate::mail::folders::FolderRef;
use crate::mail::listing::Order;
use crate::mailbox::Mailbox;
use crate::model::{CommandResult, Connection};

pub const LABEL: &str = "Fetch Event";
const MAILBOX: &str = "Email Address";
const FOLDERS: &str = "Mail Folders";
const START: &str = "Start Time";
const END: &str = "End Time";
const COUNT: &str = "Number of Event(s) Fetched";
const FILTER: &str = "Filter";
const SEARCH: &str = "Search Condition";
const TOLERANCE: &str = "Tolerance Scope";
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
